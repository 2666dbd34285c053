"""Attendee records in the database: bulk import, profile updates, event figures.

Imports write in bulk statements inside the caller's transaction, so 10,000 rows take a
handful of round trips and a failed import leaves nothing half-written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from .adapters import IMPORTED_FIELDS, record_values
from .extensions import db
from .importing import AttendeeRecord
from .models import Attendee, Event, new_access_token, utcnow
from .registration import drop_held_registrations

BATCH = 2000


@dataclass
class ImportResult:
    created: int
    updated: int


def _merge(existing: dict[str, object], incoming: dict[str, object]) -> dict[str, object]:
    """Re-imports refresh what the file says, without blanking what the attendee filled in."""
    merged = {}
    for name, value in incoming.items():
        if value in (None, "", []) or (name == "meeting_mode" and value == "either"):
            if existing.get(name) not in (None, "", []):
                continue
        if name == "role" and value == "other" and existing.get(name) not in (None, "other"):
            continue
        merged[name] = value
    return merged


def import_records(
    event: Event,
    records: Sequence[AttendeeRecord],
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create or update attendees by email within the current transaction (caller commits).

    A held public registration of the same email (never confirmed or approved) is replaced:
    the guest the organizer imports gets a fresh private link, not the registrant's.
    """
    emails = [r.email for r in records]
    drop_held_registrations(event, emails)
    existing: dict[str, dict[str, object]] = {}
    columns = [Attendee.id, Attendee.email] + [getattr(Attendee, n) for n in IMPORTED_FIELDS]
    for start in range(0, len(emails), BATCH):
        chunk = emails[start : start + BATCH]
        for row in db.session.execute(
            select(*columns).where(Attendee.event_id == event.id, Attendee.email.in_(chunk))
        ):
            existing[row.email] = row._asdict()
    now = utcnow()
    new_rows: list[dict[str, object]] = []
    changed_rows: list[dict[str, object]] = []
    for record in records:
        values = record_values(record)
        current = existing.get(record.email)
        if current is None:
            new_rows.append(
                values
                | {
                    "event_id": event.id,
                    "email": record.email,
                    "access_token": new_access_token(),
                    "consent_share_contact": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        else:
            merged = _merge(current, values)
            if any(current.get(k) != v for k, v in merged.items()):
                changed_rows.append(merged | {"id": current["id"], "updated_at": now})
    done = 0
    for start in range(0, len(new_rows), BATCH):
        db.session.execute(insert(Attendee), new_rows[start : start + BATCH])
        done += len(new_rows[start : start + BATCH])
        if progress:
            progress(done)
    for start in range(0, len(changed_rows), BATCH):
        db.session.execute(update(Attendee), changed_rows[start : start + BATCH])
        done += len(changed_rows[start : start + BATCH])
        if progress:
            progress(done)
    return ImportResult(created=len(new_rows), updated=len(records) - len(new_rows))


@dataclass
class EventStats:
    attendees: int
    with_profile: int
    by_role: dict[str, int]


def event_stats(event: Event) -> EventStats:
    total = db.session.scalar(select(func.count()).where(Attendee.event_id == event.id)) or 0
    by_role = dict(
        db.session.execute(
            select(Attendee.role, func.count())
            .where(Attendee.event_id == event.id)
            .group_by(Attendee.role)
        ).all()
    )
    lists = db.session.execute(
        select(Attendee.can_help_with, Attendee.looking_for).where(Attendee.event_id == event.id)
    ).all()
    with_profile = sum(1 for helps, needs in lists if helps or needs)
    return EventStats(attendees=total, with_profile=with_profile, by_role=by_role)


def phrase_suggestions(event: Event, limit: int = 300) -> dict[str, list[str]]:
    """The phrases others at the event wrote, most common first, to suggest while typing."""
    counters = {"can_help_with": Counter(), "looking_for": Counter(), "interests": Counter()}
    spelling: dict[str, str] = {}
    rows = db.session.execute(
        select(Attendee.can_help_with, Attendee.looking_for, Attendee.interests).where(
            Attendee.event_id == event.id
        )
    )
    for helps, needs, interests in rows:
        for key, phrases in zip(counters, (helps, needs, interests), strict=True):
            for phrase in phrases or []:
                folded = phrase.casefold()
                spelling.setdefault(folded, phrase)
                counters[key][folded] += 1
    skills = counters["can_help_with"] + counters["looking_for"]
    return {
        "skills": [spelling[p] for p, _ in skills.most_common(limit)],
        "interests": [spelling[p] for p, _ in counters["interests"].most_common(limit)],
    }
