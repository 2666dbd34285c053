"""Importing attendee lists: upload, map the columns, preview the rows, import."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import delete

from .. import attendees as attendee_service
from .. import importing
from .. import suggestions as matches
from ..choices import ACTIVE_JOB_STATUSES
from ..extensions import db
from ..models import Event, ImportUpload, utcnow
from . import bp, own_event
from .forms import ConfirmImportForm, UploadForm

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
    if run is not None and run.status in ACTIVE_JOB_STATUSES:
        return " Suggestions for everyone are being brought up to date; see Matching."
    if changed is None:
        return " Suggestions could not be brought up to date just now; run matching again."
    return " Suggestions are up to date, the new attendees' included."

