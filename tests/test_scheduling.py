from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from matchmaker.scheduling import (
    UNSCHEDULED_REASONS,
    Booking,
    Pair,
    Person,
    Slot,
    auto_schedule,
    book_earliest,
    build_slots,
    combined_mode,
    common_free_slots,
    find_violations,
    table_names,
)

DAY = datetime(2026, 5, 12, 9, tzinfo=UTC)


def one_slot_sessions(count: int) -> list[Slot]:
    """`count` sessions of one 30-minute slot each, so availability can be set per slot."""
    return build_slots([session(1, DAY + timedelta(hours=i)) for i in range(count)], 30)


def session(slots: int, start: datetime = DAY) -> tuple[datetime, datetime]:
    return (start, start + timedelta(minutes=30 * slots))


def everyone(*names: str, mode: str = "either") -> dict[str, Person]:
    return {name: Person(mode) for name in names}


# -- slots ---------------------------------------------------------------------------------


def test_build_slots_cuts_sessions_with_buffer_and_drops_the_remainder() -> None:
    first = (DAY, DAY + timedelta(minutes=100))
    second = (DAY + timedelta(hours=3), DAY + timedelta(hours=4))
    slots = build_slots([first, second], 25, buffer_minutes=5)
    assert [(slot.index, slot.session_index) for slot in slots] == [
        (0, 0),
        (1, 0),
        (2, 0),
        (3, 1),
        (4, 1),
    ]
    assert [slot.start - DAY for slot in slots[:3]] == [timedelta(minutes=m) for m in (0, 30, 60)]
    assert all(slot.end - slot.start == timedelta(minutes=25) for slot in slots)
    assert slots[3].start == second[0]


@pytest.mark.parametrize(
    ("sessions", "meeting", "message"),
    [
        ([(datetime(2026, 5, 1, 9), datetime(2026, 5, 1, 10))], 30, "timezone-aware"),
        ([(DAY, DAY)], 30, "end after"),
        ([session(4), session(4, DAY + timedelta(hours=1))], 30, "overlap"),
        ([session(4)], 0, "positive"),
    ],
)
def test_build_slots_rejects_bad_input(sessions, meeting: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_slots(sessions, meeting)


def test_build_slots_helsinki_on_the_day_clocks_go_back() -> None:
    helsinki = ZoneInfo("Europe/Helsinki")
    # 09:00-13:00 local on 2026-10-25, after the 04:00 EEST -> 03:00 EET change, stored in UTC.
    start = datetime(2026, 10, 25, 9, tzinfo=helsinki).astimezone(UTC)
    end = datetime(2026, 10, 25, 13, tzinfo=helsinki).astimezone(UTC)
    assert (start.hour, end.hour) == (7, 11)
    slots = build_slots([(start, end)], 25, buffer_minutes=5)
    assert len(slots) == 8
    assert [slot.start.astimezone(helsinki).strftime("%H:%M") for slot in slots[:3]] == [
        "09:00",
        "09:30",
        "10:00",
    ]
    assert all(slot.end - slot.start == timedelta(minutes=25) for slot in slots)
    assert all(slot.start.tzinfo is UTC for slot in slots)


def test_build_slots_session_spanning_the_helsinki_change_uses_real_time() -> None:
    helsinki = ZoneInfo("Europe/Helsinki")
    # 02:00 EEST to 05:00 EET: three hours on the wall clock, four in reality.
    start = datetime(2026, 10, 25, 2, tzinfo=helsinki)
    end = datetime(2026, 10, 25, 5, tzinfo=helsinki)
    slots = build_slots([(start, end)], 50, buffer_minutes=10)
    assert len(slots) == 4
    assert [slot.start.astimezone(helsinki).strftime("%H:%M") for slot in slots] == [
        "02:00",
        "03:00",
        "03:00",
        "04:00",
    ]
    assert [slot.start.astimezone(helsinki).utcoffset() for slot in slots[1:3]] == [
        timedelta(hours=3),
        timedelta(hours=2),
    ]
    assert all(slot.end - slot.start == timedelta(minutes=50) for slot in slots)


def test_build_slots_new_york_spring_forward_with_buffer() -> None:
    new_york = ZoneInfo("America/New_York")
    # 01:00-04:00 local on 2026-03-08 loses the hour from 02:00: two real hours.
    start = datetime(2026, 3, 8, 1, tzinfo=new_york).astimezone(UTC)
    end = datetime(2026, 3, 8, 4, tzinfo=new_york).astimezone(UTC)
    assert end - start == timedelta(hours=2)
    slots = build_slots([(start, end)], 30, buffer_minutes=10)
    assert [slot.start.astimezone(new_york).strftime("%H:%M") for slot in slots] == [
        "01:00",
        "01:40",
        "03:20",
    ]
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)


