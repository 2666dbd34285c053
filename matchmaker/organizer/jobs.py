"""The organizer's background jobs (matching, auto-schedule, import): their progress as JSON,
and cancelling one."""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, url_for

from .. import jobs
from ..extensions import db
from ..models import Job
from . import bp, own_event
from .forms import ConfirmForm

# Where each kind of job shows its progress, to go back to after cancelling it.
PAGES = {
    "matching": "organizer.matching",
    "scheduling": "organizer.schedule",
    "import": "organizer.import_progress",
}


def job_status(job: Job | None) -> Response:
    """A job's progress as the pages' progress boxes read it (static/app.js)."""
    if job is None:
        return jsonify(status="none")
    return jsonify(status=job.status, progress=job.progress, message=job.message)


@bp.route("/events/<int:event_id>/jobs/<int:job_id>/cancel", methods=["POST"])
def cancel_job(event_id: int, job_id: int):
    event = own_event(event_id)
    job = db.session.get(Job, job_id)
    if job is None or job.event_id != event.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        if jobs.cancel(job):
            flash("Cancelled. Anything it had not saved yet is undone.", "info")
        else:
            flash("That job had already finished.", "info")
    return redirect(url_for(PAGES.get(job.kind, "organizer.event"), event_id=event.id))
