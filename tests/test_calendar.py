from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import calendar_checks
import pytest
import vobject
from calendar_checks import check_calendar, check_structure
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from matchmaker import calendar as calendar_module
from matchmaker import vtimezone
from matchmaker.calendar import (
    PRODID,
    CalendarMeeting,
    attendee_ics,
    build_calendar,
    cancellation_ics,
    cancelled,
    event_ics,
    follow_up_ics,
    google_calendar_url,
    invite_ics,
    meeting_ics,
    meeting_location,
    meeting_summary,
    meeting_uid,
    outlook_calendar_url,
    rescheduled,
)

NASTY = "O'Brien, Jr.; Ltd\n"
STAMP = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
LINK = "https://meet.example.org/room/42?pwd=a,b;c"


def make_meeting(number: int = 1, **changes) -> CalendarMeeting:
    """A 30-minute meeting in Helsinki (UTC+3 in summer), changed by keyword."""
    values = {
        "uid": meeting_uid(number, "matchmaker.example.org"),
        "start": datetime(2026, 6, 10, 9, 0, tzinfo=UTC) + timedelta(hours=number),
        "end": datetime(2026, 6, 10, 9, 30, tzinfo=UTC) + timedelta(hours=number),
        "timezone": "Europe/Helsinki",
        "summary": meeting_summary("Ana Silva", "Acme", "Nordic Founders Day"),
        "description": "You both want to talk about hiring.\nBring questions.",
        "location": meeting_location("Main hall", "Table 12"),
        "organizer": ("Nordic Founders Day", "events@matchmaker.example.org"),
        "attendees": [("Ana Silva", "ana@example.com"), ("Ben Ode", "ben@example.com")],
        "created": STAMP,
        "last_modified": STAMP,
        "dtstamp": STAMP,
    }
    values.update(changes)
    return CalendarMeeting(**values)


def parse(ics: bytes) -> Calendar:
    return Calendar.from_ical(ics)


def unfolded(ics: bytes) -> str:
    return ics.decode().replace("\r\n ", "").replace("\r\n\t", "")


def expected(*meetings: CalendarMeeting) -> dict[str, tuple[datetime, datetime]]:
    return {meeting.uid: (meeting.start, meeting.end) for meeting in meetings}


def test_helpers_build_uid_summary_and_location():
    assert meeting_uid(17, "mm.example.org") == "meeting-17@mm.example.org"
    assert (
        meeting_summary("Ana Silva", "Acme", "Nordic Founders Day")
        == "Meet Ana Silva (Acme) - Nordic Founders Day"
    )
    assert meeting_summary(" Ana\n Silva ", "", "Day") == "Meet Ana Silva - Day"
    assert meeting_summary(NASTY, None, "Day") == "Meet O'Brien, Jr.; Ltd - Day"
    # A blank name leaves no stray space for calendars to trim.
    assert meeting_summary(" ", " ", " ") == "Meet"
    assert meeting_summary("", "Acme", "") == "Meet (Acme)"
    assert meeting_location("Main hall", "Table 12") == "Table 12, Main hall"
    assert meeting_location("Main hall") == "Main hall"


