"""An attendee's own schedule: meetings, calendar downloads and feed, cancelling, booking.

Every page is reached through the attendee's private link; a meeting or match that is not
theirs is a 404, so ids say nothing about other people's schedules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select

from .. import answering, bookings, calendar, feedback, invites, mail
from ..choices import Answer, MeetingStatus
from ..exports import calendar_response
from ..extensions import db
from ..matching import Reason
from ..models import Attendee, Meeting, Suggestion, utcnow
from ..scheduling import Slot
from ..stored_lists import reasons_for
from ..templating import format_local
from . import attendee_by_token, bp


@dataclass
class Agenda:
    """One meeting as the attendee's schedule shows it."""

    meeting: Meeting
    partner: Attendee
    reasons: list[Reason]
    own_time: bool
    google_url: str
    outlook_url: str
    show_contact: bool  # both said yes and the partner shares their details
    assigned: bool  # booked by the organizer's auto-schedule, not by two yeses
    started: bool  # too late to cancel: it happened, or feedback says it did not


@dataclass
class Pending:
    """A confirmed match still waiting for a meeting, with the slots both have free."""

    row: Suggestion
    partner: Attendee
    reasons: list[Reason]
    slots: list[Slot] = field(default_factory=list)


def _own_meeting(person: Attendee, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or person.id not in (meeting.low_id, meeting.high_id):
        abort(404)
    return meeting


def _own_zone(person: Attendee) -> str | None:
    """The attendee's own zone when it differs from the event's and is a real zone."""
    zone = person.timezone
    if not zone or zone == person.event.timezone:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


def _load_people_and_rows(
    person: Attendee, meetings: list[Meeting]
) -> tuple[dict[int, Attendee], dict[int, Suggestion]]:
    """Partners and suggestion rows, by id, in two queries, so the agenda needs no query per
    meeting. Keep them while the meetings are used: the session forgets loaded objects that
    nothing refers to, and ``meeting.low`` would then load its person again."""
    partner_ids = {m.high_id if m.low_id == person.id else m.low_id for m in meetings}
    partners = {}
    if partner_ids:
        partners = {
            a.id: a
            for a in db.session.scalars(select(Attendee).where(Attendee.id.in_(partner_ids)))
        }
    row_ids = {m.suggestion_id for m in meetings if m.suggestion_id}
    rows = {}
    if row_ids:
        rows = {
            r.id: r
            for r in db.session.scalars(select(Suggestion).where(Suggestion.id.in_(row_ids)))
        }
    return partners, rows


def _agenda(person: Attendee, meetings: list[Meeting]) -> list[Agenda]:
    _partners, rows = _load_people_and_rows(person, meetings)
    own_zone = _own_zone(person)
    now = utcnow()
    items = []
    for meeting in meetings:
        row = rows.get(meeting.suggestion_id) if meeting.suggestion_id else None
        entry = invites.calendar_meeting(meeting, person)
        items.append(
            Agenda(
                meeting=meeting,
                partner=meeting.partner_of(person.id),
                reasons=reasons_for(row, person.id) if row is not None else [],
                own_time=own_zone is not None
                and (meeting.mode == "virtual" or person.meeting_mode == "virtual"),
                google_url=calendar.google_calendar_url(entry),
                outlook_url=calendar.outlook_calendar_url(entry),
                show_contact=invites.contact_visible(row, meeting.partner_of(person.id)),
                assigned=row is None or not row.confirmed,
                started=_as_utc(meeting.starts_at) <= now,
            )
        )
    return items


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pending(person: Attendee, meetings: list[Meeting]) -> list[Pending]:
    booked = {(m.low_id, m.high_id) for m in meetings}
    rows = db.session.scalars(
        select(Suggestion).where(
            or_(Suggestion.low_id == person.id, Suggestion.high_id == person.id),
            Suggestion.both_said(Answer.INTERESTED),
        )
    ).all()
    rows = [r for r in rows if (r.low_id, r.high_id) not in booked]
    if not rows:
        return []
    partner_ids = {r.partner_id(person.id) for r in rows}
    partners = {
        a.id: a for a in db.session.scalars(select(Attendee).where(Attendee.id.in_(partner_ids)))
    }
    return [
        Pending(
            row=row,
            partner=partners[row.partner_id(person.id)],
            reasons=reasons_for(row, person.id),
            slots=bookings.free_slots_for(row),
        )
        for row in sorted(rows, key=lambda r: -r.score)
    ]


def _feed_urls(person: Attendee) -> tuple[str, str]:
    """The feed's https address and the same as webcal://, which calendar apps subscribe to."""
    https = invites.public_url(url_for("attendee.feed", token=person.access_token))
    return https, "webcal://" + https.split("://", 1)[1]


@bp.route("/me/<token>/schedule")
def schedule(token: str):
    person = attendee_by_token(token)
    meetings = bookings.attendee_meetings(person)
    feed_url, webcal_url = _feed_urls(person)
    pending = _pending(person, meetings)
    return render_template(
        "attendee/schedule.html",
        event=person.event,
        person=person,
        agenda=_agenda(person, meetings),
        pending=pending,
        # The person's own allowance counts the meetings already loaded; partners' in a query.
        allowances={
            person.id: bookings.MeetingAllowance(
                len(meetings), person.event.max_meetings_per_attendee
            ),
            **bookings.meeting_allowances(person.event, [p.partner.id for p in pending]),
        },
        own_zone=_own_zone(person),
        feed_url=feed_url,
        webcal_url=webcal_url,
        questions=feedback.open_questions(person, meetings=meetings),
        answers=feedback.answers_by_meeting(person, meetings=meetings),
    )


@bp.route("/me/<token>/meetings/<int:meeting_id>.ics")
def meeting_ics(token: str, meeting_id: int):
    person = attendee_by_token(token)
    meeting = _own_meeting(person, meeting_id)
    partner = meeting.partner_of(person.id)
    body = calendar.meeting_ics(invites.calendar_meeting(meeting, person))
    return calendar_response(body, f"meeting-{partner.name}.ics")


def _attendee_calendar(person: Attendee) -> bytes:
    """Every meeting of the attendee, cancelled ones included so calendars drop them."""
    meetings = bookings.attendee_meetings(person, include_cancelled=True)
    _loaded = _load_people_and_rows(person, meetings)
    return calendar.attendee_ics(
        [invites.calendar_meeting(m, person) for m in meetings],
        name=f"{person.event.name}: my meetings",
    )


@bp.route("/me/<token>/calendar.ics")
def calendar_ics(token: str):
    person = attendee_by_token(token)
    return calendar_response(_attendee_calendar(person), f"{person.event.slug}-my-meetings.ics")


@bp.route("/me/<token>/feed.ics")
def feed(token: str):
    person = attendee_by_token(token)
    return calendar_response(_attendee_calendar(person), "feed.ics", inline=True)


@bp.route("/me/<token>/meetings/<int:meeting_id>/cancel", methods=["POST"])
def cancel_meeting(token: str, meeting_id: int):
    person = attendee_by_token(token)
    meeting = _own_meeting(person, meeting_id)
    partner = meeting.partner_of(person.id)
    if meeting.status == MeetingStatus.CANCELLED:
        flash(f"Your meeting with {partner.name} was already cancelled.", "info")
        return redirect(url_for("attendee.schedule", token=token))
    if _as_utc(meeting.starts_at) <= utcnow():
        flash(
            f"Your meeting with {partner.name} has already started, so it can no longer be "
            "cancelled. If it did not happen, say so in your answer about it.",
            "warning",
        )
        return redirect(url_for("attendee.schedule", token=token))
    answering.cancel_own_meeting(person, meeting)
    told = (
        f"We are emailing {partner.name} to let them know"
        if mail.is_configured(current_app.config)
        else f"It disappears from {partner.name}'s schedule too"
    )
    flash(
        f"Your meeting with {partner.name} is cancelled. {told}, and the time is free again "
        "in both your schedules.",
        "success",
    )
    return redirect(url_for("attendee.schedule", token=token))


@bp.route("/me/<token>/matches/<int:suggestion_id>/book", methods=["POST"])
def book_slot(token: str, suggestion_id: int):
    person = attendee_by_token(token)
    row = db.session.get(Suggestion, suggestion_id)
    if row is None or person.id not in (row.low_id, row.high_id) or not row.confirmed:
        abort(404)
    back = redirect(url_for("attendee.schedule", token=token))
    # The slot is named by its start time, so a slot grid changed since the page was
    # loaded cannot book a different time than the one the attendee saw.
    wanted = request.form.get("slot", "")
    slot_index = next(
        (s.index for s in bookings.event_slots(person.event) if s.start.isoformat() == wanted),
        None,
    )
    if slot_index is None:
        flash("Choose one of the times offered for the meeting.", "warning")
        return back
    booked = _active_meeting_of(row)
    if booked is not None:
        when = format_local(booked.starts_at, person.event.timezone, "%a %d %b at %H:%M")
        flash(
            f"Your meeting with {booked.partner_of(person.id).name} is already booked for {when}.",
            "info",
        )
        return back
    meeting = bookings.book_confirmed(row, within={slot_index})
    if meeting is None:
        db.session.rollback()
        flash(
            "That time is no longer free for both of you. Please choose another.",
            "warning",
        )
        return back
    db.session.commit()
    mail.send_in_background(current_app._get_current_object())
    partner = meeting.partner_of(person.id)
    when = format_local(meeting.starts_at, person.event.timezone, "%a %d %b at %H:%M")
    invited = (
        "You both get an invitation by email."
        if mail.is_configured(current_app.config)
        else "Add it to your calendar from this page."
    )
    flash(f"Your meeting with {partner.name} is booked for {when}. {invited}", "success")
    return back


def _active_meeting_of(row: Suggestion) -> Meeting | None:
    return db.session.scalar(
        select(Meeting).where(
            Meeting.low_id == row.low_id,
            Meeting.high_id == row.high_id,
            Meeting.status == MeetingStatus.CONFIRMED,
        )
    )
