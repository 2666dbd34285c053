"""Big events through the front door: the upload limit and its 413 page, files over the old
10 MB limit, and big files imported by a background job whose progress the page follows."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from conftest import (
    csrf_from,
    make_attendee,
    make_event,
    make_organizer,
    post_form,
    selected_mapping,
    upload_file,
)
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from matchmaker import create_app, importing, jobs, uploads
from matchmaker.config import upload_limit_text
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, ImportUpload, Job

MB = 1024 * 1024


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def people_csv(count: int, *, note: str = "", bad_rows: tuple[int, ...] = ()) -> bytes:
    """An Eventbrite-like list of ``count`` people; ``note`` fills a column nobody maps."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["First Name", "Last Name", "Email", "Company", "Notes"])
    for n in range(count):
        email = "not an email" if n in bad_rows else f"person{n}@example.org"
        writer.writerow([f"First{n}", f"Last{n}", email, f"Company {n % 7}", note])
    return out.getvalue().encode()


@pytest.fixture
def event_id(app, auth) -> int:
    with app.app_context():
        event_id = make_event(make_organizer()).id
    auth.login()
    return event_id


def upload_big_file(client, event_id: int, data: bytes, filename: str):  # noqa: ANN201
    """`upload_file` for files over 500 KB, which the test client would spool to a temporary
    file that it never closes: the request body is encoded here, in memory."""
    url = f"/organizer/events/{event_id}/import"
    token = csrf_from(client.get(url).get_data(as_text=True))
    fields = {"csrf_token": token, "file": FileStorage(io.BytesIO(data), filename)}
    boundary, body = encode_multipart(fields)
    return client.post(
        url,
        input_stream=io.BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        content_length=len(body),
    )


def upload_and_import(client, event_id: int, data: bytes, **choices: str):  # noqa: ANN201
    """Upload, keep the columns the preview chose, press Import; the response to that."""
    location = upload_file(client, event_id, data, "guests.csv").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    return post_form(client, location, selected_mapping(page) | {"action": "import", **choices})


# -- the upload limit --------------------------------------------------------------------------


def test_the_upload_limit_is_max_upload_mb_with_50_by_default(monkeypatch):
    monkeypatch.delenv("MAX_UPLOAD_MB", raising=False)
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["MAX_CONTENT_LENGTH"] == (
        50 * MB
    )
    monkeypatch.setenv("MAX_UPLOAD_MB", "120")
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["MAX_CONTENT_LENGTH"] == (
        120 * MB
    )


