"""The organizer's pages, behind a sign-in: events, attendee imports and links, matching,
and the schedule. Each view module registers its routes on :data:`bp`."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

from ..extensions import db
from ..models import Attendee, Event

bp = Blueprint("organizer", __name__, url_prefix="/organizer")


@bp.before_request
@login_required
def require_login() -> None:
    """Every organizer page needs a signed-in organizer."""


def own_event(event_id: int) -> Event:
    """The event if it belongs to the signed-in organizer; 404 otherwise, so ids leak nothing."""
    event = db.session.get(Event, event_id)
    if event is None or event.organizer_id != current_user.id:
        abort(404)
    return event


def own_attendee(event: Event, attendee_id: int) -> Attendee:
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.event_id != event.id:
        abort(404)
    return attendee


from . import attendees, events, imports, jobs, matching, outcome, schedule  # noqa: E402, F401 - register the views
