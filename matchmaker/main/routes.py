"""The front page, for whoever arrives without a link."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..extensions import db
from ..models import Event

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    open_events = db.session.scalars(
        db.select(Event)
        .where(Event.registration_open.is_(True))
        .order_by(Event.starts_at)
        .limit(12)
    ).all()
    return render_template("main/index.html", open_events=open_events, user=current_user)


@bp.route("/healthz")
def health():
    db.session.execute(db.select(1))
    return {"status": "ok"}
