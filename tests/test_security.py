"""Defences every request shares: ids the database cannot hold, rate limits, headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import csrf_from, make_attendee, make_event, make_organizer, post_form

from matchmaker import create_app
from matchmaker.config import from_environment
from matchmaker.extensions import db

BEYOND_INTEGER = [2**31, 2**63, 99999999999999999999999]


@pytest.fixture
def app_overrides() -> dict:
    """Rate limits on, and low enough to reach in a test."""
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_SIGN_IN": "3 per minute",
        "RATELIMIT_REGISTER": "2 per minute",
        "RATELIMIT_PUBLIC_FORMS": "3 per minute",
        "RATELIMIT_ATTENDEE_PAGES": "12 per minute",
        "RATELIMIT_WRONG_LINKS": "3 per minute",
    }


@pytest.fixture
def another_app(app):  # noqa: ANN001, ANN201
    """Build a second app on the same database with some settings changed; closed after."""
    built = []

    def build(**overrides):  # noqa: ANN003, ANN202
        built.append(create_app(dict(app.config, **overrides)))
        return built[-1]

    yield build
    for other in built:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def signed_in(client, app, auth):  # noqa: ANN001, ANN201
    """An organizer with an event and an attendee, signed in; their ids and link token."""
    with app.app_context():
        organizer = make_organizer()
        event = make_event(organizer)
        person = make_attendee(event, "ana@example.com")
        ids = {"event": event.id, "attendee": person.id, "token": person.access_token}
    auth.login()
    return ids


@pytest.mark.parametrize("big", BEYOND_INTEGER)
@pytest.mark.parametrize(
    "url",
    [
        "/organizer/events/{big}",
        "/organizer/events/{big}/attendees",
        "/organizer/events/{event}/attendees/{big}",
        "/organizer/events/{event}/schedule/meetings/{big}",
        "/organizer/events/{big}/links.csv",
        "/me/{token}/meetings/{big}.ics",
    ],
)
def test_ids_too_big_for_the_database_are_not_found(client, signed_in, url, big):
    response = client.get(url.format(big=big, **signed_in))
    assert response.status_code == 404
    assert "could not find" in response.get_data(as_text=True)


@pytest.mark.parametrize("big", BEYOND_INTEGER)
@pytest.mark.parametrize(
    "url",
    [
        "/organizer/events/{event}/attendees/{big}/revoke",
        "/organizer/events/{event}/schedule/meetings/{big}/cancel",
        "/me/{token}/matches/{big}",
        "/me/{token}/matches/{big}/book",
    ],
)
def test_forms_posted_to_ids_too_big_for_the_database_are_not_found(client, signed_in, url, big):
    token = csrf_from(client.get(f"/organizer/events/{signed_in['event']}").get_data(as_text=True))
    response = client.post(url.format(big=big, **signed_in), data={"csrf_token": token})
    assert response.status_code == 404


def test_the_largest_id_the_database_holds_still_routes(client, app, signed_in):
    """The limit is the database's, not lower: a real row with the largest id opens."""
    with app.app_context():
        db.session.execute(
            db.text("UPDATE attendee SET id = :big WHERE id = :id"),
            {"big": 2**31 - 1, "id": signed_in["attendee"]},
        )
        db.session.commit()
    response = client.get(f"/organizer/events/{signed_in['event']}/attendees/{2**31 - 1}")
    assert response.status_code == 200


@pytest.fixture
def link(app) -> str:  # noqa: ANN001
    """An attendee's private link, at an event that takes registrations."""
    with app.app_context():
        person = make_attendee(make_event(make_organizer()), "ana@example.com")
        return f"/me/{person.access_token}"


def _too_many(response) -> int:  # noqa: ANN001
    """Check the 429 page says plainly when to come back; the seconds it says."""
    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert "Please wait a little" in text
    assert "too many tries from your connection" in text
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 61
    assert f"wait {seconds} second" in text
    return seconds


