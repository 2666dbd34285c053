"""Attendee pages: public registration and the private profile link."""

from __future__ import annotations

import pytest
from conftest import make_attendee, make_event, make_organizer, post_form

from matchmaker.extensions import db
from matchmaker.models import Attendee, Event

PROFILE = {
    "name": "Ana Silva",
    "organization": "Acme",
    "job_title": "CTO",
    "role": "founder",
    "bio": "Building things.",
    "can_help_with": "React, hiring\nfundraising",
    "looking_for": "seed funding; GDPR compliance",
    "interests": "climate tech",
    "meeting_mode": "in_person",
    "timezone": "Europe/Helsinki",
    "linkedin_url": "https://www.linkedin.com/in/ana",
    "website_url": "",
    "consent_share_contact": "y",
}


@pytest.fixture
def event(app):
    with app.app_context():
        organizer = make_organizer()
        event = make_event(organizer)
        make_attendee(event, "other@example.com", can_help_with=["data visualisation"])
        return event.id, event.sessions[0].id


def test_register_on_public_page_goes_to_private_link(client, app, event):
    event_id, session_id = event
    page = client.get("/e/test-event").get_data(as_text=True)
    assert "Register" in page and "data visualisation" in page  # suggestion from others
    response = post_form(
        client, "/e/test-event", PROFILE | {"email": " Ana@Example.com", "sessions": [session_id]}
    )
    assert response.status_code == 302
    with app.app_context():
        ana = db.session.scalar(db.select(Attendee).where(Attendee.email == "ana@example.com"))
        assert ana.can_help_with == ["React", "hiring", "fundraising"]
        assert ana.looking_for == ["seed funding", "GDPR compliance"]
        assert ana.available_session_ids is None  # every session
        assert response.headers["Location"].endswith(f"/me/{ana.access_token}")
        assert len(ana.access_token) >= 32


def test_duplicate_registration_does_not_reveal_the_link(client, app, event):
    event_id, session_id = event
    response = post_form(
        client, "/e/test-event", PROFILE | {"email": "other@example.com", "sessions": [session_id]}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "already registered" in page
    with app.app_context():
        token = db.session.scalar(db.select(Attendee.access_token))
    assert token not in page


def test_closed_registration_shows_no_form(client, app, event):
    with app.app_context():
        db.session.get(Event, event[0]).registration_open = False
        db.session.commit()
    page = client.get("/e/test-event").get_data(as_text=True)
    assert "Registration for this event is closed" in page
    response = client.post("/e/test-event", data=PROFILE | {"email": "x@example.com"})
    assert response.status_code in (200, 400)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Attendee)) == 1


def test_profile_link_edits_only_that_attendee(client, app, event):
    with app.app_context():
        person = db.session.scalar(db.select(Attendee))
        token, person_id = person.access_token, person.id
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "data visualisation" in page
    response = post_form(client, f"/me/{token}", PROFILE | {"sessions": []})
    assert "Pick at least one session" in response.get_data(as_text=True)
    response = post_form(client, f"/me/{token}", PROFILE | {"sessions": [event[1]]})
    assert response.status_code == 302
    with app.app_context():
        person = db.session.get(Attendee, person_id)
        assert person.name == "Ana Silva" and person.meeting_mode == "in_person"
        assert person.consent_share_contact is True
        assert person.email == "other@example.com"  # the form cannot change the email


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"can_help_with": ", ".join(f"skill {n}" for n in range(51))}, "50 phrases at most"),
        ({"looking_for": "x" * 301}, "short phrases"),
        ({"linkedin_url": "not a link"}, "Enter a full link"),
        ({"role": "wizard"}, "Not a valid choice"),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"bio": "b" * 2001}, "2000"),
    ],
)
def test_profile_rejects_bad_input_and_saves_nothing(client, app, event, change, message):
    with app.app_context():
        token = db.session.scalar(db.select(Attendee.access_token))
    response = post_form(client, f"/me/{token}", PROFILE | {"sessions": [event[1]]} | change)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Attendee.name)) == "Other"


@pytest.mark.parametrize("token", ["nope", "x" * 65, "' OR 1=1 --"])
def test_unknown_or_malformed_links_are_404(client, app, event, token):
    assert client.get(f"/me/{token}").status_code == 404


def test_unknown_event_is_404(client, app):
    assert client.get("/e/no-such-event").status_code == 404


def test_profile_post_without_csrf_is_refused(client, app, event):
    with app.app_context():
        token = db.session.scalar(db.select(Attendee.access_token))
    response = client.post(f"/me/{token}", data=PROFILE)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(Attendee.name)) == "Other"
