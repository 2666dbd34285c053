"""Benchmark `auto_schedule` for speed and quality against reference schedules.

Two regimes, on seeded random events with 8 slots and each attendee's top-10 suggestions as
the confirmed pairs:

- "tables": everyone is available all day, tables are scarce. Greedy is within a few
  percent of the bound here.
- "availability": each attendee can come to a few of eight short sessions and tables are
  plentiful. Greedy booking the earliest common slot wastes slots here.

Each instance is scheduled by `auto_schedule` and by a plain greedy pass (best pair first,
earliest common slot). On 1,000-attendee instances two more references are computed: per-slot
maximum-weight matching (networkx, slot by slot) and upper bounds on the total score from
OR-Tools CP-SAT: the exact model (one variable per pair and slot), and a relaxation that
ignores which slot a meeting takes, which CP-SAT solves to optimality within seconds when
tables are the limit and the exact model is too big to prove. "% bound" is against the
smaller of the two. `auto_schedule` also keeps a fairness floor (everyone who can meet
someone gets a meeting), so the bounds are computed a second time with the constraint that at
least as many attendees as it covered have a meeting.

    .venv/bin/python scripts/bench_scheduling.py            # 10,000 and 1,000 attendees
    .venv/bin/python scripts/bench_scheduling.py --quick    # 1,000 only, shorter CP-SAT limit
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from matchmaker.scheduling import (
    Booking,
    Pair,
    Person,
    Slot,
    auto_schedule,
    build_slots,
    combined_mode,
    find_violations,
    table_names,
)

MAX_CONSECUTIVE = 3
SUGGESTIONS = 10


@dataclass
class Instance:
    name: str
    people: dict[int, Person]
    pairs: list[Pair]
    slots: list[Slot]
    tables: list[str]
    max_meetings: int


@dataclass
class Row:
    method: str
    seconds: float
    score: float
    meetings: int
    covered: int
    problems: int


def generate(regime: str, attendees: int, seed: int) -> Instance:
    """A seeded random event; see the module docstring for the two regimes."""
    rng = random.Random(seed)
    day = datetime(2026, 6, 3, 9, tzinfo=UTC)
    if regime == "tables":
        # Two two-hour sessions of 25-minute meetings with 5-minute buffers: 2 x 4 slots.
        sessions = [(day, day + timedelta(hours=2)), (day + timedelta(hours=4),
                                                      day + timedelta(hours=6))]
        slots = build_slots(sessions, 25, buffer_minutes=5)
        modes = ["in_person"] * 5 + ["either"] * 4 + ["virtual"]
        people = {i: Person(rng.choice(modes)) for i in range(attendees)}
        tables = table_names(attendees // 40)
        max_meetings = 6
    else:
        # Eight half-hour sessions over two days; each attendee comes to two or three.
        sessions = [
            (start, start + timedelta(minutes=30))
            for d in range(2)
            for start in (day + timedelta(days=d, hours=2 * h) for h in range(4))
        ]
        slots = build_slots(sessions, 30)
        modes = ["either"] * 6 + ["in_person"] * 3 + ["virtual"]
        people = {
            i: Person(rng.choice(modes), frozenset(rng.sample(range(8), rng.choice((2, 3)))))
            for i in range(attendees)
        }
        tables = table_names(attendees // 2)
        max_meetings = 8
    seen: set[frozenset[int]] = set()
    pairs: list[Pair] = []
    for a in range(attendees):
        for b in rng.sample(range(attendees), SUGGESTIONS + 1):
            key = frozenset((a, b))
            if a != b and key not in seen:
                seen.add(key)
                pairs.append(Pair(a, b, round(rng.random(), 3)))
    name = f"{regime} n={attendees}"
    return Instance(name, people, pairs, slots, tables, max_meetings)


# -- references ----------------------------------------------------------------------------


def _runs_ok(taken: set[int], slot: Slot, position: dict[int, int],
             ordered: Sequence[Slot]) -> bool:
    """Can `slot` be added without more than MAX_CONSECUTIVE meetings in a row?"""
    i = position[slot.index]
    run = 1
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(ordered) and ordered[j].session_index == slot.session_index and (
            ordered[j].index in taken
        ):
            run += 1
            j += step
    return run <= MAX_CONSECUTIVE


class _Diary:
    """Plain bookkeeping for the reference methods: who is busy when, and which tables."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.ordered = sorted(instance.slots, key=lambda s: s.start)
        self.position = {s.index: i for i, s in enumerate(self.ordered)}
        self.taken: dict[int, set[int]] = {p: set() for p in instance.people}
        self.tables_used: dict[int, int] = {s.index: 0 for s in instance.slots}
        self.bookings: list[Booking] = []

    def can(self, pair: Pair, slot: Slot, mode: str) -> bool:
        people = self.instance.people
        for who in (pair.a, pair.b):
            sessions = people[who].sessions
            if sessions is not None and slot.session_index not in sessions:
                return False
            taken = self.taken[who]
            if slot.index in taken or len(taken) >= self.instance.max_meetings:
                return False
            if not _runs_ok(taken, slot, self.position, self.ordered):
                return False
        return mode != "in_person" or self.tables_used[slot.index] < len(self.instance.tables)

    def book(self, pair: Pair, slot: Slot, mode: str) -> None:
        self.taken[pair.a].add(slot.index)
        self.taken[pair.b].add(slot.index)
        self.bookings.append(Booking(pair.a, pair.b, slot.index, "?" if mode == "in_person"
                                     else None, pair.score))
        if mode == "in_person":
            self.tables_used[slot.index] += 1

    def finish(self) -> list[Booking]:
        """Hand out table names: those who must meet in person first, then the flexible."""
        tables = self.instance.tables
        handed = {s.index: 0 for s in self.instance.slots}
        result: list[Booking] = []
        flexible: list[Booking] = []
        for booking in self.bookings:
            if booking.table is None:
                mode = combined_mode(self.instance.people[booking.a].mode,
                                     self.instance.people[booking.b].mode)
                (flexible if mode == "either" else result).append(booking)
                continue
            result.append(Booking(booking.a, booking.b, booking.slot,
                                  tables[handed[booking.slot]], booking.score))
            handed[booking.slot] += 1
        for booking in flexible:
            table = None
            if handed[booking.slot] < len(tables):
                table = tables[handed[booking.slot]]
                handed[booking.slot] += 1
            result.append(Booking(booking.a, booking.b, booking.slot, table, booking.score))
        return result


