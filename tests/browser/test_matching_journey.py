"""Two attendees open their links, see why they were matched, both say yes, and both see
the confirmed match: in a real browser."""

from __future__ import annotations

import pytest
from conftest import make_attendee, make_event, make_organizer, screenshot
from playwright.sync_api import expect

from matchmaker import suggestions
from matchmaker.extensions import db

pytestmark = pytest.mark.browser


def test_both_sides_say_yes_and_see_the_confirmed_match(app, live_server, browser):
    with app.app_context():
        event = make_event(make_organizer())
        ana = make_attendee(
            event,
            "ana@x.org",
            name="Ana Silva",
            role="founder",
            organization="Acme",
            can_help_with=["React", "product design"],
            looking_for=["seed funding"],
            interests=["climate tech"],
            consent_share_contact=True,
        )
        ivan = make_attendee(
            event,
            "ivan@y.org",
            name="Ivan Berg",
            role="investor",
            organization="Fund",
            can_help_with=["seed funding", "fundraising"],
            looking_for=["product design"],
            interests=["climate tech"],
            consent_share_contact=True,
        )
        make_attendee(
            event,
            "eve@z.org",
            name="Eve Novak",
            role="expert",
            can_help_with=["pricing"],
            looking_for=["React"],
        )
        suggestions.start_matching(event)
        links = {p.name: f"{live_server}/me/{p.access_token}/matches" for p in (ana, ivan)}
        db.session.commit()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(links["Ana Silva"])
    card = page.locator("article.suggestion", has_text="Ivan Berg")
    card.get_by_text("They can help with: seed funding").wait_for()
    card.get_by_text("You can help with: product design").wait_for()
    screenshot(page, "matches_before")
    card.get_by_role("button", name="I'd like to meet").click()
    page.get_by_text("We'll tell you when Ivan Berg wants to meet too").wait_for()
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(links["Ivan Berg"])
    card = page.locator("article.suggestion", has_text="Ana Silva")
    card.get_by_text("Ana would like to meet you").wait_for()
    screenshot(page, "matches_phone")
    card.get_by_role("button", name="I'd like to meet").click()
    page.get_by_text("It's a match").wait_for()
    page.get_by_role("heading", name="Confirmed matches").wait_for()
    assert page.locator("article.border-success", has_text="Ana Silva").is_visible()
    assert page.get_by_role("link", name="ana@x.org").is_visible()
    screenshot(page, "matches_confirmed_phone")
    phone.close()

    context = browser.new_context()
    page = context.new_page()
    page.goto(links["Ana Silva"])
    confirmed = page.locator("article.border-success", has_text="Ivan Berg")
    confirmed.get_by_text("You both want to meet").wait_for()
    context.close()


def test_on_a_phone_an_answer_brings_the_person_back_to_the_card(app, live_server, browser):
    """A long list on a phone: after "I'd like to meet" on a card far down, the page opens at
    that card with the notice inside it, not at the top."""
    with app.app_context():
        event = make_event(make_organizer())
        ana = make_attendee(
            event, "ana@x.org", name="Ana Silva", can_help_with=["React"], looking_for=["seed"]
        )
        for n in range(10):
            make_attendee(
                event,
                f"p{n}@x{n}.org",
                name=f"Investor {n}",
                can_help_with=["seed", f"topic {n}"],
                looking_for=["React"],
            )
        suggestions.start_matching(event)
        link = f"{live_server}/me/{ana.access_token}/matches"
        db.session.commit()

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(link)
    card = page.locator("article.suggestion").last
    name = card.locator("h3, .h5, .h6").first.inner_text().strip()
    card.get_by_role("button", name="I'd like to meet").click()
    page.wait_for_url("**#s*")
    notice = page.locator("article", has_text="We'll tell you when").first
    assert name in notice.inner_text()
    # The page scrolls (smoothly) to the answered card, far from the top.
    expect(notice.get_by_text("We'll tell you when")).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 300
    screenshot(page, "matches_answer_on_phone")