def test_table_names() -> None:
    assert table_names(3) == ["Table 1", "Table 2", "Table 3"]
    assert table_names(2, "Room") == ["Room 1", "Room 2"]


# -- modes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode_a", "mode_b", "expected"),
    [
        ("in_person", "in_person", "in_person"),
        ("in_person", "either", "in_person"),
        ("either", "either", "either"),
        ("either", "virtual", "virtual"),
        ("virtual", "virtual", "virtual"),
        ("in_person", "virtual", None),
        ("virtual", "in_person", None),
    ],
)
def test_combined_mode(mode_a: str, mode_b: str, expected: str | None) -> None:
    assert combined_mode(mode_a, mode_b) == expected


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="meeting mode"):
        Person("hybrid")


# -- booking one pair ----------------------------------------------------------------------


def test_book_earliest_takes_the_first_slot_both_have_free() -> None:
    slots = build_slots([session(4)], 30)
    people = everyone("ana", "ben", "cy")
    taken = [Booking("ana", "cy", 0, "Table 1", 0.5), Booking("ben", "cy", 1, "Table 1", 0.5)]
    booking = book_earliest(Pair("ana", "ben", 0.7), people, slots, 2, taken, max_meetings=5)
    assert booking == Booking("ana", "ben", 2, "Table 1", 0.7)
    assert [
        slot.index
        for slot in common_free_slots(Pair("ana", "ben"), people, slots, 2, taken, max_meetings=5)
    ] == [2, 3]


def test_book_earliest_respects_availability_and_within() -> None:
    slots = build_slots([session(2), session(2, DAY + timedelta(hours=2))], 30)
    people = {"ana": Person("either", frozenset({1})), "ben": Person("either")}
    assert book_earliest(Pair("ana", "ben"), people, slots, 1, [], 3).slot == 2
    assert book_earliest(Pair("ana", "ben"), people, slots, 1, [], 3, within={3}).slot == 3
    assert book_earliest(Pair("ana", "ben"), people, slots, 1, [], 3, within={0}) is None


@pytest.mark.parametrize(
    ("mode_a", "mode_b", "expected_slot", "expected_table"),
    [
        ("in_person", "in_person", 1, "T2"),  # waits for a table
        ("in_person", "either", 1, "T2"),
        ("either", "either", 0, None),  # no table free now: meets online right away
        ("either", "virtual", 0, None),
        ("virtual", "virtual", 0, None),
        ("in_person", "virtual", None, None),  # never
    ],
)
def test_book_earliest_mode_rules(
    mode_a: str, mode_b: str, expected_slot: int | None, expected_table: str | None
) -> None:
    slots = build_slots([session(2)], 30)
    people = {"ana": Person(mode_a), "ben": Person(mode_b)} | everyone("w", "x", "y", "z")
    taken = [Booking("w", "x", 0, "T1"), Booking("y", "z", 0, "T2"), Booking("x", "y", 1, "T1")]
    booking = book_earliest(Pair("ana", "ben"), people, slots, ["T1", "T2"], taken, 3)
    if expected_slot is None:
        assert booking is None
    else:
        assert booking is not None
        assert (booking.slot, booking.table) == (expected_slot, expected_table)


