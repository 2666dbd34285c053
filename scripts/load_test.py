#!/usr/bin/env python3
"""Load figures for a 10,000-attendee event: gunicorn with 2 workers on PostgreSQL.

Run by hand, never in CI; everything stays on 127.0.0.1 and every phase is bounded in time
or requests. The script

1. starts a throwaway PostgreSQL cluster (as ``scripts/test`` does: initdb and pg_ctl from
   /usr/lib/postgresql/*/bin, as the ``postgres`` user when run as root), or uses
   ``--database-url``;
2. builds the event unless that database already holds it: 10,000 attendees from the
   realistic vocabulary of the matching benchmarks, their suggestions (the real matching
   job) and about 14,000 meetings (the real auto-schedule, speed networking, 16 slots,
   400 tables, with two meetings per person kept free for yeses still to come);
3. starts ``gunicorn --workers 2 'matchmaker:create_app()'`` on a free loopback port, in
   production mode, behind a pretend proxy (``FORWARDED_PROXIES=1``) so that each attendee
   has their own address for the rate limits, as phones on the internet do;
4. measures, with an asyncio client (aiohttp, the ``bench`` extra):

   a. attendees' "People to meet" and "My schedule" pages together from 32 connections
      for ``--seconds``: requests/s, p50/p95/p99, errors (targets: >= 400/s, p99 < 100 ms,
      no errors);
   b. the organizer's schedule grid: every page at every table window, each slot's list
      of online meetings and two searches, three times over, from 2 connections (two
      organizers at once): p99 and the largest page (targets: p99 < 1 s, <= 500 KB);
   c. 500 pairs who had not answered say "I'd like to meet" at the same moment, both
      people of each pair at once, from 32 connections; afterwards the database must hold
      exactly one meeting per mutual yes, no person or table twice in a slot, no one above
      the event's meeting limit, and no request may have failed;
   d. the attendee pages of (a) again while the event's matching job runs in a
      ``flask worker`` process on a throwaway Redis (target: p99 < 150 ms), with how long
      the job took and whether it ran for the whole phase;
   f. the stack's floor: the same gunicorn, database and client serving the smallest pages
      at the attendee pages' addresses, one indexed query and a two-line template, then a
      plain "hello" without the database: the most any attendee page can reach on the
      machine.

``--compare-ref REF`` then serves the package as it was at git revision REF (extracted with
``git archive`` into a temporary folder) on the same database and runs the same phases
against it, e.g. the unpaged grid of an older revision; (c) then books 500 other pairs.
``--phases`` picks phases (``--phases b`` for the grid alone; ``d`` needs ``redis-server``).
Nothing else should run on the machine meanwhile: the figures are the machine's as much as
the code's.

    .venv/bin/python scripts/load_test.py [--database-url URL] [--seconds 30]
        [--phases abcdf] [--compare-ref REF]
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

EVENT_SLUG = "load-test"
ORGANIZER_EMAIL = "load@example.org"
ORGANIZER_PASSWORD = "load-test-password"
DATABASE_NAME = "matchmaker_load"


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- PostgreSQL ------------------------------------------------------------------------------


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL cluster on loopback in a temporary folder, removed afterwards."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p)],
    )
    if not found:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql), or pass --database-url")
    bindir = Path(found[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="matchmaker-load-pg."))
    folder.chmod(0o755)
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(folder, "postgres")

    def run(*command: str) -> None:
        if as_root:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    port = free_port()
    data = folder / "data"
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=100 "
        "-c shared_buffers=256MB"
    )
    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "log"),
            "-w",
            "-o",
            options,
            "start",
        )
        run(
            str(bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            DATABASE_NAME,
        )
        log(f"==> a throwaway PostgreSQL {bindir.parent.name} on 127.0.0.1:{port}")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE_NAME}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                (["runuser", "-u", "postgres", "--"] if as_root else [])
                + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                stdout=subprocess.DEVNULL,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)


# -- the event -------------------------------------------------------------------------------


def person_names(count: int, seed: int) -> list[str]:
    """Distinct names that read like people's: first, an initial, last."""
    from matchmaker.demo import FIRST_NAMES, LAST_NAMES

    rng = random.Random(seed)
    combos = [
        f"{first} {initial}. {last}"
        for first in FIRST_NAMES
        for last in LAST_NAMES
        for initial in "ABCDEFGHIJKLMNOPRSTUVWY"
    ]
    if count > len(combos):
        combos += [f"Guest {n}" for n in range(count - len(combos))]
    return rng.sample(combos, count)


