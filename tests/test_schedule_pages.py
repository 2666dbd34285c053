"""The schedule pages: an attendee's agenda and calendars, the organizer's grid and exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from calendar_checks import check_calendar
from conftest import csrf_from, make_attendee, make_event, make_organizer, post_form
from icalendar import Calendar
from past_meetings import PAST, meet, past_event
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from matchmaker import bookings, scheduling
from matchmaker.extensions import db
from matchmaker.models import (
    Attendee,
    Event,
    Job,
    Meeting,
    MeetingSeat,
    NetworkingSession,
    OutboxMessage,
    Suggestion,
)

# The default test event: one session, 10:00-12:00 in Helsinki (UTC+2 in December).
SESSION_START = datetime(2037, 12, 10, 8, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def page_text(response) -> str:  # noqa: ANN001
    """The page's text without tags, as a reader sees it."""
    return re.sub(r"<[^>]+>", "", response.get_data(as_text=True))


def confirmed_pair(event: Event, a, b, *, score: float = 0.7, **answers) -> Suggestion:  # noqa: ANN001, ANN003
    low, high = sorted((a, b), key=lambda p: p.id)
    row = Suggestion(
        event_id=event.id,
        low_id=low.id,
        high_id=high.id,
        score=score,
        reasons={"low_helps": [["React", "frontend"]], "high_helps": [], "shared": []},
        answer_low=answers.get("answer_low", "interested"),
        answer_high=answers.get("answer_high", "interested"),
    )
    db.session.add(row)
    db.session.commit()
    return row


def book(row: Suggestion, **kw) -> Meeting:  # noqa: ANN003
    meeting = bookings.book_confirmed(row, **kw)
    assert meeting is not None
    db.session.commit()
    return meeting


@pytest.fixture
def setup(app):  # noqa: ANN201
    """An event with two tables and 15-minute slots; Ana and Ivan have a booked meeting."""
    with app.app_context():
        organizer = make_organizer()
        event = make_event(organizer, meeting_minutes=15, buffer_minutes=0, venue="Main hall")
        ana = make_attendee(
            event, "ana@x.org", name="Ana Silva", organization="Acme", role="founder"
        )
        ivan = make_attendee(
            event, "ivan@y.org", name="Ivan Berg", organization="Fund", role="investor"
        )
        eve = make_attendee(event, "eve@z.org", name="Eve Novak", organization="Zed")
        meeting = book(confirmed_pair(event, ana, ivan))
        data = {
            "event_id": event.id,
            "meeting_id": meeting.id,
            "uid": meeting.uid,
            "ana": ana.access_token,
            "ivan": ivan.access_token,
            "eve": eve.access_token,
            "ana_id": ana.id,
            "ivan_id": ivan.id,
            "eve_id": eve.id,
        }
    return data


def test_attendee_schedule_shows_the_meeting_in_event_time(client, setup):
    page = client.get(f"/me/{setup['ana']}/schedule")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "My schedule" in html and 'aria-current="page"' in html
    assert "Meet Ivan Berg" in html and "Fund" in html and "Investor" in html
    assert "10:00–10:15" in html  # 08:00 UTC in Helsinki in December
    assert "Table 1, Main hall" in html
    assert "You can help with: React" in html
    assert f"/me/{setup['ana']}/meetings/{setup['meeting_id']}.ics" in html
    assert "https://calendar.google.com/calendar/render?" in html
    assert "https://outlook.live.com/calendar/" in html
    assert f"webcal://localhost/me/{setup['ana']}/feed.ics" in html
    assert "Yes, cancel my meeting with Ivan Berg" in html
    assert "Your time" not in html


def test_virtual_attendee_sees_their_own_time_too(app, client):
    with app.app_context():
        event = make_event(make_organizer(), meeting_minutes=15, buffer_minutes=0)
        ana = make_attendee(event, "ana@x.org", meeting_mode="virtual", timezone="America/New_York")
        ivan = make_attendee(event, "ivan@y.org")
        meeting = book(confirmed_pair(event, ana, ivan))
        assert meeting.mode == "virtual" and meeting.virtual_url
        token, url = ana.access_token, meeting.virtual_url
    html = client.get(f"/me/{token}/schedule").get_data(as_text=True)
    assert "10:00–10:15" in html
    assert "Your time: Thu 10 Dec, 03:00–03:15 (New York)" in html
    assert url in html and "join the video call" in html


