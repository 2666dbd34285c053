"""What came of an event's networking, for its organizer: how far people got (the funnel,
overall and per role), who met whom, and how useful the meetings were by role pair and by
networking session; the figures as CSV rows and as pictures (:mod:`matchmaker.charts`).

Counts are people, not pairs, so every step of the funnel compares with the one before:

registered
    every attendee of the event;
profile complete
    they wrote something they can help with or are looking for;
suggested
    they are in at least one suggested pair;
interested
    they said "I'd like to meet" to at least one suggestion;
confirmed
    a mutual yes, or a meeting booked for them (the organizer may assign meetings);
met
    at least one of their meetings happened: someone said so and nobody said otherwise
    (:meth:`MeetingFeedback.met_pairs`);
useful
    they rated a meeting that happened 4 or 5 out of 5.

Every figure is counted in the database (GROUP BY, IN over subqueries), in a fixed number of
queries whatever the size of the event: a 10,000-attendee event with 14,000 meetings takes
about a second on a busy two-core machine (``scripts/bench_outcomes.py``).
Up to ``PEOPLE_LIMIT`` attendees the network is drawn person by person; above that, a
picture of thousands of dots and lines tells nothing, so roles are drawn instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, case, cast, exists, func, or_, select, union_all
from sqlalchemy.orm import aliased

from . import charts
from .choices import ROLES, Answer, MeetingOutcome, MeetingStatus
from .extensions import db
from .models import Attendee, Event, Meeting, MeetingFeedback, NetworkingSession, Suggestion, utcnow

PEOPLE_LIMIT = 300  # up to this many attendees the network shows each person
UNMET_LISTED = 200  # people nobody met named on the page; the count is always complete
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
    "interested": "said “I'd like to meet” at least once",
    "confirmed": "a mutual yes, or a meeting booked for them",
    "met": "at least one meeting happened, by the answers",
    "useful": f"rated a meeting that happened {USEFUL} or 5 out of 5",
}
BASIS_MET = "met"  # lines are meetings that happened, by the answers
BASIS_ENDED = "ended"  # nobody has answered yet: lines are booked meetings that have ended


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


@dataclass(frozen=True)
class Usefulness:
    """Answers about meetings that happened: mean usefulness (1-5), how many answers, and
    how many of them said useful (``USEFUL`` or more)."""

    answers: int
    mean: float | None
    useful: int


@dataclass(frozen=True)
class RolePairUsefulness(Usefulness):
    """What people of ``rater`` said about their meetings with people of ``partner``."""

    rater: str = ""
    partner: str = ""


@dataclass(frozen=True)
class SessionUsefulness(Usefulness):
    """The meetings of one networking session (``session_id`` None: outside every session)."""

    session_id: int | None = None
    label: str = ""
    meetings: int = 0  # booked meetings in the session that have ended


@dataclass(frozen=True)
class Outcome:
    event_id: int
    funnels: tuple[Funnel, ...]  # everyone first, then each role present, in ROLES order
    network: Network
    by_role_pair: tuple[RolePairUsefulness, ...]
    by_session: tuple[SessionUsefulness, ...]

    @property
    def overall(self) -> Funnel:
        return self.funnels[0]

    @property
    def role_funnels(self) -> tuple[Funnel, ...]:
        return self.funnels[1:]

    def roles_rated(self) -> list[str]:
        """Roles that answered or were answered about, in ROLES order."""
        seen = {r.rater for r in self.by_role_pair} | {r.partner for r in self.by_role_pair}
        return _in_role_order(seen)

    def role_pair(self, rater: str, partner: str) -> RolePairUsefulness | None:
        for row in self.by_role_pair:
            if row.rater == rater and row.partner == partner:
                return row
        return None


def _in_role_order(roles: Iterable[str]) -> list[str]:
    order = {role: n for n, role in enumerate(ROLES)}
    return sorted(set(roles), key=lambda role: (order.get(role, len(order)), role))


def _role_key(a: str, b: str) -> tuple[str, str]:
    first, second = _in_role_order([a, b]) if a != b else (a, b)
    return first, second


def _mean(value: object) -> float | None:
    return None if value is None else round(float(value), 2)


# -- the figures -----------------------------------------------------------------------------


def event_outcome(
    event: Event, *, now: datetime | None = None, people_limit: int | None = None
) -> Outcome:
    """Every figure of the outcome page, in about ten queries whatever the event's size.
    The network lists people one by one up to ``people_limit`` attendees (default
    ``PEOPLE_LIMIT``), and only roles above."""
    now = now or utcnow()
    people_limit = PEOPLE_LIMIT if people_limit is None else people_limit
    funnels = _funnels(event)
    return Outcome(
        event_id=event.id,
        funnels=funnels,
        network=_network(event, now, funnels, people_limit),
        by_role_pair=_by_role_pair(event),
        by_session=_by_session(event, now),
    )


def _met_meetings(event_id: int):  # noqa: ANN202 - a Select of (low_id, high_id, meeting id)
    return MeetingFeedback.met_pairs(event_id).add_columns(Meeting.id.label("meeting_id"))


def _funnels(event: Event) -> tuple[Funnel, ...]:
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
            func.count().filter(interested),
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
        Funnel(role, charts.role_label(role), by_role[role]) for role in _in_role_order(by_role)
    ]
    return tuple(funnels)


def _network(
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


def _usefulness_columns():  # noqa: ANN202
    return (
        func.count(MeetingFeedback.usefulness),
        func.avg(MeetingFeedback.usefulness),
        func.count().filter(MeetingFeedback.usefulness >= USEFUL),
    )


def _answers_about_meetings(event: Event):  # noqa: ANN202 - a Select's where-clause parts
    return (
        MeetingFeedback.event_id == event.id,
        MeetingFeedback.outcome == MeetingOutcome.MET,
        MeetingFeedback.usefulness.is_not(None),
        Meeting.status == MeetingStatus.CONFIRMED,
    )


def _by_role_pair(event: Event) -> tuple[RolePairUsefulness, ...]:
    """Mean usefulness by the answering person's role and their partner's."""
    rater, partner = aliased(Attendee), aliased(Attendee)
    partner_id = case(
        (Meeting.low_id == MeetingFeedback.attendee_id, Meeting.high_id), else_=Meeting.low_id
    )
    rows = db.session.execute(
        select(rater.role, partner.role, *_usefulness_columns())
        .select_from(MeetingFeedback)
        .join(Meeting, Meeting.id == MeetingFeedback.meeting_id)
        .join(rater, rater.id == MeetingFeedback.attendee_id)
        .join(partner, partner.id == partner_id)
        .where(*_answers_about_meetings(event))
        .group_by(rater.role, partner.role)
    ).all()
    order = {
        role: n
        for n, role in enumerate(_in_role_order({r[0] for r in rows} | {r[1] for r in rows}))
    }
    return tuple(
        RolePairUsefulness(
            answers=answers, mean=_mean(mean), useful=useful or 0, rater=a, partner=b
        )
        for a, b, answers, mean, useful in sorted(rows, key=lambda r: (order[r[0]], order[r[1]]))
    )


def _by_session(event: Event, now: datetime) -> tuple[SessionUsefulness, ...]:
    """Usefulness of the meetings in each networking session (a meeting belongs to the
    session its start falls in), and of those outside every session, if any."""
    sessions = db.session.scalars(
        select(NetworkingSession)
        .where(NetworkingSession.event_id == event.id)
        .order_by(NetworkingSession.starts_at, NetworkingSession.id)
    ).all()

    def session_of(starts_at: datetime) -> int | None:
        for session in sessions:
            if session.starts_at <= starts_at < session.ends_at:
                return session.id
        return None

    # Grouped by start time (a meeting starts in a slot, so there are few), then by session.
    answers: dict[int | None, list[int]] = {}
    for starts_at, n, total, useful in db.session.execute(
        select(
            Meeting.starts_at,
            func.count(MeetingFeedback.usefulness),
            func.sum(MeetingFeedback.usefulness),
            func.count().filter(MeetingFeedback.usefulness >= USEFUL),
        )
        .select_from(MeetingFeedback)
        .join(Meeting, Meeting.id == MeetingFeedback.meeting_id)
        .where(*_answers_about_meetings(event))
        .group_by(Meeting.starts_at)
    ):
        figures = answers.setdefault(session_of(starts_at), [0, 0, 0])
        figures[0] += n
        figures[1] += total or 0
        figures[2] += useful or 0
    ended: dict[int | None, int] = {}
    for starts_at, n in db.session.execute(
        select(Meeting.starts_at, func.count())
        .where(
            Meeting.event_id == event.id,
            Meeting.status == MeetingStatus.CONFIRMED,
            Meeting.ends_at <= now,
        )
        .group_by(Meeting.starts_at)
    ):
        key = session_of(starts_at)
        ended[key] = ended.get(key, 0) + n
    rows = []
    for session in [*sessions, None]:
        key = session.id if session is not None else None
        if session is None and key not in answers and key not in ended:
            continue
        n, total, useful = answers.get(key, (0, 0, 0))
        rows.append(
            SessionUsefulness(
                answers=n,
                mean=_mean(total / n) if n else None,
                useful=useful,
                session_id=key,
                label=session.label() if session is not None else "Outside the sessions",
                meetings=ended.get(key, 0),
            )
        )
    return tuple(rows)


# -- as CSV ----------------------------------------------------------------------------------

CSV_HEADER = ("section", "group", "measure", "value")


def csv_rows(outcome: Outcome) -> list[tuple[str, str, str, object]]:
    """The aggregated figures, one per row: counts and means, never a single answer."""
    rows: list[tuple[str, str, str, object]] = []
    for funnel in outcome.funnels:
        for _, label, count in funnel.steps():
            rows.append(("funnel", funnel.label, label, count))
    network = outcome.network
    what = "meetings that happened" if network.basis == BASIS_MET else "meetings that ended"
    for (a, b), count in sorted(network.role_links.items()):
        pair = f"{charts.role_label(a)} – {charts.role_label(b)}"
        rows.append(("who met whom", pair, what, count))
    for role, unmet in network.role_unmet.items():
        rows.append(("who met whom", charts.role_label(role), "nobody met them", unmet))
    rows.append(("who met whom", "Everyone", "nobody met them", network.unmet_total))
    for row in outcome.by_role_pair:
        group = f"{charts.role_label(row.rater)} about {charts.role_label(row.partner)}"
        rows += _usefulness_rows("usefulness by role pair", group, row)
    for row in outcome.by_session:
        rows.append(("usefulness by session", row.label, "meetings that ended", row.meetings))
        rows += _usefulness_rows("usefulness by session", row.label, row)
    return rows


def _usefulness_rows(
    section: str, group: str, row: Usefulness
) -> list[tuple[str, str, str, object]]:
    return [
        (section, group, "answers", row.answers),
        (section, group, "mean usefulness (1-5)", "" if row.mean is None else row.mean),
        (section, group, f"rated {USEFUL} or 5", row.useful),
    ]


# -- as pictures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pictures:
    funnel: charts.Svg
    role_funnels: tuple[tuple[Funnel, charts.Svg], ...]
    network: charts.Svg | None  # None while there is no meeting to draw
    by_session: charts.Svg | None


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def funnel_chart(funnel: Funnel, chart_id: str) -> charts.Svg:
    colour = charts.BAR_COLOUR if funnel.role is None else charts.role_colour(funnel.role)
    whole = funnel.registered
    bars = [
        charts.Bar(
            label,
            count,
            f"{count:,}" if key == "registered" else f"{count:,} · {_percent(count, whole)}",
            colour,
        )
        for key, label, count in funnel.steps()
    ]
    return charts.bar_chart(
        bars,
        title=f"How far people got: {'everyone' if funnel.role is None else funnel.label}",
        chart_id=chart_id,
        maximum=whole,
    )


def pictures(outcome: Outcome) -> Pictures:
    """The outcome's charts as SVG."""
    network = outcome.network
    if not network.meetings:
        picture = None
    elif network.aggregated:
        picture = charts.role_network(
            [
                charts.RoleGroup(role, people, network.role_unmet.get(role, 0))
                for role, people in network.role_people.items()
            ],
            network.role_links,
            title="Who met whom, by role",
            chart_id="network",
            description=(
                f"{network.attendees:,} people in {len(network.role_people)} roles; "
                f"{network.meetings:,} meetings. "
                + "; ".join(
                    f"{charts.role_label(a)} and {charts.role_label(b)}: {n:,}"
                    for (a, b), n in sorted(network.role_links.items(), key=lambda i: -i[1])
                )
            ),
        )
    else:
        picture = charts.people_network(
            network.people or (),
            network.pairs or (),
            title="Who met whom",
            chart_id="network",
            description=(
                f"{network.attendees:,} people, {network.meetings:,} meetings; "
                f"nobody met {network.unmet_total:,} of them."
            ),
        )
    by_session = None
    if any(row.meetings or row.answers for row in outcome.by_session):
        by_session = charts.bar_chart(
            [
                charts.Bar(
                    row.label,
                    row.mean or 0.0,
                    f"{row.mean:.1f} of 5 · {row.answers:,} answer{'s' if row.answers != 1 else ''}"
                    if row.mean is not None
                    else "no answers yet",
                )
                for row in outcome.by_session
            ],
            title="Average usefulness by networking session",
            chart_id="by-session",
            maximum=5,
        )
    return Pictures(
        funnel=funnel_chart(outcome.overall, "funnel"),
        role_funnels=tuple(
            (funnel, funnel_chart(funnel, f"funnel-{n}"))
            for n, funnel in enumerate(outcome.role_funnels)
        ),
        network=picture,
        by_session=by_session,
    )


__all__ = [
    "BASIS_ENDED",
    "BASIS_MET",
    "CSV_HEADER",
    "STEPS",
    "Funnel",
    "Network",
    "Outcome",
    "Pictures",
    "RolePairUsefulness",
    "SessionUsefulness",
    "csv_rows",
    "event_outcome",
    "pictures",
]
