#!/usr/bin/env python3
"""Benchmark: the organizer's outcome page of a 10,000-attendee event (target < 2 s).

Builds an event that took place a week ago: 10,000 attendees in the seven roles, about five
suggested pairs each with their answers, about 14,000 meetings over eight networking
sessions (some cancelled), and answers after most of them (met, no-show, could not make it,
usefulness 1-5). Then times, each a few times over with a fresh session:

- the figures (:func:`matchmaker.outcomes.event_outcome`) and the SVG pictures drawn from
  them, with the number of SQL statements;
- the whole page and the CSV through the Flask test client, signed in as the organizer;
- the people-by-people picture at its limit (``PEOPLE_LIMIT`` attendees), layout included;
- for comparison, the naive way: the funnel and who nobody met counted attendee by
  attendee, a few queries each (on the first 1,000 attendees and scaled up, since all of
  them take minutes; ``--naive-sample 0`` counts everyone and checks the figures agree).

    .venv/bin/python scripts/bench_outcomes.py [--attendees 10000] [--meetings 14000]
        [--database-url URL] [--repeat 3] [--naive-sample 1000 | --skip-naive]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, or_, select, text

from matchmaker import charts, create_app, outcomes
from matchmaker.choices import ROLES, Answer, MeetingOutcome, MeetingStatus
from matchmaker.extensions import db
from matchmaker.models import (
    Attendee,
    Event,
    Meeting,
    MeetingFeedback,
    NetworkingSession,
    Organizer,
    Suggestion,
)

TARGET_SECONDS = 2.0
ORGANIZER = ("bench@example.org", "bench-password-2026")
ROLE_SHARES = {
    "job_seeker": 0.18,
    "employer": 0.10,
    "expert": 0.20,
    "founder": 0.17,
    "student": 0.15,
    "investor": 0.05,
    "other": 0.15,
}
SESSIONS = 8
SLOTS_PER_SESSION = 6  # 20-minute slots in a two-hour session


def build_event(attendees: int, meetings: int, seed: int = 2026) -> int:
    """The event, in bulk inserts; returns its id."""
    rng = np.random.default_rng(seed)
    start = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    start -= timedelta(days=7)
    organizer = Organizer(email=ORGANIZER[0], name="Bench")
    organizer.set_password(ORGANIZER[1])
    event = Event(
        organizer=organizer,
        name="Bench",
        slug="bench",
        timezone="Europe/Helsinki",
        starts_at=start,
        ends_at=start + timedelta(hours=11),
        sessions=[
            NetworkingSession(
                name=f"Session {n + 1}",
                starts_at=start + timedelta(hours=1 + n, minutes=15 * n),
                ends_at=start + timedelta(hours=3 + n, minutes=15 * n),
            )
            for n in range(SESSIONS)
        ],
    )
    db.session.add(event)
    db.session.flush()
    session_starts = [s.starts_at for s in event.sessions]

    roles = rng.choice(list(ROLE_SHARES), size=attendees, p=list(ROLE_SHARES.values()))
    complete = rng.random(attendees) < 0.85
    db.session.execute(
        insert(Attendee),
        [
            {
                "event_id": event.id,
                "name": f"Person {n}",
                "email": f"p{n}@example.org",
                "role": str(roles[n]),
                "can_help_with": ["data pipelines"] if complete[n] else [],
                "looking_for": ["funding"] if complete[n] else [],
                "access_token": f"token-{n}",
            }
            for n in range(attendees)
        ],
    )
    ids = np.array(
        db.session.scalars(
            select(Attendee.id).where(Attendee.event_id == event.id).order_by(Attendee.id)
        ).all()
    )

    # About five suggested pairs per attendee, each pair once (low id first).
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < attendees * 5:
        a, b = rng.integers(0, attendees, size=2)
        if a != b:
            pairs.add((int(min(ids[a], ids[b])), int(max(ids[a], ids[b]))))
    ordered = sorted(pairs)
    rng.shuffle(ordered)
    answers = rng.choice(
        [Answer.INTERESTED.value, Answer.NONE.value, Answer.DECLINED.value],
        size=(len(ordered), 2),
        p=[0.55, 0.35, 0.10],
    )
    # The first pairs become meetings: mutual yeses, then assigned ones.
    for n in range(min(meetings, len(ordered))):
        if rng.random() < 0.7:
            answers[n] = Answer.INTERESTED.value
    db.session.execute(
        insert(Suggestion),
        [
            {
                "event_id": event.id,
                "low_id": low,
                "high_id": high,
                "score": 0.5,
                "reasons": {},
                "rank_low": 1,
                "rank_high": 1,
                "answer_low": str(answers[n][0]),
                "answer_high": str(answers[n][1]),
            }
            for n, (low, high) in enumerate(ordered)
        ],
    )

    slots = rng.integers(0, SESSIONS * SLOTS_PER_SESSION, size=meetings)
    cancelled = rng.random(meetings) < 0.04
    rows = []
    for n in range(meetings):
        session, slot = divmod(int(slots[n]), SLOTS_PER_SESSION)
        at = session_starts[session] + timedelta(minutes=20 * slot)
        low, high = ordered[n]
        rows.append(
            {
                "event_id": event.id,
                "low_id": low,
                "high_id": high,
                "starts_at": at,
                "ends_at": at + timedelta(minutes=15),
                "mode": "in_person",
                "status": (MeetingStatus.CANCELLED if cancelled[n] else MeetingStatus.CONFIRMED),
                "uid": f"bench-{n}@example.org",
                "score": 0.5,
                "sequence": 0,
            }
        )
    db.session.execute(insert(Meeting), rows)
    meeting_rows = db.session.execute(
        select(Meeting.id, Meeting.low_id, Meeting.high_id).where(
            Meeting.event_id == event.id, Meeting.status == MeetingStatus.CONFIRMED
        )
    ).all()

    feedback = []
    for meeting_id, low, high in meeting_rows:
        if rng.random() > 0.8:
            continue  # nobody answered about this one
        for person in (low, high):
            if rng.random() > 0.85:
                continue
            outcome = rng.choice(
                [MeetingOutcome.MET.value, MeetingOutcome.NO_SHOW.value, "missed"],
                p=[0.88, 0.08, 0.04],
            )
            met = outcome == MeetingOutcome.MET
            feedback.append(
                {
                    "event_id": event.id,
                    "meeting_id": meeting_id,
                    "attendee_id": person,
                    "outcome": str(outcome),
                    "usefulness": int(rng.choice(5, p=[0.05, 0.1, 0.2, 0.35, 0.3]) + 1)
                    if met
                    else None,
                    "note": "",
                }
            )
    db.session.execute(insert(MeetingFeedback), feedback)
    db.session.commit()
    return event.id


def counted(run: Callable[[], object]) -> tuple[float, int, object]:
    """Seconds, SQL statements and the result of ``run()``."""
    statements = 0

    def note(*_args: object) -> None:
        nonlocal statements
        statements += 1

    sa_event.listen(db.engine, "before_cursor_execute", note)
    try:
        begin = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - begin
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", note)
    return seconds, statements, result


def naive_figures(event_id: int, sample: int = 0) -> tuple[tuple[int, ...], int, int]:
    """The funnel and who nobody met, attendee by attendee: what a first version does.
    With ``sample``, only that many attendees (the timing is then scaled up). Returns the
    counts, the people nobody met and how many attendees were counted."""
    counts = [0] * len(outcomes.STEPS)
    unmet = 0
    everyone = select(Attendee).where(Attendee.event_id == event_id).order_by(Attendee.id)
    people = db.session.scalars(everyone.limit(sample) if sample else everyone).all()
    for person in people:
        mine = or_(Suggestion.low_id == person.id, Suggestion.high_id == person.id)
        in_event = Suggestion.event_id == event_id
        suggested = db.session.scalar(select(func.count()).where(in_event, mine))
        interested = db.session.scalar(
            select(func.count()).where(
                in_event,
                or_(
                    (Suggestion.low_id == person.id) & (Suggestion.answer_low == "interested"),
                    (Suggestion.high_id == person.id) & (Suggestion.answer_high == "interested"),
                ),
            )
        )
        mutual = db.session.scalar(
            select(func.count()).where(in_event, mine, Suggestion.both_said(Answer.INTERESTED))
        )
        meetings = db.session.scalars(
            select(Meeting).where(
                or_(Meeting.low_id == person.id, Meeting.high_id == person.id),
                Meeting.status == MeetingStatus.CONFIRMED,
            )
        ).all()
        met = useful = False
        for meeting in meetings:
            answers = db.session.scalars(
                select(MeetingFeedback).where(MeetingFeedback.meeting_id == meeting.id)
            ).all()
            if answers and all(a.outcome == MeetingOutcome.MET for a in answers):
                met = True
                useful = useful or any(
                    a.attendee_id == person.id and (a.usefulness or 0) >= outcomes.USEFUL
                    for a in answers
                )
        steps = (
            True,
            person.has_profile,
            bool(suggested),
            bool(interested),
            bool(mutual or meetings),
            met,
            useful,
        )
        counts = [c + int(s) for c, s in zip(counts, steps, strict=True)]
        unmet += not met
    return tuple(counts), unmet, len(people)


def people_picture(size: int, seed: int = 7) -> tuple[float, int]:
    """Seconds to draw ``size`` people and 1.4 meetings each one by one, and the SVG's size."""
    rng = np.random.default_rng(seed)
    people = [charts.Person(n, f"Person {n}", list(ROLES)[n % len(ROLES)]) for n in range(size)]
    pairs = {tuple(sorted(rng.choice(size, 2, replace=False).tolist())) for _ in range(size)}
    pairs |= {tuple(sorted(rng.choice(size, 2, replace=False).tolist())) for _ in range(size)}
    pairs = set(list(pairs)[: int(size * 1.4)])
    begin = time.perf_counter()
    svg = charts.people_network(people, sorted(pairs), title="t", chart_id="n", description="d")
    return time.perf_counter() - begin, len(svg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=10_000)
    parser.add_argument("--meetings", type=int, default=14_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=1000,
        help="attendees the naive way counts, its time scaled up to all (0: everyone)",
    )
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    if args.attendees < 10 or args.meetings > args.attendees * 5 or args.repeat < 1:
        parser.error("use at least 10 attendees, at most 5 meetings each, one repeat")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "BACKGROUND_JOBS": False,
                "REDIS_URL": "",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            db.drop_all()
            db.create_all()
            begin = time.perf_counter()
            event_id = build_event(args.attendees, args.meetings)
            if db.engine.dialect.name == "postgresql":
                # What autovacuum does within a minute of a bulk load: without statistics
                # the planner guesses, and the first page views would measure its guesses.
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            built = time.perf_counter() - begin
            total = {
                model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Attendee, Suggestion, Meeting, MeetingFeedback)
            }
        print(
            f"{total['Attendee']:,} attendees, {total['Suggestion']:,} suggested pairs, "
            f"{total['Meeting']:,} meetings, {total['MeetingFeedback']:,} answers; "
            f"database {url.split(':')[0]}; built in {built:.1f} s"
        )

        figures, drawing, both = [], [], []
        for _ in range(args.repeat):
            with app.app_context():
                event = db.session.get(Event, event_id)
                seconds, statements, result = counted(lambda e=event: outcomes.event_outcome(e))
                drawn_s, _, pictures = counted(lambda r=result: outcomes.pictures(r))
                figures.append(seconds)
                drawing.append(drawn_s)
                both.append(seconds + drawn_s)
                db.session.remove()
        overall = result.overall
        print(
            f"figures      : median {statistics.median(figures):.3f} s in {statements} SQL "
            f"statements (funnel {' > '.join(f'{n:,}' for n in overall.counts)}; "
            f"{result.network.meetings:,} meetings that happened, nobody met "
            f"{result.network.unmet_total:,}; drawn by role: {result.network.aggregated})"
        )
        svg_bytes = sum(
            len(svg)
            for svg in (pictures.funnel, pictures.network, pictures.by_session)
            if svg is not None
        ) + sum(len(svg) for _, svg in pictures.role_funnels)
        print(
            f"pictures     : median {statistics.median(drawing) * 1000:.0f} ms "
            f"({3 + len(pictures.role_funnels)} SVGs, {svg_bytes / 1024:.0f} KiB)"
        )

        client = app.test_client()
        client.post("/auth/login", data={"email": ORGANIZER[0], "password": ORGANIZER[1]})
        page_times, csv_times = [], []
        for _ in range(args.repeat):
            with app.app_context():
                seconds, page_statements, response = counted(
                    lambda: client.get(f"/organizer/events/{event_id}/outcome")
                )
                assert response.status_code == 200, response.status_code
                page_times.append(seconds)
                page_size = len(response.data)
                seconds, _, response = counted(
                    lambda: client.get(f"/organizer/events/{event_id}/outcome.csv")
                )
                assert response.status_code == 200, response.status_code
                csv_times.append(seconds)
        print(
            f"whole page   : median {statistics.median(page_times):.3f} s, "
            f"{page_statements} SQL statements, {page_size / 1024:.0f} KiB of HTML; "
            f"CSV median {statistics.median(csv_times):.3f} s"
        )
        limit = outcomes.PEOPLE_LIMIT
        layout_s, layout_bytes = people_picture(limit)
        print(
            f"one by one   : {limit} people and their meetings drawn in "
            f"{layout_s * 1000:.0f} ms ({layout_bytes / 1024:.0f} KiB), the most the page "
            "draws person by person"
        )
        if not args.skip_naive:
            with app.app_context():
                seconds, naive_statements, (counts, unmet, people) = counted(
                    lambda: naive_figures(event_id, args.naive_sample)
                )
            scale = total["Attendee"] / people
            if people == total["Attendee"]:
                assert counts == overall.counts, (counts, overall.counts)
                assert unmet == result.network.unmet_total, (unmet, result.network.unmet_total)
                how = "same figures"
            else:
                how = f"timed on {people:,} attendees and scaled up"
            print(
                f"naive way    : {seconds * scale:.1f} s in {naive_statements * scale:,.0f} SQL "
                f"statements for the funnel and who nobody met alone, attendee by attendee "
                f"({how}; {seconds * scale / statistics.median(figures):,.0f}x the figures' time)"
            )
        worst = max(max(both), max(page_times))
        verdict = "OK" if worst < TARGET_SECONDS else "OVER TARGET"
        print(f"target       : {verdict} (< {TARGET_SECONDS:.0f} s; slowest run {worst:.2f} s)")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