def test_meeting_ics_is_a_valid_download_of_the_meeting(client, setup):
    response = client.get(f"/me/{setup['ana']}/meetings/{setup['meeting_id']}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert ".ics" in response.headers["Content-Disposition"]
    check_calendar(response.data, expected={setup["uid"]: (SESSION_START, SESSION_START + QUARTER)})
    event = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Meet Ivan Berg (Fund) - Test Event"


def test_bundle_and_feed_carry_cancelled_meetings(app, client, setup):
    with app.app_context():
        event = db.session.get(Event, setup["event_id"])
        ana, eve = (
            db.session.get(Attendee, setup["ana_id"]),
            db.session.get(Attendee, setup["eve_id"]),
        )
        other = book(confirmed_pair(event, ana, eve))
        bookings.cancel_meeting(other, by="Eve Novak")
        db.session.commit()
        cancelled_uid, cancelled_start = other.uid, other.starts_at
    for path, disposition in (("calendar.ics", "attachment"), ("feed.ics", "inline")):
        response = client.get(f"/me/{setup['ana']}/{path}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert response.headers["Content-Disposition"].startswith(disposition)
        assert "no-cache" in response.headers["Cache-Control"]
        check_calendar(
            response.data,
            expected={
                setup["uid"]: (SESSION_START, SESSION_START + QUARTER),
                cancelled_uid: (cancelled_start, cancelled_start + QUARTER),
            },
        )
        statuses = {
            str(e["UID"]): str(e["STATUS"])
            for e in Calendar.from_ical(response.data).walk("VEVENT")
        }
        assert statuses == {setup["uid"]: "CONFIRMED", cancelled_uid: "CANCELLED"}


def test_attendee_sees_only_their_own_meetings(client, setup):
    eve = setup["eve"]
    assert client.get(f"/me/{eve}/meetings/{setup['meeting_id']}.ics").status_code == 404
    assert client.get(f"/me/{eve}/meetings/999.ics").status_code == 404
    assert "Ivan Berg" not in client.get(f"/me/{eve}/schedule").get_data(as_text=True)
    feed = client.get(f"/me/{eve}/feed.ics").data
    check_calendar(feed)
    assert b"BEGIN:VEVENT" not in feed and b"Ivan" not in feed
    response = post_form(
        client,
        f"/me/{eve}/meetings/{setup['meeting_id']}/cancel",
        {},
        form_url=f"/me/{setup['ana']}/schedule",
    )
    assert response.status_code == 404
    assert client.get("/me/not-a-token/schedule").status_code == 404


def test_attendee_cancels_and_both_are_told(app, client, setup):
    app.config["MAIL_SERVER"] = "127.0.0.1"  # configured (nothing is sent: no background jobs)
    response = post_form(
        client,
        f"/me/{setup['ana']}/meetings/{setup['meeting_id']}/cancel",
        {},
        form_url=f"/me/{setup['ana']}/schedule",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Your meeting with Ivan Berg is cancelled" in html
    assert "emailing Ivan Berg" in html
    assert "No meetings yet" in html
    with app.app_context():
        meeting = db.session.get(Meeting, setup["meeting_id"])
        assert meeting.status == "cancelled" and meeting.cancelled_by == "Ana Silva"
        assert db.session.scalar(select(func.count()).select_from(MeetingSeat)) == 0
        cancels = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.ics_method == "CANCEL")
        ).all()
        assert sorted(m.to_email for m in cancels) == ["ana@x.org", "ivan@y.org"]
        # The slot is free again: Ivan and Eve can now book it.
        row = confirmed_pair(meeting.event, meeting.high, db.session.get(Attendee, setup["eve_id"]))
        assert book(row).starts_at == SESSION_START
    # The cancelled meeting's own download still works and says CANCELLED.
    ics = client.get(f"/me/{setup['ana']}/meetings/{setup['meeting_id']}.ics").data
    check_calendar(ics)
    assert b"STATUS:CANCELLED" in ics


def test_cancel_needs_the_csrf_token(app, client, setup):
    response = client.post(f"/me/{setup['ana']}/meetings/{setup['meeting_id']}/cancel")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Meeting, setup["meeting_id"]).status == "confirmed"


