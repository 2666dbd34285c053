"""Meetings in the database: book confirmed pairs, auto-schedule an event, move and cancel.

The pure `scheduling` module picks slots and tables; this module loads the event's state,
stores the result and queues the invites. Double-booking is prevented by the database
itself: a person's seat per slot and a table per slot are unique, so when two confirmations
race, the loser's insert fails inside a savepoint and it tries again with fresh state.

Auto-scheduling a large event takes a minute, so it runs as a job of kind "scheduling"
(see :mod:`matchmaker.jobs`), whose figures are the report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from . import earlier_meetings, feedback, invites, jobs, mail, scheduling
from .adapters import scheduling_person
from .choices import Answer, FollowUps, MeetingStatus, SchedulingMode
from .events import render_virtual_link
from .extensions import db
from .models import Attendee, Event, Job, Meeting, MeetingSeat, Suggestion, utcnow

RETRIES = 5
SCHEDULING = "scheduling"  # the job kind of an auto-schedule
# Auto-schedule raises pairs who met before and would meet again when follow-ups are
# preferred: ahead of new pairs whose match is up to half as good again.
FOLLOW_UP_FACTOR = 1.5


class BookingError(ValueError):
    """A move or booking that breaks a rule; the message says which, in plain words."""


# -- the event's state as the scheduler sees it ----------------------------------------------


def event_slots(event: Event) -> list[scheduling.Slot]:
    return scheduling.build_slots(
        [(s.starts_at, s.ends_at) for s in event.sessions],
        event.meeting_minutes,
        event.buffer_minutes,
    )


def _people(
    event: Event,
    attendee_ids: Iterable[int] | None = None,
    *,
    attendees: Iterable[Attendee] | None = None,
) -> dict[int, scheduling.Person]:
    """The scheduler's view of the attendees (of `attendee_ids`, or of all, or of those given)."""
    session_index = {s.id: n for n, s in enumerate(event.sessions)}
    if attendees is None:
        statement = select(Attendee).where(Attendee.event_id == event.id)
        if attendee_ids is not None:
            statement = statement.where(Attendee.id.in_(list(attendee_ids)))
        attendees = db.session.scalars(statement)
    return {a.id: scheduling_person(a, session_index) for a in attendees}


def _active_meetings(event: Event, attendee_ids: Iterable[int] | None = None) -> list[Meeting]:
    statement = select(Meeting).where(
        Meeting.event_id == event.id, Meeting.status == MeetingStatus.CONFIRMED
    )
    if attendee_ids is not None:
        ids = list(attendee_ids)
        statement = statement.where(or_(Meeting.low_id.in_(ids), Meeting.high_id.in_(ids)))
    return list(db.session.scalars(statement))


def _bookings(
    meetings: Iterable[Meeting], slots: Sequence[scheduling.Slot]
) -> list[scheduling.Booking]:
    by_start = {slot.start: slot.index for slot in slots}
    bookings = []
    for meeting in meetings:
        index = by_start.get(meeting.starts_at)
        if index is not None:  # a meeting outside today's slots still blocks nobody's slot
            bookings.append(
                scheduling.Booking(
                    meeting.low_id, meeting.high_id, index, meeting.table_name, meeting.score
                )
            )
    return bookings


class _TablesTakenBySlot(Mapping[int, frozenset[str]]):
    """The tables in use in each slot, asked of the database one slot at a time as a
    booking's search reaches it: a "yes" usually books the first or second slot both people
    have free, so it reads a few hundred table names instead of every table meeting."""

    def __init__(self, event: Event, slots: Sequence[scheduling.Slot]) -> None:
        self._event_id = event.id
        self._starts = {slot.index: slot.start for slot in slots}
        self._taken: dict[int, frozenset[str]] = {}

    def __getitem__(self, index: int) -> frozenset[str]:
        if index not in self._taken:
            self._taken[index] = frozenset(
                db.session.scalars(
                    select(Meeting.table_name).where(
                        Meeting.event_id == self._event_id,
                        Meeting.status == MeetingStatus.CONFIRMED,
                        Meeting.starts_at == self._starts[index],
                        Meeting.table_name.is_not(None),
                    )
                )
            )
        return self._taken[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self._starts)

    def __len__(self) -> int:
        return len(self._starts)


