"""Error pages in plain language; a failed request never leaves a half-written transaction."""

from __future__ import annotations

import math

from flask import Flask, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .config import upload_limit_text
from .extensions import db
from .security import retry_after_seconds


def init_app(app: Flask) -> None:
    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):  # noqa: ANN202
        limit = upload_limit_text(app.config.get("MAX_CONTENT_LENGTH"))
        message = (
            f"That file is larger than the {limit} limit, so it was not uploaded. Split it "
            "into smaller files or remove the columns you do not need, then upload it again."
        )
        back_url = None
        event_id = (request.view_args or {}).get("event_id")
        if (request.endpoint or "").startswith("organizer.import") and event_id is not None:
            back_url = url_for("organizer.import_upload", event_id=event_id)
        page = render_template(
            "errors/error.html",
            code=413,
            message=message,
            back_url=back_url,
            back_label="Back to the import page",
        )
        return page, 413

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(error: RateLimitExceeded):  # noqa: ANN202
        seconds = retry_after_seconds()
        message = (
            "There were too many tries from your connection in a short time, so this one was "
            f"not carried out. Please wait {_in_words(seconds)} and try again."
        )
        page = render_template("errors/error.html", code=429, message=message)
        return page, 429, {"Retry-After": str(seconds)}

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # noqa: ANN202
        message = (
            "This form expired or did not come from this site, so nothing was saved. "
            "Go back, reload the page and try again."
        )
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # noqa: ANN202
        if request.path.startswith("/static/"):
            return error
        return (
            render_template("errors/error.html", code=error.code, message=error.description),
            error.code or 500,
        )

    @app.errorhandler(500)
    def server_error(error: Exception):  # noqa: ANN202
        db.session.rollback()
        message = "Something went wrong on our side. Nothing was saved; please try again."
        return render_template("errors/error.html", code=500, message=message), 500


def _in_words(seconds: int) -> str:
    """A wait as people say it, never shorter than it is."""
    if seconds <= 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hours"
