#!/usr/bin/env python3
"""Benchmark: import an Eventbrite attendee report of 10,000 or 100,000 rows.

Targets: 10,000 rows in under 5 seconds, 100,000 rows (about 29 MB) in at most 60 seconds
with a peak memory under 1 GiB, from the command line and from the web page, on SQLite and
on PostgreSQL (pass ``--database-url``).

The file imitates Eventbrite's attendee report: its 24 columns in their order (order and
ticket columns, then the event's questions), names with accents, quoted lists, a company
with a comma. Measured, each in a process of its own so that its peak memory (maximum
resident set size) is its own:

- ``flask import-attendees``, the command line, end to end;
- the web page: upload, preview (every row checked), then Import, which starts a
  background job and returns; the job is followed until it is done, as the page does;
- in this process, reading and checking apart from writing, a re-import (every row an
  update), the same rows as an Excel workbook, and for comparison the naive way: one ORM
  query and one object per row.

    .venv/bin/python scripts/bench_import.py [--rows 100000] [--database-url URL]
        [--skip-naive] [--skip-xlsx] [--keep FILE]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from matchmaker import create_app, importing
from matchmaker.attendees import import_records
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, Organizer

EVENT_SLUG = "bench"
ORGANIZER = ("bench@example.org", "bench-password-2026")
TARGET_SECONDS_PER_100K = 60
TARGET_SECONDS_10K = 5
TARGET_PEAK_BYTES = 1024**3

HEADER = [
    "Order #", "Order Date", "First Name", "Last Name", "Email", "Quantity", "Price Tier",
    "Ticket Type", "Attendee #", "Group", "Order Type", "Currency", "Total Paid", "Fees Paid",
    "Eventbrite Fees", "Eventbrite Payment Processing", "Attendee Status", "Job Title",
    "Company", "I am a...", "What can you help other attendees with?",
    "What would you like help with?", "Topics you care about", "How will you attend?",
]  # fmt: skip
FIRST = [
    "Uma", "Aino", "Ilkka", "Joonas", "Priya", "Björn", "Chiara", "Mei", "Nnamdi", "Sofía",
    "Léa", "Mikko", "Fatima", "Zoë", "Kwame", "Anna", "Lars", "Elif", "Tomás", "Hiroshi",
]  # fmt: skip
LAST = [
    "Brown", "Okafor", "Rahman", "Haddad", "Wei", "Fernández", "Iyer", "Zhang", "Dubois",
    "Virtanen", "Müller", "Nakamura", "Silva", "Kowalski", "O'Neill", "Nguyen",
]  # fmt: skip
COMPANIES = [
    "Acme Analytics", "Tundra Capital", "Sisu Games", "Kaleva Media", "GreenGrid Energy",
    "Polar Logistics", "City of Espoo", "Freelance", "Northwind, Inc.", "Aurora Health",
]  # fmt: skip
TITLES = [
    "Head of Talent", "Looking for work", "Principal Consultant", "Partner", "Founder & CEO",
    "Software Engineer", "Data Scientist", "Product Manager",
]  # fmt: skip
ROLES = ["Employer", "Job seeker", "Expert", "Investor", "Founder", "Mentor", "Student"]
OFFERS = [
    "employer branding", "product management", "Python", "data analysis", "customer support",
    "Kubernetes", "pricing strategy", "GDPR compliance", "user research", "growth marketing",
    "introductions to VCs", "due diligence", "React", "SQL", "Excel", "cybersecurity",
    "fundraising", "mentoring juniors", "cloud architecture", "hiring process insight",
]  # fmt: skip
NEEDS = [
    "UX designers", "portfolio feedback", "salary negotiation", "CV review",
    "machine learning engineers", "junior developers", "React developers",
    "peers in climate tech", "beta testers", "speaking opportunities", "board roles",
    "sales talent", "data engineers", "consulting clients", "LinkedIn profile tips",
]  # fmt: skip
TOPICS = [
    "open source", "sustainability", "climate tech", "photography", "startups", "health tech",
    "design systems", "urban mobility", "remote work", "education", "fintech", "gaming",
    "public sector digitalisation", "AI ethics",
]  # fmt: skip
MODES = ["Virtual", "Either", "In person"]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def make_csv(rows: int, seed: int = 7) -> bytes:
    """An Eventbrite attendee report of ``rows`` attendees (about 290 bytes a row)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = f"{first}.{last}{n}".lower().replace("'", "")
        # Most people type their address without accents; a few do not.
        email = f"{local if rng.random() < 0.02 else _ascii(local)}@example.org"
        ordered = f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/2026"
        writer.writerow(
            [
                1200345000 + n, f"{ordered} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                first, last, email, 1, "", "General Admission", 9876500 + n, "",
                "Eventbrite Completed", "EUR", "25.00", "1.99", "1.99", "0.95", "Attending",
                rng.choice(TITLES), rng.choice(COMPANIES), rng.choice(ROLES),
                ", ".join(rng.sample(OFFERS, rng.randint(1, 3))),
                ", ".join(rng.sample(NEEDS, rng.randint(1, 2))),
                ", ".join(rng.sample(TOPICS, rng.randint(1, 3))), rng.choice(MODES),
            ]
        )  # fmt: skip
    return out.getvalue().encode("utf-8")


