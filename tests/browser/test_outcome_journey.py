"""The organizer's outcome page in a real browser: a meeting ends, both people answer on their
own pages, and the funnel's Met and Found it useful steps move; on a desktop and on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import make_attendee, make_organizer, screenshot
from past_meetings import PAST, meet, past_event

pytestmark = pytest.mark.browser
AT = PAST + timedelta(hours=1)


def sign_in(browser, live_server: str, size: tuple[int, int]):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server + "/auth/login")
    page.get_by_label("Email").fill("org@example.com")
    page.get_by_label("Password").fill("correct horse 1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/organizer/**")
    return context, page


def funnel_figure(page, step: str) -> str:  # noqa: ANN001
    """The "Everyone" column of the funnel's table for ``step``."""
    details = page.locator("details", has_text="The funnel as a table")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    row = details.locator("tr", has=page.get_by_role("rowheader", name=step, exact=True))
    return row.locator("td").first.inner_text()


def answer(browser, url: str, partner: str, usefulness: str, size: tuple[int, int]) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url + "/schedule")
    card = page.locator("article.feedback-card", has_text=f"Did you meet {partner}?")
    card.get_by_role("button", name="Yes, we met").click()
    page.get_by_text(f"Three quick questions about {partner}").wait_for()
    page.get_by_role("radio", name=usefulness, exact=True).check()
    page.get_by_role("button", name="Save my answer").click()
    page.get_by_text(f"Your answer about {partner} is saved").wait_for()
    context.close()


def test_the_funnel_moves_as_people_answer(app, live_server, browser):
    with app.app_context():
        event = past_event(make_organizer(), "harbour-day", name="Harbour Day")
        ana = make_attendee(event, "ana@example.com", name="Ana Silva", role="founder",
                            can_help_with=["pitch decks"])  # fmt: skip
        ivan = make_attendee(event, "ivan@example.com", name="Ivan Berg", role="investor",
                             looking_for=["climate founders"])  # fmt: skip
        make_attendee(event, "olli@example.com", name="Olli Mäki", role="expert")
        meet(event, ana, ivan, at=AT)
        ana_url, ivan_url = (f"{live_server}/me/{p.access_token}" for p in (ana, ivan))
        event_url = f"{live_server}/organizer/events/{event.id}"

    desktop, page = sign_in(browser, live_server, (1280, 900))
    page.goto(event_url)
    page.get_by_role("link", name="Outcome", exact=True).click()
    page.get_by_role("heading", name="Outcome", exact=True).wait_for()
    assert page.url == event_url + "/outcome"
    everyone = page.get_by_role("img", name=re.compile("How far people got: everyone"))
    assert "Met: 0 · 0%" in everyone.locator("desc").text_content()
    assert funnel_figure(page, "Met") == "0" and funnel_figure(page, "Found it useful") == "0"
    page.get_by_text("1 booked meeting that ended").wait_for()
    screenshot(page, "outcome_before_answers")

    answer(browser, ana_url, "Ivan Berg", "5 · very", (1280, 900))
    page.reload()
    assert funnel_figure(page, "Met") == "2"
    assert funnel_figure(page, "Found it useful") == "1"
    page.get_by_text("1 meeting that happened").wait_for()

    answer(browser, ivan_url, "Ana Silva", "4", (390, 844))
    page.reload()
    assert funnel_figure(page, "Met") == "2"
    assert funnel_figure(page, "Found it useful") == "2"
    # The numbers are written on the bars too, and the picture says who nobody met.
    chart = page.locator("svg[aria-labelledby^='funnel-title']")
    assert "2 · 67%" in chart.text_content()
    network = page.get_by_role("img", name=re.compile("Who met whom"))
    assert "Nobody met them (1)" in network.text_content()
    page.locator(".unmet-list").get_by_role("link", name="Olli Mäki").wait_for()
    screenshot(page, "outcome_after_answers")
    desktop.close()

    phone, page = sign_in(browser, live_server, (390, 844))
    page.goto(event_url + "/outcome")
    assert funnel_figure(page, "Found it useful") == "2"
    # The pictures fit the phone's width: nothing scrolls sideways.
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    for box in page.locator("svg.chart").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().right)"
    ):
        assert box <= 390
    screenshot(page, "outcome_phone")
    phone.close()
