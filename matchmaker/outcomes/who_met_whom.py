"""Who met whom: meetings between roles, the people nobody met, and for a small event each
person and pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select, union_all
from sqlalchemy.orm import aliased

from .. import charts
from ..choices import MeetingStatus
from ..extensions import db
from ..models import Attendee, Event, Meeting, MeetingFeedback
from .funnel import Funnel, in_role_order

UNMET_LISTED = 200  # people nobody met named on the page; the count is always complete
BASIS_MET = "met"  # lines are meetings that happened, by the answers
BASIS_ENDED = "ended"  # nobody has answered yet: lines are booked meetings that have ended


@dataclass(frozen=True)
class Unmet:
    """Someone nobody met, with how many meetings were booked for them."""

    person: charts.Person
    booked: int


@dataclass(frozen=True)
class Network:
    """Who met whom. ``people`` and ``pairs`` are None for a big event, drawn by role:
    ``role_links`` counts meetings between two roles (keys in ``ROLES`` order), always."""

    basis: str
    role_links: dict[tuple[str, str], int]
    role_people: dict[str, int]
    role_unmet: dict[str, int]
    unmet: tuple[Unmet, ...]
    unmet_total: int
    people: tuple[charts.Person, ...] | None = None
    pairs: tuple[tuple[int, int], ...] | None = None

    @property
    def aggregated(self) -> bool:
        return self.people is None

    def named_pairs(self) -> list[tuple[charts.Person, charts.Person]]:
        """The pairs drawn, person by person (none for a big event), by the first name."""
        people = {person.id: person for person in self.people or ()}
        named = [(people[a], people[b]) for a, b in self.pairs or () if a in people and b in people]
        named = [tuple(sorted(pair, key=lambda p: (p.name.casefold(), p.id))) for pair in named]
        return sorted(named, key=lambda pair: [(p.name.casefold(), p.id) for p in pair])

    @property
    def meetings(self) -> int:
        return sum(self.role_links.values())

    @property
    def attendees(self) -> int:
        return sum(self.role_people.values())


def _role_key(a: str, b: str) -> tuple[str, str]:
    first, second = in_role_order([a, b]) if a != b else (a, b)
    return first, second


def meeting_network(
    event: Event, now: datetime, funnels: tuple[Funnel, ...], people_limit: int
) -> Network:
    answered = db.session.scalar(
        select(
            exists().where(
                MeetingFeedback.event_id == event.id,
                MeetingFeedback.meeting_id == Meeting.id,
                Meeting.status == MeetingStatus.CONFIRMED,
            )
        )
    )
    if answered:
        basis = BASIS_MET
        pairs = MeetingFeedback.met_pairs(event.id).subquery()
    else:
        basis = BASIS_ENDED
        pairs = (
            select(Meeting.low_id, Meeting.high_id)
            .where(
                Meeting.event_id == event.id,
                Meeting.status == MeetingStatus.CONFIRMED,
                Meeting.ends_at <= now,
            )
            .subquery()
        )
    low, high = aliased(Attendee), aliased(Attendee)
    role_links: dict[tuple[str, str], int] = {}
    for a, b, count in db.session.execute(
        select(low.role, high.role, func.count())
        .select_from(pairs)
        .join(low, low.id == pairs.c.low_id)
        .join(high, high.id == pairs.c.high_id)
        .group_by(low.role, high.role)
    ):
        key = _role_key(a, b)
        role_links[key] = role_links.get(key, 0) + count
    linked = union_all(select(pairs.c.low_id), select(pairs.c.high_id))
    role_people = {f.role: f.registered for f in funnels[1:] if f.role is not None}
    if basis == BASIS_MET:  # the funnel counted them already
        with_link = {f.role: f.count("met") for f in funnels[1:]}
    else:
        with_link = dict(
            db.session.execute(
                select(Attendee.role, func.count())
                .where(Attendee.event_id == event.id, Attendee.id.in_(linked))
                .group_by(Attendee.role)
            ).all()
        )
    role_unmet = {role: n - with_link.get(role, 0) for role, n in role_people.items()}
    booked = _booked_count()
    unmet = tuple(
        Unmet(charts.Person(person_id, name, role), count)
        for person_id, name, role, count in db.session.execute(
            select(Attendee.id, Attendee.name, Attendee.role, booked)
            .where(Attendee.event_id == event.id, Attendee.id.not_in(linked))
            .order_by(booked.desc(), func.lower(Attendee.name), Attendee.id)
            .limit(UNMET_LISTED)
        )
    )
    people: tuple[charts.Person, ...] | None = None
    pair_list: tuple[tuple[int, int], ...] | None = None
    if funnels[0].registered <= people_limit:
        people = tuple(
            charts.Person(*row)
            for row in db.session.execute(
                select(Attendee.id, Attendee.name, Attendee.role)
                .where(Attendee.event_id == event.id)
                .order_by(Attendee.id)
            )
        )
        pair_list = tuple(
            (a, b)
            for a, b in db.session.execute(
                select(pairs.c.low_id, pairs.c.high_id).order_by(pairs.c.low_id, pairs.c.high_id)
            )
        )
    return Network(
        basis=basis,
        role_links=role_links,
        role_people=role_people,
        role_unmet=role_unmet,
        unmet=unmet,
        unmet_total=sum(role_unmet.values()),
        people=people,
        pairs=pair_list,
    )


def _booked_count():  # noqa: ANN202 - a scalar subquery per attendee
    """An attendee's booked (not cancelled) meetings, through the index on each side."""

    def side(column):  # noqa: ANN001, ANN202
        return (
            select(func.count())
            .where(column == Attendee.id, Meeting.status == MeetingStatus.CONFIRMED)
            .scalar_subquery()
        )

    return (side(Meeting.low_id) + side(Meeting.high_id)).label("booked")