def build_event(app, attendees: int, tables: int) -> None:  # noqa: ANN001
    """The organizer, the event, its attendees, suggestions and meetings."""
    from _bench_profiles import attendee_rows
    from sqlalchemy import func, insert, select

    from matchmaker import bookings, jobs, suggestions
    from matchmaker.events import numbered_tables
    from matchmaker.extensions import db
    from matchmaker.models import Attendee, Event, Meeting, NetworkingSession, Organizer

    with app.app_context():
        organizer = Organizer(email=ORGANIZER_EMAIL, name="Load Test")
        organizer.set_password(ORGANIZER_PASSWORD)
        start = datetime(2026, 12, 10, 7, tzinfo=UTC)
        event = Event(
            organizer=organizer,
            name="Load Test Summit",
            slug=EVENT_SLUG,
            timezone="Europe/Helsinki",
            venue="Expo hall",
            starts_at=start,
            ends_at=start + timedelta(hours=10),
            meeting_minutes=15,
            buffer_minutes=5,
            table_names=numbered_tables(tables),
            virtual_link_template="https://meet.example.org/{event}-{room}",
            max_meetings_per_attendee=6,
            scheduling_mode="speed_networking",
            auto_schedule_reserve=2,
            sessions=[
                NetworkingSession(
                    name=f"Round {n + 1}",
                    starts_at=start + timedelta(hours=1 + n),
                    ends_at=start + timedelta(hours=1 + n, minutes=45),
                )
                for n in range(8)
            ],
        )
        db.session.add(event)
        db.session.flush()
        names = person_names(attendees, seed=11)
        rows = [
            {
                "event_id": event.id,
                "name": names[n],
                "email": f"person{profile.id}@example.org",
                "organization": profile.organization,
                "role": profile.role,
                "can_help_with": list(profile.can_help_with),
                "looking_for": list(profile.looking_for),
                "interests": list(profile.interests),
                "meeting_mode": profile.meeting_mode,
                "consent_share_contact": n % 3 != 0,
            }
            for n, profile in enumerate(attendee_rows("realistic", attendees, seed=7))
        ]
        db.session.execute(insert(Attendee), rows)
        db.session.commit()
        event_id = event.id
        log(f"    {attendees:,} attendees")
        began = time.perf_counter()
        jobs.run_now(event_id, suggestions.MATCHING)
        log(f"    suggestions in {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        event = db.session.get(Event, event_id)
        report = bookings.auto_schedule_event(event)
        db.session.commit()
        count = db.session.scalar(
            select(func.count()).select_from(Meeting).where(Meeting.event_id == event_id)
        )
        seconds = time.perf_counter() - began
        log(
            f"    {report.meetings:,} meetings auto-scheduled in {seconds:.1f} s ({count:,} stored)"
        )


@dataclass
class EventFacts:
    event_id: int
    tokens: list[str]
    attendees: int
    meetings: int
    suggestions: int
    slots: int


def event_facts(app) -> EventFacts | None:  # noqa: ANN001
    from sqlalchemy import func, select

    from matchmaker import bookings
    from matchmaker.extensions import db
    from matchmaker.models import Attendee, Event, Meeting, Suggestion

    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == EVENT_SLUG))
        if event is None:
            return None

        def count(model) -> int:  # noqa: ANN001
            return db.session.scalar(
                select(func.count()).select_from(model).where(model.event_id == event.id)
            )

        tokens = db.session.scalars(
            select(Attendee.access_token).where(Attendee.event_id == event.id)
        ).all()
        slots = len(bookings.event_slots(event))
        return EventFacts(
            event.id, list(tokens), len(tokens), count(Meeting), count(Suggestion), slots
        )