def test_pending_match_books_the_chosen_free_slot(app, client, setup):
    with app.app_context():
        row = confirmed_pair(
            db.session.get(Event, setup["event_id"]),
            db.session.get(Attendee, setup["ana_id"]),
            db.session.get(Attendee, setup["eve_id"]),
        )
        row_id = row.id
    page = client.get(f"/me/{setup['eve']}/schedule").get_data(as_text=True)
    assert "Matches waiting for a time" in page
    assert "Book this time" in page
    # Ana is busy in the first slot, so the first free common slot starts at 10:15.
    first, second, fourth = ((SESSION_START + n * QUARTER).isoformat() for n in (0, 1, 3))
    assert f'<option value="{first}">' not in page
    assert f'<option value="{second}">Thu 10 Dec, 10:15–10:30</option>' in page
    response = client.post(
        f"/me/{setup['eve']}/matches/{row_id}/book",
        data={"csrf_token": csrf_from(page), "slot": "2026-01-01T00:00:00+00:00"},
        follow_redirects=True,
    )
    assert "Choose one of the times offered" in response.get_data(as_text=True)
    response = client.post(
        f"/me/{setup['eve']}/matches/{row_id}/book",
        data={"csrf_token": csrf_from(page), "slot": fourth},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "is booked for Thu 10 Dec at 10:45" in html
    assert "Matches waiting for a time" not in html
    with app.app_context():
        meeting = db.session.scalar(select(Meeting).where(Meeting.suggestion_id == row_id))
        assert meeting.starts_at == SESSION_START + 3 * QUARTER
    # Ivan is not part of that match.
    response = client.post(
        f"/me/{setup['ivan']}/matches/{row_id}/book",
        data={"csrf_token": csrf_from(page), "slot": "4"},
    )
    assert response.status_code == 404


# -- organizer ---------------------------------------------------------------------------------


def test_organizer_grid_shows_pairs_by_slot_and_table(client, auth, setup):
    auth.login()
    event_page = client.get(f"/organizer/events/{setup['event_id']}").get_data(as_text=True)
    assert f"/organizer/events/{setup['event_id']}/schedule" in event_page
    html = client.get(f"/organizer/events/{setup['event_id']}/schedule").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", html)
    assert "Meeting schedule" in text
    assert "Morning" in text and "10:00–10:15" in text and "11:45–12:00" in text
    assert '<th scope="col">Online</th>' in html
    assert "Ana Silva" in html and "Ivan Berg" in html
    assert f"/schedule/meetings/{setup['meeting_id']}" in html
    assert "Invitation emails" in html  # what it says depends on MAIL_SERVER: tests below
    meeting_page = client.get(
        f"/organizer/events/{setup['event_id']}/schedule/meetings/{setup['meeting_id']}"
    )
    assert meeting_page.status_code == 200
    assert "Move the meeting" in meeting_page.get_data(as_text=True)


def test_print_sheets_one_per_table(client, auth, setup):
    auth.login()
    base = f"/organizer/events/{setup['event_id']}/schedule"
    html = client.get(f"{base}/print").get_data(as_text=True)
    assert html.count('class="table-sheet"') == 2
    assert "Ana Silva" in html and "Ivan Berg" in html
    one = client.get(f"{base}/tables/Table 1/print").get_data(as_text=True)
    assert one.count('class="table-sheet"') == 1 and "Ana Silva" in one
    by_number = client.get(f"{base}/tables/2/print").get_data(as_text=True)
    assert ">Table 2</h1>" in by_number and "Ana Silva" not in by_number
    assert client.get(f"{base}/tables/Table 9/print").status_code == 404


def test_event_calendar_is_valid(client, auth, setup):
    auth.login()
    response = client.get(f"/organizer/events/{setup['event_id']}/schedule/calendar.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    check_calendar(response.data, expected={setup["uid"]: (SESSION_START, SESSION_START + QUARTER)})
    assert "Ana Silva & Ivan Berg" in Calendar.from_ical(response.data).walk("VEVENT")[0]["SUMMARY"]


def test_event_calendar_keeps_a_cancelled_meeting_as_cancelled(app, client, auth, setup):
    """Importing the file again must take the meeting out of a calendar that has it."""
    with app.app_context():
        bookings.cancel_meeting(db.session.get(Meeting, setup["meeting_id"]), by="organizer")
        db.session.commit()
    auth.login()
    response = client.get(f"/organizer/events/{setup['event_id']}/schedule/calendar.ics")
    check_calendar(response.data)
    [entry] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(entry["UID"]) == setup["uid"] and str(entry["STATUS"]) == "CANCELLED"


def test_csv_lists_meetings_and_neutralises_formulas(app, client, auth, setup):
    with app.app_context():
        event = db.session.get(Event, setup["event_id"])
        evil = make_attendee(event, "evil@x.org", name="=cmd|' /C calc'!A0", organization="+1")
        book(confirmed_pair(event, evil, db.session.get(Attendee, setup["eve_id"])))
    auth.login()
    response = client.get(f"/organizer/events/{setup['event_id']}/schedule/meetings.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == [
        "Start (Europe/Helsinki)",
        "End (Europe/Helsinki)",
        "Table",
        "Video link",
    ]
    assert rows[0][4:] == [
        "Attendee A name",
        "Attendee A email",
        "Attendee A org",
        "Attendee B name",
        "Attendee B email",
        "Attendee B org",
    ]
    assert rows[1][:3] == ["2037-12-10 10:00", "2037-12-10 10:15", "Table 1"]
    assert rows[1][4:] == ["Ana Silva", "ana@x.org", "Acme", "Ivan Berg", "ivan@y.org", "Fund"]
    cells = [cell for row in rows for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells and "'+1" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def _meeting_ics(client, token: str, meeting_id: int):  # noqa: ANN202
    return Calendar.from_ical(client.get(f"/me/{token}/meetings/{meeting_id}.ics").data).walk(
        "VEVENT"
    )[0]


def test_move_keeps_the_uid_and_raises_the_sequence(app, client, auth, setup):
    before = _meeting_ics(client, setup["ana"], setup["meeting_id"])
    auth.login()
    url = f"/organizer/events/{setup['event_id']}/schedule/meetings/{setup['meeting_id']}"
    response = post_form(
        client,
        f"{url}/move",
        {"slot": "2", "table": "Table 2"},
        form_url=url,
        follow_redirects=True,
    )
    assert "Moved Ana Silva and Ivan Berg to Thu 10 Dec, 10:30–10:45, Table 2" in response.get_data(
        as_text=True
    )
    after = _meeting_ics(client, setup["ana"], setup["meeting_id"])
    assert str(after["UID"]) == str(before["UID"]) == setup["uid"]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after.decoded("DTSTART") == SESSION_START + 2 * QUARTER
    assert "Table 2" in str(after["LOCATION"])
    check_calendar(client.get(f"/me/{setup['ana']}/meetings/{setup['meeting_id']}.ics").data)
    with app.app_context():
        requests = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.ics_method == "REQUEST", OutboxMessage.subject.like("Updated:%")
            )
        ).all()
        assert len(requests) == 2


def test_move_to_a_taken_table_changes_nothing(app, client, auth, setup):
    with app.app_context():
        event = db.session.get(Event, setup["event_id"])
        kim = make_attendee(event, "kim@k.org", name="Kim Lee")
        eve = db.session.get(Attendee, setup["eve_id"])
        other = book(confirmed_pair(event, kim, eve), within={1})
        assert other.table_name == "Table 1"
    auth.login()
    url = f"/organizer/events/{setup['event_id']}/schedule/meetings/{setup['meeting_id']}"
    response = post_form(
        client,
        f"{url}/move",
        {"slot": "1", "table": "Table 1"},
        form_url=url,
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "The meeting was not moved: Table 1 is taken then." in html
    with app.app_context():
        meeting = db.session.get(Meeting, setup["meeting_id"])
        assert (meeting.starts_at, meeting.table_name, meeting.sequence) == (
            SESSION_START,
            "Table 1",
            0,
        )
        assert len(meeting.seats) == 2
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.subject.like("Updated:%"))
            )
            == 0
        )


