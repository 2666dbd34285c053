"""A big attendee file in a real browser: the import runs in the background while the page
follows its progress, and a file over the upload limit leads back to the import page."""

from __future__ import annotations

import threading

import pytest
from conftest import make_event, make_organizer, screenshot

from matchmaker import uploads
from matchmaker.extensions import db
from matchmaker.models import Attendee

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def people_csv(count: int, *, note: str = "") -> bytes:
    lines = ["First Name,Last Name,Email,Company,Notes"]
    lines += [f"Aino,Virtanen {n},aino{n}@example.org,Sisu Games,{note}" for n in range(count)]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def signed_in(app, live_server, page) -> int:
    with app.app_context():
        event_id = make_event(make_organizer(), name="Nordic Founders Day").id
    page.goto(live_server + "/auth/login")
    page.get_by_label("Email").fill("org@example.com")
    page.get_by_label("Password").fill("correct horse 1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My events").wait_for()
    return event_id


def fits_the_screen(page) -> bool:  # noqa: ANN001
    width = page.evaluate("document.documentElement.scrollWidth")
    return width <= page.viewport_size["width"]


def test_a_big_import_shows_its_progress_then_what_it_did(
    app, live_server, page, signed_in, monkeypatch, tmp_path
):
    app.config["BACKGROUND_JOBS"] = True
    monkeypatch.setattr(uploads, "BACKGROUND_ROWS", 20)
    release = threading.Event()
    real_import = uploads.import_records

    def held_import(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        assert release.wait(30)
        return real_import(*args, **kwargs)

    monkeypatch.setattr(uploads, "import_records", held_import)
    path = tmp_path / "eventbrite_attendee_report_with_a_long_name.csv"
    path.write_bytes(people_csv(60))
    try:
        page.goto(f"{live_server}/organizer/events/{signed_in}/import")
        page.get_by_label("Attendee list").set_input_files(str(path))
        page.get_by_role("button", name="Upload and preview").click()
        page.get_by_text("imported in the background").wait_for()
        page.get_by_role("button", name="Import 60 attendees").click()
        page.get_by_role("heading", name="Importing attendees").wait_for()
        # The page asks for the job's state and shows it without reloading.
        page.locator("#run-message", has_text="Saving attendees: 0 of 60").wait_for()
        progress = page.get_by_role("progressbar", name="Import progress")
        assert int(progress.get_attribute("aria-valuenow")) == 50
        screenshot(page, "import_progress")
        page.set_viewport_size(PHONE)
        assert fits_the_screen(page)
        screenshot(page, "import_progress_phone")
    finally:
        release.set()
    # When the job is done the page reloads itself and says what happened.
    page.get_by_role("heading", name="Import finished").wait_for(timeout=30_000)
    page.get_by_text("Imported 60 new and updated 0 attendees.").wait_for()
    assert fits_the_screen(page)
    screenshot(page, "import_done_phone")
    page.get_by_role("link", name="See all attendees").click()
    page.get_by_role("link", name="Aino Virtanen 1", exact=True).wait_for()
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Attendee)) == 60


def test_a_file_over_the_limit_leads_back_to_the_import_page(
    app, live_server, page, signed_in, tmp_path
):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    path = tmp_path / "guests.csv"
    path.write_bytes(people_csv(200, note="n" * 10_000))
    page.goto(f"{live_server}/organizer/events/{signed_in}/import")
    page.get_by_text("Up to 1 MB.").wait_for()
    page.get_by_label("Attendee list").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("heading", name="That file is too large").wait_for()
    page.get_by_text("larger than the 1 MB limit").wait_for()
    screenshot(page, "upload_too_large")
    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "upload_too_large_phone")
    page.get_by_role("link", name="Back to the import page").click()
    page.get_by_role("heading", name="Import attendees").wait_for()
    assert page.url.endswith(f"/organizer/events/{signed_in}/import")