def _bookings_for_pair(
    event: Event,
    low_id: int,
    high_id: int,
    slots: Sequence[scheduling.Slot],
    *,
    with_tables: bool = True,
) -> list[scheduling.Booking]:
    """What booking one pair depends on: every active meeting of the two people and, unless
    the caller looks tables up slot by slot (`_TablesTakenBySlot`), every meeting at a table.
    Other people's online meetings do not matter to the pair, and plain rows cost a fraction
    of loading each meeting as an object."""
    ids = [low_id, high_id]
    theirs = or_(Meeting.low_id.in_(ids), Meeting.high_id.in_(ids))
    rows = db.session.execute(
        select(
            Meeting.low_id, Meeting.high_id, Meeting.starts_at, Meeting.table_name, Meeting.score
        ).where(
            Meeting.event_id == event.id,
            Meeting.status == MeetingStatus.CONFIRMED,
            or_(Meeting.table_name.is_not(None), theirs) if with_tables else theirs,
        )
    ).all()
    return _bookings(rows, slots)


def _new_meeting(
    event: Event, booking: scheduling.Booking, slot: scheduling.Slot, suggestion_id: int | None
) -> Meeting:
    low, high = sorted((booking.a, booking.b))
    meeting = Meeting(
        event_id=event.id,
        suggestion_id=suggestion_id,
        low_id=low,
        high_id=high,
        starts_at=slot.start,
        ends_at=slot.end,
        mode=booking.mode,
        table_name=booking.table,
        virtual_url=None
        if booking.table
        else render_virtual_link(event.virtual_link_template, event.slug),
        score=booking.score,
        status=MeetingStatus.CONFIRMED,
        sequence=0,
        uid=invites.new_meeting_uid(),
    )
    meeting.seats = [
        MeetingSeat(attendee_id=low, starts_at=slot.start),
        MeetingSeat(attendee_id=high, starts_at=slot.start),
    ]
    return meeting


# -- booking ---------------------------------------------------------------------------------


def book_confirmed(row: Suggestion, *, within: set[int] | None = None) -> Meeting | None:
    """Book the earliest slot the confirmed pair both have free (the caller commits).

    Returns None when they cannot meet (modes, availability, limits, full slots). Safe
    against concurrent bookings: a lost race is retried with the winner's seats in view.
    """
    event = db.session.get(Event, row.event_id)
    existing = db.session.scalar(
        select(Meeting).where(
            Meeting.low_id == row.low_id,
            Meeting.high_id == row.high_id,
            Meeting.status == MeetingStatus.CONFIRMED,
        )
    )
    if existing is not None:
        return existing
    slots = event_slots(event)
    if not slots:
        return None
    for _ in range(RETRIES):
        people = _people(event, [row.low_id, row.high_id])
        booking = scheduling.book_earliest(
            scheduling.Pair(row.low_id, row.high_id, row.score),
            people,
            slots,
            event.table_names,
            _bookings_for_pair(event, row.low_id, row.high_id, slots, with_tables=False),
            event.max_meetings_per_attendee,
            within=within,
            tables_taken=_TablesTakenBySlot(event, slots),
            not_before=utcnow(),
        )
        if booking is None:
            return None
        try:
            with db.session.begin_nested():
                meeting = _new_meeting(event, booking, slots[booking.slot], row.id)
                db.session.add(meeting)
                db.session.flush()
        except IntegrityError:
            current_app.logger.info("booking for pair %s lost a race; retrying", row.id)
            db.session.expire_all()
            continue
        invites.queue_invites(meeting, "REQUEST")
        return meeting
    return None


def active_meetings_of_pair(row: Suggestion) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting).where(
                Meeting.low_id == row.low_id,
                Meeting.high_id == row.high_id,
                Meeting.status == MeetingStatus.CONFIRMED,
            )
        )
    )


def free_slots_for(row: Suggestion) -> list[scheduling.Slot]:
    event = db.session.get(Event, row.event_id)
    slots = event_slots(event)
    return scheduling.common_free_slots(
        scheduling.Pair(row.low_id, row.high_id, row.score),
        _people(event, [row.low_id, row.high_id]),
        slots,
        event.table_names,
        _bookings_for_pair(event, row.low_id, row.high_id, slots),
        event.max_meetings_per_attendee,
        not_before=utcnow(),
    )


@dataclass
class AutoScheduleReport:
    meetings: int
    attendees_covered: int
    attendees_coverable: int
    total_score: float
    unscheduled: dict[str, int]


Progress = Callable[[float, str], None]


def follow_up_factors(event: Event) -> dict[tuple[int, int], float]:
    """Score factors for pairs who met at the organizer's earlier events and of whom one
    said they would meet again: ``FOLLOW_UP_FACTOR`` when the organizer prefers follow-ups,
    so auto-schedule books them first; none otherwise."""
    if event.follow_ups != FollowUps.PREFER:
        return {}
    pairs = earlier_meetings.earlier_pairs(event)
    return {pair: FOLLOW_UP_FACTOR for pair, again in pairs.items() if again}


