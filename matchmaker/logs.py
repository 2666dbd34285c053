"""Logs: one line per request and one per job (:mod:`matchmaker.jobs`), on standard error.

Attendee links carry their private key in the path (``/me/<token>/…``, the email
confirmation link), and a logged key would let whoever reads the logs act as that person,
so the key part of a path is written as ``…``. Query strings are left out for the same
reason. The line is written here, not by gunicorn's access log, which knows no better.
"""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, Response, g, request

log = logging.getLogger("matchmaker.requests")

HIDDEN = "…"
# Paths that no route matched still start like a private link when someone guesses one.
_PRIVATE_PREFIX = re.compile(r"^/me/[^/]+")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def public_path(path: str, view_args: dict | None) -> str:
    """The request path with any private key replaced by ``…``."""
    token = (view_args or {}).get("token")
    if isinstance(token, str) and token:
        path = path.replace(f"/{token}", f"/{HIDDEN}")
    return _PRIVATE_PREFIX.sub(f"/me/{HIDDEN}", path)


def init_app(app: Flask) -> None:
    _configure_logging(app.config.get("LOG_LEVEL") or "INFO")

    @app.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        started = g.get("request_started")
        elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        log.info(
            "%s %s %s %.1fms",
            request.method,
            public_path(request.path, request.view_args),
            response.status_code,
            elapsed,
        )
        return response


def _configure_logging(level: str) -> None:
    """Send matchmaker's records to standard error, unless logging is set up already (a
    test runner, or a server configured by hand)."""
    package = logging.getLogger("matchmaker")
    package.setLevel(level)
    if logging.getLogger().handlers or package.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    package.addHandler(handler)
