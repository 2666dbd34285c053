"""The Redis queue under background work, for sites that run worker processes (RQ).

With ``REDIS_URL`` set, :mod:`matchmaker.jobs` and :mod:`matchmaker.mail` hand their work to
this module instead of a thread of the web process: it goes into Redis and runs in
``flask --app matchmaker worker`` processes, so a web restart or deploy loses nothing and
any number of workers, on any machine, share the queue. Without ``REDIS_URL`` nothing here
is used and the web process runs its jobs itself.

This module knows nothing of job rows or mail: it enqueues a function by reference, runs
workers, and answers what Redis knows about a queued call. A worker process builds the app
once (``flask worker`` calls :func:`work` with it); each call then runs in a forked child
that inherits it, inside its own app context (:func:`app_context`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Callback, Queue, Retry, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job as QueuedCall
from rq.job import JobStatus as CallStatus

from .extensions import db

log = logging.getLogger(__name__)

DEFAULT_QUEUE_NAME = "matchmaker"
# The longest job, matching 100,000 attendees, takes about two minutes; an import or an
# auto-schedule of a very large event a few. RQ's own default (three minutes) is too short.
RUN_LIMIT_SECONDS = 2 * 60 * 60
# A failed call is kept this long in Redis for whoever looks at the queue by hand.
KEEP_FAILED_SECONDS = 7 * 24 * 60 * 60
# A running call whose worker has sent no heartbeat for this long has lost its worker.
# Workers beat every 30 seconds and RQ gives up on one after 90.
LOST_AFTER = timedelta(minutes=5)
CONNECT_TIMEOUT_SECONDS = 2

_EXTENSION = "matchmaker_job_queue"
_WORKER_APP: Flask | None = None

FINISHED_STATES = {
    CallStatus.FINISHED,
    CallStatus.FAILED,
    CallStatus.STOPPED,
    CallStatus.CANCELED,
}


def is_configured(app: Flask) -> bool:
    """Whether background work goes to Redis (``REDIS_URL``) rather than into this process."""
    return bool(app.config.get("REDIS_URL"))


def connection(app: Flask) -> Redis:
    """The app's Redis connection (one pool per app and process)."""
    redis = app.extensions.get(_EXTENSION)
    if redis is None:
        redis = Redis.from_url(
            app.config["REDIS_URL"],
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            health_check_interval=30,
        )
        app.extensions[_EXTENSION] = redis
    return redis


def queue(app: Flask) -> Queue:
    return Queue(
        app.config.get("JOB_QUEUE_NAME") or DEFAULT_QUEUE_NAME,
        connection=connection(app),
        default_timeout=RUN_LIMIT_SECONDS,
    )


def enqueue(
    app: Flask,
    function: Callable[..., Any],
    *args: Any,
    call_id: str | None = None,
    retries: int = 0,
    on_failure: Callable[..., Any] | None = None,
    meta: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> QueuedCall:
    """Queue ``function(*args)`` for a worker, now or at ``at``.

    ``retries`` is how many more times RQ runs the call when its worker dies under it or it
    raises; ``on_failure`` is called (in a worker) each time it fails, before any retry.
    Raises :class:`redis.exceptions.RedisError` when Redis cannot be reached.
    """
    options: dict[str, Any] = {
        "job_id": call_id,
        "meta": meta or {},
        "failure_ttl": KEEP_FAILED_SECONDS,
        "retry": Retry(max=retries) if retries else None,
        "on_failure": Callback(on_failure) if on_failure else None,
    }
    if at is not None:
        return queue(app).enqueue_at(at, function, *args, **options)
    return queue(app).enqueue(function, *args, **options)


def fetch(app: Flask, call_id: str) -> QueuedCall | None:
    """The queued call, or None when Redis no longer knows it."""
    try:
        return QueuedCall.fetch(call_id, connection=connection(app))
    except NoSuchJobError:
        return None


def is_lost(app: Flask, call_id: str) -> bool | None:
    """Whether the call for a job that the database still shows as queued or running has
    lost its worker for good: it ended without the job recording its end, or its worker
    stopped beating. None when Redis does not know the call or cannot be asked.

    A call that waits in the queue is not lost however long it waits: a worker will take it.
    """
    try:
        call = fetch(app, call_id)
        if call is None:
            return None
        status = call.get_status(refresh=False)
        if status in FINISHED_STATES:
            return True
        if status != CallStatus.STARTED:
            return False
        beat = call.last_heartbeat or call.started_at
    except RedisError:
        log.warning("cannot reach Redis to check call %s", call_id)
        return None
    return beat is not None and _now() - _aware(beat) > LOST_AFTER


def health(app: Flask) -> dict[str, Any]:
    """Whether Redis answers, and how many workers and waiting calls it holds."""
    try:
        connection(app).ping()
        waiting = queue(app)
        return {
            "ok": True,
            "workers": Worker.count(connection=connection(app), queue=waiting),
            "waiting": waiting.count,
        }
    except RedisError as error:
        return {"ok": False, "error": type(error).__name__}


def worker_app() -> Flask:
    """The app of this worker process, built once by ``flask worker`` (:func:`work`)."""
    if _WORKER_APP is None:
        raise RuntimeError("queued calls run in `flask --app matchmaker worker` processes")
    return _WORKER_APP


@contextmanager
def app_context() -> Iterator[Flask]:
    """An app context for one call in a worker, whose database session ends with it."""
    app = worker_app()
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()


def work(
    app: Flask,
    *,
    burst: bool = False,
    with_scheduler: bool = True,
    on_call_killed: Callable[[QueuedCall], None] | None = None,
) -> bool:
    """Run a worker on the app's queue until it is stopped (or, with ``burst``, until the
    queue is empty); True when it ran any call.

    Each call runs in a forked child. ``on_call_killed`` is told, in this process, when a
    child died under its call (killed, out of memory), before RQ retries or fails the call.
    The scheduler, which starts calls queued for later (mail retries), runs in one of the
    workers at a time.
    """
    global _WORKER_APP
    _WORKER_APP = app
    with app.app_context():
        engines = list(db.engines.values())
    # A forked child must not share this process's database connections.
    os.register_at_fork(after_in_child=lambda: [engine.dispose(close=False) for engine in engines])

    def killed(call: QueuedCall, *_: Any) -> None:
        if on_call_killed is None:
            return
        with app_context():
            on_call_killed(call)

    worker = Worker(
        [queue(app)],
        connection=connection(app),
        work_horse_killed_handler=killed,
    )
    with app.app_context():
        return worker.work(
            burst=burst,
            with_scheduler=with_scheduler,
            logging_level=app.config.get("LOG_LEVEL") or "INFO",
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