def auto_schedule_event(
    event: Event,
    *,
    confirmed_only: bool = False,
    progress: Progress | None = None,
    priority: Mapping[int, float] | None = None,
) -> AutoScheduleReport:
    """Schedule the whole event at once from its answers and suggestions.

    Mutual yeses come first, each person up to the event's meeting limit. At a speed
    networking event (and unless ``confirmed_only``) suggested pairs that nobody declined
    are then assigned too, but only up to the limit less ``auto_schedule_reserve``, so
    mutual yeses that come later still find room. When people choose, only mutual yeses
    are booked. Existing meetings stay, and a pair that already has one (even outside
    today's slots) gets no second. `progress(share, message)` hears how far it got. The
    caller commits.

    ``priority`` maps attendee ids to factors on the score of every pair they are in
    (missing ids count 1); by default it is :func:`feedback.scheduling_priority`, which
    lowers people whom several partners reported as not coming. The scheduler places
    higher scores first once everyone has a meeting, so a lower factor means booked later.
    When the organizer prefers follow-ups, pairs who met before and would meet again are
    raised (:func:`follow_up_factors`). Meetings keep the pair's own score.
    """
    report = progress or (lambda share, message: None)
    report(0.0, "Reading suggestions and meetings…")
    rows = _pairs_to_schedule(event, confirmed_only=confirmed_only)
    meetings = _active_meetings(event)
    booked = {(m.low_id, m.high_id) for m in meetings}
    candidates = [r for r in rows if (r.low_id, r.high_id) not in booked]
    # Kept in a local so the identity map holds them: the invites read every meeting's
    # attendees, which then come from memory instead of one query each.
    attendees = db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)).all()
    people = _people(event, attendees=attendees)
    slots = event_slots(event)
    report(0.05, "Finding the best slots and tables…")
    factors = feedback.scheduling_priority(event) if priority is None else priority
    again = follow_up_factors(event)

    def scheduling_pair(row: Suggestion) -> scheduling.Pair:
        factor = factors.get(row.low_id, 1.0) * factors.get(row.high_id, 1.0)
        factor *= again.get((row.low_id, row.high_id), 1.0)
        return scheduling.Pair(row.low_id, row.high_id, row.score * factor)

    plan = _schedule_in_two_passes(
        event, candidates, scheduling_pair, people, slots, _bookings(meetings, slots)
    )
    report(0.25, "Saving the meetings…")
    created = _save_meetings(event, plan.bookings, candidates, slots, report)
    unscheduled: dict[str, int] = {}
    for item in plan.unscheduled:
        unscheduled[item.reason] = unscheduled.get(item.reason, 0) + 1
    if len(candidates) < len(rows):
        unscheduled["already_booked"] = len(rows) - len(candidates)
    return AutoScheduleReport(
        meetings=len(created),
        attendees_covered=plan.attendees_covered,
        attendees_coverable=plan.attendees_coverable,
        total_score=round(sum(m.score for m in created), 3),
        unscheduled=unscheduled,
    )


def _pairs_to_schedule(event: Event, *, confirmed_only: bool) -> Sequence[Suggestion]:
    """The suggested pairs nobody declined; only the mutual yeses when people choose (not a
    speed networking event) or when ``confirmed_only``."""
    rows = db.session.scalars(
        select(Suggestion).where(
            Suggestion.event_id == event.id,
            Suggestion.answer_low != Answer.DECLINED,
            Suggestion.answer_high != Answer.DECLINED,
        )
    ).all()
    if confirmed_only or event.scheduling_mode != SchedulingMode.SPEED_NETWORKING:
        rows = [r for r in rows if r.confirmed]
    return rows


