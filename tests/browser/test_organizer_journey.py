"""An organizer signs up, creates an event, imports a sample file, and an attendee edits
their profile through the private link: all in a real browser."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, screenshot

from matchmaker.extensions import db
from matchmaker.models import Attendee

pytestmark = pytest.mark.browser


def test_organizer_creates_event_imports_csv_and_attendee_saves_profile(app, live_server, page):
    page.goto(live_server + "/")
    screenshot(page, "home")
    page.get_by_role("link", name="Organize an event").click()
    page.get_by_label("Your name").fill("Ana Organizer")
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_label("Password", exact=True).fill("a long password")
    page.get_by_label("Repeat password").fill("a long password")
    page.get_by_role("button", name="Create account").click()

    page.get_by_label("Event name").fill("Nordic Founders Day")
    page.get_by_label("Time zone").select_option("Europe/Helsinki")
    page.get_by_label("Starts", exact=True).first.fill("2037-12-10T09:00")
    page.get_by_label("Ends", exact=True).first.fill("2037-12-10T17:00")
    page.get_by_label("Session 1 name").fill("Morning 1:1s")
    page.locator("#sessions-0-day").fill("2037-12-10")
    page.locator("#sessions-0-start").fill("10:00")
    page.locator("#sessions-0-end").fill("12:00")
    page.get_by_label("Tables or rooms").fill("12")
    screenshot(page, "event_form")
    page.get_by_role("button", name="Save event").click()
    page.get_by_text("is created").wait_for()
    screenshot(page, "event")

    page.get_by_role("link", name="Import attendees").first.click()
    page.get_by_label("Attendee list").set_input_files(str(SAMPLES / "luma_guests.csv"))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_text("All 48 rows are valid").wait_for()
    assert page.get_by_label("Email", exact=True).input_value() != ""
    # The organizer changes the mapping: bio is not in this file, interests stay mapped.
    page.get_by_label("Bio").select_option("")
    page.get_by_role("button", name="Check again with these columns").click()
    screenshot(page, "import_preview")
    page.get_by_role("button", name="Import 48 attendees").click()
    page.get_by_text("Imported 48 new").wait_for()
    screenshot(page, "attendees")

    page.get_by_role("link", name="Uma Brown").click()
    link = page.get_by_label("Private link").input_value()
    assert "/me/" in link
    page.goto(link)
    page.get_by_text("who would you like to meet?").wait_for()
    screenshot(page, "profile")
    entry = page.locator("#looking_for-entry")
    entry.fill("seed funding")
    entry.press("Enter")
    page.get_by_role("button", name="Remove UX designers").click()
    page.get_by_label("Share my email and links").check()
    page.get_by_role("button", name="Save my profile").click()
    page.get_by_text("Your profile is saved").wait_for()

    with app.app_context():
        uma = db.session.scalar(
            db.select(Attendee).where(Attendee.email == "uma.brown0@example.org")
        )
        assert uma.looking_for == ["seed funding"]
        assert uma.consent_share_contact is True


def test_profile_page_on_a_phone(app, live_server, browser):
    from conftest import make_attendee, make_event, make_organizer

    with app.app_context():
        event = make_event(make_organizer())
        person = make_attendee(event, "p@example.com", can_help_with=["React", "hiring"])
        token = person.access_token
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server}/me/{token}")
    screenshot(page, "profile_phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the profile page scrolls sideways on a phone"
    assert page.get_by_role("button", name="Remove React").is_visible()
    context.close()


def test_demo_organizer_signs_in_and_sees_the_demo_event(app, live_server, page):
    from matchmaker.demo import DEMO_ORGANIZER_EMAIL, DEMO_ORGANIZER_PASSWORD

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    page.goto(live_server + "/auth/login")
    page.get_by_label("Email").fill(DEMO_ORGANIZER_EMAIL)
    page.get_by_label("Password").fill(DEMO_ORGANIZER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("a.list-group-item", has_text="Nordic Founders Day").click()
    page.get_by_text("60", exact=True).first.wait_for()
    screenshot(page, "demo_event")
