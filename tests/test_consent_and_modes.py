"""Contact details only with consent, and meetings people agreed to (or may decline).

Before: auto-schedule booked every suggested pair that nobody declined, its calendars carried
the partner's email although nobody had answered, "Not for me" left the meeting booked, and
everyone's meeting limit was full, so a later mutual yes found no free slot.
"""

from __future__ import annotations

import re

import pytest
import vobject
from conftest import make_attendee, make_event, make_organizer, post_form
from sqlalchemy import select

from matchmaker import bookings, invites, suggestions
from matchmaker.choices import MeetingStatus, SchedulingMode
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, Meeting, Suggestion

EMAIL = re.compile(r"[\w.+-]+@example\.com")
# Five founders and five investors who all help each other: every pair is suggested.
PEOPLE = [
    (f"founder{n}@example.com", "founder", ["pricing"], ["seed funding"]) for n in range(5)
] + [(f"investor{n}@example.com", "investor", ["seed funding"], ["pricing"]) for n in range(5)]


def _matched_event(mode: SchedulingMode, limit: int = 4, reserve: int = 2) -> int:
    event = make_event(
        make_organizer(),
        table_names=[f"Table {n}" for n in range(1, 6)],
        max_meetings_per_attendee=limit,
        auto_schedule_reserve=reserve,
        scheduling_mode=mode,
    )
    for email, role, offers, needs in PEOPLE:
        make_attendee(
            event,
            email,
            role=role,
            can_help_with=offers,
            looking_for=needs,
            consent_share_contact=True,  # even so: nothing before both said yes
        )
    suggestions.start_matching(event)
    return event.id


def _auto_schedule(event_id: int) -> None:
    bookings.auto_schedule_event(db.session.get(Event, event_id))
    db.session.commit()


def _meetings(event_id: int) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting).where(
                Meeting.event_id == event_id, Meeting.status == MeetingStatus.CONFIRMED
            )
        )
    )


def _people(event_id: int) -> list[Attendee]:
    return list(db.session.scalars(select(Attendee).where(Attendee.event_id == event_id)))


def _answer(client, person: Attendee, row: Suggestion, answer: str):  # noqa: ANN201
    token = person.access_token
    return post_form(
        client,
        f"/me/{token}/matches/{row.id}",
        {"answer": answer},
        form_url=f"/me/{token}/matches",
        follow_redirects=True,
    )


def _emails_in_calendar(body: bytes) -> dict[str, set[str]]:
    """ATTENDEE addresses and any address in a description, read by vobject (not icalendar)."""
    found: dict[str, set[str]] = {"attendee": set(), "text": set()}
    for calendar in vobject.readComponents(body.decode()):
        for event in calendar.vevent_list:
            for line in event.contents.get("attendee", []):
                found["attendee"].add(line.value.lower().removeprefix("mailto:"))
            for line in event.contents.get("description", []):
                found["text"] |= set(EMAIL.findall(line.value))
    return found


def test_people_choose_books_nothing_nobody_agreed_to(app):
    with app.app_context():
        event_id = _matched_event(SchedulingMode.PEOPLE_CHOOSE)
        _auto_schedule(event_id)
        assert _meetings(event_id) == []


def test_assigned_meetings_carry_no_contact_details(app, client):
    """Problem 2: after auto-schedule, with nobody having answered, no partner's email."""
    with app.app_context():
        event_id = _matched_event(SchedulingMode.SPEED_NETWORKING)
        _auto_schedule(event_id)
        assert _meetings(event_id)
        for person in _people(event_id):
            calendar = client.get(f"/me/{person.access_token}/calendar.ics")
            assert calendar.headers["Cache-Control"].startswith("no-store") or (
                "no-cache" in calendar.headers["Cache-Control"]
            )
            emails = _emails_in_calendar(calendar.data)
            assert emails["attendee"] <= {person.email}, person.email
            assert emails["text"] <= {person.email}
            page = client.get(f"/me/{person.access_token}/schedule").get_data(as_text=True)
            assert set(EMAIL.findall(page)) <= {person.email}
        meeting = _meetings(event_id)[0]
        entry = invites.calendar_meeting(meeting, meeting.low)
        assert entry.organizer[1].startswith("no-reply@")


def test_contact_details_appear_once_both_said_yes_and_the_partner_agreed(app, client):
    with app.app_context():
        event_id = _matched_event(SchedulingMode.PEOPLE_CHOOSE)
        row = db.session.scalars(select(Suggestion).where(Suggestion.event_id == event_id)).first()
        low, high = row.low, row.high
        high.consent_share_contact = False
        db.session.commit()
        _answer(client, low, row, "interested")
        _answer(client, high, row, "interested")
        [meeting] = _meetings(event_id)
        low_sees = _emails_in_calendar(client.get(f"/me/{low.access_token}/calendar.ics").data)
        high_sees = _emails_in_calendar(client.get(f"/me/{high.access_token}/calendar.ics").data)
        assert high.email not in low_sees["attendee"] | low_sees["text"]  # high did not agree
        assert low.email in high_sees["attendee"] and low.email in high_sees["text"]
        assert high.email not in client.get(f"/me/{low.access_token}/schedule").text
        assert low.email in client.get(f"/me/{high.access_token}/schedule").text
        assert meeting.status == MeetingStatus.CONFIRMED


def test_speed_networking_leaves_room_and_a_decline_cancels(app, client):
    """Problem 3: "Not for me" on an assigned meeting cancels it on both schedules; the
    reserve leaves room, so a later mutual yes is booked."""
    with app.app_context():
        event_id = _matched_event(SchedulingMode.SPEED_NETWORKING, limit=4, reserve=2)
        _auto_schedule(event_id)
        meetings = _meetings(event_id)
        per_person: dict[int, int] = {}
        for m in meetings:
            for who in (m.low_id, m.high_id):
                per_person[who] = per_person.get(who, 0) + 1
        assert meetings and max(per_person.values()) <= 2  # limit 4 less the reserve of 2
        assigned = meetings[0]
        row = db.session.get(Suggestion, assigned.suggestion_id)
        person, partner = assigned.low, assigned.high
        page = client.get(f"/me/{person.access_token}/matches").text
        assert "Meeting assigned" in page and "Speed networking" in page
        answered = _answer(client, person, row, "declined")
        assert "Your meeting is cancelled" in answered.text
        db.session.expire_all()
        assert db.session.get(Meeting, assigned.id).status == MeetingStatus.CANCELLED
        for who in (person, partner):
            assert (
                f"meeting-{assigned.id}" not in client.get(f"/me/{who.access_token}/schedule").text
            )
        _auto_schedule(event_id)  # the declined pair is not assigned again
        pairs = {(m.low_id, m.high_id) for m in _meetings(event_id)}
        assert (assigned.low_id, assigned.high_id) not in pairs
        # A mutual yes between two people not yet meeting is booked at once.
        open_row = next(
            r
            for r in db.session.scalars(select(Suggestion).where(Suggestion.event_id == event_id))
            if (r.low_id, r.high_id) not in pairs and not r.declined
        )
        _answer(client, open_row.low, open_row, "interested")
        booked = _answer(client, open_row.high, open_row, "interested")
        assert "Your meeting is booked" in booked.text, booked.text


@pytest.mark.parametrize("mode", list(SchedulingMode))
def test_the_matches_page_says_how_meetings_are_booked(app, client, mode):
    with app.app_context():
        event_id = _matched_event(mode)
        token = _people(event_id)[0].access_token
    page = client.get(f"/me/{token}/matches").text
    expected = "Speed networking" if mode == SchedulingMode.SPEED_NETWORKING else "You choose"
    assert expected in page
