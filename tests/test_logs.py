"""One log line per request, with attendees' private keys left out of the path."""

from __future__ import annotations

import logging

import pytest
from conftest import make_attendee, make_event, make_organizer

from matchmaker.extensions import db
from matchmaker.logs import public_path


@pytest.mark.parametrize(
    ("path", "view_args", "logged"),
    [
        ("/me/abc123/matches", {"token": "abc123"}, "/me/…/matches"),
        ("/me/abc123", {"token": "abc123"}, "/me/…"),
        ("/me/abc123/meetings/7.ics", {"token": "abc123", "meeting_id": 7}, "/me/…/meetings/7.ics"),
        (
            "/e/founders/confirm/xyz789",
            {"slug": "founders", "token": "xyz789"},
            "/e/founders/confirm/…",
        ),
        # A link that leads nowhere (what guessing produces) matched no route.
        ("/me/guessed-key/schedule", None, "/me/…/schedule"),
        ("/organizer/events/3", {"event_id": 3}, "/organizer/events/3"),
        ("/", None, "/"),
    ],
)
def test_public_path_hides_private_keys(path, view_args, logged):
    assert public_path(path, view_args) == logged


def test_each_request_is_one_line_without_the_private_key(app, client, caplog):
    with app.app_context():
        person = make_attendee(make_event(make_organizer()), "ana@x.org")
        token = person.access_token
        db.session.remove()
    caplog.set_level(logging.INFO, logger="matchmaker.requests")
    assert client.get(f"/me/{token}/matches?page=2").status_code == 200
    assert client.get("/me/not-a-real-key").status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "matchmaker.requests"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /me/…/matches 200 ") and lines[0].endswith("ms")
    assert lines[1].startswith("GET /me/… 404 ")
    assert not any(token in r.getMessage() for r in caplog.records)
    assert "page=2" not in lines[0]
