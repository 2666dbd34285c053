"""The job lifecycle in the web process (no Redis): the one-job-per-kind lock, claiming a
run, a worker lost under a job, stale jobs and the line logged per job.

The same lifecycle on Redis with real worker processes is in test_job_queue.py.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from conftest import make_event, make_organizer, post_form
from job_kinds import BROKEN, NAP, STEPS, runs
from sqlalchemy.exc import IntegrityError

from matchmaker import jobs
from matchmaker.extensions import db
from matchmaker.models import Job, utcnow


@pytest.fixture
def event_id(app) -> int:
    with app.app_context():
        return make_event(make_organizer()).id


def nap_params(tmp_path, seconds: float = 0) -> dict:
    return {"runs_file": str(tmp_path / "runs.txt"), "seconds": seconds}


def test_a_job_runs_inline_and_is_logged_in_one_line(app, event_id, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="matchmaker.jobs")
    with app.app_context():
        job = jobs.start(event_id, NAP, nap_params(tmp_path))
        assert (job.status, job.attempts, job.figures) == (
            "done",
            1,
            {"pid": runs(tmp_path / "runs.txt")[0], "niceness": os.nice(0)},  # in this process
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "matchmaker.jobs"]
    assert len(lines) == 1
    assert lines[0].startswith(
        f"job kind={NAP} id={job.id} event={event_id} status=done runs=1 seconds="
    )


def test_a_job_failed_on_purpose_keeps_its_message(app, event_id):
    with app.app_context():
        job = jobs.start(event_id, BROKEN)
        assert (job.status, job.message) == ("failed", "The file has no header row.")


@pytest.mark.parametrize(
    ("first", "second", "refused"),
    [
        (("queued", NAP), ("queued", NAP), True),
        (("running", NAP), ("queued", NAP), True),
        (("done", NAP), ("queued", NAP), False),
        (("failed", NAP), ("running", NAP), False),
        (("running", NAP), ("running", BROKEN), False),
    ],
)
def test_the_database_holds_one_active_job_per_event_and_kind(
    app, event_id, first, second, refused
):
    with app.app_context():
        db.session.add(Job(event_id=event_id, status=first[0], kind=first[1]))
        db.session.commit()
        db.session.add(Job(event_id=event_id, status=second[0], kind=second[1]))
        if refused:
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
        else:
            db.session.commit()


def test_start_returns_the_job_under_way_and_the_command_line_refuses(app, event_id, tmp_path):
    with app.app_context():
        running = Job(event_id=event_id, kind=NAP, status="running", started_at=utcnow())
        db.session.add(running)
        db.session.commit()
        assert jobs.start(event_id, NAP, nap_params(tmp_path)).id == running.id
        with pytest.raises(jobs.JobBusy) as busy:
            jobs.run_now(event_id, NAP, nap_params(tmp_path))
        assert busy.value.job.id == running.id
        assert runs(tmp_path / "runs.txt") == []


def test_flask_match_says_a_matching_job_is_under_way(app, runner, event_id):
    with app.app_context():
        db.session.add(Job(event_id=event_id, kind="matching", status="queued"))
        db.session.commit()
    result = runner.invoke(args=["match", str(event_id)])
    assert result.exit_code != 0
    assert "a matching job" in result.output and "already under way" in result.output


def test_two_processes_starting_the_same_job_at_once_get_one_row(app, event_id, tmp_path):
    """Each thread has its own session and connection, as two web processes would."""
    app.config["BACKGROUND_JOBS"] = True  # start() returns at once; the run is a thread
    barrier = threading.Barrier(2)
    started: list[int] = []

    def start() -> None:
        with app.app_context():
            barrier.wait()
            started.append(jobs.start(event_id, NAP, nap_params(tmp_path, 0.5)).id)
            db.session.remove()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(started) == 2 and started[0] == started[1]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 1
        wait_until(lambda: db.session.get(Job, started[0]).status == "done", app)
    assert len(runs(tmp_path / "runs.txt")) == 1


def wait_until(condition, app, seconds: float = 20) -> None:  # noqa: ANN001
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.parametrize("status", ["running", "done", "failed"])
def test_a_job_that_is_no_longer_queued_is_not_run_again(app, event_id, tmp_path, status):
    """A call delivered twice (two workers) runs once: the second finds the row taken."""
    with app.app_context():
        job = Job(
            event_id=event_id, kind=NAP, status=status, params=nap_params(tmp_path), attempts=1
        )
        db.session.add(job)
        db.session.commit()
        jobs.run(job.id)
        db.session.expire_all()
        assert (job.status, job.attempts) == (status, 1)
    assert runs(tmp_path / "runs.txt") == []


def test_a_job_started_twice_already_is_failed_rather_than_run_a_third_time(
    app, event_id, tmp_path
):
    with app.app_context():
        job = Job(
            event_id=event_id, kind=NAP, status="queued", params=nap_params(tmp_path), attempts=2
        )
        db.session.add(job)
        db.session.commit()
        jobs.run(job.id)
        db.session.expire_all()
        assert (job.status, job.message) == ("failed", jobs.LOST_MESSAGE)
    assert runs(tmp_path / "runs.txt") == []


def test_a_worker_lost_under_a_job_requeues_it_once_then_fails_it(app, client, auth, event_id):
    """What RQ reports when a worker's child is killed; the organizer reads the message."""
    with app.app_context():
        job = Job(event_id=event_id, kind="matching", status="running", attempts=1)
        db.session.add(job)
        db.session.commit()
        call = SimpleNamespace(meta={"job_id": job.id}, should_retry=True)
        jobs.call_killed(call)
        db.session.expire_all()
        assert (job.status, job.message) == ("queued", jobs.RETRY_MESSAGE)
        job.status, job.attempts = "running", 2
        db.session.commit()
        jobs.call_killed(SimpleNamespace(meta={"job_id": job.id}, should_retry=False))
        db.session.expire_all()
        assert (job.status, job.message) == ("failed", jobs.LOST_MESSAGE)
        assert job.finished_at is not None
    auth.login()
    page = client.get(f"/organizer/events/{event_id}/matching").get_data(as_text=True)
    assert "The job stopped twice without finishing" in page


