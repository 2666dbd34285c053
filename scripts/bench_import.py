#!/usr/bin/env python3
"""Benchmark: import 10,000 attendees from a CSV file (target: under 5 seconds).

Times the whole path an organizer triggers: read and validate the file, then write the
attendees in one transaction; then the same file again (every row becomes an update).
For comparison, the naive way: one ORM query and one add per row.

    .venv/bin/python scripts/bench_import.py [--rows 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
from pathlib import Path

from matchmaker import create_app, importing
from matchmaker.attendees import import_records
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, Organizer

SKILLS = [
    "Python",
    "React",
    "fundraising",
    "UX research",
    "hiring",
    "GDPR compliance",
    "data visualisation",
    "machine learning",
    "sales",
    "pricing",
    "Kubernetes",
]


def make_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "First Name",
            "Last Name",
            "Email",
            "Company",
            "Job Title",
            "I am a...",
            "What can you help other attendees with?",
            "What would you like help with?",
            "Topics you care about",
            "How will you attend?",
        ]
    )
    for n in range(rows):
        writer.writerow(
            [
                f"First{n}",
                f"Last{n}",
                f"person{n}@example.org",
                f"Company {n % 700}",
                "Engineer",
                rng.choice(["Employer", "Job seeker", "Expert", "Founder"]),
                ", ".join(rng.sample(SKILLS, 3)),
                ", ".join(rng.sample(SKILLS, 2)),
                "climate tech, open source",
                rng.choice(["In person", "Virtual", "Either"]),
            ]
        )
    return out.getvalue().encode("utf-8")


def make_xlsx(rows: int) -> bytes:
    """The same rows as an Excel workbook, as organizers often download them."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in csv.reader(io.StringIO(make_csv(rows).decode("utf-8"))):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fresh_event(app) -> int:
    with app.app_context():
        db.drop_all()
        db.create_all()
        organizer = Organizer(email="bench@example.org", name="Bench", password_hash="x")
        event = Event(
            organizer=organizer,
            name="Bench",
            slug="bench",
            timezone="UTC",
            starts_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
            ends_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
        )
        db.session.add(event)
        db.session.commit()
        return event.id


def fast_import(
    app, event_id: int, data: bytes, filename: str = "bench.csv"
) -> tuple[float, float, int, int]:
    with app.app_context():
        start = time.perf_counter()
        _, _, report = importing.parse_attendee_file(data, filename)
        parsed = time.perf_counter()
        result = import_records(db.session.get(Event, event_id), report.records)
        db.session.commit()
        done = time.perf_counter()
        return parsed - start, done - parsed, result.created, result.updated


def naive_import(app, event_id: int, data: bytes) -> float:
    """One SELECT and one ORM object per row: what a first version usually does."""
    with app.app_context():
        start = time.perf_counter()
        _, _, report = importing.parse_attendee_file(data, "bench.csv")
        for record in report.records:
            person = db.session.scalar(
                db.select(Attendee).where(
                    Attendee.event_id == event_id, Attendee.email == record.email
                )
            )
            if person is None:
                person = Attendee(event_id=event_id, email=record.email)
                db.session.add(person)
            for name in (
                "name",
                "organization",
                "job_title",
                "role",
                "can_help_with",
                "looking_for",
                "interests",
                "meeting_mode",
            ):
                setattr(person, name, getattr(record, name))
        db.session.commit()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    data = make_csv(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        print(f"{args.rows:,} rows, {len(data) / 1e6:.1f} MB CSV, database {url.split(':')[0]}")
        event_id = fresh_event(app)
        parse_s, write_s, created, _ = fast_import(app, event_id, data)
        print(
            f"first import : parse+validate {parse_s:6.2f} s, write {write_s:6.2f} s, "
            f"total {parse_s + write_s:6.2f} s ({created:,} created)"
        )
        parse_s2, write_s2, _, updated = fast_import(app, event_id, data)
        print(
            f"re-import    : parse+validate {parse_s2:6.2f} s, write {write_s2:6.2f} s, "
            f"total {parse_s2 + write_s2:6.2f} s ({updated:,} updated)"
        )
        event_id = fresh_event(app)
        workbook = make_xlsx(args.rows)
        parse_x, write_x, created_x, _ = fast_import(app, event_id, workbook, "bench.xlsx")
        print(
            f"xlsx import  : parse+validate {parse_x:6.2f} s, write {write_x:6.2f} s, "
            f"total {parse_x + write_x:6.2f} s ({created_x:,} created, "
            f"{len(workbook) / 1e6:.1f} MB workbook)"
        )
        if not args.skip_naive:
            event_id = fresh_event(app)
            naive_s = naive_import(app, event_id, data)
            print(f"naive import : total {naive_s:6.2f} s (one query and one object per row)")
            print(f"speed-up     : {naive_s / (parse_s + write_s):.1f}x")
        for label, seconds in (("csv", parse_s + write_s), ("xlsx", parse_x + write_x)):
            target = "OK" if seconds < 5 else "OVER TARGET"
            print(f"target < 5 s : {label} {target}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
