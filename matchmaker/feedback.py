"""After each meeting: did it happen, was it useful, who helped whom, would you meet again.

Once a meeting has ended, each of the two people can answer: on a card on their private
pages, or through the link in the email that ``flask send-feedback-requests`` (cron) queues
for meetings that ended. One row per (meeting, person), edited in place and private to that
person; the organizer sees the event's figures (:func:`event_summary`) and, per attendee,
who reported that they did not come (:func:`no_show_reports`).

What the answers change:

- A pair that met (someone said so and nobody said otherwise,
  :meth:`MeetingFeedback.met_pairs`) is not suggested again at that event, like a declined
  pair (:func:`matchmaker.suggestions.declined_pairs`).
- Repeated no-shows lower a person's priority in later auto-schedules of the same
  organizer (:func:`scheduling_priority`): once ``NO_SHOW_REPORTERS`` different partners
  (told apart by email, across the organizer's events) have reported that someone did not
  come, the score of every pair with that person is multiplied by ``NO_SHOW_FACTOR``. The
  scheduler still gives everyone one meeting before anyone gets a second; after that, their
  pairs come after everyone else's of similar strength. One report never counts: it may be
  a misunderstanding, or a grudge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from . import invites, mail, suggestions
from .choices import AttendeeStatus, Helped, MeetingOutcome, MeetingStatus
from .extensions import db
from .models import Attendee, Event, Meeting, MeetingFeedback, utcnow

NO_SHOW_REPORTERS = 2
NO_SHOW_FACTOR = 0.5
# The email asks about meetings that ended at most this long ago: the first run after an
# upgrade does not write to people about meetings long past.
REQUEST_WINDOW = timedelta(days=14)
NOTE_LENGTH = 2000


class NotYourMeeting(LookupError):
    """The meeting does not exist or is not one of this attendee's."""


class FeedbackClosed(ValueError):
    """The meeting cannot be answered (yet): the message says why, in plain words."""


@dataclass(frozen=True)
class FeedbackAnswer:
    """One person's answer as plain data. Only ``outcome`` is needed; the other questions
    apply when the meeting happened and are dropped otherwise."""

    outcome: str
    usefulness: int | None = None
    helped: str | None = None
    meet_again: bool | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in MeetingOutcome.__members__.values():
            raise ValueError(f"unknown outcome {self.outcome!r}")
        if self.usefulness is not None and not 1 <= self.usefulness <= 5:
            raise ValueError("usefulness is from 1 to 5")
        if self.helped is not None and self.helped not in Helped.__members__.values():
            raise ValueError(f"unknown answer to who helped whom: {self.helped!r}")


# -- one person's answers --------------------------------------------------------------------


