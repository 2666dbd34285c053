from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from conftest import AuthActions, make_organizer, post_form

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.models import Organizer


def test_register_creates_hashed_account_and_signs_in(client, app):
    response = post_form(
        client,
        "/auth/register",
        {
            "name": "Ana Silva",
            "email": "Ana@Example.COM ",
            "password": "a long password",
            "confirm": "a long password",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/organizer/events/new")
    with app.app_context():
        organizer = db.session.scalar(db.select(Organizer))
        assert organizer.email == "ana@example.com"
        assert "a long password" not in organizer.password_hash
        assert organizer.check_password("a long password")
    assert client.get("/organizer/").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email"}, "Invalid email address"),
        ({"password": "short", "confirm": "short"}, "at least 10 characters"),
        ({"confirm": "something else entirely"}, "do not match"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_register_rejects_bad_input(client, app, data, message):
    form = {"name": "Ana", "email": "ana@example.com", "password": "a long password"}
    form["confirm"] = form["password"]
    form.update(data)
    response = post_form(client, "/auth/register", form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Organizer)) == 0


def test_register_refuses_duplicate_email_case_insensitively(client, app):
    with app.app_context():
        make_organizer("ana@example.com")
    response = post_form(
        client,
        "/auth/register",
        {
            "name": "X",
            "email": "ANA@example.com",
            "password": "0123456789",
            "confirm": "0123456789",
        },
    )
    assert "already exists" in response.get_data(as_text=True)


def test_login_and_logout(client, app, auth):
    with app.app_context():
        make_organizer()
    assert client.get("/organizer/").status_code == 302
    response = auth.login()
    assert response.status_code == 302
    assert client.get("/organizer/").status_code == 200
    auth.logout()
    assert client.get("/organizer/").status_code == 302


def test_login_with_wrong_password_fails(client, app, auth):
    with app.app_context():
        make_organizer()
    response = auth.login(password="wrong password")
    assert response.status_code == 200
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/organizer/").status_code == 302


def test_login_ignores_offsite_next(client, app):
    with app.app_context():
        make_organizer()
    page = client.get("/auth/login")
    from conftest import csrf_from

    response = client.post(
        "/auth/login?next=https://evil.example/",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "email": "org@example.com",
            "password": "correct horse 1",
        },
    )
    assert response.headers["Location"] == "/organizer/"


@pytest.mark.parametrize("url", ["/auth/login", "/auth/register"])
def test_forms_without_csrf_token_are_refused(client, app, url):
    with app.app_context():
        make_organizer()
    response = client.post(url, data={"email": "org@example.com", "password": "correct horse 1"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert client.get("/organizer/").status_code == 302


def test_logout_requires_csrf(client, app, auth):
    with app.app_context():
        make_organizer()
    auth.login()
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert client.get("/organizer/").status_code == 200


def _copy_of(client, name: str, app):  # noqa: ANN001, ANN202
    """A second browser holding one of the first one's cookies."""
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    other = app.test_client()
    other.set_cookie(name, cookie.value)
    return other


@pytest.mark.parametrize(("cookie", "remember"), [("session", False), ("remember_token", True)])
def test_cookie_copied_before_sign_out_does_not_work_after_it(client, app, auth, cookie, remember):
    with app.app_context():
        make_organizer()
    post_form(
        client,
        "/auth/login",
        {"email": "org@example.com", "password": "correct horse 1", "remember": "y"}
        if remember
        else {"email": "org@example.com", "password": "correct horse 1"},
    )
    copy = _copy_of(client, cookie, app)
    assert copy.get("/organizer/").status_code == 200
    auth.logout()
    assert copy.get("/organizer/").status_code == 302
    # Signing in again does not bring the copied cookie back to life.
    auth.login()
    assert client.get("/organizer/").status_code == 200
    assert copy.get("/organizer/").status_code == 302


def test_new_password_ends_every_session(client, app, auth):
    with app.app_context():
        make_organizer()
    auth.login()
    with app.app_context():
        organizer = db.session.scalar(Organizer.by_email("org@example.com"))
        organizer.set_password("another long password")
        db.session.commit()
    assert client.get("/organizer/").status_code == 302


def test_session_cookie_does_not_carry_the_account_id(client, app, auth):
    with app.app_context():
        organizer = make_organizer()
        organizer_id, token = str(organizer.id), organizer.session_token
    auth.login()
    with client.session_transaction() as session:
        assert session["_user_id"] == token != organizer_id
        session["_user_id"] = organizer_id  # a cookie from before session tokens
    assert client.get("/organizer/").status_code == 302


def _timed_login(auth, email: str) -> float:  # noqa: ANN001
    started = time.perf_counter()
    response = auth.login(email=email, password="wrong password")
    assert "do not match" in response.get_data(as_text=True)
    return time.perf_counter() - started


def test_unknown_email_takes_as_long_as_a_known_one(client, app, auth):
    """Timing must not tell which emails have an account."""
    with app.app_context():
        make_organizer()
    _timed_login(auth, "nobody@example.com")  # the first request warms everything up
    known = sorted(_timed_login(auth, "org@example.com") for _ in range(3))[1]
    unknown = sorted(_timed_login(auth, "nobody@example.com") for _ in range(3))[1]
    assert max(known, unknown) < 3 * min(known, unknown), (known, unknown)


@pytest.mark.parametrize("email", ["org@example.com", "nobody@example.com"])
def test_every_sign_in_checks_one_password_hash(client, app, auth, monkeypatch, email):
    from matchmaker.auth import signin

    checked = []
    real_check = signin.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real_check(pwhash, password)

    monkeypatch.setattr(signin, "check_password_hash", spy)
    with app.app_context():
        stored = make_organizer().password_hash
    auth.login(email=email, password="wrong password")
    assert len(checked) == 1
    assert (checked[0] == stored) == (email == "org@example.com")
    assert checked[0].startswith("scrypt:")


def _wrong(auth, email: str = "org@example.com", times: int = 1):  # noqa: ANN001, ANN202
    for _ in range(times):
        response = auth.login(email=email, password="wrong password")
    return response


def _later(monkeypatch, minutes: int) -> None:  # noqa: ANN001
    from matchmaker.auth import signin

    moved = signin.utcnow() + timedelta(minutes=minutes)
    monkeypatch.setattr(signin, "utcnow", lambda: moved)


@pytest.mark.parametrize("email", ["org@example.com", "nobody@example.com"])
def test_ten_wrong_passwords_lock_the_email_for_fifteen_minutes(client, app, auth, email):
    with app.app_context():
        make_organizer()
    assert _wrong(auth, email, times=9).status_code == 200
    locked = _wrong(auth, email)
    assert locked.status_code == 429
    text = locked.get_data(as_text=True)
    assert "Too many wrong passwords" in text and "15 minutes" in text
    # Even the right password waits until the lockout ends.
    assert auth.login(email=email).status_code == 429
    assert client.get("/organizer/").status_code == 302


@pytest.fixture
def three_failures(app) -> None:  # noqa: ANN001
    """Lock after three wrong passwords instead of ten: the same rule, quicker to test."""
    app.config["SIGN_IN_LOCKOUT_FAILURES"] = 3


@pytest.mark.usefixtures("three_failures")
def test_lockout_reads_the_same_for_an_account_and_for_no_account(client, app, auth):
    with app.app_context():
        make_organizer()
    known = _wrong(auth, "org@example.com", times=3).get_data(as_text=True)
    unknown = _wrong(auth, "nobody@example.com", times=3).get_data(as_text=True)
    strip = re.compile(r'name="csrf_token"[^>]*>|value="[^"]*"')
    assert strip.sub("", known) == strip.sub("", unknown)


@pytest.mark.usefixtures("three_failures")
def test_lockout_ends_and_the_right_password_then_works(client, app, auth, monkeypatch):
    with app.app_context():
        make_organizer()
    _wrong(auth, times=3)
    _later(monkeypatch, 16)
    assert auth.login().status_code == 302
    assert client.get("/organizer/").status_code == 200


@pytest.mark.usefixtures("three_failures")
def test_success_resets_the_count(client, app, auth):
    with app.app_context():
        make_organizer()
    _wrong(auth, times=2)
    assert auth.login().status_code == 302
    auth.logout()
    assert _wrong(auth, times=2).status_code == 200
    assert auth.login().status_code == 302


@pytest.mark.usefixtures("three_failures")
def test_wrong_passwords_spread_over_more_than_the_window_do_not_lock(
    client, app, auth, monkeypatch
):
    with app.app_context():
        make_organizer()
    _wrong(auth, times=2)
    _later(monkeypatch, 16)
    assert _wrong(auth, times=2).status_code == 200
    assert auth.login().status_code == 302


@pytest.mark.usefixtures("three_failures")
def test_other_emails_are_not_locked(client, app, auth):
    with app.app_context():
        make_organizer()
        make_organizer("other@example.com")
    _wrong(auth, times=3)
    assert auth.login(email="other@example.com").status_code == 302


@pytest.mark.usefixtures("three_failures")
def test_lockout_is_shared_by_every_worker_process(app):
    """Two app instances on one database stand in for two gunicorn workers."""
    with app.app_context():
        make_organizer()
    other_worker = create_app(dict(app.config))
    first, second = AuthActions(app.test_client()), AuthActions(other_worker.test_client())
    _wrong(first, times=2)
    assert _wrong(second).status_code == 429
    assert first.login().status_code == 429
    with other_worker.app_context():
        db.session.remove()
        db.engine.dispose()


def test_lockout_limits_come_from_the_config(client, app, auth):
    app.config.update(SIGN_IN_LOCKOUT_FAILURES=3, SIGN_IN_LOCKOUT_MINUTES=2)
    with app.app_context():
        make_organizer()
    locked = _wrong(auth, times=3)
    assert locked.status_code == 429
    assert "2 minutes" in locked.get_data(as_text=True)