def test_single_in_person_meeting():
    meeting = make_meeting()
    ics = meeting_ics(meeting)
    check_calendar(ics, expected=expected(meeting))

    calendar = parse(ics)
    assert str(calendar["PRODID"]) == PRODID == "-//matchmaker//matchmaker//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert "METHOD" not in calendar
    assert [zone["TZID"] for zone in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "meeting-1@matchmaker.example.org"
    assert event["DTSTART"].params["TZID"] == "Europe/Helsinki"
    assert event["DTSTART"].dt.replace(tzinfo=None) == datetime(2026, 6, 10, 13, 0)  # UTC+3
    assert event["DTSTAMP"].to_ical() == b"20260901T080000Z"
    assert str(event["SUMMARY"]) == "Meet Ana Silva (Acme) - Nordic Founders Day"
    assert str(event["LOCATION"]) == "Table 12, Main hall"
    assert str(event["DESCRIPTION"]) == "You both want to talk about hiring.\nBring questions."
    assert event["SEQUENCE"] == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "CONFERENCE" not in event and "URL" not in event
    assert str(event["ORGANIZER"]) == "mailto:events@matchmaker.example.org"
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:ana@example.com", "mailto:ben@example.com"]
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert str(alarm["DESCRIPTION"]) == str(event["SUMMARY"])
    assert alarm["TRIGGER"].to_ical() == b"-PT10M"


def test_virtual_meeting_has_link_and_conference():
    meeting = make_meeting(virtual=True, url=LINK, location="")
    ics = meeting_ics(meeting)
    check_calendar(ics, expected=expected(meeting))

    (event,) = parse(ics).walk("VEVENT")
    assert str(event["LOCATION"]) == LINK
    assert str(event["URL"]) == LINK
    text = unfolded(ics)
    (line,) = [line for line in text.split("\r\n") if line.startswith("CONFERENCE")]
    params, value = line.split(":", 1)
    assert value == LINK
    assert set(params.split(";")[1:]) == {"VALUE=URI", "FEATURE=AUDIO,VIDEO", "LABEL=Video call"}


def test_attendees_who_need_not_reply_are_accepted():
    ics = invite_ics(make_meeting(rsvp=False))
    check_calendar(ics)
    (event,) = parse(ics).walk("VEVENT")
    for attendee in event["ATTENDEE"]:
        assert attendee.params["PARTSTAT"] == "ACCEPTED"
        assert attendee.params["RSVP"] == "FALSE"


def test_nasty_text_is_escaped_and_survives():
    meeting = make_meeting(
        summary=meeting_summary(NASTY, 'Ltd; "Quotes", Inc', "Day"),
        description=f"{NASTY}second line, with; punctuation\\ and a backslash",
        location=f"{NASTY}hall",
        attendees=[(NASTY, "obrien@example.com"), ('Zoë "Z" Åström', "zoe@example.com")],
    )
    ics = meeting_ics(meeting)
    check_calendar(ics, expected=expected(meeting))

    text = unfolded(ics)
    assert 'SUMMARY:Meet O\'Brien\\, Jr.\\; Ltd (Ltd\\; "Quotes"\\, Inc) - Day\r\n' in text
    assert "DESCRIPTION:O'Brien\\, Jr.\\; Ltd\\nsecond line\\, with\\; punctuation\\\\ and" in text
    assert 'CN="O\'Brien, Jr.; Ltd"' in text
    (event,) = parse(ics).walk("VEVENT")
    assert str(event["DESCRIPTION"]) == meeting.description
    assert str(event["LOCATION"]) == meeting.location
    names = [attendee.params["CN"] for attendee in event["ATTENDEE"]]
    assert names == ["O'Brien, Jr.; Ltd", "Zoë 'Z' Åström"]


def test_long_lines_fold_at_75_octets_without_splitting_characters():
    meeting = make_meeting(description="Åland ✓ 🙂 " * 40, summary="Ä" * 120)
    ics = meeting_ics(meeting)
    check_structure(ics)
    check_calendar(ics, expected=expected(meeting))
    (event,) = parse(ics).walk("VEVENT")
    assert str(event["DESCRIPTION"]) == meeting.description
    assert str(event["SUMMARY"]) == meeting.summary


def test_attendee_bundle_across_time_zones():
    meetings = [
        make_meeting(1),
        make_meeting(2, virtual=True, url=LINK),
        make_meeting(3, timezone="America/New_York"),
        make_meeting(
            4, start=datetime(2027, 1, 5, 15, tzinfo=UTC), end=datetime(2027, 1, 5, 16, tzinfo=UTC)
        ),
    ]
    ics = attendee_ics(meetings, name="Ana Silva: Nordic Founders Day")
    check_calendar(ics, expected=expected(*meetings))

    calendar = parse(ics)
    assert str(calendar["X-WR-CALNAME"]) == "Ana Silva: Nordic Founders Day"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT1H"
    zones = sorted(str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE"))
    assert zones == ["America/New_York", "Europe/Helsinki"]
    assert len(calendar.walk("VEVENT")) == 4
    assert len({str(event["UID"]) for event in calendar.walk("VEVENT")}) == 4


def test_feed_keeps_cancelled_meetings_without_alarm():
    kept, dropped = make_meeting(1), cancelled(make_meeting(2), now=STAMP)
    ics = attendee_ics([kept, dropped], name="Feed", refresh=timedelta(minutes=30))
    check_calendar(ics, expected=expected(kept, dropped))

    calendar = parse(ics)
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT30M"
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert str(events[dropped.uid]["STATUS"]) == "CANCELLED"
    assert events[dropped.uid]["SEQUENCE"] == 1
    assert not events[dropped.uid].walk("VALARM")
    assert events[kept.uid].walk("VALARM")


def test_whole_event_calendar():
    meetings = [make_meeting(number) for number in range(1, 13)]
    ics = event_ics(meetings, name="Nordic Founders Day")
    check_calendar(ics, expected=expected(*meetings))
    calendar = parse(ics)
    assert str(calendar["X-WR-CALNAME"]) == "Nordic Founders Day"
    assert len(calendar.walk("VTIMEZONE")) == 1
    assert len(calendar.walk("VEVENT")) == 12


def test_request_invite_passes_itip_checks():
    meeting = make_meeting(virtual=True, url=LINK)
    now = datetime(2026, 9, 2, 10, 0, tzinfo=UTC)
    ics = invite_ics(meeting, now=now)
    check_calendar(ics, expected=expected(meeting))

    calendar = parse(ics)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event["DTSTAMP"].to_ical() == b"20260902T100000Z"
    assert len(event["ATTENDEE"]) == 2


def test_moved_meeting_keeps_uid_and_raises_sequence():
    first = make_meeting()
    start = datetime(2026, 6, 11, 7, 15, tzinfo=UTC)
    moved = rescheduled(first, start, start + timedelta(minutes=45), now=STAMP)
    ics = invite_ics(moved)
    check_calendar(ics, expected=expected(moved))

    (before,) = parse(invite_ics(first)).walk("VEVENT")
    (after,) = parse(ics).walk("VEVENT")
    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after["DTSTART"].dt == start
    assert after["DTSTART"].dt != before["DTSTART"].dt


def test_cancellation():
    meeting = make_meeting(sequence=2)
    ics = cancellation_ics(meeting, now=STAMP)
    check_calendar(ics, expected=expected(meeting))

    calendar = parse(ics)
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 3
    assert str(event["UID"]) == meeting.uid
    assert not event.walk("VALARM")  # RFC 5546 3.2.5: no VALARM in a CANCEL
    # Cancelling a meeting already marked cancelled sends the same message again.
    assert cancellation_ics(cancelled(meeting, now=STAMP), now=STAMP) == ics


def test_publish_leaves_out_attendees():
    meeting = make_meeting()
    ics = build_calendar([meeting], method="PUBLISH", name="Public")
    check_calendar(ics, expected=expected(meeting))
    (event,) = parse(ics).walk("VEVENT")
    assert "ATTENDEE" not in event and "ORGANIZER" in event


@pytest.mark.parametrize(
    ("timezone", "start", "minutes", "written_in_utc"),
    [
        # Helsinki falls back from 04:00 EEST to 03:00 EET on 2026-10-25.
        ("Europe/Helsinki", datetime(2026, 10, 24, 23, 30, tzinfo=UTC), 180, False),
        ("Europe/Helsinki", datetime(2026, 10, 25, 0, 0, tzinfo=UTC), 30, True),  # 1st 03:00
        ("Europe/Helsinki", datetime(2026, 10, 25, 0, 30, tzinfo=UTC), 30, True),  # 1st 03:30
        ("Europe/Helsinki", datetime(2026, 10, 25, 1, 30, tzinfo=UTC), 30, True),  # 2nd 03:30
        ("Europe/Helsinki", datetime(2026, 10, 25, 2, 0, tzinfo=UTC), 60, False),  # 04:00 EET
        ("Europe/Helsinki", datetime(2026, 10, 25, 8, 0, tzinfo=UTC), 30, False),
        # New York springs forward from 02:00 EST to 03:00 EDT on 2026-03-08.
        ("America/New_York", datetime(2026, 3, 8, 6, 30, tzinfo=UTC), 60, False),  # 01:30-03:30
        ("America/New_York", datetime(2026, 3, 8, 7, 0, tzinfo=UTC), 30, False),  # 03:00 EDT
        ("America/New_York", datetime(2026, 3, 8, 5, 0, tzinfo=UTC), 240, False),
        ("America/New_York", datetime(2026, 3, 8, 15, 0, tzinfo=UTC), 30, False),
    ],
)
def test_daylight_saving_change_day(timezone, start, minutes, written_in_utc):
    meeting = make_meeting(timezone=timezone, start=start, end=start + timedelta(minutes=minutes))
    for ics in (meeting_ics(meeting), invite_ics(meeting), cancellation_ics(meeting)):
        check_calendar(ics, expected=expected(meeting))
    (event,) = parse(meeting_ics(meeting)).walk("VEVENT")
    assert ("TZID" not in event["DTSTART"].params) is written_in_utc
    assert event["DTSTART"].dt == start


def zone_changes(timezone: str, year: int) -> list[datetime]:
    """For each change of offset in ``year``, the first whole UTC hour after it."""
    zone, moment, changes = ZoneInfo(timezone), datetime(year, 1, 1, tzinfo=UTC), []
    while moment.year == year:
        following = moment + timedelta(hours=1)
        if moment.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            changes.append(following)
        moment = following
    return changes


@pytest.mark.parametrize(
    ("timezone", "count"),
    [
        ("Europe/Helsinki", 2),
        ("America/New_York", 2),
        ("Australia/Lord_Howe", 2),  # moves by half an hour
        ("America/St_Johns", 2),  # offset of -03:30
        ("Africa/Casablanca", 2),  # goes back an hour for Ramadan, about five weeks
        ("Asia/Kolkata", 0),
    ],
)
def test_meetings_around_every_change_of_2027(timezone, count):
    changes = zone_changes(timezone, 2027)
    assert len(changes) == count
    meetings = [
        make_meeting(
            number,
            timezone=timezone,
            start=change + timedelta(minutes=offset),
            end=change + timedelta(minutes=offset + 45),
        )
        for number, (change, offset) in enumerate(
            ((change, offset) for change in changes for offset in range(-120, 121, 30)),
            start=1,
        )
    ]
    meetings.append(make_meeting(99, timezone=timezone))  # and one in the year before
    check_calendar(attendee_ics(meetings, name=timezone), expected=expected(*meetings))


def test_meeting_in_utc_needs_no_timezone():
    meeting = make_meeting(timezone="UTC")
    ics = meeting_ics(meeting)
    check_calendar(ics, expected=expected(meeting))
    calendar = parse(ics)
    assert not calendar.walk("VTIMEZONE")
    assert calendar.walk("VEVENT")[0]["DTSTART"].to_ical() == b"20260610T100000Z"


def test_google_calendar_url():
    meeting = make_meeting(summary=meeting_summary(NASTY, "A&B", "Day"), location="Hall #1 & 2")
    url = google_calendar_url(meeting)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://calendar.google.com/calendar/render"
    )
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["action"] == ["TEMPLATE"]
    assert query["dates"] == ["20260610T100000Z/20260610T103000Z"]
    assert query["text"] == ["Meet O'Brien, Jr.; Ltd (A&B) - Day"]
    assert query["details"] == [meeting.description]
    assert query["location"] == ["Hall #1 & 2"]
    assert not re.search(r"[ ,;\n#]|&B|& 2", parts.query)


def test_outlook_calendar_url_for_virtual_meeting():
    meeting = make_meeting(virtual=True, url=LINK, summary=meeting_summary(NASTY, "", "Day"))
    url = outlook_calendar_url(meeting)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://outlook.live.com/calendar/0/deeplink/compose"
    )
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["path"] == ["/calendar/action/compose"]
    assert query["rru"] == ["addevent"]
    assert query["subject"] == ["Meet O'Brien, Jr.; Ltd - Day"]
    assert query["startdt"] == ["2026-06-10T10:00:00Z"]
    assert query["enddt"] == ["2026-06-10T10:30:00Z"]
    assert query["location"] == [LINK]
    assert LINK in query["body"][0]
    assert not re.search(r"[ ,;\n]", parts.query)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": datetime(2026, 6, 10, 9)}, "timezone-aware"),
        ({"end": datetime(2026, 6, 10, 9, 0, tzinfo=UTC)}, "end after"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"status": "TENTATIVE"}, "status"),
        ({"virtual": True, "url": None}, "link"),
        ({"uid": " "}, "uid"),
    ],
)
def test_meeting_rejects_bad_input(changes, message):
    with pytest.raises(ValueError, match=message):
        make_meeting(0, **changes)


