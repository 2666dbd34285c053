"""How useful the meetings that happened were, by the role pair of the person who answered
and by networking session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from ..choices import MeetingOutcome, MeetingStatus
from ..extensions import db
from ..models import Attendee, Event, Meeting, MeetingFeedback, NetworkingSession
from .funnel import USEFUL, in_role_order


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


def _mean(value: object) -> float | None:
    return None if value is None else round(float(value), 2)


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


def by_role_pair(event: Event) -> tuple[RolePairUsefulness, ...]:
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
        role: n for n, role in enumerate(in_role_order({r[0] for r in rows} | {r[1] for r in rows}))
    }
    return tuple(
        RolePairUsefulness(
            answers=answers, mean=_mean(mean), useful=useful or 0, rater=a, partner=b
        )
        for a, b, answers, mean, useful in sorted(rows, key=lambda r: (order[r[0]], order[r[1]]))
    )


def by_session(event: Event, now: datetime) -> tuple[SessionUsefulness, ...]:
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
