"""Jobs and mail on the Redis queue, run by real worker processes.

Needs the redis-server that scripts/test starts (TEST_REDIS_URL). Workers are separate
processes sharing the test's database: ``flask --app matchmaker worker`` itself, or
tests/queue_worker.py (the same command, with the test job kinds registered).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_attendee, make_event, make_organizer
from job_kinds import NAP, runs

from matchmaker import job_queue, jobs, mail, suggestions
from matchmaker.extensions import db
from matchmaker.models import Event, Job, OutboxMessage, Suggestion, utcnow

QUEUE_WORKER = Path(__file__).parent / "queue_worker.py"
QUEUE_NAME = "matchmaker-test"


@pytest.fixture
def app_overrides(redis_url: str) -> dict:
    return {"REDIS_URL": redis_url, "JOB_QUEUE_NAME": QUEUE_NAME}


@pytest.fixture
def event_id(app) -> int:
    with app.app_context():
        event = make_event(make_organizer())
        people = [
            ("ana@x.org", ["React", "product design"], ["seed funding", "pricing"]),
            ("ivan@y.org", ["seed funding", "fundraising"], ["climate startups"]),
            ("eve@z.org", ["pricing strategy"], ["consulting clients"]),
            ("jo@w.org", ["Python", "data analysis"], ["job referrals"]),
        ]
        for email, helps, needs in people:
            make_attendee(event, email, can_help_with=helps, looking_for=needs)
        return event.id


def worker_env(app, database_url: str, **extra: str) -> dict[str, str]:  # noqa: ANN001
    """The environment a deployed worker would have, pointing at the test's database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAIL_", "FLASK_")) and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=app.config["REDIS_URL"],
        JOB_QUEUE_NAME=QUEUE_NAME,
        MATCHMAKER_ENV="development",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


class Workers:
    """Worker processes started by a test, each in its own process group, all stopped at
    its end (with any child a test left running)."""

    def __init__(self, app, database_url: str, folder: Path) -> None:  # noqa: ANN001
        self.app, self.database_url, self.folder = app, database_url, folder
        self.processes: list[subprocess.Popen] = []
        self.strays: list[int] = []

    def start(self, *arguments: str) -> subprocess.Popen:
        log = open(self.folder / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, str(QUEUE_WORKER), *arguments],
            env=worker_env(self.app, self.database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.folder.glob("worker-*.log")))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
        for pid in self.strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def workers(app, database_url, tmp_path) -> Iterator[Workers]:  # noqa: ANN001
    started = Workers(app, database_url, tmp_path)
    yield started
    started.stop()


def wait_for(
    condition: Callable[[], object], what: str, workers: Workers | None = None, seconds: float = 60
) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    logs = workers.logs() if workers else ""
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def test_work_queued_while_no_worker_ran_is_done_by_a_worker_started_later(
    app, database_url, event_id, smtp_server
):
    """The web process queues a matching job and mail and goes away (a restart, a deploy);
    ``flask worker`` started afterwards does both."""
    with app.app_context():
        job = suggestions.start_matching(db.session.get(Event, event_id))
        assert (job.status, job.message) == ("queued", "Waiting to start…")
        mail.queue_email(
            db.session,
            to_email="ana@x.org",
            to_name="Ana",
            subject="Your meetings",
            body_text="See you there.",
            event_id=event_id,
        )
        db.session.commit()
        assert mail.send_in_background(app) is None
        assert mail.send_in_background(app) is None  # one sending call is enough for both
        assert job_queue.queue(app).count == 2
        job_id = job.id
    mail_env = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(app.config["MAIL_PORT"])}
    worker = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "matchmaker", "worker", "--burst"],
        env=worker_env(app, database_url, **mail_env),
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = worker.stdout + worker.stderr
    assert worker.returncode == 0, output
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert (job.status, job.attempts, job.figures["attendees"]) == ("done", 1, 4), output
        assert db.session.scalar(db.select(db.func.count()).select_from(Suggestion)) > 0
        assert db.session.scalar(db.select(OutboxMessage.status)) == "sent"
    assert [m["To"] for m in smtp_server.messages()] == ["Ana <ana@x.org>"]
    assert f"job kind=matching id={job_id} event={event_id} status=done runs=1" in output
    assert "queued mail: Sent 1, failed 0, retrying later 0." in output


def test_a_job_whose_worker_is_killed_runs_once_more_then_fails_with_a_message(
    app, event_id, workers, tmp_path
):
    runs_file = tmp_path / "runs.txt"
    workers.start()
    with app.app_context():
        job_id = jobs.start(event_id, NAP, {"runs_file": str(runs_file), "seconds": 60}).id
        first = wait_for(lambda: runs(runs_file), "the first run", workers)[0]
        workers.strays.append(first)
        assert db.session.get(Job, job_id).status == "running"
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: runs(runs_file)[1:], "the second run", workers)[0]
        workers.strays.append(second)
        assert second != first
        job = wait_for(
            lambda: (
                (j := db.session.get(Job, job_id)).status == "running" and j.attempts == 2 and j
            ),
            "the second run's row",
            workers,
        )
        os.kill(second, signal.SIGKILL)
        job = wait_for(
            lambda: (j := db.session.get(Job, job_id)).status == "failed" and j,
            "the job to fail",
            workers,
        )
        assert (job.message, job.attempts) == (jobs.LOST_MESSAGE, 2)
        assert job.finished_at is not None
        assert jobs.latest(event_id, NAP).message == jobs.LOST_MESSAGE
    time.sleep(0.3)
    assert len(runs(runs_file)) == 2, "the job ran a third time"


