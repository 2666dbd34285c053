"""Deleting an event with all its data (event_setup.delete_event and the organizer's pages)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import csrf_from, make_attendee, make_event, make_organizer, post_form
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, func, select

from matchmaker import bookings, event_setup, mail
from matchmaker import suggestions as matches
from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    ImportUpload,
    Job,
    Meeting,
    MeetingFeedback,
    MeetingSeat,
    Suggestion,
    utcnow,
)


def fill(event: Event) -> None:
    """Some of every kind of row an event has: attendees, suggestions (one pair with a
    meeting, its seats, invitations and an answer after it), a finished job, an upload, an
    email of its own."""
    tag = event.slug
    ana = make_attendee(event, f"ana@{tag}.org", name="Ana", can_help_with=["React"])
    ivan = make_attendee(event, f"ivan@{tag}.org", name="Ivan", looking_for=["React"])
    eve = make_attendee(event, f"eve@{tag}.org", name="Eve")
    for a, b in ((ana, ivan), (ana, eve)):
        db.session.add(
            Suggestion(
                event_id=event.id,
                low_id=a.id,
                high_id=b.id,
                score=0.5,
                answer_low="interested",
                answer_high="interested" if b is ivan else "none",
            )
        )
    db.session.commit()
    row = db.session.scalar(select(Suggestion).where(Suggestion.high_id == ivan.id))
    meeting = bookings.book_confirmed(row)
    assert meeting is not None
    db.session.add(
        MeetingFeedback(
            event_id=event.id, meeting_id=meeting.id, attendee_id=ana.id, outcome="met"
        )
    )
    db.session.add(Job(event_id=event.id, kind="matching", status="done"))
    db.session.add(
        ImportUpload(
            event_id=event.id, organizer_id=event.organizer_id, filename="a.csv", data=b"x"
        )
    )
    mail.queue_email(
        db.session,
        to_email="eve@x.org",
        to_name="Eve",
        subject="Hi",
        body_text="Hi",
        event_id=event.id,
    )
    db.session.commit()


@pytest.fixture
def two_events(app):  # noqa: ANN201
    with app.app_context():
        organizer = make_organizer()
        doomed = make_event(organizer, slug="doomed", name="Doomed Day")
        kept = make_event(organizer, slug="kept", name="Kept Day")
        fill(doomed)
        fill(kept)
        return doomed.id, kept.id


def rows_of(event_id: int) -> dict[str, int]:
    """Rows per table that belong to the event, found through every path to it."""
    counts = {}
    for table in db.metadata.sorted_tables:
        if "event_id" in table.c:
            where = table.c.event_id == event_id
        elif table.name == "meeting_seat":
            where = table.c.meeting_id.in_(select(Meeting.id).where(Meeting.event_id == event_id))
        else:
            continue
        counts[table.name] = db.session.scalar(select(func.count()).select_from(table).where(where))
    return counts


def test_deleting_an_event_takes_every_row_of_it_and_nothing_else(app, two_events):
    doomed, kept = two_events
    with app.app_context():
        before = rows_of(kept)
        # Something in every table (a new table that points at events belongs in fill()).
        assert all(rows_of(doomed).values()), rows_of(doomed)
        event_setup.delete_event(db.session.get(Event, doomed))
        db.session.expire_all()
        assert db.session.get(Event, doomed) is None
        assert set(rows_of(doomed).values()) == {0}
        assert rows_of(kept) == before
        assert db.session.scalar(select(func.count()).select_from(MeetingSeat)) == 2


def test_every_reference_to_an_event_cascades():
    """A table that points at an event without ON DELETE CASCADE would block deleting it."""
    for table in db.metadata.tables.values():
        for key in table.foreign_keys:
            if key.column.table.name == "event":
                assert key.ondelete == "CASCADE", str(key.parent)


@pytest.mark.parametrize("parent", ["event", "attendee", "meeting", "suggestion"])
def test_references_to_deleted_rows_are_indexed(parent):
    """Each deleted parent row makes the database look up its children by the referencing
    column: without an index that is a scan of the child table per row (deleting a
    10,000-attendee event took about three minutes for want of one on the outbox)."""
    for table in db.metadata.tables.values():
        leading = {index.columns[0].name for index in table.indexes}
        leading |= {
            c.columns[0].name
            for c in table.constraints
            if isinstance(c, UniqueConstraint | PrimaryKeyConstraint)
        }
        for key in table.foreign_keys:
            if key.column.table.name == parent:
                assert key.parent.name in leading, f"{table.name}.{key.parent.name}"


def test_what_an_event_holds_is_counted(app, two_events):
    with app.app_context():
        contents = event_setup.event_contents(db.session.get(Event, two_events[0]))
    assert contents == event_setup.EventContents(
        attendees=3, meetings=1, suggestions=2, emails_waiting=3
    )


def test_an_event_with_a_job_under_way_is_not_deleted(app, two_events):
    with app.app_context():
        event = db.session.get(Event, two_events[0])
        db.session.add(Job(event_id=event.id, kind="scheduling", status="running"))
        db.session.commit()
        with pytest.raises(event_setup.EventBusy, match="running"):
            event_setup.delete_event(event)
        assert db.session.get(Event, two_events[0]) is not None
        # A job whose worker is long gone does not block it.
        db.session.execute(Job.__table__.update().values(created_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
        event_setup.delete_event(event)
        assert db.session.get(Event, two_events[0]) is None


def test_deleting_forgets_the_events_matcher(app):
    with app.app_context():
        event = make_event(make_organizer())
        make_attendee(event, "a@x.org", can_help_with=["React"], looking_for=["Go"])
        make_attendee(event, "b@x.org", can_help_with=["Go"], looking_for=["React"])
        assert matches.start_matching(event).status == "done"
        event_id = event.id
        assert event_id in matches._MATCHERS
        event_setup.delete_event(event)
    assert event_id not in matches._MATCHERS


# -- the organizer's pages -------------------------------------------------------------------


def test_the_edit_page_leads_to_a_confirmation_that_names_what_goes(client, auth, two_events):
    doomed = two_events[0]
    auth.login()
    edit = client.get(f"/organizer/events/{doomed}/edit").get_data(as_text=True)
    assert f'href="/organizer/events/{doomed}/delete"' in edit and "Delete this event" in edit
    page = client.get(f"/organizer/events/{doomed}/delete")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert "Doomed Day" in text
    assert "3 attendees" in text and "1 booked meeting" in text and "2 suggested pairs" in text
    assert "3 emails not yet sent" in text
    assert 'name="confirm_name"' in html


@pytest.mark.parametrize("typed", ["", "Doomed", "Kept Day"])
def test_a_wrong_name_deletes_nothing(app, client, auth, two_events, typed):
    doomed = two_events[0]
    auth.login()
    url = f"/organizer/events/{doomed}/delete"
    response = post_form(client, url, {"confirm_name": typed})
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Event, doomed) is not None


@pytest.mark.parametrize("typed", ["Doomed Day", "  doomed day "])
def test_the_right_name_deletes_the_event_and_goes_to_the_list(
    app, client, auth, two_events, typed
):
    doomed, kept = two_events
    auth.login()
    url = f"/organizer/events/{doomed}/delete"
    response = post_form(client, url, {"confirm_name": typed})
    assert response.status_code == 302 and response.headers["Location"].endswith("/organizer/")
    listing = client.get("/organizer/").get_data(as_text=True)
    assert "“Doomed Day” is deleted" in listing and "Kept Day" in listing
    assert client.get(f"/organizer/events/{doomed}").status_code == 404
    with app.app_context():
        assert db.session.get(Event, doomed) is None
        assert db.session.get(Event, kept) is not None


def test_deleting_needs_the_forms_token(app, client, auth, two_events):
    auth.login()
    response = client.post(
        f"/organizer/events/{two_events[0]}/delete", data={"confirm_name": "Doomed Day"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Event, two_events[0]) is not None


def test_another_organizer_cannot_see_or_delete_the_event(app, client, auth, two_events):
    doomed = two_events[0]
    with app.app_context():
        make_organizer("other@example.com")
    auth.login("other@example.com")
    url = f"/organizer/events/{doomed}/delete"
    assert client.get(url).status_code == 404
    page = client.get("/organizer/events/new").get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_from(page), "confirm_name": "Doomed Day"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Event, doomed) is not None


def test_a_busy_event_says_why_it_was_not_deleted(app, client, auth, two_events):
    doomed = two_events[0]
    with app.app_context():
        db.session.add(Job(event_id=doomed, kind="matching", status="running"))
        db.session.commit()
    auth.login()
    response = post_form(
        client, f"/organizer/events/{doomed}/delete", {"confirm_name": "Doomed Day"}
    )
    assert response.status_code == 200
    assert "running" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Event, doomed) is not None