class _CountedLookups(dict):
    """Tables in use per slot that remember which slots were asked for."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.asked: list[int] = []

    def __getitem__(self, index: int):  # noqa: ANN204
        self.asked.append(index)
        return self.get(index, frozenset())


@pytest.mark.parametrize(
    ("mode_a", "mode_b", "expected_slot", "expected_table"),
    [
        ("in_person", "in_person", 1, "T2"),
        ("in_person", "either", 1, "T2"),
        ("either", "either", 0, None),
        ("virtual", "virtual", 0, None),
        ("in_person", "virtual", None, None),
    ],
)
def test_tables_looked_up_slot_by_slot_book_as_the_bookings_would(
    mode_a: str, mode_b: str, expected_slot: int | None, expected_table: str | None
) -> None:
    """The same choices as the mode rules above with the other people's tables given per slot
    instead of as bookings; the search asks only for the slots it reaches, and online pairs
    for none."""
    slots = build_slots([session(2)], 30)
    people = {"ana": Person(mode_a), "ben": Person(mode_b)} | everyone("w", "x", "y", "z")
    tables = _CountedLookups({0: frozenset({"T1", "T2"}), 1: frozenset({"T1"})})
    booking = book_earliest(
        Pair("ana", "ben"), people, slots, ["T1", "T2"], [], 3, tables_taken=tables
    )
    if expected_slot is None:
        assert booking is None
    else:
        assert booking is not None
        assert (booking.slot, booking.table) == (expected_slot, expected_table)
    if "virtual" in (mode_a, mode_b):
        assert tables.asked == []
    elif expected_slot is not None:
        assert tables.asked == list(range(expected_slot + 1))
        assert booking.mode == ("virtual" if expected_table is None else "in_person")


def test_book_earliest_refuses_repeat_pairs_and_full_diaries() -> None:
    slots = build_slots([session(4)], 30)
    people = everyone("ana", "ben", "cy")
    met = [Booking("ben", "ana", 0, None)]
    assert book_earliest(Pair("ana", "ben"), people, slots, 0, met, 3) is None
    assert book_earliest(Pair("ana", "cy"), people, slots, 0, met, 1) is None
    assert book_earliest(Pair("ana", "cy"), people, slots, 0, met, 2) == Booking(
        "ana", "cy", 1, None
    )
    with pytest.raises(ValueError, match="unknown attendee"):
        book_earliest(Pair("ana", "zed"), people, slots, 0, met, 2)
    with pytest.raises(ValueError, match="themselves"):
        book_earliest(Pair("ana", "ana"), people, slots, 0, met, 2)


# -- scheduling the whole event ------------------------------------------------------------


def test_auto_schedule_moves_a_meeting_to_make_room() -> None:
    # Earliest-slot greedy puts ana+ben in slot 0 and then cy and dan cannot meet anyone.
    slots = one_slot_sessions(2)
    people = everyone("ana", "ben") | {
        "cy": Person("either", frozenset({0})),
        "dan": Person("either", frozenset({0})),
    }
    pairs = [Pair("ana", "ben", 1.0), Pair("ana", "cy", 0.9), Pair("ben", "dan", 0.9)]
    result = auto_schedule(pairs, people, slots, 0, max_meetings=3)
    assert {(b.a, b.b, b.slot) for b in result.bookings} == {
        ("ana", "ben", 1),
        ("ana", "cy", 0),
        ("ben", "dan", 0),
    }
    assert result.total_score == pytest.approx(2.8)
    assert result.attendees_covered == result.attendees_coverable == 4
    assert result.unscheduled == []


def test_auto_schedule_trades_a_weak_meeting_for_a_strong_one() -> None:
    # One slot: the best set is ana+ben and cy+dan (1.6), not ana+cy (0.9) alone.
    slots = one_slot_sessions(1)
    people = everyone("ana", "ben", "cy", "dan")
    pairs = [Pair("ana", "cy", 0.9), Pair("ana", "ben", 0.8), Pair("cy", "dan", 0.8)]
    result = auto_schedule(pairs, people, slots, 0, max_meetings=1)
    assert {(b.a, b.b) for b in result.bookings} == {("ana", "ben"), ("cy", "dan")}
    assert [(u.pair.a, u.pair.b, u.reason) for u in result.unscheduled] == [
        ("ana", "cy", "meeting_limit")
    ]


def test_fairness_floor_gives_everyone_a_meeting_before_anyone_gets_many() -> None:
    # By score alone the hub meets ben and cy, and dan, who only matches the hub, meets no one.
    slots = build_slots([session(3)], 30)
    people = everyone("hub", "ben", "cy", "dan")
    pairs = [
        Pair("hub", "ben", 0.9),
        Pair("hub", "cy", 0.8),
        Pair("ben", "cy", 0.2),
        Pair("hub", "dan", 0.1),
    ]
    result = auto_schedule(pairs, people, slots, 0, max_meetings=2)
    met = {(b.a, b.b) for b in result.bookings}
    assert ("hub", "dan") in met
    assert result.attendees_covered == 4
    assert result.total_score == pytest.approx(1.2)  # hub+dan, ben+cy, hub+ben


def test_fairness_floor_with_a_star() -> None:
    # Five attendees only match the hub; the hub can take four: four leaves get one meeting.
    slots = build_slots([session(6)], 30)
    leaves = [f"leaf{i}" for i in range(5)]
    people = everyone("hub", "x", "y", *leaves)
    pairs = [Pair("hub", leaf, 0.1) for leaf in leaves] + [
        Pair("hub", "x", 1.0),
        Pair("hub", "y", 1.0),
        Pair("x", "y", 0.3),
    ]
    result = auto_schedule(pairs, people, slots, 0, max_meetings=4, max_consecutive=None)
    assert result.attendees_covered == 7  # the hub, x and y, and four leaves
    assert result.attendees_coverable == 8
    assert {b.a for b in result.bookings if b.b == "x" or b.b == "y"} == {"x"}


def test_breaks_after_max_consecutive_meetings() -> None:
    slots = build_slots([session(5)], 30)
    partners = [f"p{i}" for i in range(5)]
    people = everyone("star", *partners)
    pairs = [Pair("star", p, 1.0) for p in partners]
    result = auto_schedule(pairs, people, slots, 0, max_meetings=5, max_consecutive=3)
    taken = sorted(b.slot for b in result.bookings)
    assert len(taken) == 4  # five in a row would break the rule; a gap of one is enough
    assert not find_violations(result.bookings, people, slots, 0, 5, max_consecutive=3)
    assert len(auto_schedule(pairs, people, slots, 0, 5, max_consecutive=None).bookings) == 5


def test_sessions_end_a_run_of_meetings() -> None:
    slots = build_slots([session(3), session(3, DAY + timedelta(hours=3))], 30)
    partners = [f"p{i}" for i in range(6)]
    people = everyone("star", *partners)
    pairs = [Pair("star", p, 1.0) for p in partners]
    result = auto_schedule(pairs, people, slots, 0, max_meetings=6, max_consecutive=3)
    assert len(result.bookings) == 6


def test_auto_schedule_mode_rules() -> None:
    slots = one_slot_sessions(1)
    people = {
        "in1": Person("in_person"),
        "in2": Person("in_person"),
        "in3": Person("in_person"),
        "in4": Person("in_person"),
        "on1": Person("virtual"),
        "on2": Person("virtual"),
        "ei1": Person("either"),
        "ei2": Person("either"),
        "ei3": Person("either"),
        "ei4": Person("either"),
        "ei5": Person("either"),
        "ei6": Person("either"),
    }
    pairs = [
        Pair("in1", "in2", 0.9),
        Pair("in3", "in4", 0.8),  # one table for two pairs
        Pair("in1", "on1", 1.0),  # never
        Pair("on2", "ei1", 0.5),  # online, whatever the tables
        Pair("ei2", "ei3", 0.7),
        Pair("ei4", "ei5", 0.6),  # a table if one is left
    ]
    result = auto_schedule(pairs, people, slots, ["Table A", "Table B"], max_meetings=1)
    places = {(b.a, b.b): b.table for b in result.bookings}
    assert places == {
        ("in1", "in2"): "Table A",
        ("in3", "in4"): "Table B",
        ("on2", "ei1"): None,
        ("ei2", "ei3"): None,
        ("ei4", "ei5"): None,
    } or places == {
        ("in1", "in2"): "Table A",
        ("in3", "in4"): "Table B",
        ("on2", "ei1"): None,
        ("ei2", "ei3"): None,
        ("ei4", "ei5"): None,
    }
    reasons = {(u.pair.a, u.pair.b): u.reason for u in result.unscheduled}
    assert reasons == {("in1", "on1"): "incompatible_modes"}

    one_table = auto_schedule(pairs, people, slots, ["Table A"], max_meetings=1)
    places = {(b.a, b.b): b.table for b in one_table.bookings}
    assert places[("in1", "in2")] == "Table A"
    assert ("in3", "in4") not in places
    assert places[("ei2", "ei3")] is None

    spare = auto_schedule(pairs, people, slots, 4, max_meetings=1)
    places = {(b.a, b.b): b.table for b in spare.bookings}
    assert places[("ei2", "ei3")] == "Table 3" and places[("ei4", "ei5")] == "Table 4"
    assert places[("on2", "ei1")] is None


def test_auto_schedule_respects_existing_bookings() -> None:
    slots = one_slot_sessions(2)
    people = everyone("ana", "ben", "cy", "dan")
    existing = [Booking("ana", "ben", 0, "Table 1", 0.2)]
    pairs = [
        Pair("ana", "ben", 0.9),
        Pair("ana", "cy", 0.8),
        Pair("cy", "dan", 0.7),
        Pair("ben", "dan", 0.6),
    ]
    result = auto_schedule(pairs, people, slots, 1, max_meetings=2, existing=existing)
    assert not find_violations(existing + result.bookings, people, slots, 1, 2)
    assert all(b.slot == 1 for b in result.bookings if {"ana", "ben"} & {b.a, b.b})
    assert any(b.slot == 0 and b.table is None for b in result.bookings)  # the table is taken
    reasons = {(u.pair.a, u.pair.b): u.reason for u in result.unscheduled}
    assert reasons[("ana", "ben")] == "already_booked"


def test_auto_schedule_reasons() -> None:
    slots = one_slot_sessions(2)
    people = {
        "ana": Person("either", frozenset({0})),
        "ben": Person("either", frozenset({1})),
        "cy": Person("in_person"),
        "dan": Person("in_person"),
        "eve": Person("virtual"),
    }
    pairs = [
        Pair("ana", "ben", 0.5),
        Pair("cy", "dan", 0.5),
        Pair("cy", "eve", 0.5),
        Pair("ben", "ana", 0.9),
    ]
    result = auto_schedule(pairs, people, slots, 0, max_meetings=2)
    assert result.bookings == []
    assert [u.reason for u in result.unscheduled] == [
        "no_common_availability",
        "no_tables",
        "incompatible_modes",
        "duplicate",
    ]
    assert set(UNSCHEDULED_REASONS) >= {u.reason for u in result.unscheduled}
    assert result.attendees_coverable == 0


# -- properties on random instances ---------------------------------------------------------

MODES = ["either", "in_person", "virtual"]


@st.composite
def instances(draw: st.DrawFn, max_people: int = 8) -> dict:
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    sessions, start = [], DAY
    for size in sizes:
        sessions.append(session(size, start))
        start += timedelta(hours=2)
    slots = build_slots(sessions, 30)
    n = draw(st.integers(2, max_people))
    people = {
        i: Person(
            draw(st.sampled_from(MODES)),
            draw(st.none() | st.frozensets(st.integers(0, len(sizes) - 1))),
        )
        for i in range(n)
    }
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(0, 10)),
            max_size=3 * n,
        )
    )
    pairs = [Pair(a, b, score / 10) for a, b, score in edges if a != b]
    return {
        "people": people,
        "slots": slots,
        "pairs": pairs,
        "tables": draw(st.integers(0, 3)),
        "max_meetings": draw(st.integers(1, 4)),
        "max_consecutive": draw(st.sampled_from([None, 1, 2, 3])),
        "existing_count": draw(st.integers(0, 3)),
    }


def existing_bookings(case: dict) -> list[Booking]:
    existing: list[Booking] = []
    for pair in case["pairs"][: case["existing_count"]]:
        booking = book_earliest(
            pair, case["people"], case["slots"], case["tables"], existing, case["max_meetings"]
        )
        if booking is not None:
            existing.append(booking)
    return existing


@settings(max_examples=150, deadline=None)
@given(instances())
def test_auto_schedule_never_breaks_a_hard_rule(case: dict) -> None:
    existing = existing_bookings(case)
    assume(
        not find_violations(
            existing,
            case["people"],
            case["slots"],
            case["tables"],
            case["max_meetings"],
            case["max_consecutive"],
        )
    )
    result = auto_schedule(
        case["pairs"],
        case["people"],
        case["slots"],
        case["tables"],
        case["max_meetings"],
        existing,
        case["max_consecutive"],
    )
    everything = existing + result.bookings
    assert not find_violations(
        everything,
        case["people"],
        case["slots"],
        case["tables"],
        case["max_meetings"],
        case["max_consecutive"],
    )
    assert result.total_score == pytest.approx(sum(b.score for b in result.bookings))
    assert len(result.bookings) + len(result.unscheduled) == len(case["pairs"])
    keys = {frozenset((p.a, p.b)) for p in case["pairs"]}
    assert all(frozenset(b.attendees) in keys for b in result.bookings)
    # An either+either pair only meets online when every table in its slot is taken.
    tables = table_names(case["tables"])
    for booking in result.bookings:
        mode = combined_mode(case["people"][booking.a].mode, case["people"][booking.b].mode)
        if mode == "either" and booking.table is None:
            used = {b.table for b in everything if b.slot == booking.slot}
            assert used >= set(tables)


@settings(max_examples=150, deadline=None)
@given(instances(), st.data())
def test_book_earliest_never_breaks_a_hard_rule(case: dict, data: st.DataObject) -> None:
    existing = existing_bookings(case)
    assume(case["pairs"])
    pair = data.draw(st.sampled_from(case["pairs"]))
    args = (case["people"], case["slots"], case["tables"], existing, case["max_meetings"])
    booking = book_earliest(pair, *args)
    free = common_free_slots(pair, *args)
    if booking is None:
        assert free == []
        return
    assert booking.slot == free[0].index
    assert not find_violations(
        existing + [booking], case["people"], case["slots"], case["tables"], case["max_meetings"]
    )


def best_coverage(case: dict) -> int:
    """The most attendees that can get a meeting, by exhaustive search (tiny cases only)."""
    people, slots, tables = case["people"], case["slots"], case["tables"]
    partners: dict[int, list[int]] = {p: [] for p in people}
    for pair in case["pairs"]:
        if combined_mode(people[pair.a].mode, people[pair.b].mode) is not None:
            partners[pair.a].append(pair.b)
            partners[pair.b].append(pair.a)
    best = 0

    def search(bookings: list[Booking], skipped: frozenset[int]) -> None:
        nonlocal best
        covered = {who for b in bookings for who in b.attendees}
        best = max(best, len(covered))
        waiting = [p for p in people if p not in covered and p not in skipped and partners[p]]
        if not waiting or len(covered) + len(waiting) <= best:
            return
        p = waiting[0]
        for q in partners[p]:
            in_person = combined_mode(people[p].mode, people[q].mode) == "in_person"
            for slot in slots:
                # Online is always possible for the flexible, so they never need a table here.
                used = {b.table for b in bookings if b.slot == slot.index}
                table = next((t for t in table_names(tables) if t not in used), None)
                if in_person and table is None:
                    continue
                trial = bookings + [Booking(p, q, slot.index, table if in_person else None)]
                if not find_violations(
                    trial, people, slots, tables, case["max_meetings"], case["max_consecutive"]
                ):
                    search(trial, skipped)
        search(bookings, skipped | {p})

    search([], frozenset())
    return best


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_people=6))
def test_fairness_floor_matches_the_best_possible_coverage(case: dict) -> None:
    result = auto_schedule(
        case["pairs"],
        case["people"],
        case["slots"],
        case["tables"],
        case["max_meetings"],
        (),
        case["max_consecutive"],
    )
    assert result.attendees_covered == best_coverage(case)


def test_scarce_tables_go_to_those_who_can_only_meet_in_person() -> None:
    # One table, one slot. By score ana (in person) would meet cy (flexible) at the table,
    # but cy can meet dan online, and ben (in person) needs that table to meet anyone.
    slots = one_slot_sessions(1)
    people = {
        "ana": Person("in_person"),
        "ben": Person("in_person"),
        "cy": Person("either"),
        "dan": Person("virtual"),
    }
    pairs = [Pair("ana", "cy", 0.9), Pair("ana", "ben", 0.5), Pair("cy", "dan", 0.4)]
    result = auto_schedule(pairs, people, slots, 1, max_meetings=1)
    assert {(b.a, b.b, b.table) for b in result.bookings} == {
        ("ana", "ben", "Table 1"),
        ("cy", "dan", None),
    }
    assert result.attendees_covered == 4


def test_fairness_floor_spends_tables_on_coverage() -> None:
    # One table over two slots: ana+cy and ana+ben score best, but then dan meets no one.
    slots = one_slot_sessions(2)
    people = {name: Person("in_person") for name in ("ana", "ben", "cy", "dan")}
    pairs = [Pair("ana", "cy", 0.95), Pair("ana", "ben", 0.9), Pair("cy", "dan", 0.2)]
    result = auto_schedule(pairs, people, slots, 1, max_meetings=2)
    assert {(b.a, b.b) for b in result.bookings} == {("ana", "ben"), ("cy", "dan")}
    assert result.attendees_covered == 4


def test_auto_schedule_is_deterministic() -> None:
    slots = build_slots([session(4), session(4, DAY + timedelta(hours=3))], 30)
    people = {i: Person(MODES[i % 3], None if i % 4 else frozenset({i % 2})) for i in range(30)}
    pairs = [Pair(i, (i * 7 + 3) % 30, ((i * 37) % 100) / 100) for i in range(30)]
    pairs += [Pair(i, (i + 1) % 30, ((i * 53) % 100) / 100) for i in range(30)]
    runs = [auto_schedule(pairs, people, slots, 2, max_meetings=4) for _ in range(2)]
    assert runs[0] == runs[1]


def test_no_meetings_allowed() -> None:
    slots = one_slot_sessions(1)
    result = auto_schedule([Pair("ana", "ben", 1.0)], everyone("ana", "ben"), slots, 1, 0)
    assert result.bookings == []
    assert [u.reason for u in result.unscheduled] == ["meeting_limit"]


def test_slots_before_a_moment_take_no_new_meeting_but_their_meetings_still_count() -> None:
    slots = build_slots([session(4)], 30)  # four slots
    people = everyone("ana", "ben", "cy")
    earlier = [Booking("ana", "cy", 0, None)]
    opens = slots[2].start
    assert (
        book_earliest(Pair("ana", "ben"), people, slots, 0, earlier, 3, not_before=opens).slot == 2
    )
    assert [
        s.index
        for s in common_free_slots(Pair("ana", "ben"), people, slots, 0, [], 3, not_before=opens)
    ] == [2, 3]
    # Ana's meeting in slot 0 counts toward her limit even though slot 0 is past.
    assert book_earliest(Pair("ana", "ben"), people, slots, 0, earlier, 1, not_before=opens) is None
    result = auto_schedule(
        [Pair("ana", "ben", 1.0)], people, slots, 0, 3, earlier, not_before=opens
    )
    assert [b.slot for b in result.bookings] == [2]
    closed = auto_schedule([Pair("ana", "ben", 1.0)], people, slots, 0, 3, not_before=slots[3].end)
    assert closed.bookings == []