def test_a_lost_call_for_a_finished_job_changes_nothing(app, event_id):
    with app.app_context():
        job = Job(event_id=event_id, kind=NAP, status="done", attempts=1)
        db.session.add(job)
        db.session.commit()
        jobs.call_killed(SimpleNamespace(meta={"job_id": job.id}, should_retry=False))
        db.session.expire_all()
        assert job.status == "done"


@pytest.mark.parametrize(
    ("status", "created", "started", "stale"),
    [
        ("queued", 31, None, True),
        ("queued", 5, None, False),
        ("running", 31, None, True),
        # A long wait in the queue does not count against a job that started a minute ago.
        ("running", 120, 1, False),
        ("running", 120, 31, True),
        ("done", 120, 119, False),
    ],
)
def test_in_process_a_job_is_stale_after_half_an_hour_of_waiting_or_running(
    app, event_id, status, created, started, stale
):
    now = utcnow()
    with app.app_context():
        job = Job(
            event_id=event_id,
            kind=NAP,
            status=status,
            created_at=now - timedelta(minutes=created),
            started_at=now - timedelta(minutes=started) if started else None,
        )
        db.session.add(job)
        db.session.commit()
        assert jobs.is_stale(job) is stale
        assert jobs.fail_if_stale(job) is stale
        if stale:
            assert job.message == jobs.STALE_MESSAGE


def test_a_queued_job_that_is_cancelled_never_runs(app, event_id, tmp_path):
    with app.app_context():
        job = jobs._queue(event_id, NAP, nap_params(tmp_path))
        assert jobs.cancel(job) and job.status == "cancelled"
        jobs.run(job.id)
        assert runs(tmp_path / "runs.txt") == []
        assert db.session.get(Job, job.id).status == "cancelled"
        assert not jobs.cancel(job)  # already ended
        assert jobs.start(event_id, NAP, nap_params(tmp_path)).status == "done"  # lock freed


def test_a_running_job_stops_at_its_next_progress_report(app, event_id):
    with app.app_context():
        job_id = jobs._queue(event_id, STEPS, {"steps": 100}).id

    def work() -> None:
        with app.app_context():
            jobs.run(job_id)
            db.session.remove()

    worker = threading.Thread(target=work)
    worker.start()
    with app.app_context():
        for _ in range(100):
            db.session.expire_all()
            if db.session.get(Job, job_id).status == "running":
                break
            threading.Event().wait(0.05)
        assert jobs.cancel(db.session.get(Job, job_id))
    worker.join(timeout=10)
    assert not worker.is_alive()
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "cancelled" and job.message == jobs.CANCELLED_MESSAGE
        assert job.figures == {} and job.progress < 0.5


@pytest.mark.parametrize(
    ("kind", "page", "button"),
    [
        ("matching", "matching", "Cancel matching"),
        ("scheduling", "schedule", "Cancel auto-schedule"),
    ],
)
def test_the_organizer_cancels_a_job_from_its_page(app, client, auth, event_id, kind, page, button):
    with app.app_context():
        job = Job(event_id=event_id, kind=kind, status="running", progress=0.3)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    auth.login()
    page_url = f"/organizer/events/{event_id}/{page}"
    assert button in client.get(page_url).get_data(as_text=True)
    response = post_form(
        client,
        f"/organizer/events/{event_id}/jobs/{job_id}/cancel",
        {},
        form_url=page_url,
        follow_redirects=True,
    )
    assert response.request.path == page_url
    shown = response.get_data(as_text=True)
    assert "Cancelled by the organizer" in shown and button not in shown
    with app.app_context():
        assert db.session.get(Job, job_id).status == "cancelled"


def test_another_organizer_cannot_cancel_a_job(app, client, auth, event_id):
    with app.app_context():
        job = Job(event_id=event_id, kind="matching", status="running")
        db.session.add(job)
        make_organizer("other@example.com")
        db.session.commit()
        job_id = job.id
    auth.login("other@example.com")
    response = post_form(
        client, f"/organizer/events/{event_id}/jobs/{job_id}/cancel", {}, form_url="/organizer/"
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Job, job_id).status == "running"