@pytest.mark.parametrize(
    ("server", "said"),
    [
        ("smtp.example.org", "Both are told by email."),
        ("", "Mail is not configured, so nobody is emailed"),
    ],
)
def test_organizer_cancels_a_meeting(app, client, auth, setup, server, said):
    app.config["MAIL_SERVER"] = server
    auth.login()
    url = f"/organizer/events/{setup['event_id']}/schedule/meetings/{setup['meeting_id']}"
    response = post_form(client, f"{url}/cancel", {}, form_url=url, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "is cancelled and the table is free again." in html and said in html
    with app.app_context():
        meeting = db.session.get(Meeting, setup["meeting_id"])
        assert meeting.status == "cancelled" and meeting.cancelled_by == "Org"
        cancels = db.session.scalars(
            select(OutboxMessage.to_email).where(OutboxMessage.ics_method == "CANCEL")
        ).all()
        assert sorted(cancels) == ["ana@x.org", "ivan@y.org"]


def five_paired_people(**event_values) -> int:  # noqa: ANN003
    """A speed-networking event of five people, every pair suggested and unanswered."""
    values = {
        "meeting_minutes": 15,
        "buffer_minutes": 0,
        "table_names": ["A", "B"],
        "max_meetings_per_attendee": 3,
        "scheduling_mode": "speed_networking",
        "auto_schedule_reserve": 0,
    }
    event = make_event(make_organizer(), **(values | event_values))
    people = [
        make_attendee(event, f"p{n}@x.org", meeting_mode=mode)
        for n, mode in enumerate(["either", "in_person", "virtual", "either", "either"])
    ]
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            confirmed_pair(event, a, b, answer_low="none", answer_high="none")
    return event.id


def auto_schedule_through_page(client, event_id: int):  # noqa: ANN001, ANN201
    return post_form(
        client,
        f"/organizer/events/{event_id}/schedule/auto",
        {},
        form_url=f"/organizer/events/{event_id}/schedule",
        follow_redirects=True,
    )


def test_auto_schedule_names_the_assignment_limit_it_stopped_at(app, client, auth):
    with app.app_context():
        event_id = five_paired_people(max_meetings_per_attendee=3, auto_schedule_reserve=1)
    auth.login()
    said = page_text(auto_schedule_through_page(client, event_id))
    assert re.search(
        r"\d+ pairs?: one of them already has as many assigned meetings as allowed "
        r"\(2, with 1 kept free for mutual yeses\)",
        said,
    )
    assert "the most meetings allowed" not in said


def test_auto_schedule_after_the_last_slot_says_the_sessions_are_over(app, client, auth):
    start = datetime(2021, 5, 4, 7, 0, tzinfo=UTC)
    with app.app_context():
        event_id = five_paired_people(
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            sessions=[
                NetworkingSession(
                    name="Morning",
                    starts_at=start + timedelta(hours=1),
                    ends_at=start + timedelta(hours=3),
                )
            ],
        )
    auth.login()
    said = page_text(auto_schedule_through_page(client, event_id))
    assert "Every networking slot of this event has started or is over" in said
    with app.app_context():
        assert not db.session.scalars(select(Meeting)).all()
        assert not db.session.scalars(select(Job).where(Job.event_id == event_id)).all()


def test_auto_schedule_books_meetings_that_break_no_rule(app, client, auth):
    with app.app_context():
        event_id = five_paired_people()
    auth.login()
    response = auto_schedule_through_page(client, event_id)
    html = response.get_data(as_text=True)
    assert "new meetings" in html and "of the 5 attendees who could meet" in html
    # Each reason with its count first, and the limit itself where the limit stopped pairs.
    said = page_text(response)
    assert "Not scheduled: 1 pair: one meets only in person, the other only online" in said
    assert re.search(r"\d+ pairs?: one of them already has the most meetings allowed \(3\)", said)
    with app.app_context():
        event = db.session.get(Event, event_id)
        meetings = bookings.event_meetings(event)
        assert meetings
        slots = bookings.event_slots(event)
        index = {slot.start: slot.index for slot in slots}
        sessions = {s.id: n for n, s in enumerate(event.sessions)}
        people = {
            p.id: scheduling.Person(
                p.meeting_mode,
                None
                if p.available_session_ids is None
                else frozenset(sessions[i] for i in p.available_session_ids),
            )
            for p in db.session.scalars(event.attendees_select())
        }
        found = [
            scheduling.Booking(m.low_id, m.high_id, index[m.starts_at], m.table_name, m.score)
            for m in meetings
        ]
        assert scheduling.find_violations(found, people, slots, event.table_names, 3) == []
        assert db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.ics_method == "REQUEST")
        ) == 2 * len(meetings)
    grid = client.get(f"/organizer/events/{event_id}/schedule").get_data(as_text=True)
    assert f"{len(meetings)} meetings for" in grid


