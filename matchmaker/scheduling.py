"""Turn confirmed matches into meetings: a time slot and a place for each pair.

Pure: nothing here imports Flask or the database. The web layer loads attendees, matches and
bookings, calls `book_earliest` (one pair asks for a meeting) or `auto_schedule` (the organiser
schedules the whole event) and stores the returned `Booking`s. A booking maps onto two unique
constraints, (attendee, slot) and (table, slot), so two requests that race past this module
still cannot double-book a person or a table: the database rejects the second one.

Times are aware datetimes; slot arithmetic is done in UTC so a slot lasts exactly the meeting
length even across a daylight-saving change.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeAlias

from matchmaker.choices import MEETING_MODES

AttendeeId: TypeAlias = Hashable

UNSCHEDULED_REASONS: dict[str, str] = {
    "incompatible_modes": "One meets only in person, the other only online",
    "already_booked": "The pair already has a meeting",
    "duplicate": "The pair is listed more than once",
    "no_common_availability": "No slot in which both are available",
    "no_tables": "They need a table and the event has none",
    "meeting_limit": "One of them already has the most meetings allowed",
    "assignment_limit": "One of them already has as many assigned meetings as allowed",
    "no_free_slot": "Every slot both could use is taken, or would leave no break",
}


@dataclass(frozen=True, slots=True)
class Slot:
    """One meeting slot; `index` is its position in the event's slot list."""

    index: int
    session_index: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Person:
    """What scheduling needs to know about an attendee.

    `sessions` holds the indexes of the sessions they can attend; None means all of them.
    """

    mode: str = "either"
    sessions: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.mode not in MEETING_MODES:
            raise ValueError(f"unknown meeting mode {self.mode!r}")


@dataclass(frozen=True, slots=True)
class Pair:
    """A confirmed match: both attendees want to meet. `score` is in [0, 1]."""

    a: AttendeeId
    b: AttendeeId
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Booking:
    """A meeting of `a` and `b` in slot `slot` (a `Slot.index`).

    `table` is the table's name for an in-person meeting and None for an online one. Store it
    with unique constraints on (attendee, slot) for both attendees and on (table, slot).
    """

    a: AttendeeId
    b: AttendeeId
    slot: int
    table: str | None
    score: float = 0.0

    @property
    def mode(self) -> str:
        return "virtual" if self.table is None else "in_person"

    @property
    def attendees(self) -> tuple[AttendeeId, AttendeeId]:
        return (self.a, self.b)


@dataclass(frozen=True, slots=True)
class Unscheduled:
    pair: Pair
    reason: str  # a key of UNSCHEDULED_REASONS


@dataclass(slots=True)
class ScheduleResult:
    """What `auto_schedule` adds to the event.

    `bookings` and `total_score` cover the new meetings only; `attendees_covered` counts everyone
    with at least one meeting, existing ones included, out of `attendees_coverable`, the
    attendees who had at least one partner they could meet at all.
    """

    bookings: list[Booking]
    total_score: float
    attendees_covered: int
    attendees_coverable: int
    unscheduled: list[Unscheduled] = field(default_factory=list)


def table_names(count: int, prefix: str = "Table") -> list[str]:
    """"Table 1" .. "Table <count>", for events that just number their tables."""
    return [f"{prefix} {number}" for number in range(1, count + 1)]


def build_slots(
    sessions: Sequence[tuple[datetime, datetime]],
    meeting_minutes: int,
    buffer_minutes: int = 0,
) -> list[Slot]:
    """Cut networking sessions into back-to-back meeting slots, a buffer between two slots.

    A trailing piece shorter than a meeting is dropped. Sessions must not overlap, otherwise
    one person could hold two slots at the same moment.
    """
    if meeting_minutes <= 0:
        raise ValueError("meeting_minutes must be positive")
    if buffer_minutes < 0:
        raise ValueError("buffer_minutes must not be negative")
    length = timedelta(minutes=meeting_minutes)
    step = length + timedelta(minutes=buffer_minutes)
    spans: list[tuple[datetime, datetime]] = []
    for start, end in sessions:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("session times must be timezone-aware")
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            raise ValueError("a session must end after it starts")
        spans.append((start, end))
    ordered = sorted(spans)
    for (_, end), (start, _) in zip(ordered, ordered[1:], strict=False):
        if start < end:
            raise ValueError("sessions overlap")
    slots: list[Slot] = []
    for session_index, (start, end) in enumerate(spans):
        begin = start
        while begin + length <= end:
            slots.append(Slot(len(slots), session_index, begin, begin + length))
            begin += step
    return slots


def combined_mode(mode_a: str, mode_b: str) -> str | None:
    """How two attendees can meet: "in_person", "virtual", "either" or None (they cannot)."""
    for mode in (mode_a, mode_b):
        if mode not in MEETING_MODES:
            raise ValueError(f"unknown meeting mode {mode!r}")
    modes = {mode_a, mode_b}
    if "virtual" in modes:
        return None if "in_person" in modes else "virtual"
    return "in_person" if "in_person" in modes else "either"


def _available(person: Person, slot: Slot) -> bool:
    return person.sessions is None or slot.session_index in person.sessions


def _check_pair(pair: Pair, people: Mapping[AttendeeId, Person]) -> None:
    if pair.a == pair.b:
        raise ValueError(f"{pair.a!r} cannot meet themselves")
    for who in (pair.a, pair.b):
        if who not in people:
            raise ValueError(f"unknown attendee {who!r}")


def _table_list(tables: int | Sequence[str]) -> list[str]:
    if isinstance(tables, int):
        return table_names(tables)
    if isinstance(tables, str):
        raise TypeError("tables must be a count or a list of names, not one name")
    names = list(tables)
    if len(set(names)) != len(names):
        raise ValueError("table names must be unique")
    return names


