"""Job kinds for the job tests, registered in the test process and in the workers that
tests/queue_worker.py starts.

``test-nap`` writes its process id to ``params["runs_file"]`` (one line per run), then
sleeps ``params["seconds"]``: a test sees which process runs it, how often, and can kill it.
"""

from __future__ import annotations

import os
import time

from matchmaker import jobs

NAP = "test-nap"
BROKEN = "test-broken"


@jobs.task(NAP)
def nap(event_id: int, params: dict, progress: jobs.Progress) -> dict:
    with open(params["runs_file"], "a", encoding="utf-8") as runs:
        runs.write(f"{os.getpid()}\n")
    progress(0.1, "Napping…")
    deadline = time.monotonic() + float(params.get("seconds", 0))
    while time.monotonic() < deadline:
        time.sleep(0.02)
    return {"pid": os.getpid(), "niceness": os.nice(0)}


@jobs.task(BROKEN)
def broken(event_id: int, params: dict, progress: jobs.Progress) -> dict:
    raise jobs.JobFailed("The file has no header row.")


def runs(path) -> list[int]:  # noqa: ANN001
    """The process ids that ran a nap, in order."""
    try:
        with open(path, encoding="utf-8") as lines:
            return [int(line) for line in lines if line.strip()]
    except FileNotFoundError:
        return []


STEPS = "test-steps"


@jobs.task(STEPS)
def steps(event_id: int, params: dict, progress: jobs.Progress) -> dict:
    """Reports progress every 0.1 s for ``params["steps"]`` steps (a job one can cancel)."""
    total = int(params.get("steps", 50))
    for step in range(total):
        progress(step / total, f"Step {step + 1} of {total}")
        time.sleep(0.1)
    return {"steps": total}
