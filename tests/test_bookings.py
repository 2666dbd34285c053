"""Booking confirmed pairs into slots and tables, in the database, including races."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from calendar_checks import check_calendar
from conftest import make_attendee, make_event, make_organizer

from matchmaker import bookings, invites, scheduling
from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    Job,
    Meeting,
    MeetingSeat,
    NetworkingSession,
    OutboxMessage,
    Suggestion,
)

START = datetime(2037, 12, 10, 8, 0, tzinfo=UTC)


def setup_event(tables=("Table 1",), minutes=15, sessions=((0, 60),), **overrides):
    """An event whose auto-schedule assigns every suggested pair, keeping no room back."""
    overrides = {"scheduling_mode": "speed_networking", "auto_schedule_reserve": 0} | overrides
    event = make_event(
        make_organizer(),
        table_names=list(tables),
        meeting_minutes=minutes,
        buffer_minutes=0,
        sessions=[
            NetworkingSession(
                name=f"S{n}",
                starts_at=START + timedelta(minutes=a),
                ends_at=START + timedelta(minutes=b),
            )
            for n, (a, b) in enumerate(sessions)
        ],
        **overrides,
    )
    return event


def confirmed(event, a, b, score=0.5) -> Suggestion:
    low, high = sorted((a.id, b.id))
    row = Suggestion(
        event_id=event.id,
        low_id=low,
        high_id=high,
        score=score,
        answer_low="interested",
        answer_high="interested",
        rank_low=1,
        rank_high=1,
        reasons={"low_helps": [["React", "React"]], "high_helps": [], "shared": []},
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_book_confirmed_takes_the_earliest_slot_and_a_table(app):
    with app.app_context():
        event = setup_event()
        ana = make_attendee(event, "ana@x.org", name="Ana", consent_share_contact=True)
        ivan = make_attendee(event, "ivan@y.org", name="Ivan")
        meeting = bookings.book_confirmed(confirmed(event, ana, ivan))
        db.session.commit()
        assert meeting.starts_at == START and meeting.ends_at == START + timedelta(minutes=15)
        assert meeting.table_name == "Table 1" and meeting.mode == "in_person"
        assert {s.attendee_id for s in meeting.seats} == {ana.id, ivan.id}
        mails = db.session.scalars(db.select(OutboxMessage)).all()
        assert {m.to_email for m in mails} == {"ana@x.org", "ivan@y.org"}
        assert all(m.ics_method == "REQUEST" for m in mails)
        ivan_mail = next(m for m in mails if m.to_email == "ivan@y.org")
        assert "Meet Ana" in ivan_mail.subject
        assert "ana@x.org" in ivan_mail.body_text  # Ana agreed to share her contact
        assert "ivan@y.org" not in next(m for m in mails if m.to_email == "ana@x.org").body_text
        for message in mails:
            check_calendar(message.ics.encode())


def test_virtual_attendee_gets_a_private_video_room(app):
    with app.app_context():
        event = setup_event()
        a = make_attendee(event, "a@x.org", meeting_mode="virtual")
        b = make_attendee(event, "b@y.org")
        meeting = bookings.book_confirmed(confirmed(event, a, b))
        assert meeting.mode == "virtual" and meeting.table_name is None
        assert meeting.virtual_url.startswith("https://meet.jit.si/test-event-")
        entry = invites.calendar_meeting(meeting, a)
        assert entry.virtual and entry.location == meeting.virtual_url


def test_pairs_who_cannot_meet_get_no_meeting(app):
    with app.app_context():
        event = setup_event()
        a = make_attendee(event, "a@x.org", meeting_mode="in_person")
        b = make_attendee(event, "b@y.org", meeting_mode="virtual")
        assert bookings.book_confirmed(confirmed(event, a, b)) is None
        c = make_attendee(event, "c@x.org", available_session_ids=[])
        assert bookings.book_confirmed(confirmed(event, c, make_attendee(event, "d@y.org"))) is None


def test_one_table_and_a_shared_person_push_meetings_later(app):
    with app.app_context():
        event = setup_event(tables=("Table 1",))
        x, a, b = (make_attendee(event, f"{n}@x{n}.org", meeting_mode="in_person") for n in "xab")
        first = bookings.book_confirmed(confirmed(event, x, a))
        second = bookings.book_confirmed(confirmed(event, x, b))
        db.session.commit()
        assert second.starts_at == first.starts_at + timedelta(minutes=15)
        c, d = (make_attendee(event, f"{n}@y{n}.org", meeting_mode="in_person") for n in "cd")
        third = bookings.book_confirmed(confirmed(event, c, d))
        assert third.starts_at == START + timedelta(minutes=30)  # the table is busy before


def test_max_meetings_per_attendee_is_respected(app):
    with app.app_context():
        event = setup_event(tables=("T1", "T2"), max_meetings_per_attendee=1)
        x, a, b = (make_attendee(event, f"{n}@x{n}.org") for n in "xab")
        assert bookings.book_confirmed(confirmed(event, x, a)) is not None
        assert bookings.book_confirmed(confirmed(event, x, b)) is None


def test_cancel_frees_the_slot_and_tells_both(app):
    with app.app_context():
        event = setup_event()
        a, b = make_attendee(event, "a@x.org"), make_attendee(event, "b@y.org")
        meeting = bookings.book_confirmed(confirmed(event, a, b))
        db.session.commit()
        bookings.cancel_meeting(meeting, by="a")
        db.session.commit()
        assert meeting.status == "cancelled" and meeting.sequence == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(MeetingSeat)) == 0
        cancels = db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.ics_method == "CANCEL")
        ).all()
        assert len(cancels) == 2
        parsed = icalendar.Calendar.from_ical(cancels[0].ics)
        vevent = next(iter(parsed.walk("VEVENT")))
        assert str(vevent["STATUS"]) == "CANCELLED" and int(vevent["SEQUENCE"]) == 1
        assert str(vevent["UID"]) == meeting.uid
        check_calendar(cancels[0].ics.encode())
        c, d = make_attendee(event, "c@x.org"), make_attendee(event, "d@y.org")
        again = bookings.book_confirmed(confirmed(event, c, d))
        assert again.starts_at == START and again.table_name == meeting.table_name


def test_move_keeps_uid_raises_sequence_and_checks_rules(app):
    with app.app_context():
        event = setup_event(tables=("T1", "T2"))
        a, b, c, d = (make_attendee(event, f"{n}@{n}.org") for n in "abcd")
        first = bookings.book_confirmed(confirmed(event, a, b))
        second = bookings.book_confirmed(confirmed(event, c, d))
        db.session.commit()
        uid = first.uid
        assert second.starts_at == first.starts_at and second.table_name == "T2"
        with pytest.raises(bookings.BookingError, match="T2 is taken"):
            bookings.move_meeting(first, START, "T2")
        with pytest.raises(bookings.BookingError, match="not one of the event's meeting slots"):
            bookings.move_meeting(first, START + timedelta(minutes=7), "T1")
        with pytest.raises(bookings.BookingError, match="no table called"):
            bookings.move_meeting(first, START, "Nope")
        bookings.move_meeting(first, START + timedelta(minutes=30), "T2")
        db.session.commit()
        assert first.uid == uid and first.sequence == 1
        assert first.starts_at == START + timedelta(minutes=30)
        latest = db.session.scalars(
            db.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(2)
        ).all()
        assert all("Updated:" in m.subject for m in latest)
        event_ = icalendar.Calendar.from_ical(latest[0].ics)
        vevent = next(iter(event_.walk("VEVENT")))
        assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) == 1


def test_auto_schedule_books_a_valid_whole_event(app):
    with app.app_context():
        event = setup_event(tables=("T1", "T2", "T3"), sessions=((0, 60), (120, 180)))
        people = [make_attendee(event, f"p{n}@org{n}.org") for n in range(12)]
        for i, a in enumerate(people):
            for b in people[i + 1 : i + 4]:
                row = confirmed(event, a, b, score=0.1 * ((i % 5) + 1))
                row.answer_high = "none"
        db.session.commit()
        report = bookings.auto_schedule_event(event)
        db.session.commit()
        meetings = db.session.scalars(db.select(Meeting)).all()
        assert report.meetings == len(meetings) > 0
        assert report.attendees_covered == 12
        slots = bookings.event_slots(event)
        booked = bookings._bookings(meetings, slots)
        people_map = bookings._people(event)
        assert (
            scheduling.find_violations(
                booked, people_map, slots, event.table_names, event.max_meetings_per_attendee
            )
            == []
        )


def test_concurrent_confirmations_never_double_book(app):
    """Two requests confirm different pairs that share one person at the same moment."""
    with app.app_context():
        event = setup_event(tables=("T1", "T2", "T3"))
        x = make_attendee(event, "x@x.org")
        partners = [make_attendee(event, f"p{n}@p{n}.org") for n in range(4)]
        row_ids = [confirmed(event, x, p).id for p in partners]
        x_id = x.id
    barrier = threading.Barrier(len(row_ids))
    errors: list[BaseException] = []

    def confirm(row_id: int) -> None:
        try:
            with app.app_context():
                row = db.session.get(Suggestion, row_id)
                bookings._people(db.session.get(Event, row.event_id))  # warm up the session
                barrier.wait(timeout=10)
                bookings.book_confirmed(row)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported to the main thread
            errors.append(error)

    threads = [threading.Thread(target=confirm, args=(i,)) for i in row_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with app.app_context():
        seats = db.session.execute(db.select(MeetingSeat.attendee_id, MeetingSeat.starts_at)).all()
        assert len(seats) == len(set(seats))  # nobody in two places at once
        x_slots = [s for a, s in seats if a == x_id]
        assert len(x_slots) == len(row_ids) and len(set(x_slots)) == len(row_ids)


def test_schedule_and_export_calendars_commands(app, runner, tmp_path):
    with app.app_context():
        event = setup_event(tables=("T1", "T2"))
        people = [make_attendee(event, f"p{n}@o{n}.org", name=f"P{n}") for n in range(6)]
        for a, b in zip(people, people[1:], strict=False):
            confirmed(event, a, b)
    result = runner.invoke(args=["schedule", "test-event"])
    assert result.exit_code == 0, result.output
    assert "meetings booked" in result.output and "6 of 6 attendees" in result.output
    assert "Warning: PUBLIC_BASE_URL is not set" in result.stderr  # links in invitations
    result = runner.invoke(args=["export-calendars", "test-event", str(tmp_path / "cals")])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "cals").iterdir())
    assert "p0@o0.org.ics" in files and "test-event.ics" in files
    for path in (tmp_path / "cals").iterdir():
        check_calendar(path.read_bytes())
    assert runner.invoke(args=["schedule", "nope"]).exit_code == 2


def test_move_that_loses_a_race_leaves_the_meeting_as_it_was(app, monkeypatch):
    with app.app_context():
        event = setup_event(tables=("T1", "T2"))
        a, b, c, d = (make_attendee(event, f"{n}@{n}.org") for n in "abcd")
        first = bookings.book_confirmed(confirmed(event, a, b))
        db.session.commit()
        before = (first.starts_at, first.table_name, first.sequence)
        # Another request takes T2 at 08:30 between our checks and our write.
        later = START + timedelta(minutes=30)
        rival = Meeting(
            event_id=event.id,
            low_id=c.id,
            high_id=d.id,
            starts_at=later,
            ends_at=later + timedelta(minutes=15),
            mode="in_person",
            table_name="T2",
            uid="rival@x",
            status="confirmed",
        )
        db.session.add(rival)
        db.session.flush()
        original = bookings._active_meetings
        monkeypatch.setattr(  # the check does not see the rival yet; the database does
            bookings,
            "_active_meetings",
            lambda *args, **kwargs: [m for m in original(*args, **kwargs) if m.uid != "rival@x"],
        )
        with pytest.raises(bookings.BookingError, match="a moment ago"):
            bookings.move_meeting(first, later, "T2")
        db.session.commit()
        db.session.expire_all()
        assert (first.starts_at, first.table_name, first.sequence) == before
        assert {s.attendee_id for s in first.seats} == {a.id, b.id}


def test_auto_schedule_skips_a_pair_whose_meeting_left_the_slot_grid(app):
    """A pair keeps one active meeting even when the sessions moved away from it."""
    with app.app_context():
        event = setup_event(tables=("T1", "T2"))
        ana, ben, cy = (make_attendee(event, f"{n}@x.org") for n in ("ana", "ben", "cy"))
        booked = bookings.book_confirmed(confirmed(event, ana, ben, score=0.9))
        db.session.commit()
        session = event.sessions[0]
        session.starts_at += timedelta(minutes=7)
        session.ends_at += timedelta(minutes=7)
        db.session.commit()
        assert booked.starts_at not in {slot.start for slot in bookings.event_slots(event)}
        confirmed(event, ana, cy, score=0.5)
        report = bookings.auto_schedule_event(event)
        db.session.commit()
        pairs = [
            (m.low_id, m.high_id)
            for m in db.session.scalars(db.select(Meeting).where(Meeting.status == "confirmed"))
        ]
        assert sorted(pairs) == sorted(
            [tuple(sorted((ana.id, ben.id))), tuple(sorted((ana.id, cy.id)))]
        )
        assert report.meetings == 1 and report.unscheduled == {"already_booked": 1}


def schedulable_event(size: int = 6) -> Event:
    event = setup_event(tables=("T1", "T2"), sessions=((0, 60),))
    people = [make_attendee(event, f"p{n}@org{n}.org") for n in range(size)]
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            row = confirmed(event, a, b, score=0.1 * ((i % 4) + 1))
            row.answer_high = "none"
    db.session.commit()
    return event


def test_auto_schedule_job_runs_before_returning_without_background_jobs(app, monkeypatch):
    sent = []
    monkeypatch.setattr(bookings.mail, "send_in_background", sent.append)
    with app.app_context():
        event = schedulable_event()
        run = bookings.start_auto_schedule(event)
        assert (run.kind, run.status, run.progress, run.message) == (
            "scheduling",
            "done",
            1.0,
            "Done.",
        )
        meetings = bookings.event_meetings(event)
        assert run.figures["meetings"] == len(meetings) > 0
        assert run.figures["attendees_covered"] == 6 and run.finished_at is not None
        assert bookings.latest_run(event.id) == run
        assert bookings.latest_run(event.id, kind="matching") is None
        again = bookings.start_auto_schedule(event)
        assert again.id != run.id and again.figures["meetings"] == 0
        assert again.figures["unscheduled"]["already_booked"] == len(meetings)
        assert len(sent) == 2


def test_auto_schedule_job_in_the_background_reports_progress_until_done(app, monkeypatch):
    sent = []
    monkeypatch.setattr(bookings.mail, "send_in_background", sent.append)
    app.config["BACKGROUND_JOBS"] = True
    # The job waits at its start until the test has seen that a second start returns it.
    gate = threading.Event()
    schedule = bookings.auto_schedule_event

    def auto_schedule_after_the_gate(*args, **kwargs):
        assert gate.wait(30)
        return schedule(*args, **kwargs)

    monkeypatch.setattr(bookings, "auto_schedule_event", auto_schedule_after_the_gate)
    with app.app_context():
        event = schedulable_event(8)
        run = bookings.start_auto_schedule(event)
        assert run.status == "queued"
        run_id, event_id = run.id, event.id
        assert bookings.start_auto_schedule(event).id == run_id  # one job at a time
        gate.set()
        seen = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            run = db.session.get(Job, run_id)
            seen.add(run.status)
            if run.status in ("done", "failed"):
                break
            time.sleep(0.05)
        assert run.status == "done", run.message
        assert run.progress == 1.0 and seen <= {"queued", "running", "done"}
        count = db.session.scalar(
            db.select(db.func.count()).select_from(Meeting).where(Meeting.event_id == event_id)
        )
        assert run.figures["meetings"] == count > 0
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 2 * count
        assert sent == [app]


def test_a_scheduling_job_stuck_for_half_an_hour_counts_as_failed(app, monkeypatch):
    monkeypatch.setattr(bookings.mail, "send_in_background", lambda app: None)
    with app.app_context():
        event = schedulable_event()
        stuck = Job(
            event_id=event.id,
            kind="scheduling",
            status="running",
            progress=0.3,
            created_at=datetime.now(UTC) - timedelta(minutes=31),
        )
        recent = Job(event_id=event.id, kind="matching", status="running")
        db.session.add_all([stuck, recent])
        db.session.commit()
        run = bookings.start_auto_schedule(event)
        assert run.id != stuck.id and run.status == "done"
        db.session.refresh(stuck)
        db.session.refresh(recent)
        assert stuck.status == "failed" and "stopped without finishing" in stuck.message
        assert recent.status == "running"  # a matching run is not this module's to judge


def _event_under_way(app):  # noqa: ANN001, ANN202
    """A session that started 50 minutes ago and runs 70 more, in 15-minute slots: slots 0-3
    are over or under way, slots 4-7 are still to come."""
    began = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=50)
    return make_event(
        make_organizer(),
        starts_at=began - timedelta(hours=1),
        ends_at=began + timedelta(hours=3),
        table_names=["Table 1"],
        meeting_minutes=15,
        buffer_minutes=0,
        sessions=[NetworkingSession(starts_at=began, ends_at=began + timedelta(minutes=120))],
    )


def test_a_yes_during_the_event_books_a_slot_still_to_come(app):
    """Two people who say yes after lunch meet in the afternoon, not in the morning's slots."""
    with app.app_context():
        event = _event_under_way(app)
        ana, ivan = make_attendee(event, "ana@x.org"), make_attendee(event, "ivan@y.org")
        row = confirmed(event, ana, ivan)
        slots = bookings.event_slots(event)
        assert [s.index for s in bookings.free_slots_for(row)] == [4, 5, 6, 7]
        meeting = bookings.book_confirmed(row)
        db.session.commit()
        assert meeting is not None and meeting.starts_at == slots[4].start
        assert meeting.starts_at > datetime.now(UTC)
        # A slot under way cannot be picked either.
        olli, sara = make_attendee(event, "olli@x.org"), make_attendee(event, "sara@y.org")
        assert bookings.book_confirmed(confirmed(event, olli, sara), within={3}) is None


def test_auto_schedule_during_the_event_fills_only_slots_still_to_come(app):
    with app.app_context():
        event = _event_under_way(app)
        event.scheduling_mode, event.auto_schedule_reserve = "speed_networking", 0
        people = [make_attendee(event, f"p{n}@x{n}.org") for n in range(6)]
        for n in range(0, 6, 2):
            confirmed(event, people[n], people[n + 1])
        bookings.auto_schedule_event(event)
        db.session.commit()
        booked = bookings.event_meetings(event)
        assert len(booked) == 3
        assert all(m.starts_at > datetime.now(UTC) for m in booked)
