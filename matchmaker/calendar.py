"""Meetings -> iCalendar bytes, iTIP messages and "add to calendar" links.

Pure: no Flask, no database. Callers turn their rows into :class:`CalendarMeeting` values and
get bytes back that they can attach to mail, serve as a download or publish as a feed.

Times are kept as aware UTC instants and written in the event's own IANA time zone with a
matching VTIMEZONE, so calendar apps show the wall-clock time of the venue. The VTIMEZONE is
generated (by :mod:`matchmaker.vtimezone`) only for the years the calendar touches: a full
1970-2038 history would make every invite tens of kilobytes for no gain.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Event, vDatetime, vDuration

from .vtimezone import vtimezone_bytes

PRODID = "-//matchmaker//matchmaker//EN"
METHODS = ("PUBLISH", "REQUEST", "CANCEL")
STATUSES = ("CONFIRMED", "CANCELLED")
REMINDER = timedelta(minutes=10)
CONFERENCE_LABEL = "Video call"

# Zones whose wall clock is UTC: written as "Z" times, which need no VTIMEZONE.
_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "GMT", "Etc/GMT"})
_WHITESPACE = re.compile(r"\s+")
# Control characters other than tab and line feed are not TEXT (RFC 5545 3.3.11); libical
# refuses NUL outright and calcurse skips events containing CR.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CALENDAR_END = b"END:VCALENDAR\r\n"


@dataclass(frozen=True)
class CalendarMeeting:
    """One meeting as calendars see it.

    ``uid`` must stay the same for the life of the meeting (see :func:`meeting_uid`) and
    ``sequence`` must grow whenever its time, place or status changes, so that calendar apps
    update the entry they already hold instead of adding a second one.
    """

    uid: str
    start: datetime
    end: datetime
    timezone: str
    summary: str
    organizer: tuple[str, str]
    attendees: Sequence[tuple[str, str]]
    sequence: int = 0
    description: str = ""
    location: str = ""
    url: str | None = None
    virtual: bool = False
    status: str = "CONFIRMED"
    created: datetime | None = None
    last_modified: datetime | None = None
    dtstamp: datetime | None = None
    rsvp: bool = True

    def __post_init__(self) -> None:
        for field in ("start", "end", "created", "last_modified", "dtstamp"):
            value = getattr(self, field)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{field} must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("a meeting must end after it starts")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if self.sequence < 0:
            raise ValueError("sequence cannot be negative")
        if self.virtual and not self.url:
            raise ValueError("a virtual meeting needs its link in url")
        if not self.uid.strip():
            raise ValueError("uid is required")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.timezone!r}") from error


def meeting_uid(meeting_id: int | str, domain: str) -> str:
    """A UID that stays stable for the meeting and is unique across installations."""
    return f"meeting-{meeting_id}@{domain}"


def meeting_summary(partner_name: str, partner_org: str | None, event_name: str) -> str:
    """``"Meet Ana Silva (Acme) - Nordic Founders Day"``: the title each attendee sees."""
    name = _one_line(partner_name)
    org = _one_line(partner_org or "")
    event = _one_line(event_name)
    who = " ".join(part for part in (name, f"({org})" if org else "") if part)
    title = f"Meet {who}" if who else "Meet"
    return f"{title} - {event}" if event else title


def meeting_location(venue: str, table: str | None = None) -> str:
    """``"Table 12, Main hall"``: the table (by its full name) first, because that is what
    people look for."""
    venue, table = _one_line(venue), _one_line(table or "")
    return ", ".join(part for part in (table, venue) if part)


def rescheduled(
    meeting: CalendarMeeting, start: datetime, end: datetime, *, now: datetime | None = None
) -> CalendarMeeting:
    """The same meeting at new times, with the higher SEQUENCE that makes clients update it."""
    stamp = now or datetime.now(UTC)
    return dataclasses.replace(
        meeting,
        start=start,
        end=end,
        sequence=meeting.sequence + 1,
        last_modified=stamp,
        dtstamp=stamp,
    )


def cancelled(meeting: CalendarMeeting, *, now: datetime | None = None) -> CalendarMeeting:
    """The meeting marked CANCELLED with a bumped SEQUENCE; already cancelled ones are kept."""
    if meeting.status == "CANCELLED":
        return meeting
    stamp = now or datetime.now(UTC)
    return dataclasses.replace(
        meeting,
        status="CANCELLED",
        sequence=meeting.sequence + 1,
        last_modified=stamp,
        dtstamp=stamp,
    )


def build_calendar(
    meetings: Iterable[CalendarMeeting],
    *,
    method: str | None = None,
    name: str = "",
    now: datetime | None = None,
    refresh: timedelta | None = None,
) -> bytes:
    """One VCALENDAR holding ``meetings``.

    ``method`` makes it an iTIP message (RFC 5546), which restricts the content: REQUEST
    carries one confirmed meeting, CANCEL one cancelled meeting without an alarm, PUBLISH no
    attendees. Without a method the calendar is a plain download or feed. ``now`` stamps
    every DTSTAMP (the time the message was made); without it each meeting's own ``dtstamp``
    is used. ``refresh`` tells subscribing clients how often to poll a feed.
    """
    meetings = list(meetings)
    if method is not None and method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if method in ("REQUEST", "CANCEL"):
        if len({meeting.uid for meeting in meetings}) != 1:
            raise ValueError(f"an iTIP {method} carries exactly one meeting")
        wanted = "CANCELLED" if method == "CANCEL" else "CONFIRMED"
        if any(meeting.status != wanted for meeting in meetings):
            raise ValueError(f"an iTIP {method} needs a {wanted} meeting")
    if now is not None and now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")

    # The calendar's own properties and the VTIMEZONE blocks come ready-made from caches and
    # are spliced in as bytes: an event's invites differ only in their VEVENT, and writing
    # the rest again for each of thousands of invites cost more than the VEVENTs themselves.
    zones = [
        vtimezone_bytes(tzid, first.year, last.year + 1)
        for tzid, (first, last) in sorted(_zone_spans(meetings).items())
    ]
    events = [_vevent_bytes(meeting, method=method, now=now) for meeting in meetings]
    head = _calendar_head(method, _one_line(name), refresh)
    return b"".join([head, *zones, *events, _CALENDAR_END])


@functools.lru_cache(maxsize=256)
def _calendar_head(method: str | None, name: str, refresh: timedelta | None) -> bytes:
    """BEGIN:VCALENDAR and the calendar's properties, up to its first component."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
    if refresh:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    return calendar.to_ical()[: -len(_CALENDAR_END)]


