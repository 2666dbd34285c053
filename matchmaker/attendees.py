"""Attendee records in the database: bulk import, profile updates, event figures.

Imports write in bulk statements inside the caller's transaction, so 10,000 rows take a
handful of round trips and a failed import leaves nothing half-written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError
from sqlalchemy import Table, func, insert, select, update

from .adapters import IMPORTED_FIELDS, record_values
from .choices import AttendeeStatus
from .extensions import db
from .importing import AttendeeRecord, normalize_email
from .models import Attendee, Event, new_access_token, utcnow
from .registration import drop_held_registrations

BATCH = 2000
ACTIVE = AttendeeStatus.ACTIVE


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

    One query learns who is in the event already (email, id, status); then the records go a
    batch at a time: the existing people of the batch are read in full and updated, the new
    ones inserted. A first import of 100,000 people thus asks nothing per batch, and memory
    holds one batch of database rows besides the records; ``progress`` hears how many
    records are done after each batch. The records come validated: no email appears twice.

    A held public registration of the same email (never confirmed or approved) is replaced:
    the guest the organizer imports gets a fresh private link, not the registrant's.
    """
    present = {
        email: (attendee_id, status)
        for email, attendee_id, status in db.session.execute(
            select(Attendee.email, Attendee.id, Attendee.status).where(
                Attendee.event_id == event.id
            )
        )
    }
    held = [r.email for r in records if r.email in present and present[r.email][1] != ACTIVE]
    if held:
        drop_held_registrations(event, held)
    table = Attendee.__table__
    columns = [Attendee.id] + [getattr(Attendee, n) for n in IMPORTED_FIELDS]
    now = utcnow()
    created = 0
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        ids = [present[r.email][0] for r in batch if r.email in present and r.email not in held]
        existing = {}
        if ids:
            existing = {
                row.id: row._asdict()
                for row in db.session.execute(select(*columns).where(Attendee.id.in_(ids)))
            }
        new_rows: list[dict[str, object]] = []
        changed_rows: list[dict[str, object]] = []
        for record in batch:
            values = record_values(record)
            known = present.get(record.email)
            current = existing.get(known[0]) if known else None
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
        if new_rows:
            _insert_rows(table, new_rows)
        if changed_rows:
            db.session.execute(update(Attendee), changed_rows)
        created += len(new_rows)
        if progress:
            progress(start + len(batch))
    return ImportResult(created=created, updated=len(records) - created)


def _insert_rows(table: Table, rows: list[dict[str, object]]) -> None:
    """Insert rows that all name the same columns, in the current transaction.

    PostgreSQL gets them through COPY: an INSERT per row, or pages of rows in one INSERT,
    spend most of their time in the driver's parsing of the parameters (100,000 attendees
    took minutes). Values go through the columns' own bind processing first, as they would
    for an INSERT. SQLite's executemany is fast as it is.
    """
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    statement = "COPY {} ({}) FROM STDIN".format(
        dialect.identifier_preparer.format_table(table),
        ", ".join(dialect.identifier_preparer.quote(name) for name in names),
    )
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    value if process is None else process(value)
                    for value, process in zip(row.values(), processors, strict=True)
                ]
            )


@dataclass
class EventStats:
    attendees: int
    with_profile: int
    by_role: dict[str, int]
    awaiting_approval: int = 0  # public registrations the organizer has still to approve


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
    awaiting = db.session.scalar(
        select(func.count()).where(
            Attendee.event_id == event.id, Attendee.status == AttendeeStatus.AWAITING_APPROVAL
        )
    )
    return EventStats(
        attendees=total, with_profile=with_profile, by_role=by_role, awaiting_approval=awaiting or 0
    )


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


class DetailsRefused(ValueError):
    """An organizer's correction that cannot be saved; the message says why, in words."""


def update_details(
    person: Attendee, *, name: str, email: str, organization: str, job_title: str, role: str
) -> None:
    """The organizer corrects who someone is (a typo in a name, a changed address); the
    caller commits. The email is normalised as imports normalise it, and must not be
    another attendee's of the event: emails tell people apart on every re-import."""
    try:
        address = normalize_email(email)
    except EmailNotValidError as error:
        raise DetailsRefused(f"“{email}” is not an email address: {error}") from error
    taken = db.session.scalar(
        select(Attendee.name).where(
            Attendee.event_id == person.event_id,
            Attendee.email == address,
            Attendee.id != person.id,
        )
    )
    if taken is not None:
        raise DetailsRefused(f"{taken} already has {address} at this event.")
    person.name, person.email = name.strip(), address
    person.organization, person.job_title = organization.strip(), job_title.strip()
    person.role = role