def _schedule_in_two_passes(
    event: Event,
    candidates: Sequence[Suggestion],
    scheduling_pair: Callable[[Suggestion], scheduling.Pair],
    people: Mapping[int, scheduling.Person],
    slots: Sequence[scheduling.Slot],
    existing: list[scheduling.Booking],
) -> scheduling.ScheduleResult:
    """Mutual yeses first, each person up to the event's meeting limit; then the other
    pairs, around them, up to the limit less ``auto_schedule_reserve``. The result holds
    both passes' new bookings and reasons, and the coverage after the last."""
    limit = event.max_meetings_per_attendee
    passes = [
        ([r for r in candidates if r.confirmed], limit),
        ([r for r in candidates if not r.confirmed], max(0, limit - event.auto_schedule_reserve)),
    ]
    plan = scheduling.ScheduleResult(
        bookings=[], total_score=0.0, attendees_covered=0, attendees_coverable=0
    )
    for pairs, cap in passes:
        if not pairs:
            continue
        result = scheduling.auto_schedule(
            [scheduling_pair(r) for r in pairs],
            people,
            slots,
            event.table_names,
            cap,
            existing=existing + plan.bookings,
            not_before=utcnow(),  # a slot under way or over takes no new meeting
        )
        plan.bookings += result.bookings
        plan.total_score += result.total_score
        plan.attendees_covered = result.attendees_covered
        plan.attendees_coverable = max(plan.attendees_coverable, result.attendees_coverable)
        at_cap = "assignment_limit" if cap < limit else "meeting_limit"  # which limit it was
        plan.unscheduled += [
            dataclasses.replace(u, reason=at_cap) if u.reason == "meeting_limit" else u
            for u in result.unscheduled
        ]
    return plan


def _save_meetings(
    event: Event,
    bookings: Sequence[scheduling.Booking],
    candidates: Sequence[Suggestion],
    slots: Sequence[scheduling.Slot],
    report: Progress,
) -> list[Meeting]:
    """Store the new meetings, each with its pair's own score (not the weighted one the
    scheduler ranked by), and queue their invitations."""
    by_pair = {(r.low_id, r.high_id): r for r in candidates}
    created = []
    for booking in bookings:
        low, high = sorted((booking.a, booking.b))
        row = by_pair[(low, high)]
        meeting = _new_meeting(event, booking, slots[booking.slot], row.id)
        meeting.score = row.score
        db.session.add(meeting)
        created.append(meeting)
    db.session.flush()
    for done, meeting in enumerate(created):
        if done % 500 == 0:
            report(0.4 + 0.55 * done / len(created), "Writing the invitations…")
        invites.queue_invites(meeting, "REQUEST")
    return created


def cancel_meeting(meeting: Meeting, *, by: str) -> None:
    """Cancel; the slot and table are freed and both attendees are told (caller commits)."""
    if meeting.status == MeetingStatus.CANCELLED:
        return
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_by = by[:200]
    meeting.sequence += 1
    meeting.seats = []
    db.session.flush()
    invites.queue_invites(meeting, "CANCEL")


def move_meeting(meeting: Meeting, starts_at: datetime, table_name: str | None) -> None:
    """The organizer moves a meeting to another slot and/or table (caller commits).

    Raises BookingError when the new place breaks a rule: a slot that does not exist, an
    attendee who is busy or unavailable then, a table already taken. On error the meeting
    is left exactly as it was.
    """
    if meeting.status != MeetingStatus.CONFIRMED:
        raise BookingError("Only a confirmed meeting can be moved.")
    event = meeting.event
    slots = event_slots(event)
    slot = next((s for s in slots if s.start == starts_at), None)
    if slot is None:
        raise BookingError("That time is not one of the event's meeting slots.")
    if table_name is not None and table_name not in event.table_names:
        raise BookingError(f"There is no table called “{table_name}”.")
    people = _people(event, [meeting.low_id, meeting.high_id])
    mode = scheduling.combined_mode(people[meeting.low_id].mode, people[meeting.high_id].mode)
    if table_name is None and mode == "in_person":
        raise BookingError("Both meet in person only; choose a table.")
    if table_name is not None and mode == "virtual":
        raise BookingError("One of them meets online only; leave the table empty.")
    others = [m for m in _active_meetings(event) if m.id != meeting.id]
    bookings = _bookings(others, slots)
    for person_id, person in people.items():
        if person.sessions is not None and slot.session_index not in person.sessions:
            raise BookingError(f"{_name(person_id)} is not available in that session.")
        if any(person_id in (b.a, b.b) and b.slot == slot.index for b in bookings):
            raise BookingError(f"{_name(person_id)} already has a meeting then.")
    if table_name and any(b.table == table_name and b.slot == slot.index for b in bookings):
        raise BookingError(f"{table_name} is taken then.")
    new_url = meeting.virtual_url
    if table_name is None and not new_url:
        new_url = render_virtual_link(event.virtual_link_template, event.slug)
    try:
        # All of the move in one savepoint: a race lost on a seat or a table undoes it whole,
        # and the rolled-back meeting is reloaded as it was.
        with db.session.begin_nested():
            meeting.seats = []
            db.session.flush()
            meeting.starts_at, meeting.ends_at = slot.start, slot.end
            meeting.table_name = table_name
            meeting.mode = "in_person" if table_name else "virtual"
            meeting.virtual_url = new_url
            meeting.sequence += 1
            meeting.seats = [
                MeetingSeat(attendee_id=meeting.low_id, starts_at=slot.start),
                MeetingSeat(attendee_id=meeting.high_id, starts_at=slot.start),
            ]
            db.session.flush()
    except IntegrityError as error:
        raise BookingError("Someone booked that slot a moment ago; choose another.") from error
    invites.queue_invites(meeting, "REQUEST")


