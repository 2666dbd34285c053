"""An attendee's answer to a suggested partner, and everything that follows from it.

A "yes" that makes the pair mutual books their meeting; a "no" calls off the pair's
meeting (a confirmed one, or one the organizer assigned) and takes the pair out of both
people's lists. All of it is
one transaction, then the invitations go out and the lists are brought up to date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from . import bookings, mail, suggestions
from .choices import Answer
from .extensions import db
from .models import Attendee, Meeting, Suggestion


class NotYourSuggestion(LookupError):
    """The suggestion does not exist or does not involve this attendee."""


@dataclass
class AnswerOutcome:
    partner: Attendee
    answer: str
    was_confirmed: bool  # both had said yes before this answer
    confirmed: bool  # this answer made the pair mutual
    meeting: Meeting | None = None  # booked because of this answer
    cancelled: list[Meeting] = field(default_factory=list)


def answer_suggestion(person: Attendee, suggestion_id: int, answer: str) -> AnswerOutcome:
    """Record ``person``'s answer on one of their suggestions and commit what follows.

    Raises NotYourSuggestion for someone else's pair and suggestions.AnswerError for an
    answer that is not one of :class:`~matchmaker.choices.Answer`.
    """
    # Locked, so that two people answering at the same moment both see the other's answer.
    row = db.session.scalar(
        db.select(Suggestion).where(Suggestion.id == suggestion_id).with_for_update()
    )
    if row is None or person.id not in (row.low_id, row.high_id):
        raise NotYourSuggestion(suggestion_id)
    outcome = AnswerOutcome(
        partner=row.high if row.low_id == person.id else row.low,
        answer=answer,
        was_confirmed=row.confirmed,
        confirmed=suggestions.record_answer(row, person.id, answer),
    )
    if outcome.confirmed:
        outcome.meeting = bookings.book_confirmed(row)
    # "Not for me" calls off the pair's meeting, whether both had said yes or the organizer
    # assigned it (speed networking): nobody is held to a meeting they refused.
    if answer == Answer.DECLINED:
        for booked in bookings.active_meetings_of_pair(row):
            bookings.cancel_meeting(booked, by=person.name)
            outcome.cancelled.append(booked)
    db.session.commit()
    if outcome.meeting is not None or outcome.cancelled:
        mail.send_in_background(current_app._get_current_object())  # type: ignore[attr-defined]
    if answer == Answer.DECLINED:
        suggestions.refresh_and_commit(person.event)
    return outcome


def cancel_own_meeting(person: Attendee, meeting: Meeting) -> None:
    """An attendee calls off one of their meetings and commits; both slots are free again.

    A meeting the organizer assigned (the pair never both said yes) counts as "not for me",
    so the next auto-schedule does not assign it again; a mutual yes stays, so the pair
    can book another time.
    """
    row = db.session.get(Suggestion, meeting.suggestion_id) if meeting.suggestion_id else None
    bookings.cancel_meeting(meeting, by=person.name)
    if row is not None and not row.confirmed:
        suggestions.record_answer(row, person.id, Answer.DECLINED)
    db.session.commit()
    mail.send_in_background(current_app._get_current_object())  # type: ignore[attr-defined]