def test_two_workers_and_two_starts_for_one_event_run_the_job_once(
    app, event_id, workers, tmp_path
):
    runs_file = tmp_path / "runs.txt"
    params = {"runs_file": str(runs_file), "seconds": 0.5}
    workers.start()
    workers.start()
    with app.app_context():
        wait_for(lambda: job_queue.health(app)["workers"] == 2, "both workers to register", workers)
    started: list[int] = []
    barrier = threading.Barrier(2)

    def start() -> None:  # as two web processes would, each with its own connection
        with app.app_context():
            barrier.wait()
            started.append(jobs.start(event_id, NAP, params).id)
            db.session.remove()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(started) == 2 and started[0] == started[1]
    with app.app_context():
        # The same job's call delivered a second time: both workers take one each.
        job_queue.enqueue(app, jobs.perform, started[0], call_id="duplicate-delivery")
        job = wait_for(
            lambda: (j := db.session.get(Job, started[0])).status == "done" and j,
            "the job to finish",
            workers,
        )
        wait_for(lambda: job_queue.queue(app).count == 0, "both calls taken", workers)
        wait_for(
            lambda: job_queue.fetch(app, "duplicate-delivery").get_status() == "finished",
            "the duplicate call to end",
            workers,
        )
        assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 1
        assert job.attempts == 1
    assert len(runs(runs_file)) == 1
    assert "is running already; not run again" in workers.logs() or (
        "is done already; not run again" in workers.logs()
    )


def test_a_job_waiting_in_the_queue_is_not_stale_however_long_it_waits(app, event_id, tmp_path):
    with app.app_context():
        job = jobs.start(event_id, NAP, {"runs_file": str(tmp_path / "runs.txt")})
        job.created_at = utcnow() - timedelta(hours=2)
        db.session.commit()
        assert job.status == "queued" and not jobs.fail_if_stale(job)
        assert jobs.under_way(event_id) == [job]
        # The call ended without the job recording its end (the run's last commit failed).
        job_queue.fetch(app, jobs.call_id(job.id)).set_status("failed")
        assert jobs.fail_if_stale(job) and job.message == jobs.STALE_MESSAGE


@pytest.mark.parametrize(("minutes", "stale"), [(5, False), (31, True)])
def test_a_job_redis_does_not_know_is_stale_after_half_an_hour(app, event_id, minutes, stale):
    """A job run by `flask match`, or one whose call Redis lost: nothing to ask but its age."""
    with app.app_context():
        job = Job(
            event_id=event_id,
            kind=NAP,
            status="running",
            started_at=utcnow() - timedelta(minutes=minutes),
        )
        db.session.add(job)
        db.session.commit()
        assert jobs.is_stale(job) is stale


def test_a_running_job_whose_worker_stopped_beating_is_stale(app, event_id, tmp_path):
    with app.app_context():
        job = jobs.start(event_id, NAP, {"runs_file": str(tmp_path / "runs.txt")})
        call = job_queue.fetch(app, jobs.call_id(job.id))
        connection = job_queue.connection(app)
        connection.hset(call.key, "status", "started")
        beat = datetime.now(UTC) - timedelta(minutes=1)
        connection.hset(call.key, "last_heartbeat", beat.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        assert not jobs.is_stale(job)
        beat -= job_queue.LOST_AFTER
        connection.hset(call.key, "last_heartbeat", beat.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        assert jobs.is_stale(job)


def test_mail_retries_wait_in_the_queue_scheduler(app, event_id, smtp_server, monkeypatch):
    monkeypatch.setattr(job_queue, "_WORKER_APP", app)
    later = datetime.now(UTC) + timedelta(minutes=25)
    with app.app_context():
        for address, due in (("ana@x.org", datetime.now(UTC)), ("ivan@y.org", later)):
            message = mail.queue_email(
                db.session,
                to_email=address,
                to_name="",
                subject="Hello",
                body_text="Hi",
                event_id=event_id,
            )
            message.next_attempt_at = due
        db.session.commit()
    mail.send_queued()  # what a worker runs
    assert [m["To"] for m in smtp_server.messages()] == ["ana@x.org"]
    with app.app_context():
        scheduled = job_queue.queue(app).scheduled_job_registry
        assert scheduled.get_job_ids() == [mail.RETRY_CALL_ID]
        at = scheduled.get_scheduled_time(mail.RETRY_CALL_ID)
        assert abs((at - later).total_seconds()) < 1


@pytest.mark.parametrize(("arguments", "lowered_by"), [((), 10), (("--nice", "3"), 3)])
def test_a_worker_runs_its_jobs_at_a_lower_cpu_priority_than_the_web(
    app, database_url, event_id, tmp_path, arguments, lowered_by
):
    """Pages come first on a machine shared with web processes: a worker lowers its own
    priority (by 10 unless told otherwise), and the jobs it runs inherit it."""
    with app.app_context():
        job_id = jobs.start(event_id, NAP, {"runs_file": str(tmp_path / "runs.txt")}).id
    worker = subprocess.run(
        [sys.executable, str(QUEUE_WORKER), "--burst", *arguments],
        env=worker_env(app, database_url),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "done", worker.stdout + worker.stderr
        assert job.figures["niceness"] == min(os.nice(0) + lowered_by, 19)


def test_a_worker_refuses_a_priority_outside_0_to_19(app, database_url):
    worker = subprocess.run(
        [sys.executable, str(QUEUE_WORKER), "--burst", "--nice", "25"],
        env=worker_env(app, database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 2
    assert "--nice" in worker.stderr and "0<=x<=19" in worker.stderr
