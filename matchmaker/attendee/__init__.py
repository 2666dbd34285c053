"""Pages for attendees: the public event page with registration, and everything behind an
attendee's private link (profile, matches, schedule, calendars). Each view module registers
its routes on :data:`bp`."""

from __future__ import annotations

from flask import Blueprint, abort
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Attendee

bp = Blueprint("attendee", __name__)


def attendee_by_token(token: str) -> Attendee:
    if not token or len(token) > 64:
        abort(404)
    # With its event, which every page shows: one query instead of two.
    person = db.session.scalar(
        db.select(Attendee)
        .where(Attendee.access_token == token)
        .options(joinedload(Attendee.event))
    )
    if person is None or not person.is_active:
        abort(404, "This link is not valid. It may have been replaced; ask the organizer.")
    return person


from . import (  # noqa: E402, F401 - register the views
    data,
    feedback,
    matches,
    network,
    profile,
    registration,
    schedule,
)
