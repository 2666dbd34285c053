"""Independent checks that a calendar we generate is read the same way by other software.

The icalendar library that writes our calendars would happily read back its own mistakes, so
every calendar also goes through parsers that share no code with it:

- libical (the C library behind Evolution and many servers) through GObject introspection,
  run under the system Python because the Debian bindings are not installable in a venv.
  Parse problems show up as X-LIC-ERROR properties; calendars with a METHOD also get the
  RFC 5546 (iTIP) restriction check. Local times are resolved with the calendar's own
  VTIMEZONE, so a wrong VTIMEZONE shows up as a wrong instant.
- calcurse, a terminal calendar with its own hand-written importer; it resolves TZIDs with
  the system time zone database, an independent check of the same instants.
- vobject, a pure-Python parser, with validation, re-serialisation and instants resolved
  against the calendar's own VTIMEZONE components.

Debian packages: ``gir1.2-ical-3.0``, ``python3-gi`` (and ``libical3``) for libical,
``calcurse`` for calcurse; vobject comes from the test extra.

With ``CI=true`` a missing parser fails the check; otherwise the check runs the parsers that
are there and then skips, naming the missing ones.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Alarm, Calendar, Event, vCalAddress, vUri

from matchmaker import calendar as cal

Instants = dict[str, tuple[datetime, datetime]]

SYSTEM_PYTHON = os.environ.get("LIBICAL_PYTHON", "/usr/bin/python3")
MAX_LINE_OCTETS = 75

_LIBICAL_MISSING_EXIT = 3
# Runs under the system Python: reads a calendar on stdin, prints JSON on stdout.
_LIBICAL_SCRIPT = r"""
import json, sys
try:
    import gi
    gi.require_version("ICalGLib", "3.0")
    from gi.repository import ICalGLib as I
except (ImportError, ValueError) as error:
    print(f"libical-glib is not available: {error}", file=sys.stderr)
    sys.exit(3)

text = sys.stdin.buffer.read().decode("utf-8")
errors = []
calendar = I.Component.new_from_string(text)
if calendar is None or calendar.isa() != I.ComponentKind.VCALENDAR_COMPONENT:
    print(json.dumps({"errors": ["not parsed as one VCALENDAR"], "events": {}}))
    sys.exit(0)
method = calendar.get_first_property(I.PropertyKind.METHOD_PROPERTY)
if method is not None and not calendar.check_restrictions():
    errors.append("RFC 5546 restriction check failed")


def collect_errors(component, path):
    # X-LIC-ERROR is not in every binding's PropertyKind enum, so match it by name.
    prop = component.get_first_property(I.PropertyKind.ANY_PROPERTY)
    while prop is not None:
        if prop.get_property_name().upper() == "X-LIC-ERROR":
            errors.append(f"{path}: {prop.as_ical_string().strip()}")
        prop = component.get_next_property(I.PropertyKind.ANY_PROPERTY)
    child = component.get_first_component(I.ComponentKind.ANY_COMPONENT)
    while child is not None:
        collect_errors(child, f"{path}/{I.Component.kind_to_string(child.isa())}")
        child = component.get_next_component(I.ComponentKind.ANY_COMPONENT)


collect_errors(calendar, "VCALENDAR")


def epoch(moment, what, uid):
    if moment is None or moment.is_null_time():
        errors.append(f"{uid}: no {what}")
        return None
    if moment.is_utc():
        return moment.as_timet()
    if moment.is_floating():
        errors.append(f"{uid}: floating {what} {moment.as_ical_string()}")
        return None
    zone = calendar.get_timezone(moment.get_tzid())
    if zone is None:
        errors.append(f"{uid}: {what} TZID {moment.get_tzid()} has no VTIMEZONE")
        return None
    return moment.as_timet_with_zone(zone)


events = {}
event = calendar.get_first_component(I.ComponentKind.VEVENT_COMPONENT)
while event is not None:
    uid = event.get_uid()
    if uid in events:
        errors.append(f"UID {uid} appears twice")
    events[uid] = {
        "start": epoch(event.get_dtstart(), "DTSTART", uid),
        "end": epoch(event.get_dtend(), "DTEND", uid),
    }
    event = calendar.get_next_component(I.ComponentKind.VEVENT_COMPONENT)