def test_itip_messages_refuse_what_rfc_5546_forbids():
    with pytest.raises(ValueError, match="exactly one"):
        build_calendar([make_meeting(1), make_meeting(2)], method="REQUEST")
    with pytest.raises(ValueError, match="CONFIRMED"):
        invite_ics(cancelled(make_meeting()))
    with pytest.raises(ValueError, match="method"):
        build_calendar([make_meeting()], method="REPLY")
    with pytest.raises(ValueError, match="e-mail"):
        meeting_ics(make_meeting(attendees=[("Ana", "ana @example.com")]))


def test_output_is_deterministic():
    meetings = [make_meeting(1), make_meeting(2, timezone="America/New_York")]
    assert attendee_ics(meetings, name="x") == attendee_ics(meetings, name="x")


def test_checks_catch_a_wrong_vtimezone():
    meeting = make_meeting()
    ics = meeting_ics(meeting)
    broken = ics.replace(b"TZOFFSETTO:+0300", b"TZOFFSETTO:+0400")
    assert broken != ics
    with pytest.raises(AssertionError, match="reads"):
        check_calendar(broken, expected=expected(meeting))


def test_checks_catch_a_missing_vtimezone():
    ics = meeting_ics(make_meeting())
    broken = re.sub(rb"BEGIN:VTIMEZONE.*END:VTIMEZONE\r\n", b"", ics, flags=re.S)
    with pytest.raises(AssertionError, match="VTIMEZONE"):
        check_calendar(broken)


