"""What the organizer's matching page says: the rule in force in words, and figures about
the suggestions stored (list sizes, how evenly people are suggested, who meets whom).

Each figure is counted in the database in a fixed number of queries, so the page stays fast
at 100,000 attendees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.orm import aliased

from .choices import ROLES, Answer, JobStatus, MeetingStatus
from .extensions import db
from .matching import roles
from .models import Attendee, Event, Job, Meeting, Suggestion
from .suggestions import event_role_rules


def role_counts(event_id: int) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(Attendee.role, func.count())
            .where(Attendee.event_id == event_id)
            .group_by(Attendee.role)
        ).all()
    )


@dataclass
class RoleRule:
    """The rule in force at an event, in words, and how many pairs of people it keeps apart."""

    preset: roles.RolePreset
    kept_apart: int

    @property
    def key(self) -> str:
        return self.preset.key


def role_rule(event: Event) -> RoleRule:
    preset = roles.PRESETS.get(event.role_preset) or roles.PRESETS[roles.EVERYONE]
    rules = event_role_rules(event)
    return RoleRule(preset, roles.pairs_kept_apart(rules, role_counts(event.id)))


TOP_FRACTION = 0.1  # "the 10% most suggested people" in the organizer's figures


@dataclass
class MatchingFigures:
    """What the organizer's matching page says about the suggestions in force.

    ``list_sizes`` and ``exposure`` are histograms over attendees: how many have a list of
    n suggestions, and how many appear in n other people's lists (zeros included).
    """

    attendees: int
    top_k: int
    suggested_pairs: int
    confirmed: int
    interested: int
    declined: int
    meetings: int
    unmatched: dict[str, list[int]]
    list_sizes: dict[int, int] = field(default_factory=dict)
    exposure: dict[int, int] = field(default_factory=dict)
    # {(role, role): (suggested pairs, confirmed pairs)} with the two roles in ROLES order
    role_pairs: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

    @property
    def busiest_role_pair(self) -> int:
        return max((n for n, _ in self.role_pairs.values()), default=0)

    @property
    def with_suggestions(self) -> int:
        return sum(count for size, count in self.list_sizes.items() if size > 0)

    @property
    def without_suggestions(self) -> int:
        return self.attendees - self.with_suggestions

    @property
    def unexplained(self) -> int:
        """Attendees without suggestions and without a reason (none yet: joined since)."""
        explained = sum(len(people) for people in self.unmatched.values())
        return max(self.without_suggestions - explained, 0)

    @property
    def coverage(self) -> float:
        return self.with_suggestions / self.attendees if self.attendees else 0.0

    @property
    def places(self) -> int:
        """Places filled in all lists together (each is one person in someone's list)."""
        return sum(size * count for size, count in self.list_sizes.items())

    @property
    def average_list(self) -> float:
        """Suggestions per list, among the attendees who have any."""
        return self.places / self.with_suggestions if self.with_suggestions else 0.0

    @property
    def full_lists(self) -> int:
        return sum(count for size, count in self.list_sizes.items() if size >= self.top_k)

    def _exposures_high_first(self) -> list[tuple[int, int]]:
        return sorted(self.exposure.items(), reverse=True)

    @property
    def most_exposure(self) -> int:
        return max((value for value, count in self.exposure.items() if count), default=0)

    @property
    def median_exposure(self) -> int:
        """The most lists that at least half of the attendees each appear in."""
        half = (self.attendees + 1) // 2
        seen = 0
        for value, count in self._exposures_high_first():
            seen += count
            if seen >= half:
                return value
        return 0

    @property
    def top_count(self) -> int:
        """How many people "the 10% most suggested" are."""
        return max(1, math.ceil(self.attendees * TOP_FRACTION))

    def top_share(self) -> float:
        """Share of all list places taken by the 10% most suggested people."""
        total = sum(value * count for value, count in self.exposure.items())
        if not total or not self.attendees:
            return 0.0
        left = self.top_count
        taken = 0
        for value, count in self._exposures_high_first():
            used = min(count, left)
            taken += value * used
            left -= used
            if not left:
                break
        return taken / total

    @property
    def concentration(self) -> str:
        """A plain verdict on how evenly people appear in lists: "few", "some" or "wide"."""
        share = self.top_share()
        if share >= 0.5:
            return "few"
        if share >= 0.3:
            return "some"
        return "wide"


def _histogram(owners) -> dict[int, int]:  # noqa: ANN001 - a union of one-column selects
    """{n: how many ids appear n times} for the ids the statements return."""
    rows = owners.subquery()
    per_id = select(func.count().label("n")).select_from(rows).group_by(rows.c.a).subquery()
    return dict(db.session.execute(select(per_id.c.n, func.count()).group_by(per_id.c.n)).all())


def matching_figures(event: Event, run: Job | None) -> MatchingFigures:
    """The figures of the event's current suggestions, in a fixed number of queries."""
    total = db.session.scalar(select(func.count()).where(Attendee.event_id == event.id)) or 0
    in_event = Suggestion.event_id == event.id
    # An owner's list holds the pairs ranked on their side; the partner appears in it.
    list_sizes = _histogram(
        union_all(
            select(Suggestion.low_id.label("a")).where(in_event, Suggestion.rank_low.is_not(None)),
            select(Suggestion.high_id.label("a")).where(
                in_event, Suggestion.rank_high.is_not(None)
            ),
        )
    )
    exposure = _histogram(
        union_all(
            select(Suggestion.high_id.label("a")).where(in_event, Suggestion.rank_low.is_not(None)),
            select(Suggestion.low_id.label("a")).where(in_event, Suggestion.rank_high.is_not(None)),
        )
    )
    exposure[0] = max(total - sum(exposure.values()), 0)
    list_sizes[0] = max(total - sum(list_sizes.values()), 0)
    counts = db.session.execute(
        select(
            func.count().filter(
                or_(Suggestion.rank_low.is_not(None), Suggestion.rank_high.is_not(None))
            ),
            func.count().filter(Suggestion.both_said(Answer.INTERESTED)),
            func.count().filter(Suggestion.either_said(Answer.INTERESTED)),
            func.count().filter(Suggestion.either_said(Answer.DECLINED)),
        ).where(in_event)
    ).one()
    meetings = db.session.scalar(
        select(func.count()).where(
            Meeting.event_id == event.id, Meeting.status == MeetingStatus.CONFIRMED
        )
    )
    unmatched: dict[str, list[int]] = {}
    if run is not None and run.status == JobStatus.DONE:
        for attendee_id, reason in (run.figures or {}).get("unmatched", {}).items():
            unmatched.setdefault(reason, []).append(int(attendee_id))
    return MatchingFigures(
        attendees=total,
        top_k=event.suggestions_per_attendee,
        suggested_pairs=counts[0],
        confirmed=counts[1],
        interested=counts[2],
        declined=counts[3],
        meetings=meetings or 0,
        unmatched=unmatched,
        list_sizes=list_sizes,
        exposure=exposure,
        role_pairs=_role_pairs(event),
    )


def _role_pairs(event: Event) -> dict[tuple[str, str], tuple[int, int]]:
    """How many suggested and confirmed pairs join each pair of roles: who meets whom."""
    low, high = aliased(Attendee), aliased(Attendee)
    confirmed = Suggestion.both_said(Answer.INTERESTED)
    rows = db.session.execute(
        select(low.role, high.role, func.count(), func.count().filter(confirmed))
        .select_from(Suggestion)
        .join(low, low.id == Suggestion.low_id)
        .join(high, high.id == Suggestion.high_id)
        .where(
            Suggestion.event_id == event.id,
            or_(Suggestion.rank_low.is_not(None), Suggestion.rank_high.is_not(None), confirmed),
        )
        .group_by(low.role, high.role)
    )
    order = {role: n for n, role in enumerate(ROLES)}
    pairs: dict[tuple[str, str], tuple[int, int]] = {}
    for a, b, suggested, both in rows:
        key = tuple(sorted((a, b), key=lambda r: order.get(r, len(order))))
        old = pairs.get(key, (0, 0))
        pairs[key] = (old[0] + suggested, old[1] + both)
    return pairs