def _pair_key(a: AttendeeId, b: AttendeeId) -> frozenset[AttendeeId]:
    return frozenset((a, b))


def common_free_slots(
    pair: Pair,
    people: Mapping[AttendeeId, Person],
    slots: Sequence[Slot],
    tables: int | Sequence[str],
    bookings: Iterable[Booking],
    max_meetings: int,
    *,
    not_before: datetime | None = None,
) -> list[Slot]:
    """The slots, earliest first, in which the pair could still meet, so they can pick one;
    none that starts before `not_before` (a slot already under way is gone).

    Book the chosen one with `book_earliest(..., within={slot.index})`.
    """
    names = _table_list(tables)
    options = _options(pair, people, slots, names, bookings, max_meetings, not_before=not_before)
    return [slot for slot, _ in options]


def book_earliest(
    pair: Pair,
    people: Mapping[AttendeeId, Person],
    slots: Sequence[Slot],
    tables: int | Sequence[str],
    bookings: Iterable[Booking],
    max_meetings: int,
    *,
    within: Collection[int] | None = None,
    tables_taken: Mapping[int, AbstractSet[str]] | None = None,
    not_before: datetime | None = None,
) -> Booking | None:
    """Book the earliest slot both have free, with a table when they meet in person.

    Returns None when the pair cannot meet: incompatible modes, already booked, a meeting limit
    reached, or no common free slot (with a free table when they need one). `within` limits
    the search to these slot indexes, `not_before` to slots that start at or after that
    moment (the bookings in earlier slots still count). `tables_taken` (slot index -> table
    names in use) adds to the tables the bookings hold: a caller can then pass only the
    pair's own bookings and look up a slot's tables when the search reaches it.
    """
    names = _table_list(tables)
    options = _options(
        pair, people, slots, names, bookings, max_meetings, tables_taken, not_before=not_before
    )
    for slot, table in options:
        if within is None or slot.index in within:
            return Booking(pair.a, pair.b, slot.index, table, pair.score)
    return None


def _options(
    pair: Pair,
    people: Mapping[AttendeeId, Person],
    slots: Sequence[Slot],
    tables: list[str],
    bookings: Iterable[Booking],
    max_meetings: int,
    tables_taken: Mapping[int, AbstractSet[str]] | None = None,
    *,
    not_before: datetime | None = None,
) -> Iterable[tuple[Slot, str | None]]:
    _check_pair(pair, people)
    person_a, person_b = people[pair.a], people[pair.b]
    mode = combined_mode(person_a.mode, person_b.mode)
    if mode is None:
        return
    busy: dict[AttendeeId, set[int]] = {pair.a: set(), pair.b: set()}
    counts = {pair.a: 0, pair.b: 0}
    used_tables: dict[int, set[str]] = {}
    key = _pair_key(pair.a, pair.b)
    for booking in bookings:
        if _pair_key(booking.a, booking.b) == key:
            return
        for who in booking.attendees:
            if who in busy:
                busy[who].add(booking.slot)
                counts[who] += 1
        if booking.table is not None:
            used_tables.setdefault(booking.slot, set()).add(booking.table)
    if max(counts.values()) >= max_meetings:
        return
    for slot in sorted(slots, key=lambda slot: (slot.start, slot.index)):
        if not_before is not None and slot.start < not_before:
            continue
        if not (_available(person_a, slot) and _available(person_b, slot)):
            continue
        if slot.index in busy[pair.a] or slot.index in busy[pair.b]:
            continue
        taken = used_tables.get(slot.index, set())
        if tables_taken is not None and mode != "virtual":
            taken = taken | tables_taken[slot.index]
        table = next((name for name in tables if name not in taken), None)
        if mode == "in_person" and table is None:
            continue
        yield slot, None if mode == "virtual" else table


def find_violations(
    bookings: Iterable[Booking],
    people: Mapping[AttendeeId, Person],
    slots: Sequence[Slot],
    tables: int | Sequence[str],
    max_meetings: int,
    max_consecutive: int | None = None,
) -> list[str]:
    """Every hard rule a set of bookings breaks, in words; empty when the schedule is sound.

    Checks modes, availability, double bookings of people and tables, repeated pairs, the
    meeting limit and, when given, the longest run of back-to-back meetings.
    """
    names = set(_table_list(tables))
    by_index = {slot.index: slot for slot in slots}
    problems: list[str] = []
    person_slots: dict[AttendeeId, set[int]] = {}
    table_slots: set[tuple[str, int]] = set()
    seen_pairs: set[frozenset[AttendeeId]] = set()
    for booking in bookings:
        label = f"{booking.a!r}+{booking.b!r} in slot {booking.slot}"
        if booking.a == booking.b or booking.a not in people or booking.b not in people:
            problems.append(f"{label}: bad attendees")
            continue
        slot = by_index.get(booking.slot)
        if slot is None:
            problems.append(f"{label}: unknown slot")
            continue
        mode = combined_mode(people[booking.a].mode, people[booking.b].mode)
        if mode is None:
            problems.append(f"{label}: modes are incompatible")
        elif mode == "in_person" and booking.table is None:
            problems.append(f"{label}: needs a table")
        elif mode == "virtual" and booking.table is not None:
            problems.append(f"{label}: should be online")
        for who in booking.attendees:
            if not _available(people[who], slot):
                problems.append(f"{label}: {who!r} is not available")
            taken = person_slots.setdefault(who, set())
            if booking.slot in taken:
                problems.append(f"{label}: {who!r} is double-booked")
            taken.add(booking.slot)
        if booking.table is not None:
            if booking.table not in names:
                problems.append(f"{label}: unknown table {booking.table!r}")
            if (booking.table, booking.slot) in table_slots:
                problems.append(f"{label}: table {booking.table!r} is double-booked")
            table_slots.add((booking.table, booking.slot))
        key = _pair_key(booking.a, booking.b)
        if key in seen_pairs:
            problems.append(f"{label}: the pair meets twice")
        seen_pairs.add(key)
    for who, taken in person_slots.items():
        if len(taken) > max_meetings:
            problems.append(f"{who!r} has {len(taken)} meetings, more than {max_meetings}")
    if max_consecutive is not None:
        ordered = sorted(slots, key=lambda slot: (slot.start, slot.index))
        for who, taken in person_slots.items():
            run = 0
            previous: Slot | None = None
            for slot in ordered:
                if slot.index not in taken:
                    run = 0
                elif previous is not None and previous.session_index == slot.session_index:
                    run += 1
                else:
                    run = 1
                previous = slot
                if run > max_consecutive:
                    problems.append(f"{who!r} has more than {max_consecutive} meetings in a row")
                    break
    return problems


