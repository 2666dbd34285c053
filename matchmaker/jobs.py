"""Background jobs: one lifecycle for every long task, and a row per job that pages read.

A job kind is a function registered with :func:`task`; it gets the event id, the job's
parameters and a :class:`Progress` to report through, and returns the figures kept on the
row (it may commit its own work first, e.g. to send mail about it). This module
knows nothing about what the kinds do. :func:`start` queues a job for an event (or returns
the one of that kind already under way); :func:`run_now` runs one in the caller, for the
command line.

Where a job runs: with ``REDIS_URL`` set, in a worker process (:mod:`matchmaker.job_queue`),
so it outlives a web restart; a worker that dies under a job has it run once more
(:data:`MAX_RUNS`), then failed with :data:`LOST_MESSAGE`. Without Redis, in a thread of
the web process when ``BACKGROUND_JOBS`` is on, else before :func:`start` returns.

One job of a kind at a time per event: a partial unique index on the row's (event, kind)
while it is queued or running refuses a second one, whichever process asks, and a run first
claims its row (queued to running), so a call delivered twice runs once. A job whose worker
disappeared is failed when a page looks at it (:func:`fail_if_stale`): on Redis as soon as
the queue says its call ended or its worker stopped beating, otherwise once it has waited or
run longer than :data:`STALE_AFTER_MINUTES`, so it never blocks the next one for good.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from . import job_queue
from .choices import ACTIVE_JOB_STATUSES, JobStatus
from .extensions import db
from .models import Job, utcnow

log = logging.getLogger(__name__)

# In-process, a job still queued or running after this long has lost its thread (a restart):
# matching 100,000 attendees, the longest job, takes about two minutes.
STALE_AFTER_MINUTES = 30
# A job is started at most this many times: once, and once more if its worker died under it.
MAX_RUNS = 2
PROGRESS_EVERY_SECONDS = 0.5
STALE_MESSAGE = "The job stopped without finishing (the server may have restarted). Start it again."
FAILED_MESSAGE = "The job failed because of an error on our side. Please try again."
RETRY_MESSAGE = "The worker running this job stopped; starting it again…"
LOST_MESSAGE = (
    "The job stopped twice without finishing (its worker was stopped or ran out of memory). "
    "Start it again; if it stops again, tell the site's administrators."
)
CANCELLING_MESSAGE = "Cancelled by the organizer."
CANCELLED_MESSAGE = "Cancelled by the organizer; what it had not saved yet was undone."
QUEUE_DOWN_MESSAGE = "The job could not be queued (the job queue is unreachable). Please try again."

Handler = Callable[[int, dict[str, Any], "Progress"], dict[str, Any]]
_HANDLERS: dict[str, tuple[Handler, str]] = {}


class JobFailed(Exception):
    """Raised by a task to fail its job with a message the organizer can act on."""


class JobCancelled(Exception):
    """The organizer cancelled the job; raised at its next progress report."""


class JobBusy(Exception):
    """A job of this kind is already under way for the event."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"a {job.kind} job (#{job.id}) is already under way for this event")
        self.job = job


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
            still_running = connection.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.status == JobStatus.RUNNING)
                .values(**values)
            ).rowcount
        if not still_running:
            raise JobCancelled(self.job_id)


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


def call_id(job_id: int) -> str:
    """The id of the job's call in the Redis queue."""
    return f"matchmaker-job-{job_id}"


def is_stale(job: Job) -> bool:
    """Whether a queued or running job has lost whatever was to run it.

    On Redis the queue says, from the job's call and its worker's heartbeat. Where it cannot
    (no Redis, a job run from the command line, a call Redis lost or Redis unreachable), a
    job is stale once it has waited, or run, longer than :data:`STALE_AFTER_MINUTES`.
    """
    if job.status not in ACTIVE_JOB_STATUSES:
        return False
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if job_queue.is_configured(app):
        lost = job_queue.is_lost(app, call_id(job.id))
        if lost is not None:
            return lost
    since = job.started_at if job.status == JobStatus.RUNNING and job.started_at else None
    age = utcnow() - (since or job.created_at)
    return age.total_seconds() > STALE_AFTER_MINUTES * 60


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
    """Add a queued job, or raise :class:`JobBusy` with the one of its kind under way.

    The database decides between two processes asking at the same moment: the unique index
    on active (event, kind) refuses the second row.
    """
    if kind not in _HANDLERS:
        raise KeyError(f"unknown job kind {kind!r}")
    active = _active(event_id, kind)
    if active is not None:
        if not fail_if_stale(active):
            raise JobBusy(active)
        db.session.commit()
    job = Job(
        event_id=event_id,
        kind=kind,
        status=JobStatus.QUEUED,
        message="Waiting to start…",
        params=dict(params or {}),
    )
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        active = _active(event_id, kind)
        if active is None:
            raise
        raise JobBusy(active) from None
    return job


def start(event_id: int, kind: str, params: dict[str, Any] | None = None) -> Job:
    """Queue a job of ``kind`` for the event, or return the one already under way."""
    try:
        job = _queue(event_id, kind, params)
    except JobBusy as busy:
        return busy.job
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if job_queue.is_configured(app):
        _enqueue(app, job)
    elif app.config.get("BACKGROUND_JOBS"):
        threading.Thread(target=_run_in_app, args=(app, job.id), daemon=True).start()
    else:
        run(job.id)
    return job