def make_xlsx(data: bytes) -> bytes:
    """The same rows as an Excel workbook, as organizers often download them."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fresh_event(app) -> int:  # noqa: ANN001
    with app.app_context():
        db.drop_all()
        db.create_all()
        organizer = Organizer(email=ORGANIZER[0], name="Bench")
        organizer.set_password(ORGANIZER[1])
        now = datetime.now(UTC)
        event = Event(
            organizer=organizer,
            name="Bench",
            slug=EVENT_SLUG,
            timezone="UTC",
            starts_at=now,
            ends_at=now,
        )
        db.session.add(event)
        db.session.commit()
        return event.id


def attendee_count(app) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Attendee)) or 0


# -- measured in a process of its own ----------------------------------------------------------


@dataclass
class ChildRun:
    seconds: float  # wall clock
    cpu_seconds: float  # user and system time of the process (not the database server's)
    peak_bytes: int  # maximum resident set size
    output: str

    def __str__(self) -> str:
        return f"{self.seconds:6.2f} s (cpu {self.cpu_seconds:.1f} s), peak {mib(self.peak_bytes)}"


def run_child(args: list[str], env: dict[str, str]) -> ChildRun:
    """Run a command to its end and measure it."""
    start = time.perf_counter()
    child = subprocess.Popen(
        args,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])}... failed:\n{output}")
    cpu = usage.ru_utime + usage.ru_stime
    return ChildRun(seconds, cpu, usage.ru_maxrss * 1024, output)


def cli_import(url: str, path: Path) -> ChildRun:
    """`flask import-attendees` end to end."""
    command = [sys.executable, "-m", "flask", "--app", "matchmaker", "import-attendees"]
    return run_child([*command, EVENT_SLUG, str(path)], {"DATABASE_URL": url})


def web_import(url: str, path: Path) -> tuple[ChildRun, dict[str, float]]:
    """Upload, preview and import through the web app, then follow the job to its end."""
    command = [sys.executable, __file__, "--child-web", str(path), "--database-url", url]
    run = run_child(command, {})
    line = next(line for line in run.output.splitlines() if line.startswith("steps:"))
    steps = dict(pair.split("=") for pair in line.split()[1:])
    return run, {key: float(value) for key, value in steps.items()}


def child_web(path: Path, url: str) -> None:
    """The web part, in the child: prints step=seconds pairs."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "BACKGROUND_JOBS": True,
        }
    )
    client = app.test_client()
    client.post("/auth/login", data={"email": ORGANIZER[0], "password": ORGANIZER[1]})
    with app.app_context():
        event_id = db.session.scalar(db.select(Event.id).where(Event.slug == EVENT_SLUG))
    start = time.perf_counter()
    with path.open("rb") as file:
        response = client.post(
            f"/organizer/events/{event_id}/import",
            data={"file": (file, path.name)},
            content_type="multipart/form-data",
        )
    uploaded = time.perf_counter()
    preview = response.headers["Location"]
    page = client.get(preview).get_data(as_text=True)
    previewed = time.perf_counter()
    mapping = importing.detect_mapping(HEADER)
    form = {f"map-{key}": str(index) for key, index in mapping.items()} | {"action": "import"}
    response = client.post(preview, data=form)
    returned = time.perf_counter()
    location = response.headers.get("Location", "")
    assert location.endswith(("/import/progress", "/attendees")), page[:2000]
    # A small file is imported in the request itself; a big one by a background job.
    while location.endswith("/import/progress"):
        status = client.get(f"/organizer/events/{event_id}/import/status").get_json()
        if status["status"] not in ("queued", "running"):
            assert status["status"] == "done", status
            break
        time.sleep(0.2)
    done = time.perf_counter()
    print(
        f"steps: upload={uploaded - start:.3f} preview={previewed - uploaded:.3f} "
        f"request={returned - previewed:.3f} job={done - returned:.3f}"
    )


