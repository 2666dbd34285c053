"""Two attendees both say yes, find the booked meeting on their schedules and download it to
their calendars; the organizer then fills the rest of the grid: in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from calendar_checks import check_calendar
from conftest import make_attendee, make_event, make_organizer, screenshot
from icalendar import Calendar

from matchmaker.extensions import db
from matchmaker.models import Suggestion

pytestmark = pytest.mark.browser

OTHERS = [
    ("Uma Brown", "virtual", "America/New_York"),
    ("Olli Mäki", "either", None),
    ("Sara Kim", "in_person", None),
    ("Leo Park", "either", None),
    ("Mia Wong", "either", None),
    ("Noah Diaz", "virtual", None),
]


def _suggest(event, a, b, *, score: float, reasons: dict | None = None) -> None:  # noqa: ANN001
    low, high = sorted((a, b), key=lambda p: p.id)
    db.session.add(
        Suggestion(
            event_id=event.id,
            low_id=low.id,
            high_id=high.id,
            score=score,
            reasons=reasons or {"low_helps": [], "high_helps": [], "shared": []},
            rank_low=0,
            rank_high=0,
        )
    )


def test_both_say_yes_and_the_meeting_reaches_both_calendars(app, live_server, browser):
    with app.app_context():
        organizer = make_organizer()
        event = make_event(
            organizer,
            name="Nordic Founders Day",
            venue="Main hall",
            meeting_minutes=15,
            buffer_minutes=0,
            table_names=["Table 1", "Table 2", "Table 3"],
            scheduling_mode="speed_networking",
            auto_schedule_reserve=0,
        )
        ana = make_attendee(
            event,
            "ana@x.org",
            name="Ana Silva",
            role="founder",
            organization="Acme",
            job_title="CEO",
            consent_share_contact=True,
        )
        ivan = make_attendee(
            event, "ivan@y.org", name="Ivan Berg", role="investor", organization="North Fund"
        )
        # Ana looks for seed funding, which Ivan offers; Ivan looks for product design.
        reasons = {"low_helps": [["product design", "product design"]]}
        reasons["high_helps"] = [["seed funding", "seed funding"]]
        reasons["shared"] = [["climate tech", "climate tech"]]
        _suggest(event, ana, ivan, score=0.8, reasons=reasons)
        others = [
            make_attendee(
                event,
                f"{name.split()[0].lower()}@example.org",
                name=name,
                meeting_mode=mode,
                timezone=zone,
                organization=f"{name.split()[1]} Labs",
            )
            for name, mode, zone in OTHERS
        ]
        for i, a in enumerate(others):
            for b in others[i + 1 :]:
                _suggest(event, a, b, score=0.3 + 0.05 * i)
        db.session.commit()
        base = {p.name: f"{live_server}/me/{p.access_token}" for p in (ana, ivan, others[0])}
        event_id = event.id

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = desktop.new_page()
    page.set_default_timeout(15_000)
    page.goto(base["Ana Silva"] + "/matches")
    page.locator("article.suggestion", has_text="Ivan Berg").get_by_role(
        "button", name="I'd like to meet"
    ).click()
    page.get_by_text("We'll tell you when Ivan Berg wants to meet too").wait_for()

    page.goto(base["Ivan Berg"] + "/matches")
    page.locator("article.suggestion", has_text="Ana Silva").get_by_role(
        "button", name="I'd like to meet"
    ).click()
    page.get_by_text("It's a match").wait_for()
    page.get_by_role("link", name="My schedule").click()
    card = page.locator("article.meeting-card", has_text="Meet Ana Silva")
    card.get_by_text("10:00–10:15").wait_for()
    card.get_by_text("Table 1, Main hall").wait_for()

    page.goto(base["Ana Silva"] + "/schedule")
    card = page.locator("article.meeting-card", has_text="Meet Ivan Berg")
    card.get_by_text("They can help with: seed funding").wait_for()
    assert card.get_by_role("link", name="Add to Google Calendar").is_visible()
    assert card.get_by_role("link", name="Add to Outlook").is_visible()
    with page.expect_download() as download:
        card.get_by_role("link", name="Download .ics").click()
    ics = Path(download.value.path()).read_bytes()
    check_calendar(ics)
    entry = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(entry["SUMMARY"]) == "Meet Ivan Berg (North Fund) - Nordic Founders Day"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all my meetings (.ics)").click()
    check_calendar(Path(download.value.path()).read_bytes())
    screenshot(page, "schedule_attendee")

    # Keyboard only: the cancel step opens and offers a clearly worded button.
    card.get_by_text("Cancel this meeting…").focus()
    page.keyboard.press("Enter")
    assert card.get_by_role("button", name="Yes, cancel my meeting with Ivan Berg").is_visible()
    desktop.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(base["Ana Silva"] + "/schedule")
    page.locator("article.meeting-card", has_text="Meet Ivan Berg").wait_for()
    screenshot(page, "schedule_attendee_phone")
    phone.close()

    organizer_context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = organizer_context.new_page()
    page.goto(live_server + "/auth/login")
    page.get_by_label("Email").fill("org@example.com")
    page.get_by_label("Password").fill("correct horse 1")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/organizer/events/{event_id}")
    page.get_by_role("link", name="Schedule").click()
    page.get_by_role("heading", name="Meeting schedule").wait_for()
    page.get_by_role("button", name="Auto-schedule").click()
    page.get_by_role("status").filter(has_text="new meetings").wait_for()
    grid = page.get_by_role("region", name="Who meets where")
    assert grid.get_by_role("link", name="Ana Silva and Ivan Berg: change or cancel").is_visible()
    screenshot(page, "schedule_organizer")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "schedule_organizer_phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    # Find Ivan by name, then go from his meeting to its cell in the grid.
    page.get_by_label("Find a person (name or email) or a table").fill("ivan")
    page.get_by_role("button", name="Find").click()
    found = page.get_by_role("region", name="Meetings of people and tables matching “ivan”")
    found.get_by_text("Ivan Berg").first.wait_for()
    screenshot(page, "schedule_organizer_search")
    found.get_by_role("link", name="show in the grid: Ana Silva and Ivan Berg").click()
    page.wait_for_url("**#meeting-*")
    assert grid.locator("td:target").get_by_role("link").get_attribute("aria-label") == (
        "Ana Silva and Ivan Berg: change or cancel"
    )
    grid.get_by_role("link", name="Ana Silva and Ivan Berg: change or cancel").click()
    page.get_by_label("New time").select_option(label="Thu 10 Dec, 11:45–12:00")
    page.get_by_label("New place").select_option("Table 3")
    screenshot(page, "schedule_organizer_meeting")
    page.get_by_role("button", name="Move the meeting").click()
    page.get_by_text("Moved Ana Silva and Ivan Berg to Thu 10 Dec, 11:45–12:00, Table 3").wait_for()
    page.goto(f"{live_server}/organizer/events/{event_id}/schedule/print")
    screenshot(page, "schedule_print")
    organizer_context.close()

    virtual = browser.new_context(viewport={"width": 1280, "height": 900})
    page = virtual.new_page()
    page.goto(base["Uma Brown"] + "/schedule")
    page.get_by_text("Your time:").first.wait_for()
    screenshot(page, "schedule_attendee_virtual")
    virtual.close()