def test_retry_failed_mail(app, client, auth, setup):
    with app.app_context():
        db.session.execute(
            OutboxMessage.__table__.update().values(
                status="failed", attempts=5, last_error="SMTPRecipientsRefused: 550 no such user"
            )
        )
        db.session.commit()
    auth.login()
    url = f"/organizer/events/{setup['event_id']}/schedule"
    html = client.get(url).get_data(as_text=True)
    assert "550 no such user" in html and "Retry failed emails" in html
    response = post_form(client, f"{url}/mail/retry", {}, form_url=url, follow_redirects=True)
    assert "2 failed emails will be sent again" in response.get_data(as_text=True)
    with app.app_context():
        statuses = db.session.scalars(select(OutboxMessage.status)).all()
        assert set(statuses) == {"pending"}


def test_schedule_follows_daylight_saving_time(app, client, auth):
    # Clocks in Helsinki go from 03:00 to 04:00 at 01:00 UTC on 29 March 2037 (in the
    # future, where bookings go).
    start = datetime(2037, 3, 29, 0, 0, tzinfo=UTC)
    with app.app_context():
        event = make_event(
            make_organizer(),
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            meeting_minutes=30,
            buffer_minutes=0,
            sessions=[NetworkingSession(starts_at=start, ends_at=start + timedelta(hours=2))],
        )
        ana, ivan = make_attendee(event, "ana@x.org"), make_attendee(event, "ivan@y.org")
        meeting = book(confirmed_pair(event, ana, ivan), within={2})
        event_id, token, meeting_id, uid = event.id, ana.access_token, meeting.id, meeting.uid
    assert "04:00–04:30" in client.get(f"/me/{token}/schedule").get_data(as_text=True)
    check_calendar(
        client.get(f"/me/{token}/meetings/{meeting_id}.ics").data,
        expected={uid: (start + timedelta(hours=1), start + timedelta(hours=1, minutes=30))},
    )
    auth.login()
    grid = page_text(client.get(f"/organizer/events/{event_id}/schedule"))
    assert "02:00–02:30" in grid and "02:30–04:00" in grid and "04:00–04:30" in grid


