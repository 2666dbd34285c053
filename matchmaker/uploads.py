"""An uploaded attendee file, from the organizer's preview to attendees in the database.

A small file is imported in the request that asks for it. A big one (more than
:data:`BACKGROUND_ROWS` rows) would keep that request waiting for a minute, so it goes to a
background job of kind :data:`IMPORT`: the request returns at once, the organizer watches
the job's progress, and the :class:`~matchmaker.models.ImportUpload` row keeps the file
meanwhile. Both ways write through :func:`save_import`: the records and the removal of the
upload are one transaction, so a failure leaves no attendee half-imported and the file
still there to try again; suggestions are then brought up to date as after any import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from . import importing, jobs
from . import suggestions as matches
from .attendees import import_records
from .choices import ACTIVE_JOB_STATUSES
from .extensions import db
from .models import Event, ImportUpload, Job

IMPORT = "import"
#: Files with more rows than this are imported by a background job.
BACKGROUND_ROWS = 2000
_CHECKING = 0.5  # share of a background import spent reading and checking the rows
_SAVED = 0.95  # ... and by the time the attendees are written; suggestions take the rest


class SuggestionsAfterImport(StrEnum):
    """What became of the event's suggestions after an import."""

    NOT_MATCHED = "not_matched"  # matching has never run: nothing to bring up to date
    UP_TO_DATE = "up_to_date"
    REFRESHING = "refreshing"  # a matching job is bringing everyone's lists up to date
    FAILED = "failed"  # the attendees are in, their suggestions will catch up later


@dataclass
class ImportOutcome:
    created: int
    updated: int
    skipped_rows: int
    suggestions: SuggestionsAfterImport = SuggestionsAfterImport.NOT_MATCHED

    @classmethod
    def from_figures(cls, figures: Mapping[str, Any]) -> ImportOutcome:
        """The outcome kept on a finished import job."""
        return cls(
            created=figures["created"],
            updated=figures["updated"],
            skipped_rows=figures["skipped_rows"],
            suggestions=SuggestionsAfterImport(figures["suggestions"]),
        )


def finish_import(
    event: Event, upload: ImportUpload, report: importing.ImportReport
) -> ImportOutcome:
    """Import the report's valid records, then bring suggestions up to date."""
    outcome = save_import(event, upload, report)
    outcome.suggestions = refresh_suggestions(event)
    return outcome


def save_import(
    event: Event,
    upload: ImportUpload,
    report: importing.ImportReport,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Write the report's records and drop the upload in one commit.

    ``progress`` hears how many records are written so far.
    """
    result = import_records(event, report.records, progress=progress)
    db.session.delete(upload)
    db.session.commit()
    return ImportOutcome(
        created=result.created,
        updated=result.updated,
        skipped_rows=len({error.row for error in report.errors}),
    )


def refresh_suggestions(event: Event) -> SuggestionsAfterImport:
    """Bring suggestions up to date after an import (once matching has run)."""
    if not matches.event_has_matches(event.id):
        return SuggestionsAfterImport.NOT_MATCHED
    changed = matches.refresh_and_commit(event)
    run = matches.latest_run(event.id)
    if run is not None and run.status in ACTIVE_JOB_STATUSES:
        return SuggestionsAfterImport.REFRESHING
    if changed is None:
        return SuggestionsAfterImport.FAILED
    return SuggestionsAfterImport.UP_TO_DATE


def start_import(
    event: Event, upload: ImportUpload, mapping: Mapping[str, int], valid_rows_only: bool
) -> Job:
    """Queue the import of ``upload`` with the organizer's column ``mapping``.

    Returns the event's import job already under way instead, if there is one: it may be
    of another upload, which the caller can tell from ``job.params["upload_id"]``.
    """
    params = {
        "upload_id": upload.id,
        "filename": upload.filename,
        "mapping": dict(mapping),
        "valid_rows_only": bool(valid_rows_only),
    }
    return jobs.start(event.id, IMPORT, params)


def latest_import(event_id: int) -> Job | None:
    return jobs.latest(event_id, IMPORT)


@jobs.task(
    IMPORT,
    failure="The import failed because of an error on our side. Nothing was imported; "
    "please try again.",
)
def _import_job(event_id: int, params: dict, progress: jobs.Progress) -> dict:
    """Read, check and import an uploaded file, reporting each phase's progress."""
    event = db.session.get(Event, event_id)
    upload = db.session.get(ImportUpload, params["upload_id"])
    if upload is None or upload.event_id != event_id:
        raise jobs.JobFailed(
            "The uploaded file is no longer kept (uploads are dropped after a day). "
            "Nothing was imported; please upload it again."
        )
    progress(0.0, "Reading the file…")
    try:
        table = importing.read_table(upload.data, upload.filename)
        total = table.row_count

        def checked(done: int) -> None:
            progress(_CHECKING * done / total, f"Checking rows: {done:,} of {total:,}")

        report = importing.validate_rows(table, params["mapping"], progress=checked)
    except importing.ImportFileError as error:
        raise jobs.JobFailed(f"Nothing was imported. {error}") from None
    if report.errors and not params.get("valid_rows_only"):
        rows = len({error.row for error in report.errors})
        raise jobs.JobFailed(
            f"Nothing was imported: {rows:,} row{'s' if rows != 1 else ''} of the file "
            f"{'have' if rows != 1 else 'has'} problems. Fix them, or tick “Import the valid "
            "rows only” on the preview."
        )
    count = len(report.records)
    # A fresh reporter, so that the first report of the new phase is never held back by
    # the last one of the checking phase.
    saving = jobs.Progress(progress.job_id, progress.on_report)
    saving(_CHECKING, f"Saving attendees: 0 of {count:,}")

    def saved(done: int) -> None:
        saving(
            _CHECKING + (_SAVED - _CHECKING) * done / max(count, 1),
            f"Saving attendees: {done:,} of {count:,}",
        )

    outcome = save_import(event, upload, report, progress=saved)
    # No progress report from here on: the attendees are saved, so a cancel that comes now
    # is too late and the job ends as done.
    outcome.suggestions = refresh_suggestions(event)
    return asdict(outcome)
