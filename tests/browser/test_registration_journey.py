"""A guest registers on the public page, confirms by the link emailed to them (caught by a
real SMTP server), is assigned a meeting, and sees in its calendar file no one's email until
both said yes: in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import vobject
from conftest import make_attendee, make_event, make_organizer, screenshot
from sqlalchemy import select

from matchmaker import answering, bookings, mail, suggestions
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, Suggestion

pytestmark = pytest.mark.browser

GUEST = "guest@example.com"
IVAN = "ivan@fund.example.com"


def _emails(ics: bytes) -> set[str]:
    """Every address in the calendar's ATTENDEE lines and descriptions, read by vobject."""
    found: set[str] = set()
    for calendar in vobject.readComponents(ics.decode()):
        for event in calendar.vevent_list:
            for line in event.contents.get("attendee", []):
                found.add(line.value.lower().removeprefix("mailto:"))
            for line in event.contents.get("description", []):
                found |= set(re.findall(r"[\w.+-]+@[\w.-]+\.\w+", line.value))
    return found


def _download_ics(page, name: str) -> bytes:  # noqa: ANN001
    with page.expect_download() as download:
        page.get_by_role("link", name=name).first.click()
    return Path(download.value.path()).read_bytes()


def test_register_confirm_by_email_and_see_no_emails_until_both_said_yes(
    app, live_server, browser, smtp_server
):
    app.config["PUBLIC_BASE_URL"] = live_server
    with app.app_context():
        event = make_event(
            make_organizer(),
            name="Nordic Founders Day",
            scheduling_mode="speed_networking",
            auto_schedule_reserve=0,
        )
        make_attendee(
            event,
            IVAN,
            name="Ivan Berg",
            role="investor",
            organization="Fund",
            can_help_with=["seed funding"],
            looking_for=["pricing"],
            consent_share_contact=True,
        )
        suggestions.start_matching(event)
        event_id = event.id

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/e/test-event")
    page.get_by_label("Name", exact=True).fill("Gina Guest")
    page.get_by_label("Email", exact=True).fill(GUEST)
    page.get_by_label("I am a…").select_option(label="Founder")
    page.get_by_label("I can help with").fill("pricing, go-to-market")
    page.get_by_label("I'm looking for").fill("seed funding")
    page.get_by_label("Share my email and links with the people I agree to meet").check()
    page.get_by_role("button", name="Register").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    screenshot(page, "registration_check_inbox")

    with app.app_context():
        assert mail.send_pending(db.session, app.config).sent == 1
    [message] = smtp_server.messages()
    assert message["To"].addresses[0].addr_spec == GUEST
    link = re.search(r"https?://\S+/confirm/\S+", message.get_content()).group(0)
    page.goto(link)
    page.get_by_text("Your email is confirmed").wait_for()
    screenshot(page, "registration_confirmed")
    token = page.url.rstrip("/").rsplit("/", 1)[1]

    with app.app_context():
        bookings.auto_schedule_event(db.session.get(Event, event_id))  # the organizer assigns
        db.session.commit()
    page.goto(f"{live_server}/me/{token}/schedule")
    page.get_by_role("heading", name="Meet Ivan Berg").wait_for()
    assert IVAN not in page.content()
    before = _emails(_download_ics(page, "Download all my meetings (.ics)"))
    assert IVAN not in before and before <= {GUEST}

    page.goto(f"{live_server}/me/{token}/matches")
    card = page.locator("article.suggestion", has_text="Ivan Berg")
    card.get_by_text("Meeting assigned").wait_for()
    card.get_by_role("button", name="I'd like to meet").click()
    page.get_by_text("We'll tell you when Ivan Berg wants to meet too").wait_for()
    with app.app_context():
        ivan = db.session.scalar(select(Attendee).where(Attendee.email == IVAN))
        row = db.session.scalar(select(Suggestion).where(Suggestion.event_id == event_id))
        answering.answer_suggestion(ivan, row.id, "interested")

    page.goto(f"{live_server}/me/{token}/schedule")
    page.get_by_role("link", name=IVAN).wait_for()  # now both said yes, and Ivan shares
    screenshot(page, "registration_schedule_after_both_yes")
    assert IVAN in _emails(_download_ics(page, "Download all my meetings (.ics)"))
    context.close()