# -- access and CSRF ---------------------------------------------------------------------------

ORGANIZER_PAGES = [
    "",
    "?q=Ana",
    "/online?slot=0",
    "/status",
    "/print",
    "/tables/Table 1/print",
    "/meetings.csv",
    "/calendar.ics",
    "/meetings/{meeting_id}",
]
ORGANIZER_POSTS = [
    "/auto",
    "/meetings/{meeting_id}/move",
    "/meetings/{meeting_id}/cancel",
    "/mail/retry",
]


@pytest.mark.parametrize("path", ORGANIZER_PAGES + ORGANIZER_POSTS)
def test_another_organizer_gets_404(app, client, auth, setup, path):
    with app.app_context():
        make_organizer("b@example.com")
    auth.login("b@example.com")
    url = f"/organizer/events/{setup['event_id']}/schedule" + path.format(**setup)
    if path in ORGANIZER_POSTS:
        token = csrf_from(client.get("/organizer/").get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token, "slot": "1", "table": "Table 2"})
    else:
        response = client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize("path", ORGANIZER_POSTS)
def test_organizer_posts_need_the_csrf_token(app, client, auth, setup, path):
    auth.login()
    url = f"/organizer/events/{setup['event_id']}/schedule" + path.format(**setup)
    response = client.post(url, data={"slot": "1", "table": "Table 2"})
    assert response.status_code == 400
    with app.app_context():
        meeting = db.session.get(Meeting, setup["meeting_id"])
        assert (meeting.status, meeting.sequence) == ("confirmed", 0)
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_pages_need_a_signed_in_organizer(client, setup):
    response = client.get(f"/organizer/events/{setup['event_id']}/schedule")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# -- auto-schedule jobs and page cost ------------------------------------------------------------