def test_checks_catch_bare_line_feeds():
    with pytest.raises(AssertionError, match="bare line break|CRLF"):
        check_structure(meeting_ics(make_meeting()).replace(b"\r\n", b"\n"))


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("a\r\nb\rc", "a\nb\nc"),
        ("  spaced\n out ", "  spaced\n out "),
        ("nul\x00 bell\x07 vt\x0b del\x7f c1\x85", "nul bell vt del c1"),
        ("tab\tkept", "tab\tkept"),
        ("line\u2028separator", "line\u2028separator"),
    ],
)
def test_control_characters_are_dropped_from_text(text, written):
    meeting = make_meeting(summary=f"S {text}", description=text, location=text)
    ics = meeting_ics(meeting)
    check_calendar(ics, expected=expected(meeting))
    (event,) = parse(ics).walk("VEVENT")
    assert str(event["SUMMARY"]) == " ".join(f"S {written}".split())
    assert str(event["DESCRIPTION"]) == written
    assert str(event["LOCATION"]) == written
    assert parse_qs(urlsplit(google_calendar_url(meeting)).query)["details"] == [written]


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40),
    text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00")),
)
def test_any_text_round_trips_through_icalendar(name, text):
    meeting = make_meeting(summary=meeting_summary(name, name, name), description=text)
    meeting = dataclasses.replace(meeting, location=text, attendees=[(name, "a@example.com")])
    ics = meeting_ics(meeting)
    check_structure(ics)
    (event,) = parse(ics).walk("VEVENT")
    assert str(event["SUMMARY"]) == meeting.summary
    display_name = " ".join(name.split()).replace('"', "'").rstrip("\\").rstrip()
    assert event["ATTENDEE"].params.get("CN", "") == display_name
    written = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", text)
    if written.strip():
        assert str(event["DESCRIPTION"]) == written
        assert str(event["LOCATION"]) == written
    else:
        assert "DESCRIPTION" not in event and "LOCATION" not in event


