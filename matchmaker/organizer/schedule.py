"""Organizer pages for the meeting schedule: the grid, auto-scheduling (a background job with
progress), moving and cancelling meetings, table sheets to print, CSV and calendar exports,
and the mail outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import bookings, calendar, invites, jobs, mail, schedule_grid
from ..choices import JobStatus, MeetingStatus
from ..exports import calendar_response, csv_response
from ..extensions import db
from ..models import Event, Job, Meeting, utcnow
from ..scheduling import UNSCHEDULED_REASONS, Slot
from ..templating import format_local
from . import bp, own_event
from .forms import ONLINE, ConfirmForm, MoveForm
from .jobs import job_status


def _meetings_with_people(event: Event) -> list[Meeting]:
    """Active meetings with both attendees loaded, in a fixed number of queries."""
    return bookings.event_meetings(event, with_people=True)


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


def _grid_url(event: Event, page: int | None, window: int | None, windows: int) -> str:
    """The address of a page of the grid; the table window only for venues that have more."""
    return url_for(
        "organizer.schedule", event_id=event.id, page=page, tables=window if windows > 1 else None
    )


def _where_shown(
    event: Event, grid: schedule_grid.Grid, found: schedule_grid.SearchResult
) -> dict[int, str]:
    """For each meeting found, the address of the grid page (or online list) that shows it."""
    slot_of = {slot.start: slot for page in grid.pages for slot in page.slots}
    links = {}
    for entry in found.people + found.tables:
        for meeting in entry.meetings:
            place = schedule_grid.place_of(meeting, grid.pages, grid.windows)
            if place is not None:
                page, window = place
                links[meeting.id] = (
                    _grid_url(event, page, window, len(grid.windows)) + f"#meeting-{meeting.id}"
                )
            elif meeting.table_name is None and meeting.starts_at in slot_of:
                links[meeting.id] = url_for(
                    "organizer.schedule_online",
                    event_id=event.id,
                    slot=slot_of[meeting.starts_at].index,
                    page=found.online_pages.get(meeting.id, 1),
                    _anchor=f"meeting-{meeting.id}",
                )
    return links


@bp.route("/events/<int:event_id>/schedule")
def schedule(event_id: int):
    event = own_event(event_id)
    run = _scheduling_run(event)
    try:
        grid = schedule_grid.grid(
            event,
            page=request.args.get("page", type=int),
            window=request.args.get("tables", type=int),
            now=datetime.now(UTC),
        )
    except LookupError:
        # A page that no longer exists (the sessions or tables changed): the current one.
        return redirect(url_for("organizer.schedule", event_id=event.id))
    text = request.args.get("q", "").strip()[:200]
    found = schedule_grid.search(event, text) if text else None
    return render_template(
        "organizer/schedule.html",
        event=event,
        grid=grid,
        page_links={
            p.number: _grid_url(event, p.number, grid.window.number, len(grid.windows))
            for p in grid.pages
        },
        window_links={
            w.number: _grid_url(
                event, grid.page.number if grid.page else None, w.number, len(grid.windows)
            )
            for w in grid.windows
        },
        found=found,
        where_shown=_where_shown(event, grid, found) if found else {},
        outbox=mail.outbox_summary(db.session, event.id),
        mail_configured=mail.is_configured(current_app.config),
        form=ConfirmForm(),
        run=run,
        run_summary=_run_summary(run, event) if run and run.status == JobStatus.DONE else "",
    )


@bp.route("/events/<int:event_id>/schedule/online")
def schedule_online(event_id: int):
    """All online meetings of one slot, a page at a time: the grid's Online cell names a few."""
    event = own_event(event_id)
    slots = bookings.event_slots(event)
    index = request.args.get("slot", type=int)
    if index is None or not 0 <= index < len(slots):
        abort(404)
    try:
        listed = schedule_grid.online_list(event, slots[index], request.args.get("page", 1, int))
    except LookupError:
        abort(404)
    windows = schedule_grid.table_windows(event.table_names)
    pages = schedule_grid.grid_pages(event.sessions, slots, len(windows[0].names))
    page = next(p.number for p in pages if slots[index] in p.slots)
    return render_template(
        "organizer/schedule_online.html",
        event=event,
        listed=listed,
        slot_label=_slot_label(event, slots[index]),
        earlier=slots[index - 1] if index > 0 else None,
        later=slots[index + 1] if index + 1 < len(slots) else None,
        grid_link=_grid_url(event, page, None, 1) + f"#slot-{index}",
        per_page=schedule_grid.ONLINE_PER_PAGE,
    )


@bp.route("/events/<int:event_id>/schedule/auto", methods=["POST"])
def auto_schedule(event_id: int):
    event = own_event(event_id)
    back = redirect(url_for("organizer.schedule", event_id=event.id))
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
        return back
    slots = bookings.event_slots(event)
    if not slots:
        flash(
            "This event has no networking sessions yet, so there are no slots to fill.", "warning"
        )
        return back
    if all(slot.start <= utcnow() for slot in slots):
        flash(
            "Every networking slot of this event has started or is over, so no meeting can be "
            "booked any more. Add a later session to schedule more meetings.",
            "warning",
        )
        return back
    run = bookings.start_auto_schedule(event)
    if run.status == JobStatus.DONE:
        flash(_run_summary(run, event), "success" if run.figures.get("meetings") else "info")
    elif run.status == JobStatus.FAILED:
        flash(run.message, "danger")
    return back


@bp.route("/events/<int:event_id>/schedule/status")
def schedule_status(event_id: int):
    event = own_event(event_id)
    return job_status(_scheduling_run(event))


def _run_summary(run: Job, event: Event) -> str:
    """What a finished auto-schedule job did, in a sentence or three."""
    figures = run.figures
    count = figures.get("meetings", 0)
    message = (
        f"Booked {count} new meeting{'s' if count != 1 else ''}. "
        f"{figures.get('attendees_covered', 0)} of the {figures.get('attendees_coverable', 0)} "
        "attendees who could meet someone now have at least one meeting."
    )
    left = [
        f"{_pairs(count)}: {UNSCHEDULED_REASONS.get(reason, reason).lower()}"
        + _limit_figure(reason, event)
        for reason, count in sorted((figures.get("unscheduled") or {}).items())
        if reason != "already_booked"
    ]
    if left:
        message += " Not scheduled: " + "; ".join(left) + "."
    return message


def _limit_figure(reason: str, event: Event) -> str:
    """The limit an "at the limit" reason refers to, in brackets."""
    if reason == "meeting_limit":
        return f" ({event.max_meetings_per_attendee})"
    if reason == "assignment_limit":
        assigned = max(event.max_meetings_per_attendee - event.auto_schedule_reserve, 0)
        return f" ({assigned}, with {event.auto_schedule_reserve} kept free for mutual yeses)"
    return ""


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
    # Cancelled meetings stay in, as STATUS:CANCELLED, so that importing the file again
    # takes them out of a calendar that has the earlier download.
    meetings = bookings.event_meetings(event, include_cancelled=True, with_people=True)
    body = calendar.event_ics(
        [invites.calendar_meeting(m, None) for m in meetings], name=f"{event.name}: all meetings"
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