def test_schedule_page_follows_a_running_job(app, client, auth, setup):
    with app.app_context():
        run = Job(
            event_id=setup["event_id"],
            kind="scheduling",
            status="running",
            progress=0.4,
            message="Writing the invitations…",
        )
        db.session.add(run)
        db.session.add(Job(event_id=setup["event_id"], kind="matching", status="done"))  # matching
        db.session.commit()
        run_id = run.id
    auth.login()
    base = f"/organizer/events/{setup['event_id']}/schedule"
    html = client.get(base).get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in html and "Auto-schedule is running" in html
    assert 'aria-valuenow="40"' in html and "Writing the invitations…" in html
    assert re.search(r'<button class="btn btn-primary" type="submit" disabled>', html)
    assert client.get(f"{base}/status").json == {
        "status": "running",
        "progress": 0.4,
        "message": "Writing the invitations…",
    }
    post_form(client, f"{base}/auto", {}, form_url=base)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 2
        stuck = db.session.get(Job, run_id)
        stuck.created_at = datetime.now(UTC) - timedelta(minutes=45)
        db.session.commit()
    assert client.get(f"{base}/status").json["status"] == "failed"
    html = client.get(base).get_data(as_text=True)
    assert "refresh" not in html and "stopped without finishing" in html


def test_auto_schedule_reports_what_it_did_on_the_page(app, client, auth, setup):
    auth.login()
    base = f"/organizer/events/{setup['event_id']}/schedule"
    assert client.get(f"{base}/status").json == {"status": "none"}
    with app.app_context():
        event = db.session.get(Event, setup["event_id"])
        eve = db.session.get(Attendee, setup["eve_id"])
        confirmed_pair(event, db.session.get(Attendee, setup["ana_id"]), eve)
    flashed = page_text(post_form(client, f"{base}/auto", {}, form_url=base, follow_redirects=True))
    assert "Booked 1 new meeting." in flashed
    assert client.get(f"{base}/status").json["status"] == "done"
    assert "Last auto-schedule, finished" in page_text(client.get(base))


def add_pairs(event: Event, count: int, start: int) -> None:
    for n in range(start, start + count):
        a = make_attendee(event, f"a{n}@x.org", name=f"A {n}")
        b = make_attendee(event, f"b{n}@y.org", name=f"B {n}")
        book(confirmed_pair(event, a, b))


def queries_to_open(app, client, url: str) -> int:  # noqa: ANN001
    """How many SQL statements opening ``url`` takes (the page must answer 200)."""
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


@pytest.mark.parametrize(
    "path", ["", "/print", "/tables/1/print", "/meetings.csv", "/calendar.ics"]
)
def test_schedule_pages_take_the_same_queries_for_any_number_of_meetings(
    app, client, auth, setup, path
):
    """Each page loads what it shows in a fixed number of queries: no query per meeting."""
    auth.login()
    url = f"/organizer/events/{setup['event_id']}/schedule{path}"

    def queries() -> int:
        return queries_to_open(app, client, url)

    with app.app_context():
        add_pairs(db.session.get(Event, setup["event_id"]), 1, 0)
    few = queries()
    with app.app_context():
        add_pairs(db.session.get(Event, setup["event_id"]), 8, 1)
        assert len(bookings.event_meetings(db.session.get(Event, setup["event_id"]))) == 10
    assert queries() == few