def _enqueue(app: Flask, job: Job) -> None:
    try:
        job_queue.enqueue(
            app,
            perform,
            job.id,
            call_id=call_id(job.id),
            retries=MAX_RUNS - 1,
            on_failure=_call_failed,
            meta={"job_id": job.id},
        )
    except RedisError:
        log.exception("%s job %s could not be queued", job.kind, job.id)
        job.status, job.finished_at, job.message = JobStatus.FAILED, utcnow(), QUEUE_DOWN_MESSAGE
        db.session.commit()


def perform(job_id: int) -> None:
    """What a worker runs for a job queued in Redis."""
    with job_queue.app_context():
        run(job_id)


def call_killed(call: Any) -> None:
    """A worker's child died under a job's call (killed, out of memory): RQ runs it again if
    it has a run left, else it stays failed; the row says which to the organizer."""
    _lost(call, will_retry=call.should_retry)


def _call_failed(call: Any, connection: Any, *error: Any) -> None:
    """RQ's failure callback: the call raised (jobs record their own errors, so the database
    or the worker itself failed) or RQ found it abandoned by a worker that died."""
    with job_queue.app_context():
        _lost(call, will_retry=call.should_retry)


def _lost(call: Any, *, will_retry: bool) -> None:
    job = db.session.get(Job, (call.meta or {}).get("job_id", -1))
    if job is None or job.status not in ACTIVE_JOB_STATUSES:
        return
    log.warning(
        "job kind=%s id=%s event=%s lost its worker%s",
        job.kind,
        job.id,
        job.event_id,
        "; running it again" if will_retry else "",
    )
    if will_retry and job.attempts < MAX_RUNS:
        job.status, job.message = JobStatus.QUEUED, RETRY_MESSAGE
    else:
        job.status, job.finished_at, job.message = JobStatus.FAILED, utcnow(), LOST_MESSAGE
        _log_end(job)
    db.session.commit()


def run_now(
    event_id: int,
    kind: str,
    params: dict[str, Any] | None = None,
    on_report: Callable[[float, str], None] | None = None,
) -> Job:
    """Run a job of ``kind`` in the caller (the command line), recorded like any other.

    Raises :class:`JobBusy` when one of that kind is already under way for the event.
    """
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
    """Run a queued job to its end, recording running, done (with figures) or failed.

    Does nothing when the job is no longer queued (another worker took it, or it ended).
    """
    if not _claim(job_id):
        return
    job = db.session.get(Job, job_id)
    handler, failure = _HANDLERS[job.kind]
    params = dict(job.params or {})
    try:
        figures = handler(job.event_id, params, Progress(job_id, on_report))
    except JobCancelled:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.message = CANCELLED_MESSAGE
        db.session.commit()
        _log_end(job)
        return
    except Exception as error:  # noqa: BLE001 - the row records any failure for the organizer
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.status, job.finished_at = JobStatus.FAILED, utcnow()
        job.message = str(error) if isinstance(error, JobFailed) else failure
        db.session.commit()
        if not isinstance(error, JobFailed):
            log.exception("%s job %s failed", job.kind, job_id)
        _log_end(job)
        if reraise:
            raise
        return
    job = db.session.get(Job, job_id)
    db.session.refresh(job)  # a cancel that came after the last progress report was too late
    late = job.status == JobStatus.CANCELLED
    job.status, job.progress = JobStatus.DONE, 1.0
    job.message = "Done (it had finished before it could be cancelled)." if late else "Done."
    job.figures = figures
    job.finished_at = utcnow()
    db.session.commit()
    _log_end(job)


def cancel(job: Job) -> bool:
    """Cancel a queued or running job (commits); False when it had already ended.

    A queued job never starts. A running one stops at its next progress report and what it
    had not saved yet is rolled back; work a job commits as it goes stays.
    """
    cancelled = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status.in_(ACTIVE_JOB_STATUSES))
        .values(status=JobStatus.CANCELLED, finished_at=utcnow(), message=CANCELLING_MESSAGE)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(job)
    return bool(cancelled)


def _claim(job_id: int) -> bool:
    """Move the job from queued to running and count the run; False when it was not queued.

    A job already started :data:`MAX_RUNS` times is failed instead of run again.
    """
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED, Job.attempts < MAX_RUNS)
        .values(
            status=JobStatus.RUNNING,
            progress=0.0,
            message="Starting…",
            started_at=utcnow(),
            attempts=Job.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed:
        return True
    job = db.session.get(Job, job_id)
    if job is not None and job.status == JobStatus.QUEUED:
        job.status, job.finished_at, job.message = JobStatus.FAILED, utcnow(), LOST_MESSAGE
        db.session.commit()
        _log_end(job)
    elif job is not None:
        log.info("job kind=%s id=%s is %s already; not run again", job.kind, job.id, job.status)
    return False


def _log_end(job: Job) -> None:
    """One line per job, when it ends."""
    since = job.started_at or job.created_at
    seconds = (job.finished_at - since).total_seconds() if job.finished_at and since else 0.0
    log.info(
        "job kind=%s id=%s event=%s status=%s runs=%s seconds=%.2f",
        job.kind,
        job.id,
        job.event_id,
        job.status,
        job.attempts,
        seconds,
    )