_FREE = -1
_LOCKED = -2
_TABLE, _FLEX, _ONLINE = 0, 1, 2  # needs a table / a table if one is free / online
_KINDS = {"in_person": _TABLE, "either": _FLEX, "virtual": _ONLINE}
_EPSILON = 1e-9
_MOVE, _SCORE, _COVER = 0, 1, 2  # what making room may do: move only, or remove for score/coverage
_TABLE_TRIES = 8  # table meetings considered when a slot has no table left
_FEW_PARTNERS = 3  # attendees with this few partners get their first meeting first
_COVER_TRADES = 3  # pairs for which a first meeting may displace others
_IMPROVE_SHARE = 2  # pairs left out tried per attendee when trading meetings
_PATH_CHECKS = 300  # pairs looked at when searching for the best alternating path


def _bits(mask: int) -> Iterable[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class _Engine:
    """Schedule state on dense integer ids with one bit per slot, cheap enough for 10k people.

    People are 0..n-1, slots are bit positions in start order, candidate pairs are edges
    0..m-1. `at[p][s]` is the edge person p meets in slot s, `_FREE`, or `_LOCKED` for an
    existing booking that must stay where it is.
    """

    def __init__(
        self,
        avail: list[int],
        busy: list[int],
        deg: list[int],
        cap: int,
        slot_count: int,
        windows: list[int],
        tables_left: list[int],
    ) -> None:
        self.avail = avail
        self.busy = busy
        self.deg = deg
        self.cap = cap
        self.slot_count = slot_count
        self.windows = windows
        self.tables_left = tables_left
        self.table_mask = sum(1 << s for s, left in enumerate(tables_left) if left > 0)
        self.at = [[_LOCKED if mask >> s & 1 else _FREE for s in range(slot_count)]
                   for mask in busy]
        self.table_users: list[set[int]] = [set() for _ in range(slot_count)]
        self.table_version = [0] * slot_count
        self._table_ranking: list[tuple[int, list[int]]] = [(-1, [])] * slot_count
        self.demand = [[0] * slot_count for _ in avail]
        self.incident: list[list[int]] = [[] for _ in avail]
        self.ea: list[int] = []
        self.eb: list[int] = []
        self.w: list[float] = []
        self.kind: list[int] = []
        self.static: list[int] = []
        self.slot_of: list[int] = []
        self.ranked: list[list[int]] = []
        self.slot_ranked: list[list[list[int]]] = []
        self.needs_table: list[bool] = []
        self._addable: dict[int, int] = {}

    def add_edge(self, a: int, b: int, weight: float, kind: int, static: int) -> int:
        e = len(self.ea)
        self.ea.append(a)
        self.eb.append(b)
        self.w.append(weight)
        self.kind.append(kind)
        self.static.append(static)
        self.slot_of.append(-1)
        self.incident[a].append(e)
        self.incident[b].append(e)
        self._count_demand(e, 1)
        return e

    # -- state ---------------------------------------------------------------------------

    def addable(self, busy: int) -> int:
        """Slots that can be added to `busy` without a run longer than the break rule allows."""
        mask = self._addable.get(busy)
        if mask is None:
            mask = ((1 << self.slot_count) - 1) & ~busy
            for window in self.windows:
                missing = window & ~busy
                if missing and not missing & (missing - 1):
                    mask &= ~missing
            self._addable[busy] = mask
        return mask

    def free(self, p: int) -> int:
        if self.deg[p] >= self.cap:
            return 0
        busy = self.busy[p]
        mask = self._addable.get(busy)
        return self.avail[p] & (self.addable(busy) if mask is None else mask)

    def candidates(self, e: int) -> int:
        mask = self.static[e] & self.free(self.ea[e]) & self.free(self.eb[e])
        if self.kind[e] == _TABLE:
            mask &= self.table_mask
        return mask

    def place(self, e: int, s: int) -> None:
        bit = 1 << s
        for p in (self.ea[e], self.eb[e]):
            self.busy[p] |= bit
            self.at[p][s] = e
            self.deg[p] += 1
        if self.kind[e] == _TABLE:
            self.table_users[s].add(e)
            self.table_version[s] += 1
            self.tables_left[s] -= 1
            if self.tables_left[s] <= 0:
                self.table_mask &= ~bit
        self.slot_of[e] = s

    def unplace(self, e: int) -> int:
        s = self.slot_of[e]
        bit = 1 << s
        for p in (self.ea[e], self.eb[e]):
            self.busy[p] &= ~bit
            self.at[p][s] = _FREE
            self.deg[p] -= 1
        if self.kind[e] == _TABLE:
            self.table_users[s].discard(e)
            self.table_version[s] += 1
            self.tables_left[s] += 1
            if self.tables_left[s] > 0:
                self.table_mask |= bit
        self.slot_of[e] = -1
        return s

    def _count_demand(self, e: int, step: int) -> None:
        da, db = self.demand[self.ea[e]], self.demand[self.eb[e]]
        for s in _bits(self.static[e]):
            da[s] += step
            db[s] += step

    def choose(self, e: int, mask: int) -> int:
        """The candidate slot the two endpoints' other unscheduled pairs want least."""
        if not mask & (mask - 1):
            return mask.bit_length() - 1
        da, db = self.demand[self.ea[e]], self.demand[self.eb[e]]
        return min(_bits(mask), key=lambda s: da[s] + db[s])

    def schedule(self, e: int, s: int) -> None:
        self.place(e, s)
        self._count_demand(e, -1)

    def drop(self, e: int) -> None:
        self.unplace(e)
        self._count_demand(e, 1)

    # -- moves ---------------------------------------------------------------------------

    def try_direct(self, e: int) -> bool:
        mask = self.candidates(e)
        if not mask:
            return False
        self.schedule(e, self.choose(e, mask))
        return True

    def relocate(self, x: int) -> bool:
        """Move meeting x to another slot its pair has free; leave it in place if none."""
        s = self.unplace(x)
        mask = self.candidates(x) & ~(1 << s)
        if mask:
            self.place(x, self.choose(x, mask))
            return True
        version = self.table_version[s]
        self.place(x, s)
        if self.kind[x] == _TABLE:
            self.table_version[s] = version - 1  # the same meetings as before: keep the cache
        return False

    def _table_cache(self) -> tuple[list[int], list[tuple[int, list[int]]]]:
        return self.table_version[:], self._table_ranking[:]

    def _undo(
        self,
        log: list[tuple[int, int]],
        cache: tuple[list[int], list[tuple[int, list[int]]]] | None = None,
    ) -> None:
        """Put every meeting in `log` back in the slot recorded for it (-1: unscheduled).

        With the `cache` taken before the changes, the table rankings of that state are
        valid again and need not be sorted anew.
        """
        for x, s in reversed(log):
            if self.slot_of[x] >= 0:
                self.unplace(x)
            if s >= 0:
                self.place(x, s)
        if cache is not None:
            self.table_version[:], self._table_ranking[:] = cache

    def try_move_insert(self, e: int) -> bool:
        """Make room in a common slot by moving the meetings in the way to other slots."""
        if self.deg[self.ea[e]] >= self.cap or self.deg[self.eb[e]] >= self.cap:
            return False
        for s in _bits(self.static[e]):
            cache = self._table_cache()
            log: list[tuple[int, int]] = []
            if self._clear(e, s, log, _MOVE) is not None:
                self._count_demand(e, -1)
                return True
            self._undo(log, cache)
        return False

    def _orphans(self, x: int, keep: tuple[int, int]) -> int:
        """How many attendees, besides those in `keep`, would lose their only meeting with x."""
        return sum(1 for q in (self.ea[x], self.eb[x]) if q not in keep and self.deg[q] <= 1)

    def _cheapest_removable(self, p: int, keep: tuple[int, int]) -> int:
        """p's lowest-score meeting whose other attendee stays covered without it."""
        best = -1
        for x in self.at[p]:
            if x >= 0 and not self._orphans(x, keep) and (best < 0 or self.w[x] < self.w[best]):
                best = x
        return best

    def _tables_by_score(self, s: int) -> list[int]:
        """The table meetings in slot s, cheapest first (cached until they change)."""
        version, ranking = self._table_ranking[s]
        if version != self.table_version[s]:
            ranking = sorted(self.table_users[s], key=self.w.__getitem__)
            self._table_ranking[s] = (self.table_version[s], ranking)
        return ranking

    def _move_a_table(self, s: int, log: list[tuple[int, int]]) -> bool:
        """Free a table in slot s by moving one of its cheapest meetings to another slot."""
        if self.table_mask:
            for x in self._tables_by_score(s)[:_TABLE_TRIES]:
                log.append((x, s))
                if self.relocate(x):
                    return True
        return False

    def _table_victim(self, s: int, keep: tuple[int, int], allow: int) -> int | None:
        """The table meeting in slot s to give up: the cheapest that leaves no one uncovered.

        Only the cheapest few are looked at: the expensive ones are the wrong ones to touch.
        """
        deg, ea, eb = self.deg, self.ea, self.eb
        best, best_orphans = None, 3
        for x in self._tables_by_score(s)[: _TABLE_TRIES if allow == _COVER else 1]:
            a, b = ea[x], eb[x]
            orphans = (deg[a] <= 1 and a not in keep) + (deg[b] <= 1 and b not in keep)
            if orphans < best_orphans:
                best, best_orphans = x, orphans
                if not orphans:
                    break
        if allow == _SCORE and best_orphans:
            return None
        return best

    def _clear(self, e: int, s: int, log: list[tuple[int, int]], allow: int) -> list[int] | None:
        """Put e in slot s, moving (and unless `allow` is _MOVE, removing) what is in the way.

        Every change goes to `log` so it can be undone. Returns the removed meetings, or None
        when e still does not fit.
        """
        a, b = self.ea[e], self.eb[e]
        keep = (a, b)
        xa, xb = self.at[a][s], self.at[b][s]
        if xa == _LOCKED or xb == _LOCKED:
            return None
        needs_table = self.kind[e] == _TABLE and self.tables_left[s] <= 0
        if allow == _MOVE and xa < 0 and xb < 0 and not needs_table:
            return None  # only the break rule is in the way
        if (
            needs_table
            and not self.table_mask
            and not any(x >= 0 and self.kind[x] == _TABLE for x in (xa, xb))
            and (allow == _MOVE or self._table_victim(s, keep, allow) is None)
        ):
            return None  # decided before touching anything
        removed: list[int] = []
        for x in (xa, xb):
            if x >= 0:
                log.append((x, s))
                if not self.relocate(x):
                    if allow == _MOVE:
                        return None
                    self.unplace(x)
                    removed.append(x)
        if self.kind[e] == _TABLE and self.tables_left[s] <= 0 and not self._move_a_table(s, log):
            if allow == _MOVE:
                return None
            x = self._table_victim(s, keep, allow)
            if x is None:
                return None
            log.append((x, self.unplace(x)))
            removed.append(x)
        for p in keep:
            if self.deg[p] >= self.cap:
                x = -1 if allow == _MOVE else self._cheapest_removable(p, keep)
                if x < 0:
                    return None
                log.append((x, self.unplace(x)))
                removed.append(x)
        if not self.candidates(e) >> s & 1:
            return None
        self.place(e, s)
        log.append((e, -1))
        return removed

    def _edge_floor(self, e: int) -> float:
        """The least score that inserting e in any slot must remove (see `_loss_floor`)."""
        a, b = self.ea[e], self.eb[e]
        floor = 0.0
        for p in (a, b):
            if self.deg[p] >= self.cap:
                floor += min((self.w[x] for x in self.at[p] if x >= 0), default=float("inf"))
        if self.kind[e] == _TABLE and not self.table_mask and self.static[e]:
            cheapest = 1.0e300
            for s in _bits(self.static[e]):
                if any(x >= 0 and self.kind[x] == _TABLE for x in (self.at[a][s], self.at[b][s])):
                    cheapest = 0.0  # their own table meeting there may make way
                    break
                ranking = self._tables_by_score(s)
                cheapest = min(cheapest, self.w[ranking[0]] if ranking else 0.0)
            floor += cheapest
        return floor

    def _loss_floor(self, e: int, s: int) -> float | None:
        """The least score that putting e in slot s must remove, or None if it cannot go there.

        Called once moving meetings around has failed. An attendee at the meeting limit must
        drop one of theirs, and with no table free anywhere a table meeting in s must go.
        """
        a, b = self.ea[e], self.eb[e]
        xa, xb = self.at[a][s], self.at[b][s]
        if xa == _LOCKED or xb == _LOCKED:
            return None
        floor = 0.0
        for p in (a, b):
            if self.deg[p] >= self.cap:
                own = [self.w[x] for x in self.at[p] if x >= 0]
                if not own:
                    return None
                floor += min(own)
        if (
            self.kind[e] == _TABLE
            and self.tables_left[s] <= 0
            and not self.table_mask
            and not any(x >= 0 and self.kind[x] == _TABLE for x in (xa, xb))
        ):
            victim = self._table_victim(s, (a, b), _SCORE)
            if victim is None:
                return None
            floor += self.w[victim]
        if not floor:
            blockers = [self.w[x] for x in (xa, xb) if x >= 0]
            floor = min(blockers, default=0.0)
        return floor

    def _refill(self, p: int, log: list[tuple[int, int]]) -> int:
        """Give p its best unscheduled pair that fits somewhere now; -1 if none does."""
        mine = self.free(p)
        if not mine:
            return -1
        slot_of, static, kind, ea, eb = self.slot_of, self.static, self.kind, self.ea, self.eb
        for f in self.ranked[p]:
            if slot_of[f] >= 0:
                continue
            mask = static[f] & mine
            if kind[f] == _TABLE:
                mask &= self.table_mask
            if mask:
                mask &= self.free(ea[f] + eb[f] - p)
                if mask:
                    self.place(f, self.choose(f, mask))
                    log.append((f, -1))
                    return f
        return -1

    def _attempt(
        self, e: int, s: int, allow: int, log: list[tuple[int, int]]
    ) -> tuple[int, float, list[int], list[int]] | None:
        """Put e in slot s, then let those who lost a meeting take another pair if they can.

        That second step turns a swap that loses score into a gain: an augmenting path of
        length three in the slot. Returns (attendees gained, score gained, removed, added).
        """
        a, b = self.ea[e], self.eb[e]
        newcomers = (not self.deg[a]) + (not self.deg[b])
        removed = self._clear(e, s, log, allow)
        if removed is None:
            return None
        added = [e]
        for x in removed:
            for q in (self.ea[x], self.eb[x]):
                if q != a and q != b:
                    f = self._refill(q, log)
                    if f >= 0:
                        added.append(f)
        lost = sum(
            1 for x in removed for q in (self.ea[x], self.eb[x])
            if q != a and q != b and not self.deg[q]
        )
        gain = sum(self.w[f] for f in added) - sum(self.w[x] for x in removed)
        if allow == _SCORE and lost:
            return None
        return newcomers - lost, gain, removed, added

    def try_eject_insert(self, e: int, allow: int) -> list[int] | None:
        """Insert e by moving meetings away and removing cheaper ones.

        With _SCORE it must raise the score without leaving anyone with no meeting; with
        _COVER it must instead give more people a first meeting than it takes one from.
        Returns the removed meetings so they can look for another slot, or None when e does
        not fit.
        """
        best_s, best_key = -1, (0, 0.0)
        if allow == _SCORE and self.w[e] - self._edge_floor(e) <= _EPSILON:
            return None
        for s in _bits(self.static[e]):
            if allow == _SCORE:
                # Skip slots where even the cheapest meeting in the way outweighs e: the
                # refills could still pay for it, but rarely do, and trying costs time.
                floor = self._loss_floor(e, s)
                if floor is None or self.w[e] - floor <= _EPSILON:
                    continue
            cache = self._table_cache()
            log: list[tuple[int, int]] = []
            outcome = self._attempt(e, s, allow, log)
            if outcome is not None:
                gained, gain = (outcome[0], outcome[1]) if allow == _COVER else (0, outcome[1])
                if best_s < 0 or (gained, gain) > best_key:
                    best_s, best_key = s, (gained, gain)
            self._undo(log, cache)
        if best_s < 0:
            return None
        gained, gain = best_key
        if (gained <= 0) if allow == _COVER else gain <= _EPSILON:
            return None
        outcome = self._attempt(e, best_s, allow, [])
        assert outcome is not None  # the same deterministic steps succeeded a moment ago
        _, _, removed, added = outcome
        for x in removed:
            self._count_demand(x, 1)
        for f in added:
            self._count_demand(f, -1)
        return removed

    # -- passes --------------------------------------------------------------------------

    def _cover_one(self, p: int, edges: list[int]) -> bool:
        """Book p's first meeting: as is, by moving others, or by trading a few meetings."""
        return (
            any(self.try_direct(e) for e in edges)
            or any(self.try_move_insert(e) for e in edges)
            or any(self.try_eject_insert(e, _COVER) is not None for e in edges[:_COVER_TRADES])
        )

    def rank(self) -> None:
        """Each person's pairs, best first, for refilling a freed slot quickly."""
        self.ranked = [sorted(edges, key=lambda e: -self.w[e]) for edges in self.incident]
        self.slot_ranked = [
            [[e for e in edges if self.static[e] >> s & 1] for s in range(self.slot_count)]
            for edges in self.ranked
        ]
        self.needs_table = [
            bool(edges) and all(self.kind[e] == _TABLE for e in edges) for edges in self.incident
        ]

    def cover(self, order: list[int]) -> None:
        """Give everyone who can meet someone a first meeting.

        Like an edge cover built from a matching: first pair up people who have no meeting
        yet, then attach whoever is left to someone who already has one. Those with few
        partners go first; the others are paired best score first, which costs little
        coverage when partners are plenty and keeps scarce tables for the best pairs. A table
        is not spent on someone who could meet online: for others it is the only way to meet.
        """
        kind, needs_table, ea, eb = self.kind, self.needs_table, self.ea, self.eb

        def spends_table_on_flexible(e: int) -> bool:
            return kind[e] == _TABLE and not (needs_table[ea[e]] and needs_table[eb[e]])

        waiting = [p for p, edges in enumerate(self.incident) if edges and not self.deg[p]]
        waiting.sort(key=lambda p: len(self.incident[p]))
        constrained = [p for p in waiting if len(self.incident[p]) <= _FEW_PARTNERS]
        self._cover_people(constrained, pairs_only=True, key=spends_table_on_flexible)
        for e in sorted(order, key=spends_table_on_flexible):
            if not self.deg[ea[e]] and not self.deg[eb[e]]:
                self.try_direct(e)
        for pairs_only in (True, False):
            self._cover_people(waiting, pairs_only, key=spends_table_on_flexible)

    def _cover_people(
        self, people: list[int], pairs_only: bool, key: Callable[[int], bool]
    ) -> None:
        for p in people:
            if self.deg[p]:
                continue
            edges = sorted(
                (
                    e
                    for e in self.incident[p]
                    if not pairs_only or not self.deg[self.ea[e] + self.eb[e] - p]
                ),
                key=lambda e: (key(e), -self.w[e]),
            )
            self._cover_one(p, edges)

    def fill(self, order: list[int]) -> None:
        for e in order:
            if self.slot_of[e] < 0:
                self.try_direct(e)

    def improve(self, order: list[int], rounds: int, limit: int) -> None:
        """Insert what is left, by moving meetings or trading cheaper ones for it.

        Only the `limit` best pairs left out are tried in each round: the gains are in the
        high scores, and the rest would cost time for next to nothing.
        """
        for _ in range(rounds):
            improved = False
            queue = [e for e in order if self.slot_of[e] < 0][:limit]
            for e in queue:  # the queue grows while it is walked
                if self.slot_of[e] >= 0:
                    continue
                if self.try_direct(e) or self.try_move_insert(e):
                    improved = True
                    continue
                removed = self.try_eject_insert(e, _SCORE)
                if removed is not None:
                    improved = True
                    queue.extend(removed)
            if not improved:
                return


    def _best_path(
        self, p: int, s: int, floor: float = _EPSILON, end: int = -1
    ) -> tuple[float, list[tuple[int, int]]] | None:
        """The best alternating path in slot s from p, who has room for a meeting there.

        Each step adds an unscheduled pair (u, v) at s; if v already meets z at s, that
        meeting goes and z looks for a new partner in turn, or stops if it keeps another
        meeting. The most promising partial paths are grown first, a bounded number of them,
        and every attendee is used at most once. Only paths gaining more than `floor`, and
        ending at `end` if given, count. Returns (gain, [(added, removed or -1)]).
        """
        w, at, kind, slot_of, ea, eb = self.w, self.at, self.kind, self.slot_of, self.ea, self.eb
        ranked, left = self.slot_ranked, self.tables_left[s]
        came: dict[int, tuple[int, int, int, int]] = {p: (-1, -1, -1, 0)}
        seen = {p}
        frontier = [(-0.0, p)]
        best_gain, best_end = floor, (-1, -1, -1)
        budget = _PATH_CHECKS
        while frontier and budget > 0:
            gain, u = heapq.heappop(frontier)
            gain = -gain
            tables = came[u][3]
            edges = ranked[u][s]
            budget -= len(edges)
            for f in edges:
                if slot_of[f] >= 0:
                    continue
                v = ea[f] + eb[f] - u
                if v in seen:
                    continue
                g = at[v][s]
                if g == _LOCKED:
                    continue
                needed = tables + (kind[f] == _TABLE)
                if g == _FREE:
                    if (
                        gain + w[f] > best_gain
                        and (end < 0 or v == end)
                        and needed <= left
                        and self.free(v) >> s & 1
                    ):
                        best_gain, best_end = gain + w[f], (u, f, v)
                    continue
                needed -= kind[g] == _TABLE
                z = ea[g] + eb[g] - v
                if needed > left or z in seen:
                    continue
                seen.add(v)
                seen.add(z)
                came[z] = (u, f, g, needed)
                total = gain + w[f] - w[g]
                if total > best_gain and end < 0 and self.deg[z] >= 2:
                    best_gain, best_end = total, (z, -1, -1)
                heapq.heappush(frontier, (-total, z))
        u, f, _ = best_end
        if u < 0:
            return None
        path = [(f, -1)] if f >= 0 else []
        while u != p:
            u, f, g, _ = came[u]
            path.append((f, g))
        return best_gain, path

    def augment(self, rounds: int) -> None:
        """Fill free places slot by slot along alternating paths, as matching algorithms do.

        Greedy leaves people with a free slot whose partners are all taken then; a path that
        hands each partner on to someone else fills it. This is what brings every slot close
        to a maximum-weight matching.
        """
        for _ in range(rounds):
            improved = False
            for p, edges in enumerate(self.ranked):
                if not edges:
                    continue
                for s in _bits(self.free(p)):
                    if not self.free(p) >> s & 1:
                        continue
                    if self.needs_table[p] and self.tables_left[s] <= 0:
                        continue  # only by taking someone's table, which seldom pays
                    found = self._best_path(p, s)
                    if found is not None:
                        self._apply(s, found[1])
                        improved = True
            if not improved:
                return

    def _apply(self, s: int, path: list[tuple[int, int]]) -> None:
        removed = [g for _, g in path if g >= 0]
        for g in removed:
            self.drop(g)
        for f, _ in path:
            self.schedule(f, s)
        for g in removed:
            self.try_direct(g)

    def solve(self, order: list[int], rounds: int) -> None:
        """Everyone's first meeting, then the rest best score first, then the repairs."""
        self.rank()
        self.cover(order)
        self.fill(order)
        self.augment(rounds)
        self.improve(order, rounds, limit=_IMPROVE_SHARE * len(self.avail))
        self.augment(rounds)


def auto_schedule(
    pairs: Iterable[Pair],
    people: Mapping[AttendeeId, Person],
    slots: Sequence[Slot],
    tables: int | Sequence[str],
    max_meetings: int,
    existing: Iterable[Booking] = (),
    max_consecutive: int | None = 3,
    *,
    rounds: int = 3,
    not_before: datetime | None = None,
) -> ScheduleResult:
    """Schedule the whole event, e.g. for speed networking, maximising the total score.

    Fairness first: everyone who can meet someone gets one meeting before anyone gets a
    second (attendees with few partners first, then best score first); no later step takes
    anyone's only meeting away. Then the remaining pairs are added best score first, and the
    schedule is repaired slot by slot along alternating paths (as maximum-weight matching
    does) and by moving meetings or trading cheaper ones. Existing bookings stay as they are.
    No one gets more than `max_consecutive` meetings back to back within a session (None
    lifts the rule); a session boundary is a break. A pair listed twice is scheduled once,
    with its first score. `rounds` bounds the repair passes. Slots that start before
    `not_before` take no new meeting (the existing ones in them still count).
    """
    if max_meetings < 0:
        raise ValueError("max_meetings must not be negative")
    if max_consecutive is not None and max_consecutive < 1:
        raise ValueError("max_consecutive must be at least 1")
    names = _table_list(tables)
    ordered = sorted(slots, key=lambda slot: (slot.start, slot.index))
    position = {who: p for p, who in enumerate(people)}
    taken = _taken_by(existing, position, ordered, names)
    open_slots = sum(
        1 << s for s, slot in enumerate(ordered) if not_before is None or slot.start >= not_before
    )
    engine = _Engine(
        [mask & open_slots for mask in _availability(people.values(), ordered)],
        taken.busy,
        taken.deg,
        max_meetings,
        len(ordered),
        _consecutive_windows(ordered, max_consecutive),
        taken.tables_left,
    )
    edge_pairs, unscheduled = _add_pairs(engine, pairs, people, position, taken.pairs, names)
    by_score = sorted(range(len(edge_pairs)), key=lambda e: -engine.w[e])
    if max_meetings > 0:
        engine.solve(by_score, rounds)
    bookings = _bookings(engine, edge_pairs, by_score, ordered, names, taken.tables)
    for e, pair in enumerate(edge_pairs):
        if engine.slot_of[e] < 0:
            limited = max(engine.deg[engine.ea[e]], engine.deg[engine.eb[e]]) >= max_meetings
            unscheduled.append(Unscheduled(pair, "meeting_limit" if limited else "no_free_slot"))
    coverable = {p for p, edges in enumerate(engine.incident) if edges and max_meetings > 0}
    coverable.update(p for p, count in enumerate(engine.deg) if count)
    return ScheduleResult(
        bookings=bookings,
        total_score=sum(booking.score for booking in bookings),
        attendees_covered=sum(1 for count in engine.deg if count),
        attendees_coverable=len(coverable),
        unscheduled=unscheduled,
    )


def _availability(people: Iterable[Person], ordered: Sequence[Slot]) -> list[int]:
    """Each person's slots as a bit mask over `ordered`: those of the sessions they attend."""
    full = (1 << len(ordered)) - 1
    session_mask: dict[int, int] = {}
    for s, slot in enumerate(ordered):
        session_mask[slot.session_index] = session_mask.get(slot.session_index, 0) | 1 << s
    return [
        full
        if person.sessions is None
        else sum(session_mask.get(i, 0) for i in set(person.sessions))
        for person in people
    ]


def _consecutive_windows(ordered: Sequence[Slot], max_consecutive: int | None) -> list[int]:
    """Masks of `max_consecutive + 1` slots in a row within one session; none may be full."""
    windows: list[int] = []
    if max_consecutive is not None:
        for s in range(len(ordered) - max_consecutive):
            run = ordered[s : s + max_consecutive + 1]
            if all(slot.session_index == run[0].session_index for slot in run):
                windows.append(((1 << (max_consecutive + 1)) - 1) << s)
    return windows


@dataclass(slots=True)
class _Taken:
    """What the existing bookings already use.

    Per person: busy slots as a bit mask over the slots in start order, and meetings held.
    Per slot: tables left and the names taken. And the pairs that already have a meeting.
    """

    busy: list[int]
    deg: list[int]
    tables_left: list[int]
    tables: list[set[str]]
    pairs: set[frozenset[AttendeeId]]


def _taken_by(
    existing: Iterable[Booking],
    position: Mapping[AttendeeId, int],
    ordered: Sequence[Slot],
    names: Sequence[str],
) -> _Taken:
    """Read `existing` into a `_Taken`.

    A booking of someone not in `position`, or in a slot not in `ordered`, still marks its
    pair as booked and counts towards the meetings of the attendees who are known.
    """
    bit_of = {slot.index: s for s, slot in enumerate(ordered)}
    taken = _Taken(
        busy=[0] * len(position),
        deg=[0] * len(position),
        tables_left=[len(names)] * len(ordered),
        tables=[set() for _ in ordered],
        pairs=set(),
    )
    known_tables = set(names)
    for booking in existing:
        taken.pairs.add(_pair_key(booking.a, booking.b))
        s = bit_of.get(booking.slot)
        for who in booking.attendees:
            p = position.get(who)
            if p is not None:
                taken.deg[p] += 1
                if s is not None:
                    taken.busy[p] |= 1 << s
        if s is not None and booking.table in known_tables and booking.table not in taken.tables[s]:
            taken.tables[s].add(booking.table)
            taken.tables_left[s] -= 1
    return taken


def _add_pairs(
    engine: _Engine,
    pairs: Iterable[Pair],
    people: Mapping[AttendeeId, Person],
    position: Mapping[AttendeeId, int],
    booked: Collection[frozenset[AttendeeId]],
    names: Sequence[str],
) -> tuple[list[Pair], list[Unscheduled]]:
    """Each pair that could meet becomes an edge of `engine`; the others say why not.

    Returns the pairs in edge order and the pairs left out.
    """
    table_slots = engine.table_mask
    unscheduled: list[Unscheduled] = []
    edge_pairs: list[Pair] = []
    seen: set[frozenset[AttendeeId]] = set()
    for pair in pairs:
        _check_pair(pair, people)
        key = _pair_key(pair.a, pair.b)
        mode = combined_mode(people[pair.a].mode, people[pair.b].mode)
        a, b = position[pair.a], position[pair.b]
        mask = engine.avail[a] & engine.avail[b]
        reason = None
        if key in booked:
            reason = "already_booked"
        elif key in seen:
            reason = "duplicate"
        elif mode is None:
            reason = "incompatible_modes"
        elif not mask:
            reason = "no_common_availability"
        elif mode == "in_person" and not names:
            reason = "no_tables"
        elif mode == "in_person" and not mask & table_slots:
            reason = "no_free_slot"
        seen.add(key)
        if reason is not None or mode is None:
            unscheduled.append(Unscheduled(pair, reason or "incompatible_modes"))
            continue
        kind = _KINDS[mode]
        engine.add_edge(a, b, pair.score, kind, mask & table_slots if kind == _TABLE else mask)
        edge_pairs.append(pair)
    return edge_pairs, unscheduled


def _bookings(
    engine: _Engine,
    edge_pairs: Sequence[Pair],
    by_score: Sequence[int],
    ordered: Sequence[Slot],
    names: Sequence[str],
    used_tables: Sequence[Collection[str]],
) -> list[Booking]:
    """The placed edges as bookings, slot by slot, best score first within a slot."""
    by_slot: list[list[int]] = [[] for _ in ordered]
    for e in by_score:
        if engine.slot_of[e] >= 0:
            by_slot[engine.slot_of[e]].append(e)
    bookings: list[Booking] = []
    for s, slot in enumerate(ordered):
        # Those who must meet in person take the tables first; the best of the flexible
        # pairs get what is left and the rest meet online.
        meetings = sorted(by_slot[s], key=lambda e: engine.kind[e])
        free_tables = (name for name in names if name not in used_tables[s])
        for e in meetings:
            pair = edge_pairs[e]
            table = next(free_tables, None) if engine.kind[e] != _ONLINE else None
            bookings.append(Booking(pair.a, pair.b, slot.index, table, pair.score))
    return bookings