def stop(process: subprocess.Popen, *, seconds: float) -> None:
    """Ask a server to stop (SIGTERM), and kill it if it has not within ``seconds``."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- gunicorn --------------------------------------------------------------------------------


@contextmanager
def gunicorn(
    database_url: str,
    folder: Path,
    *,
    code: Path | None = None,
    app: str = "matchmaker:create_app()",
) -> Iterator[str]:
    """``gunicorn --workers 2`` on a free loopback port; ``code`` serves another checkout
    (or, with ``app``, another WSGI app found in that folder)."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        MATCHMAKER_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        FORWARDED_PROXIES="1",
        MAIL_SERVER="",
        LOG_LEVEL="INFO",
    )
    if code is not None:
        env["PYTHONPATH"] = str(code)
    logfile = (folder / f"gunicorn-{port}.log").open("wb")
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--chdir",
        str(code or ROOT),
        app,
    ]
    # Started from the code's folder: gunicorn puts its working directory first on the path.
    server = subprocess.Popen(
        command, env=env, cwd=code or ROOT, stdout=logfile, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                sys.exit(f"gunicorn stopped; see {logfile.name}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not start within a minute")
        yield base
    finally:
        stop(server, seconds=30)
        logfile.close()


@contextmanager
def throwaway_redis(folder: Path) -> Iterator[str]:
    """A redis-server on loopback that saves nothing, stopped afterwards."""
    if shutil.which("redis-server") is None:
        sys.exit("phase d needs redis-server (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def queue_worker(database_url: str, redis_url: str, folder: Path) -> Iterator[None]:
    """One ``flask --app matchmaker worker`` process, as a deployment runs them."""
    env = dict(os.environ)
    env.update(
        MATCHMAKER_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MAIL_SERVER="",
    )
    logfile = (folder / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/flask"), "--app", "matchmaker", "worker"],
        env=env,
        cwd=ROOT,
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    try:
        yield
    finally:
        stop(worker, seconds=60)
        logfile.close()


def pages_while_matching(
    app,
    base: str,
    facts: EventFacts,
    args: argparse.Namespace,
    folder: Path,
    url: str,  # noqa: ANN001
) -> Figures:
    """Phase (d): attendee pages while the matching job runs in a worker."""
    from matchmaker import jobs, suggestions
    from matchmaker.extensions import db
    from matchmaker.models import Job

    with throwaway_redis(folder) as redis_url, queue_worker(url, redis_url, folder):
        app.config["REDIS_URL"] = redis_url
        try:
            with app.app_context():
                job_id = jobs.start(facts.event_id, suggestions.MATCHING).id
                deadline = time.monotonic() + 60
                while db.session.get(Job, job_id).status == "queued":
                    if time.monotonic() > deadline:
                        sys.exit("the worker did not take the matching job within a minute")
                    time.sleep(0.2)
                    db.session.expire_all()
            pages = asyncio.run(
                attendee_pages(base, facts.tokens, args.seconds, args.connections, seed=9)
            )
            with app.app_context():
                db.session.expire_all()
                throughout = db.session.get(Job, job_id).status == "running"
                while (job := db.session.get(Job, job_id)).status in ("queued", "running"):
                    time.sleep(0.5)
                    db.session.expire_all()
                seconds = (job.finished_at - job.started_at).total_seconds()
                log(
                    f"    matching job {job.status} in {seconds:.1f} s; still running when the "
                    f"phase ended: {'yes' if throughout else 'no'}"
                )
        finally:
            app.config["REDIS_URL"] = ""
    return pages


FLOOR_APP = """\"\"\"The smallest pages this stack serves: one indexed query and a two-line
template, or no database at all; at the same addresses as the attendee pages.\"\"\"

import os

from flask import Flask, abort, render_template_string
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
PAGE = "<!doctype html><title>{{ name }}</title>\\n<h1>{{ name }}</h1><p>{{ organization }}</p>"
QUERY = text("SELECT name, organization FROM attendee WHERE access_token = :token")


@app.route("/me/<token>/<page>")
def one_query(token, page):
    with engine.connect() as connection:
        row = connection.execute(QUERY, {"token": token}).first()
    if row is None:
        abort(404)
    return render_template_string(PAGE, name=row.name, organization=row.organization)


hello = Flask("hello")
hello.add_url_rule("/me/<token>/<page>", "hello", lambda token, page: "hello")
"""


def stack_floor(facts: EventFacts, args: argparse.Namespace, folder: Path, url: str) -> None:
    """Phase (f): what the same gunicorn, database and client give for the smallest pages,
    with nothing of matchmaker in them: the ceiling any attendee page can reach here."""
    code = folder / "floor"
    code.mkdir(exist_ok=True)
    (code / "floor_app.py").write_text(FLOOR_APP)
    for app, label in (("floor_app:app", "one indexed query and a two-line template"),
                       ("floor_app:hello", "a plain \"hello\", no database")):  # fmt: skip
        with gunicorn(url, folder, code=code, app=app) as base:
            pages = asyncio.run(attendee_pages(base, facts.tokens, args.seconds, args.connections))
        log(f"    {label}: {pages.line()}")


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    status: int
    size: int


@dataclass
class Figures:
    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0
    worst: dict[str, tuple[float, int]] = field(default_factory=dict)  # url -> (seconds, size)

    def add(self, seconds: float, status: int, size: int) -> None:
        self.samples.append(Sample(seconds, status, size))

    @property
    def errors(self) -> int:
        return sum(1 for s in self.samples if s.status >= 500 or s.status == 0)

    def statuses(self) -> dict[int, int]:
        return dict(sorted(Counter(s.status for s in self.samples).items()))

    def percentile(self, share: float) -> float:
        times = sorted(s.seconds for s in self.samples)
        if not times:
            return float("nan")
        return times[min(len(times) - 1, int(share * len(times)))]

    def line(self) -> str:
        ms = [self.percentile(p) * 1000 for p in (0.5, 0.95, 0.99)]
        rate = len(self.samples) / self.wall if self.wall else 0.0
        return (
            f"{len(self.samples):,} requests in {self.wall:.1f} s = {rate:,.0f}/s; "
            f"p50 {ms[0]:.0f} ms, p95 {ms[1]:.0f} ms, p99 {ms[2]:.0f} ms, "
            f"max {max(s.seconds for s in self.samples) * 1000:.0f} ms; "
            f"errors {self.errors}; statuses {self.statuses()}"
        )


def forwarded_for(n: int) -> dict[str, str]:
    """A client address of its own for the n-th attendee (a pretend proxy passes it on)."""
    return {"X-Forwarded-For": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"}


async def timed_get(session, url: str, headers: dict[str, str] | None = None) -> Sample:  # noqa: ANN001
    began = time.perf_counter()
    try:
        async with session.get(url, headers=headers, allow_redirects=False) as response:
            body = await response.read()
            return Sample(time.perf_counter() - began, response.status, len(body))
    except Exception:  # noqa: BLE001 - a failed request is a figure, not a crash
        return Sample(time.perf_counter() - began, 0, 0)


def client_session(connections: int):  # noqa: ANN201
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, force_close=False),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=300),
    )


async def attendee_pages(
    base: str, tokens: Sequence[str], seconds: float, connections: int, seed: int = 3
) -> Figures:
    """Each connection opens random attendees' "People to meet" then "My schedule"."""
    figures = Figures()
    rng = random.Random(seed)
    async with client_session(connections) as session:
        # Warm up: every worker process compiles its templates and fills its pools.
        for n in range(4 * connections):
            token = tokens[rng.randrange(len(tokens))]
            await timed_get(session, f"{base}/me/{token}/matches", forwarded_for(n))
        deadline = time.perf_counter() + seconds

        async def visitor() -> None:
            while time.perf_counter() < deadline:
                n = rng.randrange(len(tokens))
                for page in ("matches", "schedule"):
                    sample = await timed_get(
                        session, f"{base}/me/{tokens[n]}/{page}", forwarded_for(n)
                    )
                    figures.samples.append(sample)

        began = time.perf_counter()
        await asyncio.gather(*(visitor() for _ in range(connections)))
        figures.wall = time.perf_counter() - began
    return figures


async def organizer_cookie(session, base: str) -> str:  # noqa: ANN001
    async with session.get(f"{base}/auth/login") as response:
        page = await response.text()
        cookie = response.cookies["session"].value
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if token is None:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    async with session.post(
        f"{base}/auth/login",
        data={
            "csrf_token": token.group(1),
            "email": ORGANIZER_EMAIL,
            "password": ORGANIZER_PASSWORD,
        },
        headers={"Cookie": f"session={cookie}"},
        allow_redirects=False,
    ) as response:
        if response.status != 302:
            sys.exit(f"organizer sign-in failed: {response.status}")
        return response.cookies["session"].value


GRID_PAGE = re.compile(r"schedule\?page=(\d+)(?:&amp;tables=(\d+))?")


def grid_urls(base: str, event_id: int, slots: int, first_page: str) -> list[str]:
    """Every page of the grid (each page at each table window), each slot's online list,
    and two searches; only the first page when it has no navigation (an unpaged grid)."""
    root = f"{base}/organizer/events/{event_id}/schedule"
    found = GRID_PAGE.findall(first_page)
    if not found:
        return [root]
    pages = sorted({int(p) for p, _ in found})
    windows = sorted({int(w) for _, w in found if w})
    urls = [
        f"{root}?page={p}" + (f"&tables={w}" if w else "") for p in pages for w in windows or [0]
    ]
    urls += [f"{root}/online?slot={n}" for n in range(slots)]
    urls += [f"{root}?q=ana", f"{root}?q=Table%2012"]
    return urls


async def grid_pages(
    base: str, facts: EventFacts, connections: int = 4, rounds: int = 3
) -> Figures:
    """Every grid page, ``rounds`` times over, from ``connections`` connections."""
    figures = Figures()
    async with client_session(connections) as session:
        headers = {"Cookie": f"session={await organizer_cookie(session, base)}"}
        first = f"{base}/organizer/events/{facts.event_id}/schedule"
        async with session.get(first, headers=headers) as response:
            page = await response.text()
        urls = grid_urls(base, facts.event_id, facts.slots, page)
        queue = [url for _ in range(rounds) for url in urls]
        began = time.perf_counter()

        async def reader() -> None:
            while queue:
                url = queue.pop()
                sample = await timed_get(session, url, headers)
                figures.samples.append(sample)
                figures.worst[url] = max(
                    figures.worst.get(url, (0.0, 0)), (sample.seconds, sample.size)
                )

        await asyncio.gather(*(reader() for _ in range(connections)))
        figures.wall = time.perf_counter() - began
    log(f"    {len(urls)} distinct pages, each read {rounds} times")
    return figures


# -- answering at the same moment ------------------------------------------------------------


@dataclass
class Pair:
    suggestion_id: int
    low: tuple[int, str]  # (attendee id, private link key)
    high: tuple[int, str]


def pick_pairs(app, event_id: int, count: int, seed: int = 5) -> list[Pair]:  # noqa: ANN001
    """Suggested pairs nobody answered yet, without a meeting, both below the limit."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from matchmaker.extensions import db
    from matchmaker.models import Attendee, Event, Meeting, Suggestion

    with app.app_context():
        event = db.session.get(Event, event_id)
        low, high = aliased(Attendee), aliased(Attendee)
        booked = select(Meeting.id).where(
            Meeting.low_id == Suggestion.low_id,
            Meeting.high_id == Suggestion.high_id,
            Meeting.status == "confirmed",
        )
        rows = db.session.execute(
            select(Suggestion.id, low.id, low.access_token, high.id, high.access_token)
            .join(low, low.id == Suggestion.low_id)
            .join(high, high.id == Suggestion.high_id)
            .where(
                Suggestion.event_id == event_id,
                Suggestion.answer_low == "none",
                Suggestion.answer_high == "none",
                ~booked.exists(),
            )
            .order_by(Suggestion.id)
        ).all()
        limit = event.max_meetings_per_attendee
        counts = Counter()
        for a, b in db.session.execute(
            select(Meeting.low_id, Meeting.high_id).where(
                Meeting.event_id == event_id, Meeting.status == "confirmed"
            )
        ):
            counts[a] += 1
            counts[b] += 1
    rng = random.Random(seed)
    rng.shuffle(rows)
    chosen, answering = [], Counter()
    for sid, low_id, low_token, high_id, high_token in rows:
        # Room for this yes on both sides, counting the other yeses of this burst.
        if all(counts[p] + answering[p] < limit for p in (low_id, high_id)):
            chosen.append(Pair(sid, (low_id, low_token), (high_id, high_token)))
            answering.update((low_id, high_id))
        if len(chosen) == count:
            break
    return chosen


async def answer_burst(base: str, pairs: Sequence[Pair], connections: int) -> Figures:
    """Both people of every pair say yes at once; returns the answers' figures."""
    figures = Figures()
    async with client_session(connections) as session:
        # Each person's matches page first, for their form token and session cookie.
        forms: dict[int, tuple[str, str]] = {}
        people = {p for pair in pairs for p in (pair.low, pair.high)}

        async def prepare(person: tuple[int, str]) -> None:
            attendee_id, token = person
            async with session.get(
                f"{base}/me/{token}/matches", headers=forwarded_for(attendee_id)
            ) as response:
                page = await response.text()
                cookie = response.cookies["session"].value
            csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            forms[attendee_id] = (csrf.group(1), cookie)

        await asyncio.gather(*(prepare(p) for p in people))
        # The two answers of a pair side by side in the queue, so that they race each other.
        queue = [(pair, person) for pair in pairs for person in (pair.low, pair.high)]
        queue.reverse()
        start = asyncio.Event()

        async def answerer() -> None:
            await start.wait()
            while queue:
                pair, (attendee_id, token) = queue.pop()
                csrf, cookie = forms[attendee_id]
                began = time.perf_counter()
                try:
                    async with session.post(
                        f"{base}/me/{token}/matches/{pair.suggestion_id}",
                        data={"csrf_token": csrf, "answer": "interested"},
                        headers={"Cookie": f"session={cookie}", **forwarded_for(attendee_id)},
                        allow_redirects=False,
                    ) as response:
                        body = await response.read()
                        figures.add(time.perf_counter() - began, response.status, len(body))
                except Exception:  # noqa: BLE001 - a failed request is a figure
                    figures.add(time.perf_counter() - began, 0, 0)

        workers = [asyncio.create_task(answerer()) for _ in range(connections)]
        await asyncio.sleep(0.2)
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*workers)
        figures.wall = time.perf_counter() - began
    return figures