def plain_greedy(instance: Instance) -> list[Booking]:
    """Best pair first, each in the earliest slot both can make."""
    diary = _Diary(instance)
    people = instance.people
    for pair in sorted(instance.pairs, key=lambda p: -p.score):
        mode = combined_mode(people[pair.a].mode, people[pair.b].mode)
        if mode is None:
            continue
        for slot in diary.ordered:
            if diary.can(pair, slot, mode):
                diary.book(pair, slot, mode)
                break
    return diary.finish()


def per_slot_matching(instance: Instance) -> list[Booking]:
    """Slot by slot, the maximum-weight matching of the pairs that can still meet then."""
    import networkx as nx

    diary = _Diary(instance)
    people = instance.people
    modes = {(p.a, p.b): combined_mode(people[p.a].mode, people[p.b].mode)
             for p in instance.pairs}
    left = [p for p in instance.pairs if modes[(p.a, p.b)] is not None]
    for slot in diary.ordered:
        graph = nx.Graph()
        for pair in left:
            if diary.can(pair, slot, "any"):
                graph.add_edge(pair.a, pair.b, weight=pair.score, pair=pair)
        matched = [graph.edges[a, b]["pair"] for a, b in nx.max_weight_matching(graph)]
        matched.sort(key=lambda p: -p.score)
        booked: set[frozenset[int]] = set()
        for pair in matched:
            mode = modes[(pair.a, pair.b)]
            assert mode is not None
            if diary.can(pair, slot, mode):
                diary.book(pair, slot, mode)
                booked.add(frozenset((pair.a, pair.b)))
        left = [p for p in left if frozenset((p.a, p.b)) not in booked]
    return diary.finish()


