"""Background jobs: one lifecycle for every long task, and a row per job that pages read.

A job kind is a function registered with :func:`task`; it gets the event id, the job's
parameters and a :class:`Progress` to report through, and returns the figures kept on the
row (it may commit its own work first, e.g. to send mail about it). This module
knows nothing about what the kinds do. :func:`start` queues a job for an event (or returns
the one of that kind already under way) and runs it in a background thread when the app
allows it, else before returning; :func:`run_now` runs one in the caller, for the command
line. A job whose worker disappeared (a restart, a crash) is failed once it is older than
:data:`STALE_AFTER`, so it never blocks the next one for good.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from .choices import ACTIVE_JOB_STATUSES, JobStatus
from .extensions import db
from .models import Job, utcnow

# A job still queued or running after this long has lost its worker: matching 100,000
# attendees, the longest job, takes about two minutes.
STALE_AFTER_MINUTES = 30
PROGRESS_EVERY_SECONDS = 0.5
STALE_MESSAGE = "The job stopped without finishing (the server may have restarted). Start it again."
FAILED_MESSAGE = "The job failed because of an error on our side. Please try again."

Handler = Callable[[int, dict[str, Any], "Progress"], dict[str, Any]]
_HANDLERS: dict[str, tuple[Handler, str]] = {}


class JobFailed(Exception):
    """Raised by a task to fail its job with a message the organizer can act on."""


def task(kind: str, *, failure: str = FAILED_MESSAGE) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the job kind ``kind``; ``failure`` is what an unexpected error
    tells the organizer."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[kind] = (handler, failure)
        return handler

    return register


class Progress:
    """Reports a share done (0..1) and a message on the job's row, at most twice a second.

    Each report commits on its own connection, so a page sees it while the job's transaction
    is still open, except on SQLite while the job holds the one write lock (the report
    would have to wait for the job itself); then reports are skipped until it commits.
    """

    def __init__(self, job_id: int, on_report: Callable[[float, str], None] | None = None):
        self.job_id = job_id
        self.on_report = on_report
        self._last = 0.0

    def __call__(self, share: float, message: str = "") -> None:
        if self.on_report is not None:
            self.on_report(share, message)
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY_SECONDS or _holds_sqlite_write_lock():
            return
        self._last = now
        values: dict[str, Any] = {"progress": round(min(max(share, 0.0), 1.0), 3)}
        if message:
            values["message"] = message
        with db.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == self.job_id).values(**values))


def _holds_sqlite_write_lock() -> bool:
    if db.engine.dialect.name != "sqlite":
        return False
    return bool(db.session.connection().connection.dbapi_connection.in_transaction)


def latest(event_id: int, kind: str) -> Job | None:
    """The event's most recent job of ``kind``."""
    return db.session.scalar(
        select(Job)
        .where(Job.event_id == event_id, Job.kind == kind)
        .order_by(Job.id.desc())
        .limit(1)
    )


def is_stale(job: Job) -> bool:
    age = utcnow() - job.created_at
    return job.status in ACTIVE_JOB_STATUSES and age.total_seconds() > STALE_AFTER_MINUTES * 60


def fail_if_stale(job: Job) -> bool:
    """Fail a job that lost its worker (the caller commits); True when it did.

    Only a stale job is written to: on SQLite any write would wait for a running job.
    """
    if not is_stale(job):
        return False
    job.status, job.finished_at, job.message = JobStatus.FAILED, utcnow(), STALE_MESSAGE
    return True


def under_way(event_id: int) -> list[Job]:
    """The event's jobs of every kind that are queued or running and still have a worker."""
    active = db.session.scalars(
        select(Job).where(Job.event_id == event_id, Job.status.in_(ACTIVE_JOB_STATUSES))
    ).all()
    return [job for job in active if not is_stale(job)]


def _active(event_id: int, kind: str) -> Job | None:
    return db.session.scalar(
        select(Job)
        .where(Job.event_id == event_id, Job.kind == kind, Job.status.in_(ACTIVE_JOB_STATUSES))
        .order_by(Job.id.desc())
        .limit(1)
    )


def _queue(event_id: int, kind: str, params: dict[str, Any] | None) -> Job:
    if kind not in _HANDLERS:
        raise KeyError(f"unknown job kind {kind!r}")
    job = Job(
        event_id=event_id,
        kind=kind,
        status=JobStatus.QUEUED,
        message="Waiting to start…",
        params=dict(params or {}),
    )
    db.session.add(job)
    db.session.commit()
    return job


def start(event_id: int, kind: str, params: dict[str, Any] | None = None) -> Job:
    """Queue a job of ``kind`` for the event, or return the one already under way."""
    active = _active(event_id, kind)
    if active is not None and not fail_if_stale(active):
        return active
    job = _queue(event_id, kind, params)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("BACKGROUND_JOBS"):
        threading.Thread(target=_run_in_app, args=(app, job.id), daemon=True).start()
    else:
        run(job.id)
    return job


def run_now(
    event_id: int,
    kind: str,
    params: dict[str, Any] | None = None,
    on_report: Callable[[float, str], None] | None = None,
) -> Job:
    """Run a job of ``kind`` in the caller (the command line), recorded like any other."""
    job = _queue(event_id, kind, params)
    run(job.id, on_report=on_report, reraise=True)
    return db.session.get(Job, job.id)


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run(job_id)
        finally:
            db.session.remove()


def run(
    job_id: int,
    *,
    on_report: Callable[[float, str], None] | None = None,
    reraise: bool = False,
) -> None:
    """Run a queued job to its end, recording running, done (with figures) or failed."""
    job = db.session.get(Job, job_id)
    handler, failure = _HANDLERS[job.kind]
    params = dict(job.params or {})
    job.status, job.progress, job.message = JobStatus.RUNNING, 0.0, "Starting…"
    job.started_at = utcnow()
    db.session.commit()
    try:
        figures = handler(job.event_id, params, Progress(job_id, on_report))
    except Exception as error:  # noqa: BLE001 - the row records any failure for the organizer
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.status, job.finished_at = JobStatus.FAILED, utcnow()
        job.message = str(error) if isinstance(error, JobFailed) else failure
        db.session.commit()
        current_app.logger.exception("%s job %s failed", job.kind, job_id)
        if reraise:
            raise
        return
    job = db.session.get(Job, job_id)
    job.status, job.progress, job.message = JobStatus.DONE, 1.0, "Done."
    job.figures = figures
    job.finished_at = utcnow()
    db.session.commit()
