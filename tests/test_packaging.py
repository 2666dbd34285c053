"""The two commands and the package work from a fresh clone, as a new user would run them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_wheel_carries_templates_static_files_and_migrations(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    wheel = next(tmp_path.glob("matchmaker-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "matchmaker/templates/base.html" in names
    assert "matchmaker/templates/organizer/import_preview.html" in names
    assert "matchmaker/static/app.css" in names
    assert "matchmaker/migrations/env.py" in names
    assert any(n.startswith("matchmaker/migrations/versions/") for n in names)


@pytest.mark.slow
def test_scripts_serve_from_a_fresh_clone_answers_and_stops(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "FLASK"))}
    env.update(PORT=str(port), DATABASE_URL="", PATH="/usr/local/bin:/usr/bin:/bin")
    process = subprocess.Popen(
        ["scripts/serve"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = ""
    try:
        deadline = time.monotonic() + 600
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    status = response.status
                    page = response.read().decode()
                    break
            except OSError:
                time.sleep(1)
        assert status == 200, f"scripts/serve did not answer; exit code {process.poll()}"
        assert "matchmaker" in page
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/e/nordic-founders-day", timeout=5
        ) as response:
            assert response.status == 200
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        if not output:
            output, _ = process.communicate()
        print(output)  # shown by pytest when the test fails
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "demo@example.org" in output
    assert (clone / "instance" / "matchmaker.sqlite3").exists()
    # A second run is idempotent: same database, the demo event is not created twice.
    second = subprocess.run(
        ["bash", "-c", "source scripts/_venv.sh && ensure_venv '' && .venv/bin/flask demo"],
        cwd=clone,
        env=env | {"FLASK_APP": "matchmaker"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "already exists" in second.stdout, second.stdout + second.stderr