def _name(attendee_id: int) -> str:
    person = db.session.get(Attendee, attendee_id)
    return person.name if person else "An attendee"


def attendee_meetings(person: Attendee, *, include_cancelled: bool = False) -> list[Meeting]:
    statement = select(Meeting).where(
        or_(Meeting.low_id == person.id, Meeting.high_id == person.id)
    )
    if not include_cancelled:
        statement = statement.where(Meeting.status == MeetingStatus.CONFIRMED)
    return list(db.session.scalars(statement.order_by(Meeting.starts_at)))


@dataclass(frozen=True)
class MeetingAllowance:
    """An attendee's booked meetings against the event's limit: where scarcity binds.

    Suggestions are not scarce (anyone may appear in many lists); meetings are, and the
    limit is what protects the most sought-after people.
    """

    booked: int
    limit: int

    @property
    def left(self) -> int:
        return max(self.limit - self.booked, 0)

    @property
    def full(self) -> bool:
        return self.booked >= self.limit


def meeting_allowances(event: Event, attendee_ids: Iterable[int]) -> dict[int, MeetingAllowance]:
    """Each given attendee's allowance, counted in one query."""
    ids = list(set(attendee_ids))
    if not ids:
        return {}
    active = Meeting.status == MeetingStatus.CONFIRMED
    sides = union_all(
        select(Meeting.low_id.label("a")).where(active, Meeting.low_id.in_(ids)),
        select(Meeting.high_id.label("a")).where(active, Meeting.high_id.in_(ids)),
    ).subquery()
    counts = dict(db.session.execute(select(sides.c.a, func.count()).group_by(sides.c.a)).all())
    limit = event.max_meetings_per_attendee
    return {i: MeetingAllowance(counts.get(i, 0), limit) for i in ids}


def event_meetings(
    event: Event, *, include_cancelled: bool = False, with_people: bool = False
) -> list[Meeting]:
    """The event's meetings by time and table; `with_people` loads both attendees of each
    in two more queries, for pages and exports that name them."""
    statement = select(Meeting).where(Meeting.event_id == event.id)
    if not include_cancelled:
        statement = statement.where(Meeting.status == MeetingStatus.CONFIRMED)
    if with_people:
        statement = statement.options(selectinload(Meeting.low), selectinload(Meeting.high))
    return list(db.session.scalars(statement.order_by(Meeting.starts_at, Meeting.table_name)))


# -- auto-schedule as a job ------------------------------------------------------------------


def latest_run(event_id: int, kind: str = SCHEDULING) -> Job | None:
    """The event's most recent job of `kind`."""
    return jobs.latest(event_id, kind)


def start_auto_schedule(event: Event, *, confirmed_only: bool = False) -> Job:
    """Queue an auto-schedule job, or return the one already under way."""
    params = {"confirmed_only": confirmed_only, "base_url": invites.base_url()}
    return jobs.start(event.id, SCHEDULING, params)


@jobs.task(SCHEDULING)
def _auto_schedule_job(event_id: int, params: dict, progress: jobs.Progress) -> dict:
    """Auto-schedule the event, commit the bookings and send their invitations."""
    # The job has no request to read the site's address from: links use the starter's.
    address = invites.job_base_url.set(params.get("base_url", ""))
    try:
        event = db.session.get(Event, event_id)
        confirmed_only = bool(params.get("confirmed_only"))
        result = auto_schedule_event(event, confirmed_only=confirmed_only, progress=progress)
        progress(0.96, "Saving…")
        db.session.commit()
    finally:
        invites.job_base_url.reset(address)
    mail.send_in_background(current_app._get_current_object())  # type: ignore[attr-defined]
    return {"confirmed_only": confirmed_only, **dataclasses.asdict(result)}


__all__ = [
    "AutoScheduleReport",
    "BookingError",
    "attendee_meetings",
    "auto_schedule_event",
    "book_confirmed",
    "cancel_meeting",
    "event_meetings",
    "event_slots",
    "free_slots_for",
    "latest_run",
    "move_meeting",
    "start_auto_schedule",
]
