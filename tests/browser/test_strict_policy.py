"""Pages whose bars and shades come from data look right under the strict
Content-Security-Policy, which refuses style attributes: on a desktop and on a phone.

(Every browser test also fails on anything the policy blocks; see conftest.)
"""

from __future__ import annotations

import pytest
from conftest import screenshot

from matchmaker.demo import DEMO_ORGANIZER_EMAIL, DEMO_ORGANIZER_PASSWORD

pytestmark = pytest.mark.browser

VIEWPORTS = {"desk": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _widths(page, selector: str) -> list[float]:  # noqa: ANN001
    return page.locator(selector).evaluate_all(
        "nodes => nodes.map(n => n.getBoundingClientRect().width)"
    )


@pytest.mark.parametrize("device", VIEWPORTS)
def test_bars_and_shades_from_data_under_the_policy(app, live_server, browser, tmp_path, device):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    context = browser.new_context(viewport=VIEWPORTS[device], is_mobile=device == "phone")
    page = context.new_page()
    page.goto(live_server + "/auth/login")
    page.get_by_label("Email").fill(DEMO_ORGANIZER_EMAIL)
    page.get_by_label("Password").fill(DEMO_ORGANIZER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("a.list-group-item", has_text="Nordic Founders Day").click()

    # Attendees by role: each bar as long as its share, the longest for the largest role.
    page.locator(".bar").first.wait_for()
    counts = [int(n) for n in page.locator(".bar + .small").all_inner_texts()]
    widths = _widths(page, ".bar")
    assert all(width > 2 for width in widths)
    assert widths.index(max(widths)) == counts.index(max(counts))
    screenshot(page, f"policy-event-{device}")
    event_url = page.url

    # Who is suggested to whom: darker cells for more pairs.
    page.goto(event_url + "/matching")
    page.get_by_role("button", name="Run matching").click()
    page.locator(".role-heat td[class*='heat-']").first.wait_for()
    shades = page.locator(".role-heat td[class*='heat-']").evaluate_all(
        "nodes => nodes.map(n => getComputedStyle(n).backgroundColor)"
    )
    assert len(set(shades)) > 1
    screenshot(page, f"policy-matching-{device}")

    # An attendee's matches: each strength bar is drawn, thin.
    page.goto(event_url + "/attendees")
    page.locator("table a").first.click()
    page.goto(page.get_by_label("Private link").input_value() + "/matches")
    page.locator(".progress-bar").first.wait_for()
    assert all(width > 0 for width in _widths(page, ".progress-thin .progress-bar"))
    heights = page.locator(".progress-thin").evaluate_all(
        "nodes => nodes.map(n => n.getBoundingClientRect().height)"
    )
    assert heights and all(round(height) == 8 for height in heights)  # .5rem
    screenshot(page, f"policy-matches-{device}")

    # An import with problems: the list of problems scrolls inside its box.
    bad = tmp_path / "guests.csv"
    rows = "".join(f"Guest {n},not-an-email-{n}\n" for n in range(40))
    bad.write_text("name,email\n" + rows + "Bo,bo@example.com\n")
    page.goto(event_url + "/import")
    page.get_by_label("Attendee list").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and preview").click()
    box = page.locator(".scroll-box")
    box.wait_for()
    assert box.evaluate("n => n.scrollHeight > n.clientHeight")
    assert box.evaluate("n => n.getBoundingClientRect().height") <= 22 * 16 + 1
    screenshot(page, f"policy-import-{device}")

    # Bootstrap's own script works under the policy: the phone menu opens.
    if device == "phone":
        page.get_by_role("button", name="Show menu").click()
        page.get_by_role("button", name="Sign out").click()
        page.get_by_text("You are signed out").wait_for()
    context.close()