# -- measured in this process ------------------------------------------------------------------


def fast_import(
    app,
    event_id: int,
    data: bytes,
    filename: str = "bench.csv",  # noqa: ANN001
) -> tuple[float, float, int, int]:
    with app.app_context():
        start = time.perf_counter()
        _, _, report = importing.parse_attendee_file(data, filename)
        parsed = time.perf_counter()
        result = import_records(db.session.get(Event, event_id), report.records)
        db.session.commit()
        done = time.perf_counter()
        return parsed - start, done - parsed, result.created, result.updated


def naive_import(app, event_id: int, data: bytes) -> float:  # noqa: ANN001
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


def mib(size: int) -> str:
    return f"{size / 1024**2:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-xlsx", action="store_true")
    parser.add_argument("--keep", type=Path, help="also write the generated CSV here")
    parser.add_argument("--child-web", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_web:
        child_web(args.child_web, args.database_url)
        return
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    data = make_csv(args.rows)
    if args.keep:
        args.keep.write_bytes(data)
    budget = max(TARGET_SECONDS_10K, TARGET_SECONDS_PER_100K * args.rows / 100_000)
    verdicts: list[str] = []

    def judge(label: str, seconds: float, peak: int | None = None) -> None:
        ok = seconds <= budget and (peak is None or peak < TARGET_PEAK_BYTES)
        limits = f"≤ {budget:.0f} s" + (", < 1 GiB" if peak is not None else "")
        verdicts.append(f"target       : {label} {'OK' if ok else 'OVER TARGET'} ({limits})")

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        path = Path(folder) / "eventbrite_attendee_report.csv"
        path.write_bytes(data)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        print(
            f"{args.rows:,} rows, {len(data) / 1e6:.1f} MB Eventbrite CSV, "
            f"database {url.split(':')[0]}"
        )

        fresh_event(app)
        run = cli_import(url, path)
        assert attendee_count(app) == args.rows
        print(f"command line : total {run} (flask import-attendees, from process start)")
        judge("command line", run.seconds, run.peak_bytes)

        fresh_event(app)
        run, steps = web_import(url, path)
        assert attendee_count(app) == args.rows
        importing_s = steps["request"] + steps["job"]
        print(
            f"web page     : total {run}: upload {steps['upload']:.2f} s, preview (every row "
            f"checked) {steps['preview']:.2f} s, Import returned after {steps['request']:.2f} "
            f"s, background job done {steps['job']:.2f} s later"
        )
        judge("web import (Import to done)", importing_s, run.peak_bytes)
        judge("web, upload to done", sum(steps.values()))

        event_id = fresh_event(app)
        parse_s, write_s, created, _ = fast_import(app, event_id, data)
        print(
            f"first import : parse+validate {parse_s:6.2f} s, write {write_s:6.2f} s, "
            f"total {parse_s + write_s:6.2f} s ({created:,} created)"
        )
        judge("in process", parse_s + write_s)
        parse_s2, write_s2, _, updated = fast_import(app, event_id, data)
        print(
            f"re-import    : parse+validate {parse_s2:6.2f} s, write {write_s2:6.2f} s, "
            f"total {parse_s2 + write_s2:6.2f} s ({updated:,} updated)"
        )
        if not args.skip_xlsx:
            event_id = fresh_event(app)
            workbook = make_xlsx(data)
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
        for verdict in verdicts:
            print(verdict)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
