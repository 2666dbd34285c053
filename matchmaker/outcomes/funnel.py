"""How far people got: the funnel's steps and the query that counts them, for everyone
and for each role."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Text, cast, func, or_, select, union_all

from .. import charts
from ..choices import ROLES, Answer, MeetingOutcome, MeetingStatus
from ..extensions import db
from ..models import Attendee, Event, Meeting, MeetingFeedback, Suggestion

USEFUL = 4  # a meeting rated this or more (of 5) was useful

#: The funnel's steps, in order: (key, label).
STEPS: tuple[tuple[str, str], ...] = (
    ("registered", "Registered"),
    ("profile", "Profile complete"),
    ("suggested", "Suggested"),
    ("interested", "Interested"),
    ("confirmed", "Confirmed"),
    ("met", "Met"),
    ("useful", "Found it useful"),
)
STEP_HELP: dict[str, str] = {
    "registered": "every attendee",
    "profile": "wrote what they can help with or look for",
    "suggested": "in at least one suggested pair",
    "interested": "said “I'd like to meet” at least once, or kept a meeting assigned to them",
    "confirmed": "a mutual yes, or a meeting booked for them",
    "met": "at least one meeting happened, by the answers",
    "useful": f"rated a meeting that happened {USEFUL} or 5 out of 5",
}


@dataclass(frozen=True)
class Funnel:
    """How many people reached each step (``counts`` follows ``STEPS``); ``role`` is None
    for everyone."""

    role: str | None
    label: str
    counts: tuple[int, ...]

    def count(self, key: str) -> int:
        return self.counts[[k for k, _ in STEPS].index(key)]

    @property
    def registered(self) -> int:
        return self.counts[0]

    def steps(self) -> list[tuple[str, str, int]]:
        return [(key, label, n) for (key, label), n in zip(STEPS, self.counts, strict=True)]


def in_role_order(roles: Iterable[str]) -> list[str]:
    order = {role: n for n, role in enumerate(ROLES)}
    return sorted(set(roles), key=lambda role: (order.get(role, len(order)), role))


def _met_meetings(event_id: int):  # noqa: ANN202 - a Select of (low_id, high_id, meeting id)
    return MeetingFeedback.met_pairs(event_id).add_columns(Meeting.id.label("meeting_id"))


def count_funnels(event: Event) -> tuple[Funnel, ...]:
    """Everyone's funnel and each role's, in one grouped query.

    Each step is a test of the attendee's id against the ids of one kind (IN over a UNION
    ALL, which both databases hash once); the meetings that happened are grouped once (a
    CTE) for both the people who met and those who found it useful. Per-row EXISTS tests
    read faster on SQLite but make PostgreSQL's cost estimate climb past its JIT threshold,
    and compiling the plan then takes seconds."""
    in_event = Suggestion.event_id == event.id
    yes = Answer.INTERESTED
    mutual = Suggestion.both_said(yes)
    booked = (Meeting.event_id == event.id, Meeting.status == MeetingStatus.CONFIRMED)
    suggested = Attendee.id.in_(
        union_all(
            select(Suggestion.low_id).where(in_event), select(Suggestion.high_id).where(in_event)
        )
    )
    interested = Attendee.id.in_(
        union_all(
            select(Suggestion.low_id).where(in_event, Suggestion.answer_low == yes),
            select(Suggestion.high_id).where(in_event, Suggestion.answer_high == yes),
        )
    )
    confirmed = Attendee.id.in_(
        union_all(
            select(Suggestion.low_id).where(in_event, mutual),
            select(Suggestion.high_id).where(in_event, mutual),
            select(Meeting.low_id).where(*booked),
            select(Meeting.high_id).where(*booked),
        )
    )
    met_rows = _met_meetings(event.id).cte("met")
    met = Attendee.id.in_(union_all(select(met_rows.c.low_id), select(met_rows.c.high_id)))
    useful = Attendee.id.in_(
        select(MeetingFeedback.attendee_id).where(
            MeetingFeedback.event_id == event.id,
            MeetingFeedback.outcome == MeetingOutcome.MET,
            MeetingFeedback.usefulness >= USEFUL,
            MeetingFeedback.meeting_id.in_(select(met_rows.c.meeting_id)),
        )
    )
    empty = ("[]", "null", "")
    profile = or_(
        func.coalesce(cast(Attendee.can_help_with, Text), "[]").not_in(empty),
        func.coalesce(cast(Attendee.looking_for, Text), "[]").not_in(empty),
    )
    rows = db.session.execute(
        select(
            Attendee.role,
            func.count(),
            func.count().filter(profile),
            func.count().filter(suggested),
            func.count().filter(or_(interested, confirmed)),  # an assigned meeting kept
            func.count().filter(confirmed),
            func.count().filter(met),
            func.count().filter(useful),
        )
        .where(Attendee.event_id == event.id)
        .group_by(Attendee.role)
    ).all()
    by_role = {row[0]: tuple(int(n or 0) for n in row[1:]) for row in rows}
    overall = tuple(sum(counts[n] for counts in by_role.values()) for n in range(len(STEPS)))
    funnels = [Funnel(None, "Everyone", overall)]
    funnels += [
        Funnel(role, charts.role_label(role), by_role[role]) for role in in_role_order(by_role)
    ]
    return tuple(funnels)
