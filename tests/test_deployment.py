"""The deployment files agree with each other and with the README: compose.yaml starts web,
worker, PostgreSQL and Redis with the commands of the Procfile, and every variable it sets
is documented."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
README = (ROOT / "README.md").read_text()
PROCFILE = dict(
    line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
)
SERVICES = COMPOSE["services"]


def needs(service: str) -> set[str]:
    """Every service ``service`` waits for, directly or through another."""
    found: set[str] = set()
    pending = [service]
    while pending:
        for name in SERVICES[pending.pop()].get("depends_on", {}):
            if name not in found:
                found.add(name)
                pending.append(name)
    return found


def test_compose_runs_the_four_parts():
    assert {"web", "worker", "postgres", "redis"} <= set(SERVICES)
    for service in ("web", "worker"):
        assert {"postgres", "redis", "migrate"} <= needs(service)


@pytest.mark.parametrize(
    ("service", "process"), [("worker", "worker"), ("migrate", "release"), ("web", "web")]
)
def test_compose_and_the_procfile_run_the_same_commands(service, process):
    command = SERVICES[service]["command"]
    procfile = shlex.split(PROCFILE[process])
    if process == "web":  # ports and process counts differ; the program and the app do not
        assert command[0] == procfile[0] == "gunicorn"
        assert command[-1] == procfile[-1] == "matchmaker:create_app()"
    else:
        assert command == procfile
    assert " ".join(command[:4]) in README or command[0] == "gunicorn"


def test_every_variable_compose_sets_for_the_app_is_documented():
    for service in ("web", "worker", "migrate"):
        environment = SERVICES[service]["environment"]
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MATCHMAKER_ENV"} <= set(environment)
        undocumented = [
            name
            for name in environment
            if f"`{name}`" not in README and not re.search(rf"`[^`]*\b{name}\b[^`]*`", README)
        ]
        assert undocumented == []
    app_urls = SERVICES["web"]["environment"]
    assert app_urls["REDIS_URL"].startswith("redis://redis:")
    assert "@postgres:" in app_urls["DATABASE_URL"]


def test_the_worker_command_exists(app):
    assert "worker" in app.cli.list_commands(None)
