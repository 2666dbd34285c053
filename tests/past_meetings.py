"""Events whose meetings have already taken place, for the tests of what follows a meeting:
feedback, no-shows, the network."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from conftest import make_event
from sqlalchemy import select

from matchmaker.choices import Answer, MeetingStatus
from matchmaker.extensions import db
from matchmaker.models import (
    Attendee,
    Event,
    Meeting,
    MeetingSeat,
    NetworkingSession,
    Organizer,
    Suggestion,
)

# A week before "now" in the tests (the meetings have ended), and far enough from the
# request window's edge (14 days) that a slow suite does not cross it.
PAST = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=7)


def past_event(organizer: Organizer, slug: str, start: datetime = PAST, **overrides) -> Event:  # noqa: ANN003
    values = {
        "name": slug.replace("-", " ").title(),
        "starts_at": start,
        "ends_at": start + timedelta(hours=8),
        "sessions": [
            NetworkingSession(
                name="Morning",
                starts_at=start + timedelta(hours=1),
                ends_at=start + timedelta(hours=3),
            )
        ],
    }
    return make_event(organizer, slug=slug, **(values | overrides))


def meet(
    event: Event,
    a: Attendee,
    b: Attendee,
    *,
    at: datetime,
    both_said_yes: bool = True,
    score: float = 0.5,
    status: MeetingStatus = MeetingStatus.CONFIRMED,
) -> Meeting:
    """A booked meeting of ``a`` and ``b`` at ``at`` (15 minutes, online), with its
    suggestion row: a mutual yes unless ``both_said_yes`` is False (an assigned meeting)."""
    low, high = sorted((a, b), key=lambda person: person.id)
    answer = Answer.INTERESTED if both_said_yes else Answer.NONE
    row = db.session.scalar(
        select(Suggestion).where(Suggestion.low_id == low.id, Suggestion.high_id == high.id)
    )
    if row is None:
        row = Suggestion(
            event_id=event.id,
            low_id=low.id,
            high_id=high.id,
            score=score,
            reasons={"low_helps": [], "high_helps": [], "shared": []},
            rank_low=1,
            rank_high=1,
        )
        db.session.add(row)
    row.answer_low = row.answer_high = answer
    db.session.flush()
    meeting = Meeting(
        event_id=event.id,
        suggestion_id=row.id,
        low_id=low.id,
        high_id=high.id,
        starts_at=at,
        ends_at=at + timedelta(minutes=15),
        mode="virtual",
        virtual_url="https://meet.example.org/room",
        score=score,
        status=status,
        uid=f"meeting-{secrets.token_hex(6)}@example.org",
    )
    if status == MeetingStatus.CONFIRMED:
        meeting.seats = [
            MeetingSeat(attendee_id=low.id, starts_at=at),
            MeetingSeat(attendee_id=high.id, starts_at=at),
        ]
    db.session.add(meeting)
    db.session.commit()
    return meeting