def meeting_ics(meeting: CalendarMeeting, *, now: datetime | None = None) -> bytes:
    """A single-meeting ``.ics`` download."""
    return build_calendar([meeting], now=now)


def attendee_ics(
    meetings: Iterable[CalendarMeeting],
    *,
    name: str,
    now: datetime | None = None,
    refresh: timedelta | None = timedelta(hours=1),
) -> bytes:
    """All of one attendee's meetings, as a download or a subscribable feed.

    Include cancelled meetings (with STATUS:CANCELLED) so subscribed clients drop them.
    """
    return build_calendar(meetings, name=name, now=now, refresh=refresh)


def event_ics(
    meetings: Iterable[CalendarMeeting],
    *,
    name: str,
    now: datetime | None = None,
    refresh: timedelta | None = timedelta(hours=1),
) -> bytes:
    """Every meeting of an event, for the organizer's own calendar."""
    return build_calendar(meetings, name=name, now=now, refresh=refresh)


def invite_ics(meeting: CalendarMeeting, *, now: datetime | None = None) -> bytes:
    """An iTIP REQUEST: the attachment that mail clients show as an invitation.

    Send it again with a higher SEQUENCE (see :func:`rescheduled`) when the meeting moves.
    """
    return build_calendar([meeting], method="REQUEST", now=now)


def cancellation_ics(meeting: CalendarMeeting, *, now: datetime | None = None) -> bytes:
    """An iTIP CANCEL for the meeting as last sent; see :func:`cancelled` for the SEQUENCE."""
    return build_calendar([cancelled(meeting, now=now)], method="CANCEL", now=now)


