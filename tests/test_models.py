"""Models and configuration: UTC timestamps, tokens, emails, production safety."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from conftest import make_attendee, make_event, make_organizer
from sqlalchemy.exc import IntegrityError

from matchmaker import create_app
from matchmaker.config import ConfigError
from matchmaker.extensions import db
from matchmaker.models import Event


def test_timestamps_come_back_aware_utc(app):
    with app.app_context():
        event = make_event(make_organizer())
        helsinki = timezone(timedelta(hours=2))
        event.starts_at = datetime(2037, 12, 10, 9, 0, tzinfo=helsinki)
        db.session.commit()
        db.session.expire_all()
        event = db.session.scalar(db.select(Event))
        assert event.starts_at == datetime(2037, 12, 10, 7, 0, tzinfo=UTC)
        assert event.starts_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(app):
    with app.app_context():
        event = make_event(make_organizer())
        event.starts_at = datetime(2037, 12, 10, 9, 0)
        with pytest.raises(Exception, match="naive"):
            db.session.commit()
        db.session.rollback()


def test_access_tokens_are_long_random_and_unique(app):
    with app.app_context():
        event = make_event(make_organizer())
        people = [make_attendee(event, f"p{n}@example.com") for n in range(50)]
        tokens = {p.access_token for p in people}
        assert len(tokens) == 50
        assert all(len(t) >= 32 for t in tokens)  # 24 random bytes = 192 bits
        old = people[0].access_token
        people[0].revoke_access()
        assert people[0].access_token != old


def test_attendee_email_is_unique_per_event(app):
    with app.app_context():
        organizer = make_organizer()
        first, second = make_event(organizer), make_event(organizer, slug="other")
        make_attendee(first, "same@example.com")
        make_attendee(second, "same@example.com")  # fine in another event
        with pytest.raises(IntegrityError):
            make_attendee(first, "same@example.com")
        db.session.rollback()


def test_availability_defaults_to_every_session(app):
    with app.app_context():
        event = make_event(make_organizer())
        person = make_attendee(event, "a@example.com")
        assert person.available_in(event.sessions[0].id)
        person.available_session_ids = []
        assert not person.available_in(event.sessions[0].id)
        assert not person.has_profile
        person.looking_for = ["mentoring"]
        assert person.has_profile


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("MATCHMAKER_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"] == "k" * 40


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_from_environment(monkeypatch, url, expected):
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_default_database_is_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/matchmaker.sqlite3")


def test_upload_limit_is_set():
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["MAX_CONTENT_LENGTH"] > 0


def test_remember_cookie_follows_the_secure_setting(monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
