"""After a meeting: the one-click "did it happen?" on the cards, and the full answer page
that the email links to (usefulness, who helped whom, meet again, a private note)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from .. import feedback
from ..choices import MeetingOutcome
from . import attendee_by_token, bp
from .forms import FeedbackForm, OutcomeForm

# Where the one-click card may send the attendee back to.
BACK_PAGES = {"matches": "attendee.suggestions", "schedule": "attendee.schedule"}
NOT_YOURS = (
    "This meeting is not in your schedule. If the link came by email, open it from the "
    "email sent to you, or go to your schedule."
)


def _meeting_or_404(person, meeting_id: int):  # noqa: ANN001, ANN202
    try:
        return feedback.own_meeting(person, meeting_id)
    except feedback.NotYourMeeting:
        abort(404, NOT_YOURS)


@bp.route("/me/<token>/meetings/<int:meeting_id>/feedback", methods=["GET", "POST"])
def meeting_feedback(token: str, meeting_id: int):
    person = attendee_by_token(token)
    meeting = _meeting_or_404(person, meeting_id)
    partner = meeting.partner_of(person.id)
    form = FeedbackForm()
    closed = None
    try:
        feedback.check_open(meeting)
    except feedback.FeedbackClosed as error:
        closed = str(error)
    if closed is None and form.validate_on_submit():
        answer = feedback.FeedbackAnswer(
            outcome=form.outcome.data,
            usefulness=form.usefulness.data,
            helped=form.helped.data,
            meet_again=None if form.meet_again.data is None else form.meet_again.data == "yes",
            note=form.note.data or "",
        )
        feedback.record_feedback(person, meeting.id, answer)
        flash(
            f"Thank you. Your answer about {partner.name} is saved; you can change it here "
            "at any time.",
            "success",
        )
        return redirect(url_for("attendee.meeting_feedback", token=token, meeting_id=meeting.id))
    saved = feedback.answer_of(person, meeting)
    if saved is not None and not form.is_submitted():
        form.outcome.data = saved.outcome
        form.usefulness.data = saved.usefulness
        form.helped.data = saved.helped
        form.meet_again.data = (
            None if saved.meet_again is None else ("yes" if saved.meet_again else "no")
        )
        form.note.data = saved.note
    return render_template(
        "attendee/feedback.html",
        event=person.event,
        person=person,
        meeting=meeting,
        partner=partner,
        form=form,
        saved=saved,
        closed=closed,
    )


@bp.route("/me/<token>/meetings/<int:meeting_id>/outcome", methods=["POST"])
def meeting_outcome(token: str, meeting_id: int):
    """The card's one click: record whether it happened; if it did, offer the rest."""
    person = attendee_by_token(token)
    meeting = _meeting_or_404(person, meeting_id)
    partner = meeting.partner_of(person.id)
    form = OutcomeForm()
    back = url_for(BACK_PAGES.get(form.back.data or "", "attendee.schedule"), token=token)
    if not form.validate_on_submit():
        flash("Choose one of the answers.", "warning")
        return redirect(back)
    try:
        feedback.record_outcome(person, meeting.id, form.outcome.data)
    except feedback.FeedbackClosed as error:
        flash(str(error), "warning")
        return redirect(back)
    if form.outcome.data == MeetingOutcome.MET:
        flash(
            f"Thank you. Three quick questions about {partner.name}, if you have a moment.",
            "success",
        )
        return redirect(url_for("attendee.meeting_feedback", token=token, meeting_id=meeting.id))
    flash("Thank you, noted. You can change your answer under My network.", "success")
    return redirect(back)