def test_sign_in_attempts_are_limited_per_address(client, app):
    with app.app_context():
        make_organizer()
    form = {"email": "org@example.com", "password": "wrong password"}
    for _ in range(3):
        assert post_form(client, "/auth/login", form).status_code == 200
    _too_many(post_form(client, "/auth/login", form))
    assert client.get("/auth/login").status_code == 200  # the page itself still opens
    elsewhere = app.test_client()
    response = post_form(elsewhere, "/auth/login", form, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 200


def test_organizer_registrations_are_limited(client, app):
    for n in range(2):
        form = {"name": "A", "email": f"a{n}@example.com", "password": "0123456789"}
        form["confirm"] = form["password"]
        assert post_form(client, "/auth/register", form).status_code == 302
        client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/").text)})
    form = {"name": "A", "email": "a9@example.com", "password": "0123456789"}
    _too_many(post_form(client, "/auth/register", form | {"confirm": "0123456789"}))


def test_public_registration_is_limited_but_not_the_private_pages(client, app, link):
    for _ in range(3):
        assert post_form(client, "/e/test-event", {"name": ""}).status_code == 200
    _too_many(post_form(client, "/e/test-event", {"name": ""}))
    assert client.get(link).status_code == 200


def test_private_pages_are_limited(client, app, link):
    for _ in range(12):
        assert client.get(link).status_code == 200
    _too_many(client.get(link + "/matches"))


def test_wrong_links_have_their_own_small_budget(client, app, link):
    for _ in range(5):
        assert client.get(link).status_code == 200
    for _ in range(3):
        assert client.get("/me/not-a-real-link").status_code == 404
    _too_many(client.get("/me/another-guess"))


@pytest.mark.parametrize(("proxies", "separate"), [(0, False), (1, True)])
def test_forwarded_addresses_count_only_behind_a_configured_proxy(
    another_app, link, proxies, separate
):
    """Behind a proxy each client has its own budget; without one, the header is ignored,
    so a client cannot dodge the limit by sending a made-up address."""
    app = another_app(FORWARDED_PROXIES=proxies)
    client = app.test_client()
    for n in range(3):
        headers = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert client.get("/me/not-a-real-link", headers=headers).status_code == 404
    response = client.get("/me/not-a-real-link", headers={"X-Forwarded-For": "203.0.113.99"})
    assert response.status_code == (404 if separate else 429)


def test_limits_can_be_turned_off(another_app, link):
    app = another_app(RATELIMIT_ENABLED=False)
    client = app.test_client()
    assert all(client.get("/me/not-a-real-link").status_code == 404 for _ in range(10))


@pytest.mark.parametrize(
    ("environment", "storage"),
    [
        ({}, "memory://"),
        ({"REDIS_URL": "redis://cache:6379/0"}, "redis://cache:6379/0"),
        (
            {"REDIS_URL": "redis://cache:6379/0", "RATELIMIT_STORAGE_URI": "redis://other/1"},
            "redis://other/1",
        ),
    ],
)
def test_limits_are_kept_in_redis_when_it_is_configured(
    monkeypatch, tmp_path, environment, storage
):
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert from_environment(tmp_path)["RATELIMIT_STORAGE_URI"] == storage


def test_an_unreachable_limit_store_does_not_take_the_site_down(another_app, link):
    app = another_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    with app.app_context():
        make_organizer("other@example.com")
    client = app.test_client()
    assert client.get(link).status_code == 200
    form = {"email": "other@example.com", "password": "correct horse 1"}
    assert post_form(client, "/auth/login", form).status_code == 302


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)


@pytest.fixture
def private_urls(app, signed_in) -> list[str]:  # noqa: ANN001
    event, token = signed_in["event"], signed_in["token"]
    return [
        "/organizer/",
        f"/organizer/events/{event}",
        f"/organizer/events/{event}/attendees",
        f"/organizer/events/{event}/links.csv",
        f"/organizer/events/{event}/schedule/calendar.ics",
        f"/organizer/events/{event}/schedule/meetings.csv",
        "/",  # signed in, the page shows whose account it is
        f"/me/{token}",
        f"/me/{token}/matches",
        f"/me/{token}/schedule",
        f"/me/{token}/calendar.ics",
        f"/me/{token}/feed.ics",
    ]


def test_private_pages_and_downloads_are_never_stored(client, private_urls):
    for url in private_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("Cache-Control", ""), url


def test_a_private_link_page_is_not_stored_for_someone_signed_out(client, app, signed_in):
    fresh = app.test_client()
    response = fresh.get(f"/me/{signed_in['token']}/schedule")
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("url", ["/", "/auth/login", "/e/test-event", "/no-such-page"])
def test_every_page_has_a_strict_policy_and_no_referrer(client, app, url):
    with app.app_context():
        make_event(make_organizer())
    response = client.get(url)
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers


def test_https_only_sites_ask_browsers_to_stay_on_https(another_app):
    app = another_app(SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_templates_have_no_inline_styles_or_scripts():
    """The policy refuses inline `style` attributes and scripts; styles live in app.css,
    scripts in app.js."""
    templates = Path(__file__).resolve().parents[1] / "templates"
    inline_style = re.compile(r"\sstyle\s*=|<style[\s>]", re.IGNORECASE)
    inline_script = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    found = []
    for path in sorted(templates.rglob("*.html")):
        text = path.read_text()
        for pattern in (inline_style, inline_script, handler):
            found += [
                f"{path.relative_to(templates)}: {m.group(0)}" for m in pattern.finditer(text)
            ]
    assert found == []


def test_pages_name_their_own_icon_so_browsers_do_not_ask_for_a_missing_one(client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