def check_bookings(app, event_id: int, pairs: Sequence[Pair]) -> list[str]:  # noqa: ANN001
    """What is wrong in the database after the burst (nothing, hopefully)."""
    from sqlalchemy import func, select

    from matchmaker.extensions import db
    from matchmaker.models import Event, Meeting, MeetingSeat, Suggestion

    problems = []
    with app.app_context():
        event = db.session.get(Event, event_id)
        ids = [p.suggestion_id for p in pairs]
        rows = db.session.scalars(select(Suggestion).where(Suggestion.id.in_(ids))).all()
        mutual = [r for r in rows if r.answer_low == r.answer_high == "interested"]
        if len(mutual) != len(pairs):
            problems.append(f"{len(pairs) - len(mutual)} pairs did not both say yes")
        per_pair = Counter(
            db.session.execute(
                select(Meeting.low_id, Meeting.high_id).where(
                    Meeting.event_id == event_id, Meeting.status == "confirmed"
                )
            ).all()
        )
        missing = [r.id for r in mutual if per_pair[(r.low_id, r.high_id)] == 0]
        twice = [r.id for r in mutual if per_pair[(r.low_id, r.high_id)] > 1]
        if missing:
            problems.append(f"{len(missing)} mutual yeses without a meeting, e.g. {missing[:5]}")
        if twice:
            problems.append(f"{len(twice)} mutual yeses booked more than once")
        confirmed = Meeting.status == "confirmed"
        person_twice = db.session.execute(
            select(MeetingSeat.attendee_id, MeetingSeat.starts_at)
            .join(Meeting, Meeting.id == MeetingSeat.meeting_id)
            .where(Meeting.event_id == event_id, confirmed)
            .group_by(MeetingSeat.attendee_id, MeetingSeat.starts_at)
            .having(func.count() > 1)
        ).all()
        if person_twice:
            problems.append(f"{len(person_twice)} people booked twice in one slot")
        table_twice = db.session.execute(
            select(Meeting.table_name, Meeting.starts_at)
            .where(Meeting.event_id == event_id, confirmed, Meeting.table_name.is_not(None))
            .group_by(Meeting.table_name, Meeting.starts_at)
            .having(func.count() > 1)
        ).all()
        if table_twice:
            problems.append(f"{len(table_twice)} tables booked twice in one slot")
        seats = Counter()
        for a, b in per_pair.elements():
            seats[a] += 1
            seats[b] += 1
        over = [p for p, n in seats.items() if n > event.max_meetings_per_attendee]
        if over:
            problems.append(f"{len(over)} people above the limit of meetings")
        slots = db.session.execute(
            select(Meeting.low_id, Meeting.high_id, Meeting.starts_at).where(
                Meeting.event_id == event_id, confirmed
            )
        ).all()
        busy = Counter()
        for a, b, start in slots:
            busy[(a, start)] += 1
            busy[(b, start)] += 1
        clashes = sum(1 for n in busy.values() if n > 1)
        if clashes:
            problems.append(f"{clashes} person-slots with two meetings")
        booked = sum(1 for r in mutual if per_pair[(r.low_id, r.high_id)] == 1)
        log(f"    {len(mutual)} mutual yeses, {booked} booked exactly once")
    return problems


