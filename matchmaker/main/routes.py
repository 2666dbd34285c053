"""The front page, for whoever arrives without a link."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from .. import job_queue
from ..extensions import db
from ..models import Event, utcnow

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    open_events = db.session.scalars(
        db.select(Event)
        .where(Event.registration_open.is_(True), Event.ends_at > utcnow())
        .order_by(Event.starts_at)
        .limit(12)
    ).all()
    return render_template("main/index.html", open_events=open_events, user=current_user)


@bp.route("/healthz")
def health():
    """For load balancers and monitors: 200 when the database and the job queue answer,
    503 otherwise. Names no host, address or error text."""
    report = {"status": "ok", "database": "ok", "queue": "in-process"}
    try:
        db.session.execute(db.select(1))
    except SQLAlchemyError:
        db.session.rollback()
        report["database"] = "unavailable"
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if job_queue.is_configured(app):
        queue = job_queue.health(app)
        report["queue"] = "ok" if queue["ok"] else "unavailable"
        if queue["ok"]:
            report["workers"], report["waiting"] = queue["workers"], queue["waiting"]
    healthy = report["database"] == "ok" and report["queue"] != "unavailable"
    report["status"] = "ok" if healthy else "unavailable"
    return report, 200 if healthy else 503