def follow_up_ics(
    *,
    uid: str,
    summary: str,
    description: str,
    day: date,
    now: datetime,
    reminder_hour: int = 9,
) -> bytes:
    """A reminder to get back in touch: one all-day VEVENT on ``day`` with an alarm at
    ``reminder_hour`` that morning, free time (TRANSP:TRANSPARENT) so it blocks nothing.

    An all-day event rather than a VTODO: Google Calendar and Outlook drop to-dos when they
    import a file, and every calendar app shows an all-day event.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not 0 <= reminder_hour < 24:
        raise ValueError("reminder_hour must be an hour of the day")
    title = _one_line(summary) or "Follow up"
    entry = Event()
    entry.add("summary", title)
    entry.add("dtstart", day)
    entry.add("dtend", day + timedelta(days=1))
    entry.add("dtstamp", now.astimezone(UTC))
    entry.add("uid", uid)
    if _text(description).strip():
        entry.add("description", _text(description))
    entry.add("transp", "TRANSPARENT")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", title)
    alarm.add("trigger", timedelta(hours=reminder_hour))
    entry.add_component(alarm)
    head = _calendar_head(None, "", None)
    return head + entry.to_ical() + _CALENDAR_END


def google_calendar_url(meeting: CalendarMeeting) -> str:
    """An "Add to Google Calendar" link with the times in UTC, which needs no zone lookup."""
    params = {
        "action": "TEMPLATE",
        "text": _one_line(meeting.summary),
        "dates": f"{_utc_basic(meeting.start)}/{_utc_basic(meeting.end)}",
        "details": _text(_link_details(meeting)),
        "location": _text(_where(meeting)),
        "ctz": meeting.timezone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params, quote_via=quote)


def outlook_calendar_url(meeting: CalendarMeeting) -> str:
    """An "Add to Outlook" (outlook.live.com) link with ISO 8601 UTC times."""
    params = {
        "subject": _one_line(meeting.summary),
        "startdt": _utc_iso(meeting.start),
        "enddt": _utc_iso(meeting.end),
        "body": _text(_link_details(meeting)),
        "location": _text(_where(meeting)),
    }
    return (
        "https://outlook.live.com/calendar/0/deeplink/compose"
        "?path=/calendar/action/compose&rru=addevent&" + urlencode(params, quote_via=quote)
    )


def _vevent_bytes(meeting: CalendarMeeting, *, method: str | None, now: datetime | None) -> bytes:
    """The VEVENT, written directly, byte for byte as icalendar writes :func:`_event`.

    icalendar spends about half a millisecond on each event, which makes an event's 15,000
    meetings an eight-second download and its 30,000 invites a quarter of a minute; this
    writer covers only the properties used here, and the tests hold it to the reference.
    """
    stamp = now or meeting.dtstamp or datetime.now(UTC)
    start, end = _wall_clock(meeting)
    title = _escape(_one_line(meeting.summary) or "Meeting")
    lines = [
        "BEGIN:VEVENT",
        "SUMMARY:" + title,
        "DTSTART" + _datetime_value(start),
        "DTEND" + _datetime_value(end),
        "DTSTAMP" + _datetime_value(stamp.astimezone(UTC)),
        "UID:" + _escape(meeting.uid),
        f"SEQUENCE:{meeting.sequence}",
    ]
    if method != "PUBLISH":  # RFC 5546 3.2.1: a PUBLISH must not name attendees.
        partstat = "NEEDS-ACTION" if meeting.rsvp else "ACCEPTED"
        rsvp = "TRUE" if meeting.rsvp else "FALSE"
        for attendee_name, attendee_email in meeting.attendees:
            lines.append(
                f"ATTENDEE{_cn(attendee_name)};CUTYPE=INDIVIDUAL;PARTSTAT={partstat}"
                f";ROLE=REQ-PARTICIPANT;RSVP={rsvp}:{_mailto(attendee_email)}"
            )
    if meeting.virtual and meeting.url:
        label = _param(CONFERENCE_LABEL, quote_if=None)
        lines.append(f"CONFERENCE;FEATURE=AUDIO,VIDEO;LABEL={label};VALUE=URI:{meeting.url}")
    if meeting.created:
        lines.append("CREATED" + _datetime_value(meeting.created.astimezone(UTC)))
    description = _text(meeting.description)
    if description.strip():
        lines.append("DESCRIPTION:" + _escape(description))
    if meeting.last_modified:
        lines.append("LAST-MODIFIED" + _datetime_value(meeting.last_modified.astimezone(UTC)))
    where = _text(_where(meeting))
    if where.strip():
        lines.append("LOCATION:" + _escape(where))
    organizer_name, organizer_email = meeting.organizer
    lines.append(f"ORGANIZER{_cn(organizer_name)}:{_mailto(organizer_email)}")
    lines.append("STATUS:" + _escape(meeting.status))
    if meeting.url:
        lines.append(f"URL;VALUE=URI:{meeting.url}")
    if meeting.status == "CONFIRMED":
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "DESCRIPTION:" + title,
            "TRIGGER:" + _TRIGGER,
            "END:VALARM",
        ]
    lines.append("END:VEVENT")
    return "".join(_fold(line) + "\r\n" for line in lines).encode()


def _escape(text: str) -> str:
    """TEXT escaping as icalendar does it (RFC 5545 3.3.11), ``\\N`` read as a line break."""
    return (
        text.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


_TRIGGER = vDuration(-REMINDER).to_ical().decode()
_QUOTABLE = re.compile("[,;:\u2019]")
_CN_QUOTABLE = re.compile("[,;:\u2019 ']")
_RFC_6868 = re.compile(r'\^|\r\n|\r|\n|"')
_RFC_6868_ESCAPES = {"^": "^^", "\n": "^n", "\r": "^n", "\r\n": "^n", '"': "^'"}


def _param(value: str, *, quote_if: re.Pattern[str] | None) -> str:
    """A parameter value: RFC 6868 escapes, then double quotes where icalendar puts them."""
    value = _RFC_6868.sub(lambda found: _RFC_6868_ESCAPES[found.group(0)], value)
    value = value.replace('"', "'")
    return (
        f'"{value}"' if _QUOTABLE.search(value) or (quote_if and quote_if.search(value)) else value
    )


def _cn(name: str) -> str:
    display = _display_name(name)
    return "" if display is None else ";CN=" + _param(display, quote_if=_CN_QUOTABLE)


def _mailto(address: str) -> str:
    address = _email(address)
    return address if address.lower().startswith("mailto:") else "mailto:" + address


def _datetime_value(moment: datetime) -> str:
    """``;TZID=...:20260610T120000`` in a named zone, or ``:20260610T090000Z`` in UTC."""
    value = (
        f"{moment.year:04}{moment.month:02}{moment.day:02}"
        f"T{moment.hour:02}{moment.minute:02}{moment.second:02}"
    )
    tzid = _written_tzid(moment.tzinfo)
    if tzid is None:
        return f":{value}Z"
    return f";TZID={_param(tzid, quote_if=None)}:{value}"


@functools.lru_cache(maxsize=64)
def _written_tzid(zone: tzinfo | None) -> str | None:
    """The TZID icalendar writes for times in ``zone``, or None for UTC (a "Z" time)."""
    written = vDatetime(datetime(2000, 1, 1, tzinfo=zone))
    return None if written.is_utc() else written.params["TZID"]


def _fold(line: str, limit: int = 75) -> str:
    """RFC 5545 3.1 folding as icalendar does it: each physical line stays under ``limit``
    octets, characters are never split, nor is a backslash or caret from what it escapes."""
    if len(line) < limit // 4 or (line.isascii() and len(line) < limit):
        return line
    folded: list[str] = []
    if line.isascii():  # one octet a character: cut by position
        while len(line) >= limit:
            cut = limit - 1 if line[limit - 2] not in "\\^" else limit - 2
            folded.append(line[:cut])
            line = line[cut:]
        folded.append(line)
        return "\r\n ".join(folded)
    current: list[str] = []
    count = 0
    for char in line:
        size = len(char.encode())
        if current and count + size >= limit:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                folded.append("".join(current))
                current, count = [carried], len(carried.encode())
            else:
                folded.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    if current:
        folded.append("".join(current))
    return "\r\n ".join(folded)


def _wall_clock(meeting: CalendarMeeting) -> tuple[datetime, datetime]:
    """Start and end in the event's zone, or in UTC where local time cannot say which instant.

    In the hour repeated when clocks go back, a local time names two instants and parsers
    pick the first; writing such a meeting in UTC keeps it at the right instant.
    """
    start, end = meeting.start.astimezone(UTC), meeting.end.astimezone(UTC)
    if meeting.timezone in _UTC_ZONES:
        return start, end
    zone = ZoneInfo(meeting.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if _ambiguous(local_start) or _ambiguous(local_end):
        return start, end
    return local_start, local_end


def _ambiguous(moment: datetime) -> bool:
    return moment.replace(fold=1 - moment.fold).utcoffset() != moment.utcoffset()


def _zone_spans(meetings: Sequence[CalendarMeeting]) -> dict[str, tuple[date, date]]:
    """For each TZID written, the range of local dates it has to cover."""
    spans: dict[str, tuple[date, date]] = {}
    for meeting in meetings:
        start, end = _wall_clock(meeting)
        if start.tzinfo is UTC and end.tzinfo is UTC:
            continue
        first, last = spans.get(meeting.timezone, (start.date(), end.date()))
        spans[meeting.timezone] = (min(first, start.date()), max(last, end.date()))
    return spans


def _where(meeting: CalendarMeeting) -> str:
    if meeting.virtual and meeting.url:
        return meeting.url
    return meeting.location


def _link_details(meeting: CalendarMeeting) -> str:
    if meeting.virtual and meeting.url and meeting.url not in meeting.description:
        return f"{meeting.description}\n\nJoin: {meeting.url}".strip()
    return meeting.description


def _text(text: str) -> str:
    """Free text as iCalendar TEXT: LF line breaks only, no other control characters."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _one_line(text: str) -> str:
    """Titles and names: calendar apps show one line, and calcurse rejects a broken SUMMARY."""
    return _WHITESPACE.sub(" ", _text(text)).strip()


def _display_name(name: str) -> str | None:
    """A CN value: parameters cannot hold a double quote, and a trailing backslash reads as
    escaping the delimiter after it in some parsers."""
    return _one_line(name).replace('"', "'").rstrip("\\").rstrip() or None


def _email(address: str) -> str:
    address = address.strip()
    if not address or any(char.isspace() or char in '<>"' for char in address):
        raise ValueError(f"not a usable e-mail address: {address!r}")
    return address


def _utc_basic(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
