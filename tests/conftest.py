"""Shared fixtures: an app on an empty database per test, a CSRF-aware client, sample data.

The database is SQLite in a temporary file (a copy of one built once), or the PostgreSQL
server that scripts/test starts (TEST_DATABASE_URL), whose tables are built once and
emptied before each test. Tests that use the `app` fixture are marked `database`, which
is what the PostgreSQL pass runs.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from smtp_capture import Recorder, running_server
from sqlalchemy.exc import ProgrammingError
from werkzeug.serving import make_server

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, NetworkingSession, Organizer

SAMPLES = Path(__file__).parent / "data" / "samples"
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)


def require(condition: bool, reason: str) -> None:
    """Skip when a real part is missing on a developer machine; fail under CI=true."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing real part is a failure)")
    pytest.skip(reason)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def redis_url() -> str:
    """The Redis server that scripts/test starts (TEST_REDIS_URL), emptied for the test."""
    url = os.environ.get("TEST_REDIS_URL", "")
    require(bool(url), "TEST_REDIS_URL is not set (scripts/test starts a redis-server)")
    from redis import Redis

    with Redis.from_url(url) as redis:
        redis.flushdb()
    return url


@pytest.fixture
def app_overrides() -> dict:
    """Extra configuration for the `app` fixture; a test module overrides it to add its own."""
    return {}


@pytest.fixture(scope="session")
def empty_sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema and no rows, copied for each test: a copy takes a
    millisecond, creating the tables a tenth of a second."""
    path = tmp_path_factory.mktemp("schema") / "empty.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return path


def _empty_tables() -> None:
    """Empty every table of a server database whose tables are already there, and start the
    ids at 1 again; build the tables when they are missing (after the migration tests)."""
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    try:
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    except ProgrammingError:
        db.drop_all()
        db.create_all()


@pytest.fixture
def app(database_url: str, app_overrides: dict, request: pytest.FixtureRequest) -> Iterator[Flask]:
    sqlite = database_url.startswith("sqlite:///")
    if sqlite:
        shutil.copyfile(
            request.getfixturevalue("empty_sqlite_database"), database_url[len("sqlite:///") :]
        )
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SERVER_NAME": None,
            "BACKGROUND_JOBS": False,
            # Jobs run in the test's own process unless a test gives a Redis queue.
            "REDIS_URL": "",
            # Rate limits are tested on their own (test_security.py); elsewhere a test may
            # sign in or open pages as often as it needs.
            "RATELIMIT_ENABLED": False,
            **app_overrides,
        }
    )
    if not sqlite:
        with app.app_context():
            _empty_tables()
    threads_before = set(threading.enumerate())
    yield app
    _join_new_threads(threads_before)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _join_new_threads(before: set[threading.Thread], seconds: float = 5.0) -> None:
    """Let threads the test started (a background job, mail being sent) end before their
    database connections are disposed of, so none is left open behind the next test."""
    deadline = time.monotonic() + seconds
    for thread in set(threading.enumerate()) - before:
        if thread is not threading.current_thread():
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # noqa: ANN201
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict, *, form_url: str | None = None, **kw):  # noqa: ANN003, ANN201
    """Submit a form the way a browser does: load the page, then post with its CSRF token."""
    page = client.get(form_url or url)
    return client.post(
        url, data={"csrf_token": csrf_from(page.get_data(as_text=True)), **data}, **kw
    )


def make_organizer(email: str = "org@example.com", password: str = "correct horse 1") -> Organizer:
    organizer = Organizer(email=email, name=email.split("@")[0].title())
    organizer.set_password(password)
    db.session.add(organizer)
    db.session.commit()
    return organizer


def make_event(organizer: Organizer, slug: str = "test-event", **overrides) -> Event:  # noqa: ANN003
    start = datetime(2037, 12, 10, 7, 0, tzinfo=UTC)
    values = {
        "name": "Test Event",
        "slug": slug,
        "timezone": "Europe/Helsinki",
        "starts_at": start,
        "ends_at": start + timedelta(hours=8),
        "table_names": ["Table 1", "Table 2"],
        "sessions": [
            NetworkingSession(
                name="Morning",
                starts_at=start + timedelta(hours=1),
                ends_at=start + timedelta(hours=3),
            )
        ],
    }
    values.update(overrides)
    event = Event(organizer_id=organizer.id, **values)
    db.session.add(event)
    db.session.commit()
    return event


def make_attendee(event: Event, email: str, **overrides) -> Attendee:  # noqa: ANN003
    values = {"name": email.split("@")[0].title(), "email": email}
    values.update(overrides)
    person = Attendee(event_id=event.id, **values)
    db.session.add(person)
    db.session.commit()
    return person


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str = "org@example.com", password: str = "correct horse 1"):  # noqa: ANN201
        return post_form(self.client, "/auth/login", {"email": email, "password": password})

    def logout(self):  # noqa: ANN201
        return post_form(self.client, "/auth/logout", {}, form_url="/organizer/")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


# Browser tests: a real server in a thread and Debian's chromium driven by Playwright.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


# What the browser refused under the Content-Security-Policy during the current test.
CSP_VIOLATIONS: list[str] = []


def _note_csp_violation(message) -> None:  # noqa: ANN001
    if "Content Security Policy" in message.text:
        CSP_VIOLATIONS.append(f"{message.location.get('url', '')}: {message.text}")


@pytest.fixture(scope="session")
def browser():
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        new_context = browser.new_context

        def watched_context(**options):  # noqa: ANN003, ANN202
            """Every page of every test reports what the browser refused under the CSP."""
            context = new_context(**options)
            context.on("console", _note_csp_violation)
            return context

        browser.new_context = watched_context
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser test fails when a page needed something the policy refuses (inline style
    or script): it would look or work differently in a real browser."""
    CSP_VIOLATIONS.clear()
    yield
    if request.node.get_closest_marker("browser") is not None:
        assert CSP_VIOLATIONS == [], "the Content-Security-Policy blocked parts of pages"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    """Save a full-page picture when SCREENSHOT_DIR is set, for looking at the pages by eye."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[Recorder]:
    """A real SMTP server on loopback, with the app's MAIL_* settings pointing at it."""
    with running_server(app) as handler:
        yield handler


def selected_mapping(page: str) -> dict[str, str]:
    """The column the import preview pre-selected for each field, as form data."""
    mapping = {}
    for field, options in re.findall(r'name="(map-\w+)">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="(\d+)" selected', options)
        if chosen:
            mapping[field] = chosen.group(1)
    return mapping


def upload_file(client: FlaskClient, event_id: int, data: bytes, filename: str):  # noqa: ANN201
    """Upload an attendee file on the import page (signed in as the event's organizer)."""
    page = client.get(f"/organizer/events/{event_id}/import").get_data(as_text=True)
    return client.post(
        f"/organizer/events/{event_id}/import",
        data={"csrf_token": csrf_from(page), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def import_through_web(client: FlaskClient, event_id: int, data: bytes) -> str:
    """Upload, keep the columns the preview chose, import; the page that follows."""
    location = upload_file(client, event_id, data, "new.csv").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    response = post_form(
        client, location, selected_mapping(page) | {"action": "import"}, follow_redirects=True
    )
    return response.get_data(as_text=True)