def test_checks_run_the_itip_restriction_check():
    ics = invite_ics(make_meeting())
    broken = re.sub(rb"ORGANIZER[^\r]*\r\n", b"", ics)
    assert broken != ics
    with pytest.raises(AssertionError, match="libical.*(restriction|ORGANIZER)"):
        check_calendar(broken)


@pytest.mark.parametrize("ci", ["true", ""])
def test_missing_parser_fails_on_ci_and_skips_elsewhere(monkeypatch, ci):
    monkeypatch.setattr(calendar_checks, "SYSTEM_PYTHON", "/nonexistent/python3")
    monkeypatch.setenv("CI", ci)
    outcome = AssertionError if ci else pytest.skip.Exception
    with pytest.raises(outcome, match="libical"):
        check_calendar(meeting_ics(make_meeting()))


def test_cached_vtimezone_gives_the_same_bytes_as_a_fresh_one():
    """The zone is built once per (zone, years) and spliced in; the calendar must read as if
    icalendar had written the whole tree itself, and not change once the cache is warm."""
    meetings = [
        make_meeting(1),
        make_meeting(2, timezone="America/New_York"),
        make_meeting(3, timezone="UTC"),
        make_meeting(4, timezone="Africa/Casablanca"),
    ]
    vtimezone.vtimezone_bytes.cache_clear()
    cold = event_ics(meetings, name="All", now=STAMP)
    warm = event_ics(meetings, name="All", now=STAMP)
    assert warm == cold
    assert vtimezone.vtimezone_bytes.cache_info().hits == 3
    assert parse(cold).to_ical() == cold
    zones = [c["TZID"] for c in parse(cold).walk("VTIMEZONE")]
    assert zones == ["Africa/Casablanca", "America/New_York", "Europe/Helsinki"]
    invite = invite_ics(meetings[0], now=STAMP)
    assert parse(invite).to_ical() == invite
    check_calendar(invite, expected=expected(meetings[0]))


