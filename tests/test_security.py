"""Defences every request shares: ids the database cannot hold, rate limits, headers."""

from __future__ import annotations

import pytest
from conftest import csrf_from, make_attendee, make_event, make_organizer

from matchmaker.extensions import db

BEYOND_INTEGER = [2**31, 2**63, 99999999999999999999999]


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
