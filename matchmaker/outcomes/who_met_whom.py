"""Who met whom: meetings between roles, the people nobody met, and for a small event each
person and pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CompoundSelect, Subquery, exists, func, select, union_all
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
    """Who met whom at ``event``, role by role, with the people nobody met; person by person
    as well up to ``people_limit`` attendees. ``funnels`` (everyone's, then each role's)
    give the number of people of each role, and who met someone when the answers decide."""
    basis, pairs = _pairs_drawn(event, now)
    role_links = _links_between_roles(pairs)
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
    unmet = _nobody_met(event, linked)
    people: tuple[charts.Person, ...] | None = None
    pair_list: tuple[tuple[int, int], ...] | None = None
    if funnels[0].registered <= people_limit:
        people, pair_list = _each_person_and_pair(event, pairs)
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


def _pairs_drawn(event: Event, now: datetime) -> tuple[str, Subquery]:
    """The basis and the pairs (low_id, high_id) the lines stand for: the meetings that
    happened by the answers once anyone has answered after a meeting, and until then the
    booked meetings that ended before ``now``."""
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
        return BASIS_MET, MeetingFeedback.met_pairs(event.id).subquery()
    ended = (
        select(Meeting.low_id, Meeting.high_id)
        .where(
            Meeting.event_id == event.id,
            Meeting.status == MeetingStatus.CONFIRMED,
            Meeting.ends_at <= now,
        )
        .subquery()
    )
    return BASIS_ENDED, ended


def _links_between_roles(pairs: Subquery) -> dict[tuple[str, str], int]:
    """How many of the pairs join each two roles (keys in ``ROLES`` order)."""
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
    return role_links


def _nobody_met(event: Event, linked: CompoundSelect) -> tuple[Unmet, ...]:
    """The first ``UNMET_LISTED`` people in no pair, those with the most meetings booked
    first, then by name."""
    booked = _booked_count()
    return tuple(
        Unmet(charts.Person(person_id, name, role), count)
        for person_id, name, role, count in db.session.execute(
            select(Attendee.id, Attendee.name, Attendee.role, booked)
            .where(Attendee.event_id == event.id, Attendee.id.not_in(linked))
            .order_by(booked.desc(), func.lower(Attendee.name), Attendee.id)
            .limit(UNMET_LISTED)
        )
    )


def _each_person_and_pair(
    event: Event, pairs: Subquery
) -> tuple[tuple[charts.Person, ...], tuple[tuple[int, int], ...]]:
    """Every attendee and every pair, for the person-by-person picture."""
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
    return people, pair_list


def _booked_count():  # noqa: ANN202 - a scalar subquery per attendee
    """An attendee's booked (not cancelled) meetings, through the index on each side."""

    def side(column):  # noqa: ANN001, ANN202
        return (
            select(func.count())
            .where(column == Attendee.id, Meeting.status == MeetingStatus.CONFIRMED)
            .scalar_subquery()
        )

    return (side(Meeting.low_id) + side(Meeting.high_id)).label("booked")
