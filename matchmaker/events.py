"""Event settings as plain data: local times to UTC, table names, slugs.

Kept free of Flask so the rules (end after start, sessions inside the event, real local
times on daylight-saving days) are tested directly.
"""

from __future__ import annotations

import functools
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MAX_TABLES = 2000
MIN_YEAR, MAX_YEAR = 2000, 2100
DEFAULT_VIRTUAL_LINK_TEMPLATE = "https://meet.jit.si/{event}-{random}"


class EventRuleError(ValueError):
    """A setting that breaks a rule; `field` names the form field it belongs to."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@functools.cache
def timezone_choices() -> tuple[str, ...]:
    """Region/City zones, plus UTC for online events that keep no venue's clock."""
    zones = {z for z in available_timezones() if "/" in z and not z.startswith("Etc/")}
    return tuple(sorted(zones | {"UTC"}))


def is_valid_timezone(name: str) -> bool:
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_to_utc(day: date, clock: time, zone: str) -> datetime:
    """Attach the event's zone to a wall-clock time and convert it to UTC.

    Raises ValueError for a wall time that does not exist (skipped by a daylight-saving
    change), because silently shifting a meeting by an hour is worse than asking again.
    """
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"Choose a date between {MIN_YEAR} and {MAX_YEAR}.")
    tz = ZoneInfo(zone)
    local = datetime.combine(day, clock, tzinfo=tz)
    round_trip = local.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValueError(
            f"{clock:%H:%M} on {day:%d %b %Y} does not exist in {zone} "
            "(the clocks skip it for daylight saving)."
        )
    return local.astimezone(UTC)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60] or "event"


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def numbered_tables(count: int) -> list[str]:
    """``["Table 1", …, "Table <count>"]``: what a plain number of tables is called."""
    return [f"Table {n}" for n in range(1, count + 1)]


def parse_tables(text: str) -> list[str]:
    """'40' means Table 1..Table 40; otherwise one name per line or comma."""
    text = (text or "").strip()
    if not text:
        return []
    if text.isdigit():
        count = int(text)
        if count > MAX_TABLES:
            raise EventRuleError("tables", f"At most {MAX_TABLES} tables, please.")
        return numbered_tables(count)
    names: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"[\n,;]+", text):
        name = part.strip()
        if not name:
            continue
        if len(name) > 60:
            raise EventRuleError("tables", f"The table name '{name[:20]}…' is over 60 characters.")
        if name.lower() in seen:
            raise EventRuleError("tables", f"The table name '{name}' appears twice.")
        seen.add(name.lower())
        names.append(name)
    if len(names) > MAX_TABLES:
        raise EventRuleError("tables", f"At most {MAX_TABLES} tables, please.")
    return names


def tables_to_text(names: list[str]) -> str:
    if names and names == numbered_tables(len(names)):
        return str(len(names))
    return "\n".join(names)


def render_virtual_link(template: str, event_slug: str, token: str | None = None) -> str:
    """Fill {event} and {random}; the random part makes room names unguessable."""
    template = template or DEFAULT_VIRTUAL_LINK_TEMPLATE
    return template.replace("{event}", event_slug).replace(
        "{random}", token or secrets.token_urlsafe(12).replace("_", "").replace("-", "")
    )


def check_virtual_link_template(template: str) -> None:
    if not template:
        return
    if not re.match(r"^https://", template):
        raise EventRuleError("virtual_link_template", "The link must start with https://")
    if len(template) > 500:
        raise EventRuleError("virtual_link_template", "The link is too long (500 characters max).")


@dataclass
class SessionWindow:
    name: str
    starts_at: datetime
    ends_at: datetime
    id: int | None = None  # the stored session this row edits, if any


@dataclass
class EventTimes:
    starts_at: datetime
    ends_at: datetime
    sessions: list[SessionWindow] = field(default_factory=list)


def check_event_times(times: EventTimes, meeting_minutes: int) -> None:
    """The rules an event's schedule must follow; raises EventRuleError on the first broken."""
    if times.ends_at <= times.starts_at:
        raise EventRuleError("end", "The event must end after it starts.")
    if not 5 <= meeting_minutes <= 120:
        raise EventRuleError("meeting_minutes", "Meetings last between 5 and 120 minutes.")
    ordered = sorted(times.sessions, key=lambda s: s.starts_at)
    for number, session in enumerate(times.sessions, start=1):
        if session.ends_at <= session.starts_at:
            raise EventRuleError("sessions", f"Session {number} must end after it starts.")
        if session.starts_at < times.starts_at or session.ends_at > times.ends_at:
            raise EventRuleError(
                "sessions", f"Session {number} must fall between the event's start and end."
            )
        minutes = (session.ends_at - session.starts_at).total_seconds() / 60
        if minutes < meeting_minutes:
            raise EventRuleError(
                "sessions", f"Session {number} is shorter than one meeting ({meeting_minutes} min)."
            )
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later.starts_at < earlier.ends_at:
            raise EventRuleError("sessions", "Two sessions overlap; make them one session.")