@dataclass
class Bound:
    best: float  # the best schedule CP-SAT found
    bound: float  # no schedule scores more
    status: str


def _session_limit(person: Person, ordered: Sequence[Slot]) -> int:
    """Most meetings a person can have without breaking the run rule, sessions allowing."""
    sizes: dict[int, int] = {}
    for slot in ordered:
        if person.sessions is None or slot.session_index in person.sessions:
            sizes[slot.session_index] = sizes.get(slot.session_index, 0) + 1
    return sum(size - size // (MAX_CONSECUTIVE + 1) for size in sizes.values())


def cp_sat(instance: Instance, seconds: float, relaxed: bool, min_covered: int = 0) -> Bound:
    """Solve the whole scheduling problem, or a relaxation of it, with CP-SAT.

    The exact model has one variable per pair and slot with every hard rule. The relaxation
    only chooses pairs: each attendee gets at most as many meetings as their sessions and the
    run rule allow, and all in-person meetings share the event's tables over all slots. It
    ignores which slot a meeting takes, so its optimum bounds the real one from above and is
    much faster to prove when tables are the limit. `min_covered` adds the fairness floor:
    at least that many attendees must have a meeting.
    """
    from ortools.sat.python import cp_model

    scale = 1000
    people = instance.people
    ordered = sorted(instance.slots, key=lambda s: s.start)
    model = cp_model.CpModel()
    objective = []
    by_person_slot: dict[tuple[int, int], list] = {}
    by_person: dict[int, list] = {}
    by_table_slot: dict[int, list] = {}
    for pair in instance.pairs:
        mode = combined_mode(people[pair.a].mode, people[pair.b].mode)
        if mode is None or (mode == "in_person" and not instance.tables):
            continue
        common = [
            slot for slot in ordered
            if all(people[w].sessions is None or slot.session_index in people[w].sessions
                   for w in (pair.a, pair.b))
        ]
        chosen = []
        for slot in common[:1] if relaxed else common:
            x = model.new_bool_var("")
            chosen.append(x)
            objective.append(round(pair.score * scale) * x)
            for who in (pair.a, pair.b):
                by_person_slot.setdefault((who, slot.index), []).append(x)
                by_person.setdefault(who, []).append(x)
            if mode == "in_person":
                by_table_slot.setdefault(-1 if relaxed else slot.index, []).append(x)
        if len(chosen) > 1:
            model.add_at_most_one(chosen)
    for who, xs in by_person.items():
        limit = min(instance.max_meetings, _session_limit(people[who], ordered))
        if len(xs) > limit:
            model.add(sum(xs) <= limit)
    for key, xs in by_table_slot.items():
        capacity = len(instance.tables) * (len(ordered) if key == -1 else 1)
        if len(xs) > capacity:
            model.add(sum(xs) <= capacity)
    if not relaxed:
        for xs in by_person_slot.values():
            if len(xs) > 1:
                model.add_at_most_one(xs)
        for who in people:
            for i in range(len(ordered) - MAX_CONSECUTIVE):
                window = ordered[i : i + MAX_CONSECUTIVE + 1]
                if len({s.session_index for s in window}) == 1:
                    xs = [x for s in window for x in by_person_slot.get((who, s.index), [])]
                    if len(xs) > MAX_CONSECUTIVE:
                        model.add(sum(xs) <= MAX_CONSECUTIVE)
    if min_covered:
        covered = []
        for xs in by_person.values():
            y = model.new_bool_var("")
            model.add(y <= sum(xs))
            covered.append(y)
        model.add(sum(covered) >= min_covered)
    model.maximize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 8  # CP-SAT proves bounds with its LP workers
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Bound(0.0, float("inf"), solver.status_name(status).lower())
    return Bound(solver.objective_value / scale, solver.best_objective_bound / scale,
                 solver.status_name(status).lower())


# -- running -------------------------------------------------------------------------------


def measure(instance: Instance, method: str, run: Callable[[], list[Booking]]) -> Row:
    started = time.perf_counter()
    bookings = run()
    seconds = time.perf_counter() - started
    problems = find_violations(bookings, instance.people, instance.slots, instance.tables,
                               instance.max_meetings, MAX_CONSECUTIVE)
    covered = {who for b in bookings for who in b.attendees}
    return Row(method, seconds, sum(b.score for b in bookings), len(bookings), len(covered),
               len(problems))


def bench(instance: Instance, references: bool, cp_seconds: float) -> None:
    result: list = []

    def schedule() -> list[Booking]:
        result.append(auto_schedule(instance.pairs, instance.people, instance.slots,
                                    instance.tables, instance.max_meetings,
                                    max_consecutive=MAX_CONSECUTIVE))
        return result[-1].bookings

    rows = [
        measure(instance, "auto_schedule", schedule),
        measure(instance, "plain greedy", lambda: plain_greedy(instance)),
    ]
    auto, greedy = rows
    bound = floor_bound = None
    notes: list[str] = []
    if references:
        rows.append(measure(instance, "per-slot matching", lambda: per_slot_matching(instance)))
        for label, relaxed, floor in (("exact", False, 0), ("relaxed", True, 0),
                                      ("exact+floor", False, auto.covered),
                                      ("relaxed+floor", True, auto.covered)):
            started = time.perf_counter()
            found = cp_sat(instance, cp_seconds, relaxed, floor)
            seconds = time.perf_counter() - started
            if found.bound == float("inf"):
                notes.append(f"CP-SAT {label:<13} {seconds:6.1f} s  no solution in time")
                continue
            notes.append(f"CP-SAT {label:<13} {seconds:6.1f} s  bound {found.bound:8.1f}  "
                         f"best found {found.best:8.1f}  ({found.status})")
            if floor:
                floor_bound = min(floor_bound or found.bound, found.bound)
            else:
                bound = min(bound or found.bound, found.bound)
                if not relaxed:
                    rows.append(Row("CP-SAT (exact)", seconds, found.best, 0, 0, 0))
    print(f"\n{instance.name}: {len(instance.pairs)} pairs, {len(instance.slots)} slots, "
          f"{len(instance.tables)} tables, at most {instance.max_meetings} meetings each, "
          f"{result[0].attendees_coverable} attendees could meet someone")
    print(f"{'method':<18} {'time s':>7} {'score':>9} {'meetings':>8} {'covered':>8} "
          f"{'% greedy':>8} {'% bound':>8} {'broken':>6}")
    for row in rows:
        of_bound = f"{100 * row.score / bound:.1f}" if bound else "-"
        print(f"{row.method:<18} {row.seconds:>7.2f} {row.score:>9.1f} "
              f"{row.meetings or '-':>8} {row.covered or '-':>8} "
              f"{100 * row.score / greedy.score:>8.1f} {of_bound:>8} {row.problems:>6}")
    for note in notes:
        print(f"  {note}")
    if bound:
        print(f"  bound {bound:.1f}: auto_schedule reaches {100 * auto.score / bound:.1f}%")
    if floor_bound:
        print(f"  bound with the fairness floor (at least {auto.covered} attendees covered) "
              f"{floor_bound:.1f}: auto_schedule reaches {100 * auto.score / floor_bound:.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 attendees only")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cp-seconds", type=float, default=None)
    args = parser.parse_args()
    cp_seconds = args.cp_seconds or (20.0 if args.quick else 60.0)
    for regime in ("tables", "availability"):
        if not args.quick:
            bench(generate(regime, 10_000, args.seed), references=False, cp_seconds=cp_seconds)
        bench(generate(regime, 1_000, args.seed), references=True, cp_seconds=cp_seconds)


if __name__ == "__main__":
    main()