def test_calendar_without_meetings_is_still_whole():
    ics = build_calendar([], name="Nothing yet")
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n") and ics.endswith(b"END:VCALENDAR\r\n")
    assert parse(ics).to_ical() == ics


ZONES = [
    "Europe/Helsinki",
    "America/New_York",
    "Asia/Kathmandu",
    "Africa/Casablanca",
    "Europe/London",
    "Etc/GMT+5",
    "UTC",
    "Etc/UTC",
    "Universal",
    "Pacific/Kiritimati",
]
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@settings(max_examples=200, deadline=None)
@given(
    name=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=90),
    text=ANY_TEXT,
    uid=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=90).map("u{}".format),
    mailbox=st.from_regex(
        r"(mailto:|MAILTO:)?[a-z0-9.^'+-]{1,40}@[a-z0-9.-]{1,40}", fullmatch=True
    ),
    zone=st.sampled_from(ZONES),
    start=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    virtual=st.booleans(),
    cancelled_=st.booleans(),
    rsvp=st.booleans(),
    stamped=st.booleans(),
    method=st.sampled_from([None, "PUBLISH", "REQUEST", "CANCEL"]),
)
def test_direct_vevent_writer_matches_icalendar_byte_for_byte(
    name, text, uid, mailbox, zone, start, virtual, cancelled_, rsvp, stamped, method
):
    meeting = make_meeting(
        uid=uid,
        start=start,
        end=start + timedelta(minutes=30),
        timezone=zone,
        summary=text,
        description=text,
        location=name,
        organizer=(name, mailbox),
        attendees=[(name, mailbox), (text or "x", "b@example.com")],
        virtual=virtual,
        url=f"https://meet.example.org/{name.encode().hex()[:20]}?a=b,c;d" if virtual else None,
        status="CANCELLED" if cancelled_ else "CONFIRMED",
        sequence=len(text),
        rsvp=rsvp,
        created=start - timedelta(days=3, microseconds=7) if stamped else None,
        last_modified=start - timedelta(days=1) if stamped else None,
        dtstamp=None,
    )
    now = datetime(2026, 9, 2, 10, 0, 0, 123, tzinfo=UTC)
    reference = calendar_checks.reference_vevent(meeting, method=method, now=now).to_ical()
    assert calendar_module._vevent_bytes(meeting, method=method, now=now) == reference


@pytest.mark.parametrize("separator", ["\\", ";", ",", "^", "é", "\n", "漢"])
def test_direct_vevent_writer_folds_like_icalendar_at_every_position(separator):
    for position in range(50, 160):
        text = "a" * position + separator + "b" * 90 + separator * 3 + "c" * 80
        meeting = make_meeting(description=text, location=text, attendees=[(text, "a@example.com")])
        reference = calendar_checks.reference_vevent(meeting, method="REQUEST", now=STAMP).to_ical()
        assert calendar_module._vevent_bytes(meeting, method="REQUEST", now=STAMP) == reference


def test_follow_up_reminder_is_an_all_day_entry_with_a_morning_alarm():
    body = follow_up_ics(
        uid="follow-up-1@example.org",
        summary="Follow up with " + NASTY,
        description="Met at Nordic Founders Day\nContact: ana@example.com",
        day=date(2027, 1, 15),
        now=STAMP,
    )
    check_structure(body)
    (entry,) = Calendar.from_ical(body).walk("VEVENT")
    assert entry.decoded("DTSTART") == date(2027, 1, 15)
    assert entry.decoded("DTEND") == date(2027, 1, 16)
    assert str(entry["TRANSP"]) == "TRANSPARENT"
    assert str(entry["SUMMARY"]) == "Follow up with O'Brien, Jr.; Ltd"
    (alarm,) = entry.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(hours=9)
    # Read the same by a parser that shares no code with icalendar.
    event = vobject.readOne(body.decode()).vevent
    assert event.dtstart.value == date(2027, 1, 15)
    assert event.description.value.endswith("Contact: ana@example.com")
    with pytest.raises(ValueError, match="timezone-aware"):
        follow_up_ics(
            uid="x", summary="x", description="", day=date(2027, 1, 1), now=datetime(2026, 1, 1)
        )
