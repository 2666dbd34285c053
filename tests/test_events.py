"""The pure event rules in matchmaker.events."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from matchmaker.events import (
    EventRuleError,
    EventTimes,
    SessionWindow,
    check_event_times,
    is_valid_timezone,
    local_to_utc,
    parse_tables,
    render_virtual_link,
    slugify,
    tables_to_text,
)


def test_local_to_utc_on_daylight_saving_day():
    # Helsinki leaves summer time on 25 Oct 2026 at 04:00 local (01:00 UTC).
    before = local_to_utc(date(2026, 10, 25), time(2, 30), "Europe/Helsinki")
    after = local_to_utc(date(2026, 10, 25), time(9, 0), "Europe/Helsinki")
    assert before == datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    assert after == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)


def test_local_time_skipped_by_spring_forward_is_refused():
    with pytest.raises(ValueError, match="does not exist"):
        local_to_utc(date(2026, 3, 8), time(2, 30), "America/New_York")


@pytest.mark.parametrize(
    ("name", "valid"),
    [("Europe/Helsinki", True), ("America/New_York", True), ("Mars/Olympus", False), ("", False)],
)
def test_is_valid_timezone(name, valid):
    assert is_valid_timezone(name) is valid


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("3", ["Table 1", "Table 2", "Table 3"]),
        ("Red room\nBlue room", ["Red room", "Blue room"]),
        ("A, B; C", ["A", "B", "C"]),
        ("", []),
    ],
)
def test_parse_tables(text, names):
    assert parse_tables(text) == names


@pytest.mark.parametrize("text", ["A\na", "x" * 61, "5000"])
def test_parse_tables_rejects(text):
    with pytest.raises(EventRuleError):
        parse_tables(text)


def test_tables_round_trip_as_text():
    assert tables_to_text(parse_tables("40")) == "40"
    assert tables_to_text(["Red", "Blue"]) == "Red\nBlue"


def test_slugify_handles_accents_and_symbols():
    assert slugify("Nordic Founders' Day — Åbo 2026!") == "nordic-founders-day-abo-2026"
    assert slugify("!!!") == "event"


def test_virtual_link_is_unguessable_and_templated():
    one = render_virtual_link("", "demo")
    two = render_virtual_link("", "demo")
    assert one.startswith("https://meet.jit.si/demo-") and one != two
    assert len(one.rsplit("-", 1)[1]) >= 12
    assert render_virtual_link("https://zoom.example/{event}/{random}", "x", "abc") == (
        "https://zoom.example/x/abc"
    )


START = datetime(2037, 12, 10, 8, tzinfo=UTC)


def times(*sessions):
    return EventTimes(
        START, START + timedelta(hours=8), [SessionWindow("", a, b) for a, b in sessions]
    )


def h(n):
    return START + timedelta(hours=n)


def test_valid_event_times_pass():
    check_event_times(times((h(1), h(2)), (h(3), h(4))), 15)


@pytest.mark.parametrize(
    ("event_times", "minutes", "field", "message"),
    [
        (EventTimes(START, START), 15, "end", "end after it starts"),
        (times((h(1), h(2))), 4, "meeting_minutes", "between 5 and 120"),
        (times((h(1), h(2))), 121, "meeting_minutes", "between 5 and 120"),
        (times((h(2), h(1))), 15, "sessions", "end after it starts"),
        (times((h(-1), h(1))), 15, "sessions", "between the event's start and end"),
        (times((h(7), h(9))), 15, "sessions", "between the event's start and end"),
        (times((h(1), h(1) + timedelta(minutes=10))), 15, "sessions", "shorter than one meeting"),
        (times((h(1), h(3)), (h(2), h(4))), 15, "sessions", "overlap"),
    ],
)
def test_broken_event_rules(event_times, minutes, field, message):
    with pytest.raises(EventRuleError, match=message) as caught:
        check_event_times(event_times, minutes)
    assert caught.value.field == field


@pytest.mark.parametrize("year", [1, 1999, 2101, 9999])
def test_dates_far_away_are_refused_not_crashed(year):
    with pytest.raises(ValueError, match="between 2000 and 2100"):
        local_to_utc(date(year, 12, 31), time(20, 0), "America/New_York")