# -- the run ---------------------------------------------------------------------------------


def machine() -> str:
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.split("\n")[1]
    return (
        f"{os.cpu_count()} cores ({os.uname().machine}), {memory.split()[1]} GiB memory; "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def old_checkout(ref: str, folder: Path) -> Path:
    """The package and templates of git revision ``ref``, extracted into ``folder``."""
    target = folder / f"code-{ref[:12]}"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "matchmaker", "templates", "pyproject.toml"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(
    label: str,
    app,
    base: str,
    facts: EventFacts,
    args: argparse.Namespace,  # noqa: ANN001
    folder: Path,
    url: str,
) -> dict[str, Figures]:
    """The phases of ``args.phases`` against the server at ``base``."""
    results = {}
    if "a" in args.phases:
        log(f"==> {label}: (a) attendee pages, {args.connections} connections, {args.seconds:g} s")
        before = cpu_seconds()
        pages = asyncio.run(attendee_pages(base, facts.tokens, args.seconds, args.connections))
        log(f"    {pages.line()}")
        log(f"    (the client itself used {cpu_seconds() - before:.1f} CPU seconds)")
        results["a"] = pages
    if "b" in args.phases:
        log(f"==> {label}: (b) organizer schedule grid pages, {args.grid_connections} connections")
        grid = asyncio.run(grid_pages(base, facts, args.grid_connections))
        log(f"    {grid.line()}")
        slowest = max(grid.worst.items(), key=lambda item: item[1][0])
        largest = max(grid.worst.items(), key=lambda item: item[1][1])
        sizes = [s.size for s in grid.samples]
        log(
            f"    slowest {slowest[1][0] * 1000:,.0f} ms: {_short(slowest[0])}; largest "
            f"{largest[1][1] / 1024:,.0f} KB: {_short(largest[0])}; median "
            f"{statistics.median(sizes) / 1024:,.0f} KB"
        )
        results["b"] = grid
    if "c" in args.phases:
        pairs = pick_pairs(app, facts.event_id, args.pairs)
        people = len({p for pair in pairs for p in (pair.low[0], pair.high[0])})
        log(
            f"==> {label}: (c) {len(pairs)} pairs ({people} people) say yes at the same "
            f"moment, {args.connections} connections"
        )
        burst = asyncio.run(answer_burst(base, pairs, args.connections))
        log(f"    {burst.line()}")
        problems = check_bookings(app, facts.event_id, pairs)
        log("    database check: " + ("; ".join(problems) if problems else "all correct"))
        results["c"] = burst
    if "d" in args.phases:
        log(
            f"==> {label}: (d) attendee pages while matching runs in a worker, "
            f"{args.connections} connections, {args.seconds:g} s"
        )
        during = pages_while_matching(app, base, facts, args, folder, url)
        log(f"    {during.line()}")
        results["d"] = during
    if "f" in args.phases and label == "this checkout":
        log(
            f"==> the stack's floor: (f) the smallest pages in the same gunicorn, "
            f"{args.connections} connections, {args.seconds:g} s each"
        )
        stack_floor(facts, args, folder, url)
    return results


def _short(url: str) -> str:
    return url.split("/schedule", 1)[1] or "/ (the first page)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="use this database, not a new one")
    parser.add_argument("--attendees", type=int, default=10_000)
    parser.add_argument("--tables", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of phase (a)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument(
        "--grid-connections", type=int, default=2, help="organizers reading the grid at once"
    )
    parser.add_argument("--compare-ref", default="", help="also measure this git revision")
    parser.add_argument("--phases", default="abcdf", help="which of the phases a-f to run")
    args = parser.parse_args()
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        sys.exit("aiohttp is missing: .venv/bin/pip install -e '.[bench]'")
    log(f"==> machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="matchmaker-load.") as tmp:
        folder = Path(tmp)
        with throwaway_postgres() if not args.database_url else _given(args.database_url) as url:
            run(url, folder, args)


@contextmanager
def _given(url: str) -> Iterator[str]:
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    yield url


def run(url: str, folder: Path, args: argparse.Namespace) -> None:
    from flask_migrate import upgrade

    from matchmaker import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "BACKGROUND_JOBS": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_SERVER": "",
        }
    )
    with app.app_context():
        upgrade()
    facts = event_facts(app)
    if facts is None:
        log(f"==> building the event: {args.attendees:,} attendees, {args.tables} tables")
        began = time.perf_counter()
        build_event(app, args.attendees, args.tables)
        log(f"    built in {time.perf_counter() - began:.0f} s")
        facts = event_facts(app)
    log(
        f"==> event {facts.event_id}: {facts.attendees:,} attendees, "
        f"{facts.suggestions:,} suggestions, {facts.meetings:,} meetings"
    )
    with gunicorn(url, folder) as base:
        now = measure("this checkout", app, base, facts, args, folder, url)
    if args.compare_ref:
        code = old_checkout(args.compare_ref, folder)
        with gunicorn(url, folder, code=code) as base:
            then = measure(f"revision {args.compare_ref}", app, base, facts, args, folder, url)
        log(f"==> this checkout / revision {args.compare_ref}")
        labels = {"a": "attendee pages", "b": "grid pages", "c": "answers", "d": "pages, matching"}
        for key in now:
            a, b = now[key], then[key]
            log(
                f"    {labels[key]}: p99 {a.percentile(0.99) * 1000:,.0f} / "
                f"{b.percentile(0.99) * 1000:,.0f} ms, largest response "
                f"{max(s.size for s in a.samples) / 1024:,.0f} / "
                f"{max(s.size for s in b.samples) / 1024:,.0f} KB, "
                f"{len(a.samples) / a.wall:,.1f} / {len(b.samples) / b.wall:,.1f} requests/s"
            )
    log(f"==> load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
