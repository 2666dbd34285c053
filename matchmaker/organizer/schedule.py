"""Organizer pages for the meeting schedule: the grid, auto-scheduling (a background job with
progress), moving and cancelling meetings, table sheets to print, CSV and calendar exports,
and the mail outbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from .. import bookings, calendar, invites, jobs, mail
from ..choices import JobStatus, MeetingStatus
from ..exports import calendar_response, csv_response
from ..extensions import db
from ..models import Event, Job, Meeting, NetworkingSession
from ..scheduling import UNSCHEDULED_REASONS, Slot
from ..templating import format_local
from . import bp, own_event
from .forms import ONLINE, ConfirmForm, MoveForm


@dataclass
class GridRow:
    slot: Slot
    at_table: dict[str, Meeting]
    online: list[Meeting]


@dataclass
class GridSession:
    session: NetworkingSession
    rows: list[GridRow] = field(default_factory=list)


@dataclass
class Grid:
    sessions: list[GridSession]
    outside: list[Meeting]  # meetings that no longer sit on one of the event's slots
    meetings: int
    attendees: int


def _meetings_with_people(event: Event) -> list[Meeting]:
    """Active meetings with both attendees loaded, in a fixed number of queries."""
    return bookings.event_meetings(event, with_people=True)


def _grid(event: Event) -> Grid:
    slots = bookings.event_slots(event)
    meetings = _meetings_with_people(event)
    by_start: dict = {}
    for meeting in meetings:
        by_start.setdefault(meeting.starts_at, []).append(meeting)
    sessions = [GridSession(session) for session in event.sessions]
    placed: set[int] = set()
    for slot in slots:
        here = by_start.get(slot.start, [])
        row = GridRow(
            slot=slot,
            at_table={m.table_name: m for m in here if m.table_name},
            online=[m for m in here if not m.table_name],
        )
        placed.update(m.id for m in here)
        sessions[slot.session_index].rows.append(row)
    people = {m.low_id for m in meetings} | {m.high_id for m in meetings}
    return Grid(
        sessions=[s for s in sessions if s.rows],
        outside=[m for m in meetings if m.id not in placed],
        meetings=len(meetings),
        attendees=len(people),
    )


def _own_meeting(event: Event, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.event_id != event.id:
        abort(404)
    return meeting


def _slot_label(event: Event, slot: Slot) -> str:
    start = format_local(slot.start, event.timezone, "%a %d %b, %H:%M")
    return f"{start}–{format_local(slot.end, event.timezone, '%H:%M')}"


def _move_form(event: Event, meeting: Meeting, slots: list[Slot]) -> MoveForm:
    form = MoveForm()
    form.slot.choices = [(slot.index, _slot_label(event, slot)) for slot in slots]
    form.table.choices = [(name, name) for name in event.table_names] + [(ONLINE, "Online")]
    if request.method == "GET":
        form.slot.data = next((s.index for s in slots if s.start == meeting.starts_at), None)
        form.table.data = meeting.table_name or ONLINE
    return form


def _scheduling_run(event: Event) -> Job | None:
    """The event's latest auto-schedule job, marked as failed if it is stale."""
    run = bookings.latest_run(event.id)
    if run is not None and jobs.fail_if_stale(run):
        db.session.commit()
    return run


@bp.route("/events/<int:event_id>/schedule")
def schedule(event_id: int):
    event = own_event(event_id)
    run = _scheduling_run(event)
    return render_template(
        "organizer/schedule.html",
        event=event,
        grid=_grid(event),
        outbox=mail.outbox_summary(db.session, event.id),
        mail_configured=mail.is_configured(current_app.config),
        form=ConfirmForm(),
        run=run,
        run_summary=_run_summary(run) if run and run.status == JobStatus.DONE else "",
    )


@bp.route("/events/<int:event_id>/schedule/auto", methods=["POST"])
def auto_schedule(event_id: int):
    event = own_event(event_id)
    back = redirect(url_for("organizer.schedule", event_id=event.id))
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
        return back
    if not bookings.event_slots(event):
        flash(
            "This event has no networking sessions yet, so there are no slots to fill.", "warning"
        )
        return back
    run = bookings.start_auto_schedule(event)
    if run.status == JobStatus.DONE:
        flash(_run_summary(run), "success" if run.figures.get("meetings") else "info")
    elif run.status == JobStatus.FAILED:
        flash(run.message, "danger")
    return back


@bp.route("/events/<int:event_id>/schedule/status")
def schedule_status(event_id: int):
    event = own_event(event_id)
    run = _scheduling_run(event)
    if run is None:
        return jsonify(status="none")
    return jsonify(status=run.status, progress=run.progress, message=run.message)


def _run_summary(run: Job) -> str:
    """What a finished auto-schedule job did, in a sentence or three."""
    figures = run.figures
    count = figures.get("meetings", 0)
    message = (
        f"Booked {count} new meeting{'s' if count != 1 else ''}. "
        f"{figures.get('attendees_covered', 0)} of the {figures.get('attendees_coverable', 0)} "
        "attendees who could meet someone now have at least one meeting."
    )
    left = [
        f"{UNSCHEDULED_REASONS.get(reason, reason).lower()} ({_pairs(count)})"
        for reason, count in sorted((figures.get("unscheduled") or {}).items())
        if reason != "already_booked"
    ]
    if left:
        message += " Not scheduled: " + "; ".join(left) + "."
    return message


def _pairs(count: int) -> str:
    return f"{count} pair" if count == 1 else f"{count} pairs"


