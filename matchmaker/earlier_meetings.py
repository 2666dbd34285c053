"""Pairs of an event's attendees who met at the same organizer's other events, matched by
email: what the organizer's follow-up setting acts on (leave them out of suggestions, or
book them first)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from .choices import AttendeeStatus, MeetingOutcome, MeetingStatus
from .extensions import db
from .models import Attendee, Event, Meeting, MeetingFeedback, utcnow


def earlier_pairs(event: Event, *, now: datetime | None = None) -> dict[tuple[int, int], bool]:
    """Pairs of this event's attendees (low id, high id) who met at one of the organizer's
    other events, by email; True where either said they would meet again.

    For the organizer's follow-up setting: leaving such pairs out, or booking them first.
    Nothing is shown to anyone from it, so it needs no one's consent.
    """
    here: dict[str, int] = {
        email: attendee_id
        for attendee_id, email in db.session.execute(
            select(Attendee.id, func.lower(Attendee.email)).where(
                Attendee.event_id == event.id, Attendee.status == AttendeeStatus.ACTIVE
            )
        )
    }
    if len(here) < 2:
        return {}
    low, high = aliased(Attendee), aliased(Attendee)
    rows = db.session.execute(
        select(Meeting.id, func.lower(low.email), func.lower(high.email))
        .join(Event, Event.id == Meeting.event_id)
        .join(low, low.id == Meeting.low_id)
        .join(high, high.id == Meeting.high_id)
        .where(
            Event.organizer_id == event.organizer_id,
            Event.id != event.id,
            Meeting.status == MeetingStatus.CONFIRMED,
            Meeting.ends_at <= (now or utcnow()),
        )
    ).all()
    met: dict[int, tuple[int, int]] = {}
    for meeting_id, a, b in rows:
        if a in here and b in here and a != b:
            met[meeting_id] = tuple(sorted((here[a], here[b])))
    if not met:
        return {}
    did_not_happen: set[int] = set()
    again: set[int] = set()
    ids = list(met)
    for start in range(0, len(ids), 1000):
        for meeting_id, outcome, meet_again in db.session.execute(
            select(
                MeetingFeedback.meeting_id, MeetingFeedback.outcome, MeetingFeedback.meet_again
            ).where(MeetingFeedback.meeting_id.in_(ids[start : start + 1000]))
        ):
            if outcome != MeetingOutcome.MET:
                did_not_happen.add(meeting_id)
            elif meet_again:
                again.add(meeting_id)
    pairs: dict[tuple[int, int], bool] = {}
    for meeting_id, pair in met.items():
        if meeting_id not in did_not_happen:
            pairs[pair] = pairs.get(pair, False) or meeting_id in again
    return pairs
