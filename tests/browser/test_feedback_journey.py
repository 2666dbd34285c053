"""After a meeting, in a real browser: the card asks, one click and three questions answer,
the answer shows on the schedule and in the network, and the organizer sees the totals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import make_attendee, make_organizer, screenshot
from past_meetings import PAST, meet, past_event

from matchmaker import feedback
from matchmaker.extensions import db
from matchmaker.models import Suggestion

pytestmark = pytest.mark.browser
AT = PAST + timedelta(hours=1)


def test_answer_after_a_meeting_and_see_it_saved(app, live_server, browser, smtp_server):
    with app.app_context():
        event = past_event(make_organizer(), "nordic-founders-day", name="Nordic Founders Day")
        ana = make_attendee(event, "ana@example.com", name="Ana Silva", organization="Acme")
        ivan = make_attendee(
            event,
            "ivan@example.com",
            name="Ivan Berg",
            organization="North Fund",
            job_title="Partner",
            role="investor",
            linkedin_url="https://www.linkedin.com/in/ivan",
            consent_share_contact=True,
        )
        olli = make_attendee(event, "olli@example.com", name="Olli Mäki", role="expert")
        meet(event, ana, ivan, at=AT)
        missed = meet(event, ivan, olli, at=AT + timedelta(minutes=20))
        feedback.record_feedback(olli, missed.id, feedback.FeedbackAnswer("no_show"))
        low, high = sorted((ana.id, olli.id))
        db.session.add(
            Suggestion(
                event_id=event.id,
                low_id=low,
                high_id=high,
                score=0.55,
                reasons={"low_helps": [], "high_helps": [], "shared": [["fintech", "fintech"]]},
                rank_low=1,
                rank_high=1,
            )
        )
        db.session.commit()
        ana_url, ivan_url = (f"{live_server}/me/{p.access_token}" for p in (ana, ivan))
        event_url = f"{live_server}/organizer/events/{event.id}"
        ivan_page = f"{event_url}/attendees/{ivan.id}"

    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desktop.new_page()
    page.set_default_timeout(15_000)
    page.goto(ana_url + "/schedule")
    card = page.locator("article.feedback-card", has_text="Did you meet Ivan Berg?")
    screenshot(page, "feedback_card_schedule")
    card.get_by_role("button", name="Yes, we met").click()
    page.get_by_text("Three quick questions about Ivan Berg").wait_for()
    page.get_by_role("radio", name="4", exact=True).check()
    page.get_by_role("radio", name="They helped me").check()
    page.get_by_role("radio", name="Yes", exact=True).check()
    page.get_by_label("A note for yourself (optional)").fill("Intro to their portfolio CTO")
    screenshot(page, "feedback_form")
    page.get_by_role("button", name="Save my answer").click()
    page.get_by_text("Your answer about Ivan Berg is saved").wait_for()
    assert page.get_by_role("radio", name="4", exact=True).is_checked()

    page.get_by_role("link", name="My schedule").click()
    saved = page.locator("article.meeting-card", has_text="Meet Ivan Berg")
    saved.get_by_text("Yes, we met · useful 4/5 · They helped me · would meet again").wait_for()
    assert page.locator("article.feedback-card").count() == 0

    page.get_by_role("link", name="My network").click()
    person = page.locator("article.network-card", has_text="Ivan Berg")
    person.get_by_text("Intro to their portfolio CTO").wait_for()
    assert person.get_by_role("link", name="ivan@example.com").is_visible()
    page.get_by_text("helped you").wait_for()
    with page.expect_download() as download:
        person.get_by_role("button", name="Add to calendar (.ics)").click()
    # The browser takes the real name (filename*), not the ASCII fallback.
    assert download.value.suggested_filename == "follow-up-Ivan Berg.ics"
    person.get_by_label("Follow-up reminder in").select_option(label="2 weeks")
    person.get_by_role("button", name="Email me then").click()
    page.get_by_text("We will email you on").wait_for()
    person = page.locator("article.network-card", has_text="Ivan Berg")
    person.get_by_text("Email reminder on").wait_for()
    screenshot(page, "network")

    page.get_by_role("link", name="People to meet").click()
    page.locator("article.again-card", has_text="Ivan Berg").wait_for()
    screenshot(page, "matches_meet_again")
    desktop.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    page.goto(ivan_url + "/matches")
    page.locator("article.feedback-card", has_text="Did you meet Ana Silva?").wait_for()
    screenshot(page, "feedback_card_matches_phone")
    page.goto(ana_url + "/network")
    screenshot(page, "network_phone")
    page.goto(ana_url + "/schedule")
    page.get_by_role("link", name="Change").click()
    page.get_by_role("button", name="Save my answer").wait_for()
    screenshot(page, "feedback_form_phone")
    phone.close()

    for name, size in (("", (1280, 900)), ("_phone", (390, 844))):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        page = context.new_page()
        page.goto(live_server + "/auth/login")
        page.get_by_label("Email").fill("org@example.com")
        page.get_by_label("Password").fill("correct horse 1")
        page.get_by_role("button", name="Sign in").click()
        page.goto(event_url)
        section = page.locator("#after-meetings")
        section.get_by_text("of 2 ended meetings happened").wait_for()
        screenshot(page, "organizer_after_meetings" + name)
        page.goto(ivan_page)
        page.get_by_text("Olli Mäki said Ivan Berg did not come").wait_for()
        screenshot(page, "organizer_no_shows" + name)
        context.close()
