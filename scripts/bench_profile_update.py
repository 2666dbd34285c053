#!/usr/bin/env python3
"""Benchmark: one attendee edits their profile in a 10,000-attendee event (target < 300 ms).

Measures what the profile page does after saving: refresh that attendee's suggestions and
their place in others' lists, incrementally, and write the changed lists to the database.
The naive way, recomputing and rewriting the whole event, is timed for comparison. Attendees
and the phrases they change to come from the realistic vocabulary of ``bench_matching.py``
(``--vocabulary synthetic`` for the package's few hundred tags).

    .venv/bin/python scripts/bench_profile_update.py [--attendees 10000] [--edits 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _bench_profiles import attendee_rows
from sqlalchemy import insert

from matchmaker import create_app
from matchmaker import suggestions as service
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, Job, NetworkingSession, Organizer


def build_event(size: int, vocabulary: str) -> int:
    start = datetime(2026, 12, 10, 8, tzinfo=UTC)
    event = Event(
        organizer=Organizer(email="bench@example.org", name="Bench", password_hash="x"),
        name="Bench",
        slug="bench",
        timezone="Europe/Helsinki",
        starts_at=start,
        ends_at=start + timedelta(hours=10),
        sessions=[
            NetworkingSession(
                name=f"S{n}",
                starts_at=start + timedelta(hours=n),
                ends_at=start + timedelta(hours=n, minutes=45),
            )
            for n in range(8)
        ],
    )
    db.session.add(event)
    db.session.flush()
    session_ids = [s.id for s in event.sessions]
    rows = []
    for profile in attendee_rows(vocabulary, size, seed=7):
        rows.append(
            {
                "event_id": event.id,
                "name": f"Person {profile.id}",
                "email": f"p{profile.id}@example.org",
                "organization": profile.organization,
                "role": profile.role,
                "can_help_with": list(profile.can_help_with),
                "looking_for": list(profile.looking_for),
                "interests": list(profile.interests),
                "meeting_mode": profile.meeting_mode,
                "available_session_ids": None
                if profile.sessions is None
                else [session_ids[i] for i in sorted(profile.sessions)],
                "access_token": f"token-{profile.id}",
            }
        )
    db.session.execute(insert(Attendee), rows)
    db.session.commit()
    return event.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--vocabulary", choices=["realistic", "synthetic"], default="realistic")
    args = parser.parse_args()
    if args.attendees < 10 or args.edits < 1:
        parser.error("use at least 10 attendees and 1 edit")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "BACKGROUND_JOBS": False})
        with app.app_context():
            db.drop_all()
            db.create_all()
            event_id = build_event(args.attendees, args.vocabulary)
            event = db.session.get(Event, event_id)
            started = time.perf_counter()
            _, result = service.compute_matches(event)
            computed = time.perf_counter()
            service.store_lists(event.id, result.suggestions)
            db.session.add(Job(event_id=event.id, kind="matching", status="done", progress=1.0))
            db.session.commit()
            stored = time.perf_counter()
            print(
                f"{args.attendees:,} attendees ({args.vocabulary} vocabulary), "
                f"database {url.split(':')[0]}"
            )
            print(
                f"full run      : match {computed - started:6.2f} s, "
                f"store {stored - computed:6.2f} s, total {stored - started:6.2f} s"
            )
            ids = db.session.scalars(db.select(Attendee.id).order_by(Attendee.id)).all()
            step = max(1, len(ids) // args.edits)
            fresh = attendee_rows(args.vocabulary, args.edits, seed=8)
            timings, changed_counts = [], []
            for n, attendee_id in enumerate(ids[::step][: args.edits]):
                person = db.session.get(Attendee, attendee_id)
                person.looking_for = list(fresh[n].looking_for)
                db.session.commit()
                begin = time.perf_counter()
                changed = service.refresh_after_change(event)
                db.session.commit()
                timings.append(time.perf_counter() - begin)
                changed_counts.append(len(changed))
            median = statistics.median(timings)
            print(
                f"profile edit  : median {median * 1000:6.0f} ms, "
                f"max {max(timings) * 1000:6.0f} ms over {len(timings)} edits "
                f"(lists changed per edit: median {statistics.median(changed_counts):.0f})"
            )
            print(
                f"naive way     : recompute and rewrite the event, {stored - started:6.2f} s "
                f"per edit ({(stored - started) / median:,.0f}x slower)"
            )
            print(f"target 300 ms : {'OK' if median < 0.3 else 'OVER TARGET'}")
            db.engine.dispose()


if __name__ == "__main__":
    main()