@pytest.mark.parametrize("path", ["schedule", "calendar.ics", "feed.ics"])
def test_attendee_pages_take_the_same_queries_for_any_number_of_meetings(app, client, setup, path):
    """Partners and pairs are loaded together: no query per meeting on Ana's own pages."""
    url = f"/me/{setup['ana']}/{path}"

    def queries() -> int:
        return queries_to_open(app, client, url)

    few = queries()
    with app.app_context():
        event = db.session.get(Event, setup["event_id"])
        ana = db.session.get(Attendee, setup["ana_id"])
        for n in range(3):
            book(confirmed_pair(event, ana, make_attendee(event, f"p{n}@x.org", name=f"P {n}")))
        assert len(bookings.attendee_meetings(ana)) == 4
    assert queries() == few


# -- mail not configured ---------------------------------------------------------------------


def _words(response) -> str:  # noqa: ANN001
    return " ".join(page_text(response).split())


def test_without_a_mail_server_the_schedule_page_says_nobody_was_emailed(app, client, auth, setup):
    app.config["MAIL_SERVER"] = ""
    auth.login()
    response = client.get(f"/organizer/events/{setup['event_id']}/schedule")
    html, text = response.get_data(as_text=True), _words(response)
    # Said at the top of the page, not only in the mail section further down.
    assert text.index("Mail is not configured") < text.index("Who meets where")
    assert "nobody has been emailed" in text
    assert "2 invitations wait in the outbox" in text
    assert "MAIL_SERVER" in text and "README" in text and "flask send-mail" in text
    assert f"/organizer/events/{setup['event_id']}/links.csv" in html
    assert "add them to their calendars" in text
    # Not counts that read as if all were well.
    assert "waiting to be sent" not in text and "0 sent" not in text
    assert "everyone gets an invitation by email" not in text


def test_with_a_mail_server_the_schedule_page_counts_the_outbox(app, client, auth, setup):
    app.config["MAIL_SERVER"] = "smtp.example.org"
    auth.login()
    text = _words(client.get(f"/organizer/events/{setup['event_id']}/schedule"))
    assert "0 sent" in text and "2 waiting to be sent" in text and "0 failed" in text
    assert "not configured" not in text and "nobody has been emailed" not in text


def test_without_a_mail_server_an_event_without_emails_says_none_will_go_out(app, client, auth):
    app.config["MAIL_SERVER"] = ""
    with app.app_context():
        event_id = make_event(make_organizer()).id
    auth.login()
    text = _words(client.get(f"/organizer/events/{event_id}/schedule"))
    assert "Mail is not configured" in text and "nobody has been emailed" in text
    assert "No emails yet" not in text


def test_a_meeting_that_has_started_can_no_longer_be_cancelled(app, client):
    with app.app_context():
        event = past_event(make_organizer(), "last-week")
        ana = make_attendee(event, "ana@x.org", name="Ana Silva")
        ivan = make_attendee(event, "ivan@y.org", name="Ivan Berg")
        uma = make_attendee(event, "uma@z.org", name="Uma Brown")
        chosen = meet(event, ana, ivan, at=PAST + timedelta(hours=1))
        assigned = meet(event, ana, uma, at=PAST + timedelta(hours=2), both_said_yes=False)
        token, meeting_ids = ana.access_token, (chosen.id, assigned.id)
    page = client.get(f"/me/{token}/schedule").get_data(as_text=True)
    assert "You both said yes" in page and "Assigned by the organizer" in page
    assert "Cancel this meeting" not in page and "You can cancel it" not in page
    for meeting_id in meeting_ids:
        response = post_form(
            client,
            f"/me/{token}/meetings/{meeting_id}/cancel",
            {},
            form_url=f"/me/{token}/schedule",
            follow_redirects=True,
        )
        assert "has already started, so it can no longer be cancelled" in response.get_data(
            as_text=True
        )
    with app.app_context():
        assert {db.session.get(Meeting, i).status for i in meeting_ids} == {"confirmed"}
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
