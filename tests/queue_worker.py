"""``flask --app matchmaker worker`` in a process that also knows the test job kinds.

Arguments go to the command (e.g. ``--burst``); the environment configures the app
(DATABASE_URL, REDIS_URL, JOB_QUEUE_NAME), as it would a deployed worker.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import job_kinds  # noqa: E402, F401 - registers the test kinds before the worker starts
from flask.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.argv = ["flask", "--app", "matchmaker", "worker", *sys.argv[1:]]
    main()
