"""An attendee's own data: everything stored about them as one JSON document, and deleting
their profile with whatever is only theirs.

The export holds the attendee's row column by column, so a column added later appears
without a change here. Of the people they were matched with it names each partner and
nothing more: a partner's answers, profile and contact details are the partner's data.
Keys to pages (the private link and the confirmation link) stay out of the file, and out
of the email texts in it: a download left in a folder must not open the attendee's pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select

from . import bookings, mail, suggestions
from .extensions import db
from .models import Attendee, Meeting, MeetingFeedback, OutboxMessage, Suggestion, utcnow

# Columns that say nothing about the person (row keys) and those that are keys to pages.
_NOT_PERSONAL = frozenset({"id", "event_id"})
_KEY_SUFFIX = "_token"
_CONSENT_PREFIX = "consent_"
EVERY_SESSION = "every session"
REDACTED_KEY = "[private]"


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _keys_of(person: Attendee) -> list[str]:
    """The secret parts of the attendee's links, as stored on their row."""
    return [
        str(getattr(person, column.name))
        for column in Attendee.__table__.columns
        if column.name.endswith(_KEY_SUFFIX) and getattr(person, column.name)
    ]


def _without_keys(text: str, keys: list[str]) -> str:
    for key in keys:
        text = text.replace(key, REDACTED_KEY)
    return text


def _profile_and_consent(person: Attendee) -> tuple[dict[str, Any], dict[str, Any]]:
    profile: dict[str, Any] = {}
    consent: dict[str, Any] = {}
    for column in Attendee.__table__.columns:
        name = column.name
        if name in _NOT_PERSONAL or name.endswith(_KEY_SUFFIX):
            continue
        value = _json_value(getattr(person, name))
        if name.startswith(_CONSENT_PREFIX):
            consent[name] = value
        elif name == "available_session_ids":
            # Session ids mean nothing outside the database: name the sessions instead.
            profile["available_sessions"] = (
                EVERY_SESSION
                if value is None
                else [s.label() for s in person.event.sessions if s.id in value]
            )
        else:
            profile[name] = value
    return profile, consent


def _partners(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(Attendee.id, Attendee.name).where(Attendee.id.in_(ids)))
    return {row.id: row.name for row in rows}


def _suggestions(person: Attendee) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Suggestion)
        .where(or_(Suggestion.low_id == person.id, Suggestion.high_id == person.id))
        .order_by(Suggestion.id)
    ).all()
    names = _partners({row.partner_id(person.id) for row in rows})
    return [
        {
            "partner": names.get(row.partner_id(person.id), ""),
            "your_rank": row.rank_low if row.side(person.id) == "low" else row.rank_high,
            "score": row.score,
            "your_answer": row.answer_of(person.id),
            "both_said_yes": row.confirmed,
            "confirmed_at": _iso(row.confirmed_at),
            "suggested_at": _iso(row.created_at),
        }
        for row in rows
    ]


def _meetings(person: Attendee) -> list[dict[str, Any]]:
    meetings = bookings.attendee_meetings(person, include_cancelled=True)
    names = _partners({m.high_id if m.low_id == person.id else m.low_id for m in meetings})
    return [
        {
            "partner": names.get(m.high_id if m.low_id == person.id else m.low_id, ""),
            "starts_at": _iso(m.starts_at),
            "ends_at": _iso(m.ends_at),
            "mode": m.mode,
            "table": m.table_name,
            "video_link": m.virtual_url,
            "status": m.status,
            "cancelled_by": m.cancelled_by,
            "booked_at": _iso(m.created_at),
        }
        for m in meetings
    ]


def _feedback(person: Attendee) -> list[dict[str, Any]]:
    """The attendee's own answers after their meetings (a partner's answers are the
    partner's)."""
    rows = db.session.scalars(
        select(MeetingFeedback)
        .where(MeetingFeedback.attendee_id == person.id)
        .order_by(MeetingFeedback.id)
    ).all()
    meetings = {row.meeting_id: row.meeting for row in rows}
    names = _partners({m.partner_of(person.id).id for m in meetings.values()})
    return [
        {
            "partner": names.get(meetings[row.meeting_id].partner_of(person.id).id, ""),
            "meeting_starts_at": _iso(meetings[row.meeting_id].starts_at),
            "did_it_happen": row.outcome,
            "usefulness": row.usefulness,
            "who_helped_whom": row.helped,
            "would_meet_again": row.meet_again,
            "note": row.note,
            "answered_at": _iso(row.created_at),
            "changed_at": _iso(row.updated_at),
        }
        for row in rows
    ]


def _emails(person: Attendee) -> list[dict[str, Any]]:
    """Messages to the attendee. Their calendar attachments repeat the meetings above and
    list both people's addresses, so only the attachment's kind is given."""
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.event_id == person.event_id, OutboxMessage.to_email == person.email)
        .order_by(OutboxMessage.id)
    ).all()
    keys = _keys_of(person)
    return [
        {
            "subject": message.subject,
            "body": _without_keys(message.body_text, keys),
            "calendar_method": message.ics_method,
            "status": message.status,
            "queued_at": _iso(message.created_at),
            "sent_at": _iso(message.sent_at),
        }
        for message in messages
    ]


def export_attendee(person: Attendee) -> dict[str, Any]:
    """Everything stored about ``person``, JSON-ready (instants as ISO 8601 in UTC)."""
    event = person.event
    profile, consent = _profile_and_consent(person)
    return {
        "exported_at": utcnow().isoformat(),
        "event": {
            "name": event.name,
            "starts_at": _iso(event.starts_at),
            "ends_at": _iso(event.ends_at),
            "timezone": event.timezone,
            "venue": event.venue,
            "organizer": event.organizer.name,
        },
        "profile": profile,
        "consent": consent,
        "suggestions": _suggestions(person),
        "meetings": _meetings(person),
        "feedback": _feedback(person),
        "emails": _emails(person),
    }


def meetings_to_cancel(person: Attendee) -> list[Meeting]:
    """The booked meetings that deleting ``person`` calls off (their partners are told)."""
    return bookings.attendee_meetings(person)


def delete_attendee(person: Attendee) -> None:
    """Delete ``person`` and what is only theirs, in one transaction, then tell partners.

    Booked meetings are cancelled first, so each partner gets the slot back and a
    cancellation in the outbox. Messages to the attendee go, sent or not (the cancellations
    just queued for them too). The database drops the rest with the row: their suggestions,
    meetings and seats (foreign keys cascade). Partners' lists are then refreshed.
    """
    event = person.event
    for meeting in meetings_to_cancel(person):
        bookings.cancel_meeting(meeting, by=person.name)
    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.event_id == person.event_id, OutboxMessage.to_email == person.email
        )
    )
    db.session.delete(person)
    db.session.commit()
    # Rows the database deleted may still sit in the session; nothing may read them again.
    db.session.expire_all()
    mail.send_in_background(current_app._get_current_object())  # type: ignore[attr-defined]
    suggestions.refresh_and_commit(event)
