"""Creating, editing and deleting an event: the rules checked, the web address kept unique,
booked meetings protected, and sessions edited by id so attendees' availability keeps pointing
at them.

Views turn the event form into an :class:`EventDetails` and call :func:`save_event`; every
broken rule comes back as an :class:`~matchmaker.events.EventRuleError` naming its field.
:func:`delete_event` removes an event with everything in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import jobs, mail, suggestions
from .choices import MeetingStatus, SchedulingMode
from .events import (
    EventRuleError,
    EventTimes,
    SessionWindow,
    check_event_times,
    check_virtual_link_template,
    parse_tables,
    slugify,
)
from .extensions import db
from .models import Attendee, Event, Meeting, NetworkingSession, Suggestion

SLUG_TAKEN = "Another event already uses this web address."


@dataclass
class EventDetails:
    """What an organizer typed into the event form, already in UTC."""

    name: str
    timezone: str
    times: EventTimes
    meeting_minutes: int
    buffer_minutes: int = 0
    tables_text: str = ""
    virtual_link_template: str = ""
    max_meetings_per_attendee: int | None = None
    registration_open: bool = True
    scheduling_mode: str = SchedulingMode.PEOPLE_CHOOSE
    auto_schedule_reserve: int = 2
    slug: str = ""  # empty: made from the name
    description: str = ""
    venue: str = ""


def save_event(details: EventDetails, organizer_id: int, event: Event | None = None) -> Event:
    """Create (``event`` None) or update an event in one transaction, or raise EventRuleError."""
    check_event_times(details.times, details.meeting_minutes)
    tables = parse_tables(details.tables_text)
    check_virtual_link_template(details.virtual_link_template)
    if event is not None:
        check_booked_meetings_stay(event, details, tables)
    if details.slug and _slug_owner(details.slug) not in (None, event and event.id):
        raise EventRuleError("slug", SLUG_TAKEN)
    slug = details.slug or _unique_slug(slugify(details.name), event)
    if event is None:
        event = Event(organizer_id=organizer_id)
        db.session.add(event)
    event.slug = slug
    event.name = details.name.strip()
    event.description = details.description.strip()
    event.timezone = details.timezone
    event.venue = details.venue.strip()
    event.starts_at, event.ends_at = details.times.starts_at, details.times.ends_at
    event.meeting_minutes = details.meeting_minutes
    event.buffer_minutes = details.buffer_minutes
    event.table_names = tables
    event.virtual_link_template = details.virtual_link_template.strip()
    event.max_meetings_per_attendee = details.max_meetings_per_attendee
    event.registration_open = details.registration_open
    event.scheduling_mode = details.scheduling_mode
    event.auto_schedule_reserve = details.auto_schedule_reserve
    sync_sessions(event, details.times.sessions)
    try:
        db.session.commit()
    except IntegrityError as error:  # another event took this web address a moment ago
        db.session.rollback()
        raise EventRuleError("slug", SLUG_TAKEN) from error
    return event


def _slug_owner(slug: str) -> int | None:
    return db.session.scalar(db.select(Event.id).where(Event.slug == slug))


def _unique_slug(wanted: str, event: Event | None) -> str:
    slug, n = wanted, 2
    while True:
        owner = _slug_owner(slug)
        if owner is None or (event is not None and owner == event.id):
            return slug
        slug, n = f"{wanted}-{n}", n + 1


def check_booked_meetings_stay(event: Event, details: EventDetails, tables: list[str]) -> None:
    """Booked meetings sit on the slot grid: refuse edits that would pull it from under them."""
    meetings = db.session.scalars(
        db.select(Meeting).where(
            Meeting.event_id == event.id, Meeting.status == MeetingStatus.CONFIRMED
        )
    ).all()
    if not meetings:
        return
    count = len(meetings)
    advice = f"{count} meeting{'s are' if count != 1 else ' is'} booked; cancel or move them first."
    if (details.meeting_minutes, details.buffer_minutes) != (
        event.meeting_minutes,
        event.buffer_minutes,
    ):
        raise EventRuleError("meeting_minutes", f"Meeting times would change. {advice}")
    windows = {w.id: w for w in details.times.sessions if w.id is not None}
    for session in event.sessions:
        used = any(session.starts_at <= m.starts_at < session.ends_at for m in meetings)
        window = windows.get(session.id)
        if used and (
            window is None
            or (window.starts_at, window.ends_at) != (session.starts_at, session.ends_at)
        ):
            raise EventRuleError("sessions", f"“{session.label()}” has meetings booked. {advice}")
    missing = {m.table_name for m in meetings if m.table_name and m.table_name not in tables}
    if missing:
        raise EventRuleError(
            "tables", f"{', '.join(sorted(missing))} has meetings booked. {advice}"
        )


def sync_sessions(event: Event, windows: list[SessionWindow]) -> None:
    """Edit sessions by id, because attendees' availability refers to session ids.

    A removed session is also removed from everyone's availability.
    """
    existing = {session.id: session for session in event.sessions}
    kept: list[NetworkingSession] = []
    for window in sorted(windows, key=lambda w: w.starts_at):
        session = existing.pop(window.id, None) if window.id is not None else None
        session = session or NetworkingSession()
        session.name, session.starts_at, session.ends_at = (
            window.name,
            window.starts_at,
            window.ends_at,
        )
        kept.append(session)
    event.sessions = kept
    removed = set(existing)
    if not removed:
        return
    people = db.session.scalars(
        db.select(Attendee).where(
            Attendee.event_id == event.id, Attendee.available_session_ids.is_not(None)
        )
    )
    for person in people:
        ids = person.available_session_ids or []
        if removed & set(ids):
            person.available_session_ids = [i for i in ids if i not in removed]


# -- deleting --------------------------------------------------------------------------------

JOB_NAMES = {"matching": "Matching", "scheduling": "Auto-schedule", "import": "An import"}


class EventBusy(Exception):
    """A background job is working on the event; deleting would pull the rows from under it."""


@dataclass(frozen=True)
class EventContents:
    """What deleting an event takes with it, for the organizer to read before confirming."""

    attendees: int
    meetings: int  # booked, not cancelled
    suggestions: int
    emails_waiting: int


def event_contents(event: Event) -> EventContents:
    def count(model: type, *where: object) -> int:
        statement = select(func.count()).select_from(model).where(model.event_id == event.id)
        return db.session.scalar(statement.where(*where)) or 0

    return EventContents(
        attendees=count(Attendee),
        meetings=count(Meeting, Meeting.status == MeetingStatus.CONFIRMED),
        suggestions=count(Suggestion),
        emails_waiting=mail.outbox_summary(db.session, event.id, errors=0)["counts"]["pending"],
    )


def delete_event(event: Event) -> None:
    """Delete the event and everything in it, in one transaction; EventBusy while a job runs.

    The database does the work: every table that points at an event (sessions, attendees,
    suggestions, jobs, meetings and through them their seats, import uploads, the outbox)
    cascades. Nobody is told, and emails not yet sent go with the rest.
    """
    busy = jobs.under_way(event.id)
    if busy:
        what = JOB_NAMES.get(busy[0].kind, "A background job")
        raise EventBusy(
            f"{what} is running for this event. Wait until it has finished, then delete it."
        )
    event_id = event.id
    db.session.delete(event)
    db.session.commit()
    # A process that matched this event keeps its matcher; a new event could get the same id.
    suggestions.forget_cached_matcher(event_id)
