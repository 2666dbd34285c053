"""The organizer's pages: events, attendee imports, attendee links."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError

from .. import attendees as attendee_service
from .. import importing
from .. import suggestions as matches
from ..downloads import csv_response
from ..events import (
    EventRuleError,
    EventTimes,
    SessionWindow,
    check_event_times,
    check_virtual_link_template,
    local_to_utc,
    parse_tables,
    slugify,
    tables_to_text,
)
from ..extensions import db
from ..models import Attendee, Event, ImportUpload, Meeting, NetworkingSession, utcnow
from .forms import ConfirmForm, ConfirmImportForm, EventForm, UploadForm

bp = Blueprint("organizer", __name__, url_prefix="/organizer")
UPLOAD_LIFETIME = timedelta(days=1)


@bp.before_request
@login_required
def require_login() -> None:
    """Every organizer page needs a signed-in organizer."""


def own_event(event_id: int) -> Event:
    """The event if it belongs to the signed-in organizer; 404 otherwise, so ids leak nothing."""
    event = db.session.get(Event, event_id)
    if event is None or event.organizer_id != current_user.id:
        abort(404)
    return event


def own_attendee(event: Event, attendee_id: int) -> Attendee:
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.event_id != event.id:
        abort(404)
    return attendee


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


def _unique_slug(wanted: str, event: Event | None) -> str:
    slug, n = wanted, 2
    while True:
        clash = db.session.scalar(db.select(Event.id).where(Event.slug == slug))
        if clash is None or (event is not None and clash == event.id):
            return slug
        slug, n = f"{wanted}-{n}", n + 1


def _apply_event_form(form: EventForm, event: Event | None) -> Event | None:
    """Validate the cross-field rules and write the event; returns None with form errors set."""
    zone = form.timezone.data
    try:
        times = _form_to_times(form, zone)
        check_event_times(times, form.meeting_minutes.data)
        tables = parse_tables(form.tables.data)
        check_virtual_link_template(form.virtual_link_template.data or "")
        if event is not None:
            _check_booked_meetings_stay(event, form, times, tables)
    except EventRuleError as error:
        target = getattr(form, error.field, None)
        (target.errors if target is not None else form.form_errors).append(error.message)
        return None
    if form.slug.data:
        clash = db.session.scalar(db.select(Event.id).where(Event.slug == form.slug.data))
        if clash is not None and (event is None or clash != event.id):
            form.slug.errors.append("Another event already uses this web address.")
            return None
    slug = form.slug.data or _unique_slug(slugify(form.name.data), event)
    if event is None:
        event = Event(organizer_id=current_user.id)
        db.session.add(event)
    event.slug = slug
    event.name = form.name.data.strip()
    event.description = (form.description.data or "").strip()
    event.timezone = zone
    event.venue = (form.venue.data or "").strip()
    event.starts_at, event.ends_at = times.starts_at, times.ends_at
    event.meeting_minutes = form.meeting_minutes.data
    event.buffer_minutes = form.buffer_minutes.data or 0
    event.table_names = tables
    event.virtual_link_template = (form.virtual_link_template.data or "").strip()
    event.max_meetings_per_attendee = form.max_meetings_per_attendee.data
    event.registration_open = form.registration_open.data
    _sync_sessions(event, times.sessions)
    try:
        db.session.commit()
    except IntegrityError:  # another event took this web address a moment ago
        db.session.rollback()
        form.slug.errors.append("Another event already uses this web address.")
        return None
    return event


def _check_booked_meetings_stay(
    event: Event, form: EventForm, times: EventTimes, tables: list[str]
) -> None:
    """Booked meetings sit on the slot grid: refuse edits that would pull it from under them."""
    meetings = db.session.scalars(
        db.select(Meeting).where(Meeting.event_id == event.id, Meeting.status == "confirmed")
    ).all()
    if not meetings:
        return
    count = len(meetings)
    advice = f"{count} meeting{'s are' if count != 1 else ' is'} booked; cancel or move them first."
    if (
        form.meeting_minutes.data != event.meeting_minutes
        or (form.buffer_minutes.data or 0) != event.buffer_minutes
    ):
        raise EventRuleError("meeting_minutes", f"Meeting times would change. {advice}")
    windows = {w.id: w for w in times.sessions if w.id is not None}
    for session in event.sessions:
        used = any(session.starts_at <= m.starts_at < session.ends_at for m in meetings)
        window = windows.get(session.id)
        if used and (
            window is None
            or (window.starts_at, window.ends_at) != (session.starts_at, session.ends_at)
        ):
            raise EventRuleError("sessions", f"“{session.label()}” has meetings booked. {advice}")
    missing = {m.table_name for m in meetings if m.table_name and m.table_name not in tables}
    if missing:
        raise EventRuleError(
            "tables", f"{', '.join(sorted(missing))} has meetings booked. {advice}"
        )


def _sync_sessions(event: Event, windows: list[SessionWindow]) -> None:
    """Edit sessions by id, because attendees' availability refers to session ids.

    A removed session is also removed from everyone's availability.
    """
    existing = {session.id: session for session in event.sessions}
    kept: list[NetworkingSession] = []
    for window in sorted(windows, key=lambda w: w.starts_at):
        session = existing.pop(window.id, None) if window.id is not None else None
        session = session or NetworkingSession()
        session.name, session.starts_at, session.ends_at = (
            window.name,
            window.starts_at,
            window.ends_at,
        )
        kept.append(session)
    event.sessions = kept
    removed = set(existing)
    if removed:
        people = db.session.scalars(
            db.select(Attendee).where(
                Attendee.event_id == event.id, Attendee.available_session_ids.is_not(None)
            )
        )
        for person in people:
            ids = person.available_session_ids or []
            if removed & set(ids):
                person.available_session_ids = [i for i in ids if i not in removed]


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
        event = _apply_event_form(form, None)
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
        if _apply_event_form(form, event) is not None:
            flash("Event saved.", "success")
            return redirect(url_for("organizer.event", event_id=event.id))
    _pad_sessions(form)
    return render_template("organizer/event_form.html", form=form, event=event)


@bp.route("/events/<int:event_id>")
def event(event_id: int):
    event = own_event(event_id)
    stats = attendee_service.event_stats(event)
    return render_template("organizer/event.html", event=event, stats=stats)


@bp.route("/events/<int:event_id>/attendees")
def attendees(event_id: int):
    event = own_event(event_id)
    query = (request.args.get("q") or "").strip()
    statement = event.attendees_select()
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(
            func.lower(Attendee.name).like(like)
            | func.lower(Attendee.email).like(like)
            | func.lower(Attendee.organization).like(like)
        )
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    page = db.paginate(statement, page=number, per_page=50, error_out=False)
    return render_template(
        "organizer/attendees.html", event=event, page=page, query=query, form=ConfirmForm()
    )


@bp.route("/events/<int:event_id>/attendees/<int:attendee_id>")
def attendee(event_id: int, attendee_id: int):
    event = own_event(event_id)
    person = own_attendee(event, attendee_id)
    return render_template(
        "organizer/attendee.html", event=event, person=person, form=ConfirmForm()
    )


@bp.route("/events/<int:event_id>/attendees/<int:attendee_id>/revoke", methods=["POST"])
def revoke_link(event_id: int, attendee_id: int):
    event = own_event(event_id)
    person = own_attendee(event, attendee_id)
    if ConfirmForm().validate_on_submit():
        person.revoke_access()
        db.session.commit()
        flash(f"{person.name}'s old link no longer works. A new one is ready.", "success")
    return redirect(url_for("organizer.attendee", event_id=event.id, attendee_id=person.id))


@bp.route("/events/<int:event_id>/links.csv")
def links_csv(event_id: int):
    event = own_event(event_id)
    rows = db.session.execute(
        db.select(Attendee.name, Attendee.email, Attendee.organization, Attendee.access_token)
        .where(Attendee.event_id == event.id)
        .order_by(Attendee.name)
    ).all()
    header = ["name", "email", "organization", "private_link"]
    body = (
        [name, email, org, url_for("attendee.profile", token=token, _external=True)]
        for name, email, org, token in rows
    )
    return csv_response(f"{event.slug}-attendee-links.csv", header, body)


@bp.route("/attendee-template.csv")
def import_template():
    return Response(
        importing.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=matchmaker-attendees-template.csv"},
    )


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
def import_upload(event_id: int):
    event = own_event(event_id)
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        filename = form.file.data.filename or "upload.csv"
        try:
            table = importing.read_table(data, filename)
        except importing.ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            upload = ImportUpload(
                event_id=event.id, organizer_id=current_user.id, filename=filename, data=data
            )
            # Previews nobody finished within a day are dropped, so uploads do not pile up.
            db.session.execute(
                delete(ImportUpload).where(ImportUpload.created_at < utcnow() - UPLOAD_LIFETIME)
            )
            db.session.add(upload)
            db.session.commit()
            del table
            return redirect(
                url_for("organizer.import_preview", event_id=event.id, upload_id=upload.id)
            )
    return render_template("organizer/import_upload.html", event=event, form=form)


def _own_upload(event: Event, upload_id: int) -> ImportUpload:
    upload = db.session.get(ImportUpload, upload_id)
    if upload is None or upload.event_id != event.id:
        abort(404)
    return upload


def _mapping_from_request(headers: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for key in importing.FIELDS:
        raw = request.form.get(f"map-{key}", "")
        if raw.isdecimal() and len(raw) < 6 and int(raw) < len(headers):
            mapping[key] = int(raw)
    return mapping


@bp.route("/events/<int:event_id>/import/<int:upload_id>", methods=["GET", "POST"])
def import_preview(event_id: int, upload_id: int):
    event = own_event(event_id)
    upload = _own_upload(event, upload_id)
    try:
        table = importing.read_table(upload.data, upload.filename)
    except importing.ImportFileError as error:
        flash(str(error), "danger")
        return redirect(url_for("organizer.import_upload", event_id=event.id))
    form = ConfirmImportForm()
    mapping = importing.detect_mapping(table.headers, table.rows)
    if request.method == "POST":
        mapping = _mapping_from_request(table.headers)
    mapping_error = None
    report = None
    try:
        report = importing.validate_rows(table, mapping)
    except importing.MappingError as error:
        mapping_error = str(error)
    if (
        report is not None
        and form.validate_on_submit()
        and request.form.get("action") == "import"
        and (not report.errors or form.valid_rows_only.data)
    ):
        result = attendee_service.import_records(event, report.records)
        db.session.delete(upload)
        db.session.commit()
        skipped = len(report.errors and {e.row for e in report.errors})
        message = f"Imported {result.created:,} new and updated {result.updated:,} attendees."
        if skipped:
            message += f" Skipped {skipped:,} rows with errors."
        message += _suggestions_note(event)
        flash(message, "success")
        return redirect(url_for("organizer.attendees", event_id=event.id))
    if report is not None and request.form.get("action") == "import" and report.errors:
        flash(
            "Nothing was imported: fix the rows below, or tick “Import the valid rows only”.",
            "warning",
        )
    return render_template(
        "organizer/import_preview.html",
        event=event,
        upload=upload,
        table=table,
        mapping=mapping,
        fields=importing.FIELDS,
        report=report,
        mapping_error=mapping_error,
        form=form,
        preview_rows=list(zip(table.row_numbers[:10], table.rows[:10], strict=False)),
    )


def _suggestions_note(event: Event) -> str:
    """Refresh suggestions after an import (once matching has run) and say what happened."""
    if not matches.event_has_matches(event.id):
        return ""
    changed = matches.refresh_and_commit(event)
    run = matches.latest_run(event.id)
    if run is not None and run.status in ("queued", "running"):
        return " Suggestions for everyone are being brought up to date; see Matching."
    if changed is None:
        return " Suggestions could not be brought up to date just now; run matching again."
    return " Suggestions are up to date, the new attendees' included."


from . import matching_views  # noqa: E402, F401 - registers the matching pages on bp

from . import schedule_views  # noqa: E402, F401  # isort: skip - registers the schedule pages
