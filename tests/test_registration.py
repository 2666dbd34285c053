"""Public registration proves the email before anything is shown or kept (issue: an impostor
registering a guest's email took over the guest's record when the organizer imported it)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from conftest import (
    csrf_from,
    import_through_web,
    make_attendee,
    make_event,
    make_organizer,
    post_form,
)
from sqlalchemy import func, select

from matchmaker import mail
from matchmaker.choices import AttendeeStatus
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, OutboxMessage

GUEST = "guest@example.com"
PROFILE = {
    "name": "Ana Silva",
    "organization": "Acme",
    "role": "founder",
    "can_help_with": "pricing, hiring",
    "looking_for": "seed funding",
    "meeting_mode": "either",
    "submit": "Register",
}


@pytest.fixture
def event_id(app) -> int:
    with app.app_context():
        event = make_event(make_organizer())
        return event.id


def register(client, email: str = GUEST, **changes):  # noqa: ANN201, ANN003
    with client.application.app_context():
        sessions = [str(s.id) for s in db.session.scalar(select(Event)).sessions]
    data = PROFILE | {"email": email, "sessions": sessions} | changes
    return post_form(client, "/e/test-event", data, follow_redirects=True)


def words(response) -> str:  # noqa: ANN001
    """A page's text without its tags, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def person(email: str = GUEST) -> Attendee | None:
    return db.session.scalar(select(Attendee).where(Attendee.email == email))


def outbox_to(email: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_email == email).order_by(OutboxMessage.id)
        )
    )


def link_in(message: OutboxMessage) -> str:
    """The path of the one link in an email."""
    found = re.search(r"https?://\S+", message.body_text)
    assert found, message.body_text
    return urlsplit(found.group(0)).path


def import_csv(client, auth, event_id: int, body: str) -> None:  # noqa: ANN001
    """The organizer imports a CSV from the web page, as an export of a ticketing tool."""
    auth.login()
    assert "Imported" in import_through_web(client, event_id, body.encode())


def test_without_mail_a_registration_waits_for_the_organizer(client, app, auth, event_id):
    page = register(client)
    assert "organizer approves each registration" in page.text
    with app.app_context():
        guest = person()
        assert guest.status == AttendeeStatus.AWAITING_APPROVAL
        token = guest.access_token
    assert token not in page.text
    assert client.get(f"/me/{token}").status_code == 404  # no link works before approval
    auth.login()
    # The event page says so, and leads to the list where the approving is done.
    overview = words(client.get(f"/organizer/events/{event_id}"))
    assert "1 person registered on the public page and waits for your approval" in overview
    assert f"/organizer/events/{event_id}/attendees#awaiting-title" in client.get(
        f"/organizer/events/{event_id}"
    ).get_data(as_text=True)
    listing = client.get(f"/organizer/events/{event_id}/attendees")
    assert "Waiting for your approval (1)" in listing.text
    with app.app_context():
        guest_id = person().id
    post_form(
        client,
        f"/organizer/events/{event_id}/attendees/{guest_id}/approve",
        {},
        form_url=f"/organizer/events/{event_id}/attendees/{guest_id}",
    )
    with app.app_context():
        assert person().status == AttendeeStatus.ACTIVE
    assert client.get(f"/me/{token}").status_code == 200
    assert "waits for your approval" not in words(client.get(f"/organizer/events/{event_id}"))


def test_with_mail_the_link_is_emailed_and_shown_only_after_confirming(
    client, app, event_id, smtp_server
):
    page = register(client)
    assert "Check your inbox" in page.text
    with app.app_context():
        guest = person()
        assert guest.status == AttendeeStatus.UNCONFIRMED
        token = guest.access_token
        [message] = outbox_to(GUEST)
        assert "Confirm your registration" in message.subject
        assert token not in message.body_text and token not in page.text
        confirm_path = link_in(message)
        assert mail.send_pending(db.session, app.config).sent == 1
    assert smtp_server.messages()[0]["To"].addresses[0].addr_spec == GUEST
    assert client.get(f"/me/{token}").status_code == 404
    opened = client.get(confirm_path)
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/me/{token}")
    with app.app_context():
        assert person().status == AttendeeStatus.ACTIVE
    assert client.get(f"/me/{token}").status_code == 200
    assert client.get(confirm_path).status_code == 404  # a confirmation link works once


def test_an_impostor_cannot_take_over_an_imported_guest(client, app, auth, event_id, smtp_server):
    """Problem 1: the impostor registers the guest's email; the organizer then imports it."""
    register(client, name="Impostor", can_help_with="anything")
    with app.app_context():
        impostor = person()
        impostor_token = impostor.access_token
        confirm_path = link_in(outbox_to(GUEST)[0])  # it went to the real guest's inbox
    import_csv(client, auth, event_id, f"First Name,Last Name,Email\nAna,Silva,{GUEST}\n")
    with app.app_context():
        guest = person()
        assert guest.access_token != impostor_token  # a new record (SQLite may reuse the id)
        assert guest.name == "Ana Silva" and guest.status == AttendeeStatus.ACTIVE
        assert "anything" not in guest.can_help_with
        assert db.session.scalar(select(func.count()).select_from(Attendee)) == 1
    assert client.get(f"/me/{impostor_token}").status_code == 404
    assert client.get(confirm_path).status_code == 404
    links = client.get(f"/organizer/events/{event_id}/links.csv").text
    assert impostor_token not in links and guest.access_token in links