@pytest.mark.parametrize(
    ("limit", "text"),
    [
        (50 * MB, "50 MB"),
        (1536 * MB, "1,536 MB"),
        (MB + MB // 2, "1.5 MB"),
        (1024, "1 KB"),
        (None, "no limit"),
    ],
)
def test_upload_limit_text(limit, text):
    assert upload_limit_text(limit) == text


def test_the_upload_page_states_the_limit(client, event_id):
    page = client.get(f"/organizer/events/{event_id}/import").get_data(as_text=True)
    assert "Up to 50 MB." in page


def test_a_file_over_the_limit_gets_a_page_that_leads_back_to_the_import(client, app, event_id):
    app.config["MAX_CONTENT_LENGTH"] = MB
    response = upload_big_file(client, event_id, people_csv(10, note="n" * 200_000), "big.csv")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than the 1 MB limit" in page
    assert f'href="/organizer/events/{event_id}/import">Back to the import page</a>' in page
    assert "Go to the front page" in page
    with app.app_context():
        assert count(ImportUpload) == 0


def test_a_413_elsewhere_offers_the_front_page(client, app, event_id):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    page = client.get("/organizer/").get_data(as_text=True)
    response = client.post(
        f"/organizer/events/{event_id}/edit",
        data={"csrf_token": csrf_from(page), "description": "x" * 5000},
    )
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "Back to the import page" not in text and "Go to the front page" in text


def test_a_file_over_ten_megabytes_is_imported_from_the_web_page(client, app, event_id):
    """The importer used to refuse anything over 10 MB whatever MAX_UPLOAD_MB said."""
    data = people_csv(1300, note="n" * 10_000)
    assert len(data) > 12 * MB
    location = upload_big_file(client, event_id, data, "guests.csv").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "All 1,300 rows are valid" in page
    response = post_form(client, location, selected_mapping(page) | {"action": "import"})
    assert response.headers["Location"].endswith(f"/organizer/events/{event_id}/attendees")
    with app.app_context():
        assert count(Attendee) == 1300 and count(ImportUpload) == 0


# -- rows with extra cells ---------------------------------------------------------------------


def test_the_preview_shows_rows_with_extra_cells_by_row_and_column(client, app, event_id):
    data = (
        b"Name,Email,Company\r\nAnn,ann@example.org,Acme\r\nBo,bo@example.org,Northwind, Inc.\r\n"
    )
    location = upload_file(client, event_id, data, "guests.csv").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "<td>3</td><td>column D</td><td>the row has 4 cells but the header has 3" in page
    response = post_form(
        client,
        location,
        selected_mapping(page) | {"action": "import", "valid_rows_only": "y"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(db.select(Attendee.email)).all() == ["ann@example.org"]


# -- big files in the background ---------------------------------------------------------------


@pytest.fixture
def small_background_limit(monkeypatch) -> int:
    """Files of more than 20 rows count as big, so tests stay quick."""
    monkeypatch.setattr(uploads, "BACKGROUND_ROWS", 20)
    return 20


def test_a_small_file_is_imported_in_the_request(client, app, event_id):
    response = upload_and_import(client, event_id, people_csv(uploads.BACKGROUND_ROWS))
    assert response.headers["Location"].endswith("/attendees")
    with app.app_context():
        assert count(Attendee) == uploads.BACKGROUND_ROWS
        assert count(Job) == 0


def test_a_big_file_is_imported_by_a_background_job(client, app, event_id, small_background_limit):
    location = upload_file(client, event_id, people_csv(30), "guests.csv").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "imported in the background" in page
    response = post_form(client, location, selected_mapping(page) | {"action": "import"})
    assert response.headers["Location"].endswith(f"/organizer/events/{event_id}/import/progress")
    with app.app_context():
        job = db.session.scalar(db.select(Job))
        assert (job.kind, job.status) == ("import", "done")
        assert job.figures == {
            "created": 30,
            "updated": 0,
            "skipped_rows": 0,
            "suggestions": "not_matched",
        }
        assert count(Attendee) == 30 and count(ImportUpload) == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import finished" in page
    assert "guests.csv</strong>: Imported 30 new and updated 0 attendees." in page
    assert f'href="/organizer/events/{event_id}/attendees"' in page
    status = client.get(f"/organizer/events/{event_id}/import/status").get_json()
    assert status == {"status": "done", "progress": 1.0, "message": "Done."}


def test_the_request_returns_at_once_and_the_page_follows_the_job(
    client, app, event_id, small_background_limit, monkeypatch
):
    """With real background threads: the import waits on a signal, and meanwhile the
    request has returned, the pages show it running and a second import is not started."""
    app.config["BACKGROUND_JOBS"] = True
    release = threading.Event()
    real_import = uploads.import_records

    def held_import(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        assert release.wait(30)
        return real_import(*args, **kwargs)

    monkeypatch.setattr(uploads, "import_records", held_import)
    try:
        response = upload_and_import(client, event_id, people_csv(30))
        assert response.headers["Location"].endswith("/import/progress")
        status = wait_for(client, event_id, lambda s: s["message"].startswith("Saving"))
        assert status["status"] == "running" and 0.4 < status["progress"] < 1
        assert status["message"] == "Saving attendees: 0 of 30"
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Importing attendees" in page and 'id="run-status"' in page
        assert '<meta http-equiv="refresh"' in page  # without JavaScript too
        upload_page = client.get(f"/organizer/events/{event_id}/import").get_data(as_text=True)
        assert "is under way" in upload_page
        second = upload_and_import(client, event_id, people_csv(25), valid_rows_only="y")
        assert second.headers["Location"].endswith("/import/progress")
        with app.app_context():
            assert count(Job) == 1 and count(Attendee) == 0
    finally:
        release.set()
    status = wait_for(client, event_id, lambda s: s["status"] not in ("queued", "running"))
    assert status["status"] == "done"
    with app.app_context():
        assert count(Attendee) == 30
        assert count(ImportUpload) == 1  # the second file waits on its preview


def wait_for(client, event_id: int, condition, seconds: float = 30) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while True:
        status = client.get(f"/organizer/events/{event_id}/import/status").get_json()
        if condition(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_a_background_import_reports_each_phase(client, app, event_id, monkeypatch):
    reports: list[tuple[float, str]] = []
    real_call = jobs.Progress.__call__

    def recorded(self, share: float, message: str = "") -> None:  # noqa: ANN001
        reports.append((share, message))
        real_call(self, share, message)

    monkeypatch.setattr(jobs.Progress, "__call__", recorded)
    upload_and_import(client, event_id, people_csv(2500))
    messages = [message for _, message in reports]
    assert messages[:2] == ["Reading the file…", "Checking rows: 1,000 of 2,500"]
    assert "Saving attendees: 0 of 2,500" in messages
    assert "Saving attendees: 2,000 of 2,500" in messages
    # Nothing after the attendees are saved: a cancel then would come too late.
    assert messages[-1] == "Saving attendees: 2,500 of 2,500"
    shares = [share for share, _ in reports]
    assert shares == sorted(shares) and shares[-1] == pytest.approx(0.95)
    with app.app_context():
        assert count(Attendee) == 2500


def test_a_failed_background_import_saves_nothing_and_says_so(
    client, app, event_id, small_background_limit, monkeypatch
):
    real_import = uploads.import_records

    def import_then_fail(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        real_import(*args, **kwargs)  # every attendee written, then the commit never comes
        raise RuntimeError("the database went away")

    monkeypatch.setattr(uploads, "import_records", import_then_fail)
    response = upload_and_import(client, event_id, people_csv(30))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The import did not finish" in page
    assert "The import failed because of an error on our side. Nothing was imported" in page
    with app.app_context():
        assert count(Attendee) == 0
        upload_id = db.session.scalar(db.select(ImportUpload.id))
    assert f'href="/organizer/events/{event_id}/import/{upload_id}">Back to the preview' in page


def test_cancelling_an_import_imports_nothing(
    client, app, event_id, small_background_limit, monkeypatch
):
    app.config["BACKGROUND_JOBS"] = True
    release = threading.Event()
    real_validate = importing.validate_rows

    def held_validate(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if threading.current_thread() is not threading.main_thread():  # the job, not a page
            assert release.wait(30)
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(importing, "validate_rows", held_validate)
    try:
        location = upload_and_import(client, event_id, people_csv(30)).headers["Location"]
        page = client.get(location).get_data(as_text=True)
        assert "Cancel the import" in page
        with app.app_context():
            job_id = db.session.scalar(db.select(Job.id))
        cancel_url = f"/organizer/events/{event_id}/jobs/{job_id}/cancel"
        response = post_form(client, cancel_url, {}, form_url=location)
        assert response.headers["Location"].endswith("/import/progress")
    finally:
        release.set()
    # The job stops at its next progress report, rolls back, and says so.
    status = wait_for(client, event_id, lambda s: s["message"] == jobs.CANCELLED_MESSAGE)
    assert status["status"] == "cancelled"
    page = client.get(location).get_data(as_text=True)
    assert "Import cancelled" in page and "nothing was imported" in page
    with app.app_context():
        assert count(Attendee) == 0
        upload_id = db.session.scalar(db.select(ImportUpload.id))
    assert f'href="/organizer/events/{event_id}/import/{upload_id}">Back to the preview' in page


def test_a_big_file_with_bad_rows_imports_nothing_unless_asked(
    client, app, event_id, small_background_limit
):
    data = people_csv(30, bad_rows=(4, 9))
    response = upload_and_import(client, event_id, data)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was imported: 2 rows of the file have problems" in page
    with app.app_context():
        assert count(Attendee) == 0
        upload_id = db.session.scalar(db.select(ImportUpload.id))
    location = f"/organizer/events/{event_id}/import/{upload_id}"
    preview = client.get(location).get_data(as_text=True)
    post_form(
        client, location, selected_mapping(preview) | {"action": "import", "valid_rows_only": "y"}
    )
    page = client.get(f"/organizer/events/{event_id}/import/progress").get_data(as_text=True)
    assert "Imported 28 new and updated 0 attendees. Skipped 2 rows with errors." in page
    with app.app_context():
        assert count(Attendee) == 28 and count(ImportUpload) == 0


def test_an_upload_dropped_before_its_job_ran_is_a_clear_failure(app, event_id):
    with app.app_context():
        params = {"upload_id": 999, "filename": "gone.csv", "mapping": {}}
        job = jobs.start(event_id, uploads.IMPORT, params)
        assert job.status == "failed"
        assert job.message.startswith("The uploaded file is no longer kept")


def test_suggestions_are_brought_up_to_date_after_a_background_import(
    client, app, event_id, small_background_limit
):
    from matchmaker import suggestions

    with app.app_context():
        event = db.session.get(Event, event_id)
        make_attendee(
            event, "eve@consult.org", role="expert", can_help_with=["pricing"],
            looking_for=["SaaS founders"],
        )  # fmt: skip
        assert suggestions.start_matching(event).status == "done"
    lines = ["Full name,Email,Role,Can help with,Looking for"]
    lines += [f"New {n},new{n}@example.org,Founder,SaaS founders,pricing" for n in range(25)]
    response = upload_and_import(client, event_id, ("\n".join(lines) + "\n").encode())
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported 25 new" in page and "Suggestions" in page
    with app.app_context():
        eve = db.session.scalar(db.select(Attendee).where(Attendee.email == "eve@consult.org"))
        newcomer = db.session.scalar(
            db.select(Attendee).where(Attendee.email == "new3@example.org")
        )
        assert eve.id in {card.partner.id for card in suggestions.cards_for(newcomer)}