def own_meeting(person: Attendee, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or person.id not in (meeting.low_id, meeting.high_id):
        raise NotYourMeeting(meeting_id)
    return meeting


def check_open(meeting: Meeting, now: datetime | None = None) -> None:
    """Raise FeedbackClosed unless the meeting can be answered now: it took place as booked
    and has ended."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise FeedbackClosed("This meeting was cancelled, so there is nothing to answer.")
    if meeting.ends_at > (now or utcnow()):
        raise FeedbackClosed("You can answer once the meeting has ended.")


def answer_of(person: Attendee, meeting: Meeting) -> MeetingFeedback | None:
    return db.session.scalar(
        select(MeetingFeedback).where(
            MeetingFeedback.meeting_id == meeting.id, MeetingFeedback.attendee_id == person.id
        )
    )


def record_feedback(
    person: Attendee, meeting_id: int, answer: FeedbackAnswer, *, now: datetime | None = None
) -> MeetingFeedback:
    """Store ``person``'s answer about one of their meetings and commit.

    Answering again replaces the earlier answer. Raises NotYourMeeting for someone else's
    meeting and FeedbackClosed for one that was cancelled or has not ended. When the answer
    changes whether the pair met, the suggestion lists are brought up to date.
    """
    meeting = own_meeting(person, meeting_id)
    check_open(meeting, now)
    met_before = _pair_met(meeting)
    happened = answer.outcome == MeetingOutcome.MET
    values = {
        "outcome": answer.outcome,
        "usefulness": answer.usefulness if happened else None,
        "helped": answer.helped if happened else None,
        "meet_again": answer.meet_again if happened else None,
        "note": answer.note.strip()[:NOTE_LENGTH],
    }
    row = answer_of(person, meeting)
    if row is None:
        try:
            with db.session.begin_nested():
                row = MeetingFeedback(
                    event_id=meeting.event_id, meeting_id=meeting.id, attendee_id=person.id
                )
                for key, value in values.items():
                    setattr(row, key, value)
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # the same person's other tab answered a moment ago
            row = answer_of(person, meeting)
    for key, value in values.items():
        setattr(row, key, value)
    db.session.commit()
    if _pair_met(meeting) != met_before:
        suggestions.refresh_and_commit(meeting.event)
    return row


def record_outcome(
    person: Attendee, meeting_id: int, outcome: str, *, now: datetime | None = None
) -> MeetingFeedback:
    """The one-click answer "did it happen?", keeping whatever else was answered before."""
    meeting = own_meeting(person, meeting_id)
    row = answer_of(person, meeting)
    earlier = (
        FeedbackAnswer(
            outcome=outcome,
            usefulness=row.usefulness,
            helped=row.helped,
            meet_again=row.meet_again,
            note=row.note,
        )
        if row is not None
        else FeedbackAnswer(outcome=outcome)
    )
    return record_feedback(person, meeting_id, earlier, now=now)


def _pair_met(meeting: Meeting) -> bool:
    met = db.session.execute(
        MeetingFeedback.met_pairs(meeting.event_id).where(Meeting.id == meeting.id)
    ).first()
    return met is not None


def any_ended(meetings: Iterable[Meeting], now: datetime | None = None) -> bool:
    """Whether one of these meetings has ended: before then nobody can have answered about
    them, so pages that already hold a person's meetings skip asking the database."""
    now = now or utcnow()
    return any(m.ends_at <= now for m in meetings)


def answers_by_meeting(
    person: Attendee, *, meetings: Sequence[Meeting] | None = None
) -> dict[int, MeetingFeedback]:
    """The person's own answers, by meeting id; ``meetings``, when the caller has the
    person's meetings, spares the query while none has ended."""
    if meetings is not None and not any_ended(meetings):
        return {}
    rows = db.session.scalars(
        select(MeetingFeedback).where(MeetingFeedback.attendee_id == person.id)
    )
    return {row.meeting_id: row for row in rows}


@dataclass(frozen=True)
class Question:
    """An ended meeting that the person has not answered about yet: a card on their pages."""

    meeting: Meeting
    partner: Attendee


def open_questions(
    person: Attendee, *, now: datetime | None = None, meetings: Sequence[Meeting] | None = None
) -> list[Question]:
    """The person's meetings that have ended and that they have not answered, latest first.

    ``meetings``: the person's confirmed meetings at this event when the caller already has
    them; while none has ended there is nothing to ask and no query.
    """
    if meetings is not None and not any_ended(meetings, now):
        return []
    answered = select(MeetingFeedback.meeting_id).where(MeetingFeedback.attendee_id == person.id)
    meetings = db.session.scalars(
        select(Meeting)
        .where(
            or_(Meeting.low_id == person.id, Meeting.high_id == person.id),
            Meeting.status == MeetingStatus.CONFIRMED,
            Meeting.ends_at <= (now or utcnow()),
            Meeting.id.not_in(answered),
        )
        .options(selectinload(Meeting.low), selectinload(Meeting.high))
        .order_by(Meeting.starts_at.desc())
    ).all()
    return [Question(m, m.partner_of(person.id)) for m in meetings]


@dataclass(frozen=True)
class HelpCounts:
    """How many people someone helped and how many helped them, by their own answers."""

    helped: int
    were_helped_by: int


def help_counts(answers: list[tuple[str, MeetingFeedback]]) -> HelpCounts:
    """Count partners (by a key such as their email) from the person's own answers: "I
    helped them" and "we helped each other" count as helping, "they helped me" and "we
    helped each other" as being helped. Only the person's own answers: a partner's answer
    stays private, even as part of a count."""
    helped, were_helped = set(), set()
    for key, row in answers:
        if row.outcome != MeetingOutcome.MET:
            continue
        if row.helped in (Helped.I_HELPED_THEM, Helped.BOTH):
            helped.add(key)
        if row.helped in (Helped.THEY_HELPED_ME, Helped.BOTH):
            were_helped.add(key)
    return HelpCounts(len(helped), len(were_helped))


# -- asking by email -------------------------------------------------------------------------


def queue_requests(*, now: datetime | None = None) -> int:
    """Queue the question for every meeting that has ended since the last run (within
    ``REQUEST_WINDOW``), to each side who has not answered yet; the caller commits.

    Each meeting is asked about once. Returns the number of emails queued.
    """
    now = now or utcnow()
    meetings = db.session.scalars(
        select(Meeting)
        .where(
            Meeting.status == MeetingStatus.CONFIRMED,
            Meeting.feedback_requested_at.is_(None),
            Meeting.ends_at <= now,
            Meeting.ends_at > now - REQUEST_WINDOW,
        )
        .options(selectinload(Meeting.low), selectinload(Meeting.high), selectinload(Meeting.event))
        .order_by(Meeting.id)
    ).all()
    if not meetings:
        return 0
    answered = set(
        tuple(row)
        for row in db.session.execute(
            select(MeetingFeedback.meeting_id, MeetingFeedback.attendee_id).where(
                MeetingFeedback.meeting_id.in_([m.id for m in meetings])
            )
        )
    )
    queued = 0
    for meeting in meetings:
        for person in (meeting.low, meeting.high):
            if (meeting.id, person.id) in answered or person.status != AttendeeStatus.ACTIVE:
                continue
            _queue_request(meeting, person)
            queued += 1
    # Set without touching updated_at: calendars read it as the meeting's LAST-MODIFIED.
    db.session.execute(
        update(Meeting)
        .where(Meeting.id.in_([m.id for m in meetings]))
        .values(feedback_requested_at=now, updated_at=Meeting.updated_at)
        .execution_options(synchronize_session=False)
    )
    return queued


def _queue_request(meeting: Meeting, person: Attendee) -> None:
    partner = meeting.partner_of(person.id)
    event = meeting.event
    link = invites.public_url(f"/me/{person.access_token}/meetings/{meeting.id}/feedback")
    body = (
        f"Hi {person.name},\n\n"
        f"Your meeting with {partner.name} at {event.name} has ended. Did it happen, and "
        f"was it worth your time? One click tells us:\n\n{link}\n\n"
        f"Your answers are private: {partner.name} does not see them, and the organizer "
        "sees only totals and whether someone did not come.\n"
    )
    mail.queue_email(
        db.session,
        to_email=person.email,
        to_name=person.name,
        subject=f"How was your meeting with {partner.name}?",
        body_text=body,
        event_id=event.id,
        meeting_id=meeting.id,
    )


# -- for the organizer -----------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackSummary:
    """An event's meetings after the fact, for its organizer: counts, never single answers
    (except no-shows, see :func:`no_show_reports`)."""

    ended: int  # booked meetings whose time has passed
    answered: int  # of those, meetings at least one side answered about
    happened: int  # someone said they met, nobody said otherwise
    no_shows: int  # meetings where someone reported that the other did not come
    usefulness: float | None  # mean of the 1-5 answers
    usefulness_answers: int
    meet_again: float | None  # share of "would meet again" among those who answered it
    meet_again_answers: int

    @property
    def any(self) -> bool:
        return self.ended > 0


def event_summary(event: Event, *, now: datetime | None = None) -> FeedbackSummary:
    """The event's figures in three queries."""
    ended = (
        db.session.scalar(
            select(func.count()).where(
                Meeting.event_id == event.id,
                Meeting.status == MeetingStatus.CONFIRMED,
                Meeting.ends_at <= (now or utcnow()),
            )
        )
        or 0
    )
    no_show_meeting = case(
        (MeetingFeedback.outcome == MeetingOutcome.NO_SHOW, MeetingFeedback.meeting_id)
    )
    rows = db.session.execute(
        select(
            func.count(func.distinct(MeetingFeedback.meeting_id)),
            func.count(func.distinct(no_show_meeting)),
            func.avg(MeetingFeedback.usefulness),
            func.count(MeetingFeedback.usefulness),
            func.sum(case((MeetingFeedback.meet_again.is_(True), 1), else_=0)),
            func.count(MeetingFeedback.meet_again),
        )
        .join(Meeting, Meeting.id == MeetingFeedback.meeting_id)
        .where(MeetingFeedback.event_id == event.id, Meeting.status == MeetingStatus.CONFIRMED)
    ).one()
    answered, no_shows, mean, mean_n, again, again_n = rows
    happened = len(db.session.execute(MeetingFeedback.met_pairs(event.id)).all())
    return FeedbackSummary(
        ended=ended,
        answered=answered or 0,
        happened=happened,
        no_shows=no_shows or 0,
        usefulness=round(float(mean), 1) if mean is not None else None,
        usefulness_answers=mean_n or 0,
        meet_again=(again or 0) / again_n if again_n else None,
        meet_again_answers=again_n or 0,
    )


@dataclass(frozen=True)
class NoShowReport:
    """Someone reported that ``accused`` did not come to their meeting."""

    event: Event
    meeting: Meeting
    reporter: Attendee
    accused: Attendee


def _no_show_reports_select(organizer_id: int, *columns, reporter, accused):  # noqa: ANN001, ANN002, ANN202
    """``columns`` of every no-show report in the organizer's events, where ``reporter`` is
    the person who answered and ``accused`` their partner (both aliases of Attendee)."""
    partner_id = case(
        (Meeting.low_id == MeetingFeedback.attendee_id, Meeting.high_id), else_=Meeting.low_id
    )
    return (
        select(*columns)
        .select_from(MeetingFeedback)
        .join(Meeting, Meeting.id == MeetingFeedback.meeting_id)
        .join(Event, Event.id == Meeting.event_id)
        .join(reporter, reporter.id == MeetingFeedback.attendee_id)
        .join(accused, accused.id == partner_id)
        .where(
            Event.organizer_id == organizer_id,
            Meeting.status == MeetingStatus.CONFIRMED,
            MeetingFeedback.outcome == MeetingOutcome.NO_SHOW,
        )
    )


def no_show_reports(person: Attendee) -> list[NoShowReport]:
    """Reports that ``person`` (by email, across the organizer's events) did not come,
    latest first: what the organizer sees on the attendee's page."""
    reporter, accused = aliased(Attendee), aliased(Attendee)
    statement = _no_show_reports_select(
        person.event.organizer_id, Meeting, reporter, accused, reporter=reporter, accused=accused
    ).where(func.lower(accused.email) == person.email.lower())
    rows = db.session.execute(
        statement.options(selectinload(Meeting.event)).order_by(Meeting.starts_at.desc())
    ).all()
    return [NoShowReport(m.event, m, r, a) for m, r, a in rows]


def no_shows_at(event: Event) -> list[tuple[Attendee, int]]:
    """People whom partners at this event reported as not coming, each with how many
    different partners did, most first: the organizer's list on the event page."""
    reporter, accused = aliased(Attendee), aliased(Attendee)
    reporters = func.count(func.distinct(func.lower(reporter.email)))
    counts = dict(
        db.session.execute(
            _no_show_reports_select(
                event.organizer_id, accused.id, reporters, reporter=reporter, accused=accused
            )
            .where(Meeting.event_id == event.id)
            .group_by(accused.id)
        ).all()
    )
    if not counts:
        return []
    people = db.session.scalars(select(Attendee).where(Attendee.id.in_(list(counts))))
    return sorted(((p, counts[p.id]) for p in people), key=lambda item: (-item[1], item[0].name))


def distinct_reporters(reports: list[NoShowReport]) -> int:
    return len({report.reporter.email.lower() for report in reports})


def scheduling_priority(event: Event) -> dict[int, float]:
    """Score factors for auto-scheduling ``event``: ``NO_SHOW_FACTOR`` for each attendee
    whom ``NO_SHOW_REPORTERS`` or more different partners reported as not coming, in any of
    the organizer's events; everyone else is left out (factor 1)."""
    reporter, accused = aliased(Attendee), aliased(Attendee)
    email = func.lower(accused.email)
    flagged_emails = (
        _no_show_reports_select(event.organizer_id, email, reporter=reporter, accused=accused)
        .group_by(email)
        .having(func.count(func.distinct(func.lower(reporter.email))) >= NO_SHOW_REPORTERS)
    )
    ids = db.session.scalars(
        select(Attendee.id).where(
            Attendee.event_id == event.id,
            func.lower(Attendee.email).in_(flagged_emails),
        )
    )
    return dict.fromkeys(ids, NO_SHOW_FACTOR)


__all__ = [
    "FeedbackAnswer",
    "FeedbackClosed",
    "FeedbackSummary",
    "HelpCounts",
    "NoShowReport",
    "NotYourMeeting",
    "Question",
    "event_summary",
    "help_counts",
    "no_show_reports",
    "open_questions",
    "queue_requests",
    "record_feedback",
    "record_outcome",
    "scheduling_priority",
]