print(json.dumps({"errors": errors, "events": events}))
"""

_CALCURSE_REPORT = re.compile(
    r"(\d+) apps? / (\d+) events? / (\d+) todos? / (\d+) skipped", re.IGNORECASE
)


class ParserMissing(Exception):
    """A parser this check wants is not installed here."""


def check_calendar(
    ics: bytes,
    *,
    expected: Mapping[str, tuple[datetime, datetime]] | None = None,
) -> None:
    """Fail with the parser's own message unless every parser accepts ``ics`` and agrees.

    ``expected`` maps UID -> (start, end) as aware datetimes; without it the parsers are only
    compared with one another.
    """
    readings = {"icalendar": _icalendar_instants(ics)}
    want = {
        uid: (start.astimezone(UTC), end.astimezone(UTC))
        for uid, (start, end) in (expected or {}).items()
    }
    if expected is not None:
        _assert_same("expected", want, "icalendar", readings["icalendar"])
    missing = []
    for name, reader in (
        ("libical", _libical_instants),
        ("calcurse", _calcurse_instants),
        ("vobject", _vobject_instants),
    ):
        try:
            readings[name] = reader(ics)
        except ParserMissing as error:
            missing.append(f"{name}: {error}")
    reference = readings["icalendar"]
    for name in ("libical", "vobject"):
        if name in readings:
            _assert_same("icalendar", reference, name, readings[name])
    if "calcurse" in readings:
        # calcurse does not expose UIDs, so compare the multiset of (start, end) pairs.
        ours = Counter(reference.values())
        assert readings["calcurse"] == ours, (
            f"calcurse read instants {sorted(readings['calcurse'].elements())}, "
            f"icalendar {sorted(ours.elements())}"
        )
    if missing:
        reason = "calendar parsers missing: " + "; ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            raise AssertionError(reason)
        pytest.skip(reason)


def check_structure(ics: bytes) -> None:
    """RFC 5545 3.1: CRLF line breaks and content lines folded at 75 octets."""
    assert ics.endswith(b"\r\n"), "calendar must end with CRLF"
    for number, line in enumerate(ics.split(b"\r\n")[:-1], start=1):
        assert b"\n" not in line and b"\r" not in line, f"line {number}: bare line break"
        assert len(line) <= MAX_LINE_OCTETS, f"line {number} has {len(line)} octets: {line!r}"
    ics.decode("utf-8")


def _icalendar_instants(ics: bytes) -> Instants:
    check_structure(ics)
    calendar = Calendar.from_ical(ics)
    assert calendar.get("PRODID"), "calendar has no PRODID"
    assert str(calendar.get("VERSION")) == "2.0", "calendar is not VERSION:2.0"
    assert not calendar.get_missing_tzids(), f"no VTIMEZONE for {calendar.get_missing_tzids()}"
    instants: Instants = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event["UID"])
        assert uid not in instants, f"UID {uid} appears twice"
        for required in ("DTSTAMP", "DTSTART", "DTEND"):
            assert required in event, f"{uid}: no {required}"
        assert event["DTSTAMP"].dt.utcoffset() is not None, f"{uid}: DTSTAMP must be UTC"
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert start.tzinfo is not None and end.tzinfo is not None, f"{uid}: floating time"
        instants[uid] = (start.astimezone(UTC), end.astimezone(UTC))
    return instants


def _libical_instants(ics: bytes) -> Instants:
    if not Path(SYSTEM_PYTHON).exists():
        raise ParserMissing(f"{SYSTEM_PYTHON} not found (apt-get install python3-gi)")
    result = subprocess.run(
        [SYSTEM_PYTHON, "-I", "-c", _LIBICAL_SCRIPT],
        input=ics,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if result.returncode == _LIBICAL_MISSING_EXIT:
        raise ParserMissing(
            result.stderr.decode(errors="replace").strip()
            + " (apt-get install gir1.2-ical-3.0 python3-gi)"
        )
    assert result.returncode == 0, f"libical check crashed: {result.stderr.decode()}"
    report = json.loads(result.stdout)
    assert not report["errors"], "libical: " + "\n".join(report["errors"])
    stamp = datetime.fromtimestamp
    return {
        uid: (stamp(times["start"], UTC), stamp(times["end"], UTC))
        for uid, times in report["events"].items()
    }


def _calcurse_instants(ics: bytes) -> Counter[tuple[datetime, datetime]]:
    calcurse = shutil.which("calcurse")
    if calcurse is None:
        raise ParserMissing("calcurse not found (apt-get install calcurse)")
    with tempfile.TemporaryDirectory(prefix="calcurse-") as tmp:
        root = Path(tmp)
        (root / "tmp").mkdir()
        source = root / "import.ics"
        source.write_bytes(ics)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "TMPDIR": str(root / "tmp"),  # where calcurse writes its log of skipped items
            "TZ": "UTC",
            "LC_ALL": "C.UTF-8",
        }
        result = subprocess.run(
            [
                calcurse,
                "-D",
                tmp,
                "-C",
                tmp,
                "-i",
                str(source),
                "--dump-imported",
                "--format-apt",
                "@@apt %s %e\\n",
                "--format-event",
                "@@event\\n",
                "--format-todo",
                "@@todo\\n",
            ],
            capture_output=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
        logs = "".join(log.read_text(errors="replace") for log in (root / "tmp").glob("*"))
    report = _CALCURSE_REPORT.search(output)
    assert result.returncode == 0 and report, (
        f"calcurse exited {result.returncode}:\n{output}\n{logs}"
    )
    apps, events, todos, skipped = (int(group) for group in report.groups())
    assert skipped == 0, f"calcurse skipped {skipped} item(s):\n{output}\n{logs}"
    assert events == 0 and todos == 0, f"calcurse did not read every meeting as timed:\n{output}"
    instants: Counter[tuple[datetime, datetime]] = Counter()
    for line in output.splitlines():
        if line.startswith("@@apt "):
            start, end = (int(value) for value in line.split()[1:3])
            instants[(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))] += 1
    assert sum(instants.values()) == apps, f"calcurse output not understood:\n{output}"
    return instants


def _vobject_instants(ics: bytes) -> Instants:
    try:
        import vobject
    except ImportError as error:
        raise ParserMissing(f"vobject is not installed ({error})") from error
    try:
        calendar = vobject.readOne(ics.decode("utf-8"))
        calendar.validate()
        calendar.serialize()
    except Exception as error:  # vobject signals problems with many exception types
        raise AssertionError(f"vobject: {type(error).__name__}: {error}") from error
    # vobject caches zones by TZID for the whole process; build them from this file instead.
    zones = {zone.tzid.value: zone.gettzinfo() for zone in calendar.contents.get("vtimezone", [])}
    instants: Instants = {}
    for event in calendar.contents.get("vevent", []):
        uid = event.uid.value
        assert uid not in instants, f"vobject: UID {uid} appears twice"
        instants[uid] = (
            _vobject_instant(event.dtstart, zones, uid),
            _vobject_instant(event.dtend, zones, uid),
        )
    return instants


def _vobject_instant(line, zones: Mapping[str, object], uid: str) -> datetime:
    value = line.value
    assert isinstance(value, datetime) and value.tzinfo is not None, (
        f"vobject: {uid} {line.name} is not a zoned date-time: {value!r}"
    )
    tzid = (line.params.get("TZID") or line.params.get("X-VOBJ-ORIGINAL-TZID") or [None])[0]
    if tzid is None:
        return value.astimezone(UTC)
    assert tzid in zones, f"vobject: {uid} {line.name} TZID {tzid} has no VTIMEZONE"
    return value.replace(tzinfo=zones[tzid]).astimezone(UTC)


def _assert_same(left_name: str, left: Instants, right_name: str, right: Instants) -> None:
    assert left.keys() == right.keys(), (
        f"{left_name} has UIDs {sorted(left)}, {right_name} has {sorted(right)}"
    )
    for uid, times in left.items():
        assert right[uid] == times, (
            f"{uid}: {left_name} reads {_show(times)}, {right_name} reads {_show(right[uid])}"
        )


def _show(times: tuple[datetime, datetime]) -> str:
    return " - ".join(moment.isoformat() for moment in times)


def reference_vevent(
    meeting: cal.CalendarMeeting, *, method: str | None, now: datetime | None
) -> Event:
    """The VEVENT built with icalendar's own classes: the reference that the calendar
    module's direct writer (``_vevent_bytes``) must match byte for byte."""
    event = Event()
    event.add("uid", meeting.uid)
    stamp = now or meeting.dtstamp or datetime.now(UTC)
    event.add("dtstamp", stamp.astimezone(UTC))
    start, end = cal._wall_clock(meeting)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("sequence", meeting.sequence)
    event.add("status", meeting.status)
    title = cal._one_line(meeting.summary) or "Meeting"
    event.add("summary", title)
    if meeting.created:
        event.add("created", meeting.created.astimezone(UTC))
    if meeting.last_modified:
        event.add("last-modified", meeting.last_modified.astimezone(UTC))
    # libical drops properties whose value is only blanks, so leave them out altogether.
    description = cal._text(meeting.description)
    if description.strip():
        event.add("description", description)
    where = cal._text(cal._where(meeting))
    if where.strip():
        event.add("location", where)
    if meeting.url:
        event.add("url", vUri(meeting.url), parameters={"VALUE": "URI"})
    if meeting.virtual and meeting.url:
        event.add(
            "conference",
            vUri(meeting.url),
            parameters={
                "VALUE": "URI",
                "FEATURE": ["AUDIO", "VIDEO"],
                "LABEL": cal.CONFERENCE_LABEL,
            },
        )
    organizer_name, organizer_email = meeting.organizer
    event.add(
        "organizer",
        vCalAddress.new(cal._email(organizer_email), cn=cal._display_name(organizer_name)),
    )
    if method != "PUBLISH":  # RFC 5546 3.2.1: a PUBLISH must not name attendees.
        for attendee_name, attendee_email in meeting.attendees:
            event.add(
                "attendee",
                vCalAddress.new(
                    cal._email(attendee_email),
                    cn=cal._display_name(attendee_name),
                    cutype="INDIVIDUAL",
                    role="REQ-PARTICIPANT",
                    partstat="NEEDS-ACTION" if meeting.rsvp else "ACCEPTED",
                    rsvp=meeting.rsvp,
                ),
            )
    # A reminder for a cancelled meeting only confuses; RFC 5546 forbids one in a CANCEL.
    if meeting.status == "CONFIRMED":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", -cal.REMINDER)
        event.add_component(alarm)
    return event
