"""The organizer's event pages: the list, create, edit, and one event's overview."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func

from .. import attendees as attendee_service
from .. import event_setup, feedback
from ..event_setup import EventDetails, save_event
from ..events import EventRuleError, EventTimes, SessionWindow, local_to_utc, tables_to_text
from ..extensions import db
from ..models import Attendee, Event
from . import bp, own_event
from .forms import DeleteEventForm, EventForm


@bp.route("/")
def index():
    counts = dict(
        db.session.execute(
            db.select(Attendee.event_id, func.count())
            .join(Event)
            .where(Event.organizer_id == current_user.id)
            .group_by(Attendee.event_id)
        ).all()
    )
    events = db.session.scalars(
        db.select(Event)
        .where(Event.organizer_id == current_user.id)
        .order_by(Event.starts_at.desc())
    ).all()
    return render_template("organizer/index.html", events=events, counts=counts)


def _form_to_times(form: EventForm, zone: str) -> EventTimes:
    """Turn the form's wall-clock values into UTC instants, with errors on the right field."""
    try:
        starts_at = local_to_utc(form.start.data.date(), form.start.data.time(), zone)
    except ValueError as error:
        raise EventRuleError("start", str(error)) from error
    try:
        ends_at = local_to_utc(form.end.data.date(), form.end.data.time(), zone)
    except ValueError as error:
        raise EventRuleError("end", str(error)) from error
    sessions: list[SessionWindow] = []
    for number, entry in enumerate(form.sessions.entries, start=1):
        row = entry.form
        if row.is_blank():
            continue
        if not (row.day.data and row.start.data and row.end.data):
            raise EventRuleError("sessions", f"Session {number} needs a date, a start and an end.")
        raw_id = row.session_id.data or ""
        try:
            sessions.append(
                SessionWindow(
                    name=(row.name.data or "").strip(),
                    starts_at=local_to_utc(row.day.data, row.start.data, zone),
                    ends_at=local_to_utc(row.day.data, row.end.data, zone),
                    id=int(raw_id) if raw_id.isdecimal() and len(raw_id) < 10 else None,
                )
            )
        except ValueError as error:
            raise EventRuleError("sessions", f"Session {number}: {error}") from error
    return EventTimes(starts_at=starts_at, ends_at=ends_at, sessions=sessions)



def _event_details(form: EventForm) -> EventDetails:
    """The form as plain data for :func:`save_event`; wall-clock times become UTC."""
    return EventDetails(
        name=form.name.data,
        slug=form.slug.data or "",
        description=form.description.data or "",
        timezone=form.timezone.data,
        venue=form.venue.data or "",
        times=_form_to_times(form, form.timezone.data),
        meeting_minutes=form.meeting_minutes.data,
        buffer_minutes=form.buffer_minutes.data or 0,
        tables_text=form.tables.data or "",
        virtual_link_template=form.virtual_link_template.data or "",
        max_meetings_per_attendee=form.max_meetings_per_attendee.data,
        registration_open=form.registration_open.data,
        scheduling_mode=form.scheduling_mode.data,
        auto_schedule_reserve=form.auto_schedule_reserve.data,
    )


def _save_form(form: EventForm, event: Event | None) -> Event | None:
    """Save the event, or put the broken rule on its field and return None."""
    try:
        return save_event(_event_details(form), current_user.id, event)
    except EventRuleError as error:
        target = getattr(form, error.field, None)
        (target.errors if target is not None else form.form_errors).append(error.message)
        return None


def _fill_form_from_event(form: EventForm, event: Event) -> None:
    form.name.data = event.name
    form.slug.data = event.slug
    form.description.data = event.description
    form.timezone.data = event.timezone
    form.venue.data = event.venue
    form.start.data = event.local(event.starts_at).replace(tzinfo=None)
    form.end.data = event.local(event.ends_at).replace(tzinfo=None)
    form.meeting_minutes.data = event.meeting_minutes
    form.buffer_minutes.data = event.buffer_minutes
    form.tables.data = tables_to_text(event.table_names)
    form.virtual_link_template.data = event.virtual_link_template
    form.max_meetings_per_attendee.data = event.max_meetings_per_attendee
    form.registration_open.data = event.registration_open
    form.scheduling_mode.data = event.scheduling_mode
    form.auto_schedule_reserve.data = event.auto_schedule_reserve
    while form.sessions.entries:
        form.sessions.pop_entry()
    for session in event.sessions:
        start, end = event.local(session.starts_at), event.local(session.ends_at)
        form.sessions.append_entry(
            {
                "session_id": str(session.id),
                "name": session.name,
                "day": start.date(),
                "start": start.time(),
                "end": end.time(),
            }
        )


def _pad_sessions(form: EventForm, blank_rows: int = 2) -> None:
    """Offer empty rows so that sessions can be added without JavaScript."""
    entries = form.sessions.entries
    blanks = sum(1 for entry in entries if entry.form.is_blank())
    while (blanks < blank_rows or len(entries) < 3) and len(entries) < form.sessions.max_entries:
        form.sessions.append_entry()
        blanks += 1


@bp.route("/events/new", methods=["GET", "POST"])
def create_event():
    form = EventForm()
    if request.method == "GET":
        form.timezone.data = "Europe/Helsinki"
    if form.validate_on_submit():
        event = _save_form(form, None)
        if event is not None:
            flash(f"“{event.name}” is created. Next: import your attendee list.", "success")
            return redirect(url_for("organizer.event", event_id=event.id))
    _pad_sessions(form)
    return render_template("organizer/event_form.html", form=form, event=None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    event = own_event(event_id)
    form = EventForm()
    if request.method == "GET":
        _fill_form_from_event(form, event)
    elif form.validate_on_submit():
        if _save_form(form, event) is not None:
            flash("Event saved.", "success")
            return redirect(url_for("organizer.event", event_id=event.id))
    _pad_sessions(form)
    return render_template("organizer/event_form.html", form=form, event=event)


@bp.route("/events/<int:event_id>")
def event(event_id: int):
    event = own_event(event_id)
    stats = attendee_service.event_stats(event)
    return render_template(
        "organizer/event.html",
        event=event,
        stats=stats,
        after=feedback.event_summary(event),
        no_shows=feedback.no_shows_at(event),
        no_show_rule=feedback.NO_SHOW_REPORTERS,
    )


@bp.route("/events/<int:event_id>/delete", methods=["GET", "POST"])
def delete_event(event_id: int):
    event = own_event(event_id)
    form = DeleteEventForm(event_name=event.name)
    if form.validate_on_submit():
        name = event.name
        try:
            event_setup.delete_event(event)
        except event_setup.EventBusy as error:
            form.form_errors.append(str(error))
        else:
            flash(f"“{name}” is deleted, with its attendees, meetings and emails.", "success")
            return redirect(url_for("organizer.index"))
    return render_template(
        "organizer/event_delete.html",
        event=event,
        form=form,
        contents=event_setup.event_contents(event),
    )
