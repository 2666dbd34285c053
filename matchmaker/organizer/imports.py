"""Importing attendee lists: upload, map the columns, preview the rows, import.

A big file is imported by a background job (see :mod:`matchmaker.uploads`); its progress
page polls :func:`import_status` like the matching page does.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import delete

from .. import importing, jobs, uploads
from ..choices import ACTIVE_JOB_STATUSES, JobStatus
from ..config import upload_limit_text
from ..extensions import db
from ..models import Event, ImportUpload, utcnow
from ..uploads import ImportOutcome, SuggestionsAfterImport
from . import bp, own_event
from .forms import ConfirmForm, ConfirmImportForm, UploadForm
from .jobs import job_status

UPLOAD_LIFETIME = timedelta(days=1)


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
            importing.read_table(data, filename)
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
            return redirect(
                url_for("organizer.import_preview", event_id=event.id, upload_id=upload.id)
            )
    running = uploads.latest_import(event.id)
    if running is not None and (
        running.status not in ACTIVE_JOB_STATUSES or jobs.is_stale(running)
    ):
        running = None
    return render_template(
        "organizer/import_upload.html",
        event=event,
        form=form,
        running_import=running,
        upload_limit=upload_limit_text(current_app.config.get("MAX_CONTENT_LENGTH")),
    )


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
    mapping = importing.detect_mapping(table.headers, table.sample)
    if request.method == "POST":
        mapping = _mapping_from_request(table.headers)
    wants_import = form.validate_on_submit() and request.form.get("action") == "import"
    if wants_import and table.row_count > uploads.BACKGROUND_ROWS:
        try:
            importing.check_mapping(table.headers, mapping)
        except importing.MappingError:
            pass  # the preview below says what is missing
        else:
            return _start_background_import(event, upload, mapping, form.valid_rows_only.data)
    mapping_error = None
    report = None
    try:
        report = importing.validate_rows(table, mapping)
    except importing.MappingError as error:
        mapping_error = str(error)
    except importing.ImportFileError as error:
        flash(str(error), "danger")
        return redirect(url_for("organizer.import_upload", event_id=event.id))
    if report is not None and wants_import and (not report.errors or form.valid_rows_only.data):
        outcome = uploads.finish_import(event, upload, report)
        flash(import_message(outcome), "success")
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
        preview_rows=table.first_rows[:10],
        background_rows=uploads.BACKGROUND_ROWS,
    )


def _start_background_import(
    event: Event, upload: ImportUpload, mapping: dict[str, int], valid_rows_only: bool
) -> Response:
    job = uploads.start_import(event, upload, mapping, valid_rows_only)
    if job.params.get("upload_id") != upload.id:
        flash(
            f"Another import ({job.params.get('filename', 'a file')}) is under way for this "
            "event. Import this file when it has finished; its preview stays open for a day.",
            "warning",
        )
    return redirect(url_for("organizer.import_progress", event_id=event.id))


@bp.route("/events/<int:event_id>/import/progress")
def import_progress(event_id: int):
    event = own_event(event_id)
    job = uploads.latest_import(event.id)
    if job is None:
        return redirect(url_for("organizer.import_upload", event_id=event.id))
    if jobs.fail_if_stale(job):
        db.session.commit()
    upload_left = None
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        upload_left = db.session.get(ImportUpload, job.params.get("upload_id", 0))
        if upload_left is not None and upload_left.event_id != event.id:
            upload_left = None
    outcome = ImportOutcome.from_figures(job.figures) if job.status == JobStatus.DONE else None
    return render_template(
        "organizer/import_progress.html",
        event=event,
        job=job,
        message=import_message(outcome) if outcome else "",
        upload_left=upload_left,
        form=ConfirmForm(),
    )


@bp.route("/events/<int:event_id>/import/status")
def import_status(event_id: int):
    event = own_event(event_id)
    return job_status(uploads.latest_import(event.id))


_SUGGESTION_NOTES = {
    SuggestionsAfterImport.NOT_MATCHED: "",
    SuggestionsAfterImport.UP_TO_DATE: " Suggestions are up to date, the new attendees' included.",
    SuggestionsAfterImport.REFRESHING: (
        " Suggestions for everyone are being brought up to date; see Matching."
    ),
    SuggestionsAfterImport.FAILED: (
        " Suggestions could not be brought up to date just now; run matching again."
    ),
}


def import_message(outcome: ImportOutcome) -> str:
    """What an import did, in the words the organizer sees after it."""
    message = f"Imported {outcome.created:,} new and updated {outcome.updated:,} attendees."
    if outcome.skipped_rows:
        message += f" Skipped {outcome.skipped_rows:,} rows with errors."
    return message + _SUGGESTION_NOTES[outcome.suggestions]