def test_an_import_keeps_the_link_of_a_confirmed_guest(client, app, auth, event_id, smtp_server):
    register(client)
    with app.app_context():
        confirm_path = link_in(outbox_to(GUEST)[0])
        token = person().access_token
    client.get(confirm_path)
    import_csv(client, auth, event_id, f"First Name,Last Name,Email\nAna,Silva,{GUEST}\n")
    with app.app_context():
        assert person().access_token == token and person().status == AttendeeStatus.ACTIVE


def test_registering_a_known_email_changes_nothing_and_looks_the_same(
    client, app, event_id, smtp_server
):
    with app.app_context():
        known = make_attendee(db.session.get(Event, event_id), "known@example.com", name="Kim")
        token = known.access_token
    fresh = register(client, email="new@example.com")
    again = register(client, email="known@example.com", name="Someone else")
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 - CSRF tokens differ
    assert strip(fresh.text) == strip(again.text)
    with app.app_context():
        assert person("known@example.com").name == "Kim"
        [message] = outbox_to("known@example.com")
        assert f"/me/{token}" in message.body_text  # the owner gets their link by email
    assert token not in again.text


def test_without_mail_a_lost_link_page_sends_people_to_the_organizer(client, app, event_id):
    page = client.get("/e/test-event/link").get_data(as_text=True)
    assert "This event does not send emails" in page and "Ask the organizer" in page
    assert 'name="email"' not in page
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/e/test-event/link", data={"email": "x@example.com", "csrf_token": token}
    )
    assert response.status_code == 200 and "This event does not send emails" in response.text


def test_resending_a_link_reveals_nothing(client, app, event_id, smtp_server):
    with app.app_context():
        token = make_attendee(db.session.get(Event, event_id), "known@example.com").access_token
    unknown = post_form(
        client, "/e/test-event/link", {"email": "nobody@example.com"}, follow_redirects=True
    )
    known = post_form(
        client, "/e/test-event/link", {"email": "known@example.com"}, follow_redirects=True
    )
    assert unknown.text == known.text and "Check your inbox" in known.text
    assert token not in known.text
    with app.app_context():
        assert outbox_to("nobody@example.com") == []
        [message] = outbox_to("known@example.com")
        assert f"/me/{token}" in message.body_text


def test_held_registrations_are_not_matched(client, app, auth, event_id, smtp_server):
    from matchmaker import suggestions

    with app.app_context():
        event = db.session.get(Event, event_id)
        make_attendee(
            event,
            "investor@example.com",
            role="investor",
            can_help_with=["seed funding"],
            looking_for=["pricing"],
        )
        suggestions.start_matching(event)
    register(client)
    with app.app_context():
        profiles, _ = suggestions._load_profiles(event_id)
        assert person().id not in {p.id for p in profiles}
        confirm_path = link_in(outbox_to(GUEST)[0])
    client.get(confirm_path)
    with app.app_context():
        profiles, _ = suggestions._load_profiles(event_id)
        assert person().id in {p.id for p in profiles}


def test_expired_or_wrong_confirmation_links_say_what_to_do(client, app, event_id, smtp_server):
    from datetime import timedelta

    register(client)
    with app.app_context():
        confirm_path = link_in(outbox_to(GUEST)[0])
        guest = person()
        guest.confirm_sent_at = guest.confirm_sent_at - timedelta(days=8)
        db.session.commit()
    expired = client.get(confirm_path)
    assert expired.status_code == 404 and "Send me a new link" in expired.text
    assert client.get("/e/test-event/confirm/" + "x" * 200).status_code == 404


def test_an_event_that_has_ended_takes_no_registration(client, app, auth, event_id):
    """The organizer left registration on, but the day is over: the public page says so,
    a sign-up posted anyway saves nothing, and the front page no longer lists the event."""
    from datetime import UTC, datetime, timedelta

    assert "Test Event" in client.get("/").get_data(as_text=True)
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.starts_at = datetime.now(UTC) - timedelta(days=2)
        event.ends_at = datetime.now(UTC) - timedelta(days=2) + timedelta(hours=8)
        for session in event.sessions:
            session.starts_at -= timedelta(days=3650)
            session.ends_at -= timedelta(days=3650)
        db.session.commit()
    page = client.get("/e/test-event").get_data(as_text=True)
    assert "This event has ended, so registration is closed." in page
    assert 'name="email"' not in page
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))  # a form of the session
    response = client.post("/e/test-event", data=PROFILE | {"email": GUEST, "csrf_token": token})
    assert response.status_code == 200
    assert "registration is closed" in response.get_data(as_text=True)
    with app.app_context():
        assert person() is None
    assert "Test Event" not in client.get("/").get_data(as_text=True)
    auth.login()
    organizer_page = client.get(f"/organizer/events/{event_id}").get_data(as_text=True)
    assert "Registration is <strong>closed</strong> (the event has ended)." in organizer_page
    assert "Ended" in client.get("/organizer/").get_data(as_text=True)


def test_a_guest_who_does_not_say_what_they_are_is_asked_to(client, app, event_id):
    """No role is picked for anyone: the form starts on "Choose one…" and asks again."""
    page = client.get("/e/test-event").get_data(as_text=True)
    assert '<option value="">Choose one…</option>' in page
    response = register(client, role="")
    assert "Choose what describes you best, or “Other”." in response.get_data(as_text=True)
    with app.app_context():
        assert person() is None