@bp.route("/events/<int:event_id>/schedule/meetings/<int:meeting_id>")
def schedule_meeting(event_id: int, meeting_id: int):
    event = own_event(event_id)
    meeting = _own_meeting(event, meeting_id)
    slots = bookings.event_slots(event)
    return render_template(
        "organizer/schedule_meeting.html",
        event=event,
        meeting=meeting,
        form=_move_form(event, meeting, slots),
        cancel_form=ConfirmForm(),
    )


@bp.route("/events/<int:event_id>/schedule/meetings/<int:meeting_id>/move", methods=["POST"])
def move_meeting(event_id: int, meeting_id: int):
    event = own_event(event_id)
    meeting = _own_meeting(event, meeting_id)
    slots = bookings.event_slots(event)
    form = _move_form(event, meeting, slots)
    here = url_for("organizer.schedule_meeting", event_id=event.id, meeting_id=meeting.id)
    if not form.validate_on_submit():
        flash("Choose a time and a place from the lists.", "warning")
        return redirect(here)
    slot = slots[form.slot.data]
    table = form.table.data or None
    if slot.start == meeting.starts_at and table == meeting.table_name:
        flash("The meeting is already there; nothing changed.", "info")
        return redirect(here)
    try:
        bookings.move_meeting(meeting, slot.start, table)
    except bookings.BookingError as error:
        db.session.rollback()
        flash(f"The meeting was not moved: {error}", "danger")
        return redirect(here)
    db.session.commit()
    mail.send_in_background(current_app._get_current_object())
    flash(
        f"Moved {meeting.low.name} and {meeting.high.name} to {_slot_label(event, slot)}, "
        f"{table or 'online'}. " + _emailed("Both get an updated invitation by email."),
        "success",
    )
    return redirect(url_for("organizer.schedule", event_id=event.id))


@bp.route("/events/<int:event_id>/schedule/meetings/<int:meeting_id>/cancel", methods=["POST"])
def cancel_meeting(event_id: int, meeting_id: int):
    event = own_event(event_id)
    meeting = _own_meeting(event, meeting_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
        return redirect(
            url_for("organizer.schedule_meeting", event_id=event.id, meeting_id=meeting.id)
        )
    if meeting.status != MeetingStatus.CANCELLED:
        bookings.cancel_meeting(meeting, by=current_user.name or "the organizer")
        db.session.commit()
        mail.send_in_background(current_app._get_current_object())
    flash(
        f"The meeting of {meeting.low.name} and {meeting.high.name} is cancelled and the "
        "table is free again. " + _emailed("Both are told by email."),
        "success",
    )
    return redirect(url_for("organizer.schedule", event_id=event.id))


def _emailed(sentence: str) -> str:
    """``sentence`` about the email a change sends, unless mail cannot go out at all."""
    if mail.is_configured(current_app.config):
        return sentence
    return "Mail is not configured, so nobody is emailed; the message waits in the outbox."


def _table_sheets(event: Event, tables: list[str]) -> list[tuple[str, list[tuple[Slot, Meeting]]]]:
    slots = bookings.event_slots(event)
    meetings = _meetings_with_people(event)
    at = {(m.table_name, m.starts_at): m for m in meetings if m.table_name}
    return [(name, [(slot, at.get((name, slot.start))) for slot in slots]) for name in tables]


def _table_named(event: Event, table: str) -> str:
    """A table by its name, or by its number in the event's list (1 is the first)."""
    if table in event.table_names:
        return table
    if table.isdigit() and 1 <= int(table) <= len(event.table_names):
        return event.table_names[int(table) - 1]
    abort(404)


@bp.route("/events/<int:event_id>/schedule/print")
def print_tables(event_id: int):
    event = own_event(event_id)
    return render_template(
        "organizer/schedule_print.html",
        event=event,
        sheets=_table_sheets(event, list(event.table_names)),
    )


@bp.route("/events/<int:event_id>/schedule/tables/<path:table>/print")
def print_table(event_id: int, table: str):
    event = own_event(event_id)
    name = _table_named(event, table)
    return render_template(
        "organizer/schedule_print.html", event=event, sheets=_table_sheets(event, [name])
    )


@bp.route("/events/<int:event_id>/schedule/meetings.csv")
def schedule_csv(event_id: int):
    event = own_event(event_id)
    zone = event.timezone
    header = [f"Start ({zone})", f"End ({zone})", "Table", "Video link"]
    for side in ("A", "B"):
        header += [f"Attendee {side} name", f"Attendee {side} email", f"Attendee {side} org"]
    rows = []
    for m in _meetings_with_people(event):
        row = [
            format_local(m.starts_at, zone, "%Y-%m-%d %H:%M"),
            format_local(m.ends_at, zone, "%Y-%m-%d %H:%M"),
            m.table_name or "Online",
            m.virtual_url or "",
        ]
        for person in (m.low, m.high):
            row += [person.name, person.email, person.organization]
        rows.append(row)
    return csv_response(f"{event.slug}-meetings.csv", header, rows)


@bp.route("/events/<int:event_id>/schedule/calendar.ics")
def schedule_ics(event_id: int):
    event = own_event(event_id)
    body = calendar.event_ics(
        [invites.calendar_meeting(m, None) for m in _meetings_with_people(event)],
        name=f"{event.name}: all meetings",
    )
    return calendar_response(body, f"{event.slug}-meetings.ics")


@bp.route("/events/<int:event_id>/schedule/mail/retry", methods=["POST"])
def retry_mail(event_id: int):
    event = own_event(event_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
    else:
        count = mail.retry_failed(db.session, event_id=event.id)
        db.session.commit()
        mail.send_in_background(current_app._get_current_object())
        flash(
            f"{count} failed email{'s' if count != 1 else ''} will be sent again."
            if count
            else "There were no failed emails to send again.",
            "success" if count else "info",
        )
    return redirect(url_for("organizer.schedule", event_id=event.id) + "#mail")
