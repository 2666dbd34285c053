"""The organizer's attendee pages: the searchable list, one attendee, private links."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import or_

from .. import attendees as attendee_service
from .. import feedback, personal_data, registration
from .. import suggestions as matches
from ..choices import AttendeeStatus
from ..exports import csv_response
from ..extensions import db
from ..models import Attendee
from . import bp, own_attendee, own_event
from .forms import AttendeeDetailsForm, ConfirmForm


@bp.route("/events/<int:event_id>/attendees")
def attendees(event_id: int):
    event = own_event(event_id)
    query = (request.args.get("q") or "").strip()
    statement = event.attendees_select()
    if query:
        statement = statement.where(
            or_(
                *(
                    column.icontains(query, autoescape=True)
                    for column in (Attendee.name, Attendee.email, Attendee.organization)
                )
            )
        )
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    page = db.paginate(statement, page=number, per_page=50, error_out=False)
    awaiting = db.session.scalars(
        event.attendees_select().where(Attendee.status == AttendeeStatus.AWAITING_APPROVAL)
    ).all()
    return render_template(
        "organizer/attendees.html",
        event=event,
        page=page,
        query=query,
        awaiting=awaiting,
        form=ConfirmForm(),
    )


@bp.route("/events/<int:event_id>/attendees/<int:attendee_id>/approve", methods=["POST"])
def approve(event_id: int, attendee_id: int):
    """Let a registration in that waits for approval (events without mail)."""
    event = own_event(event_id)
    person = own_attendee(event, attendee_id)
    if ConfirmForm().validate_on_submit() and registration.approve(person):
        db.session.commit()
        matches.refresh_and_commit(event)
        flash(
            f"{person.name} is approved. Send them their private link (on their page, or in "
            "the private links CSV).",
            "success",
        )
    return redirect(url_for("organizer.attendee", event_id=event.id, attendee_id=person.id))


@bp.route("/events/<int:event_id>/attendees/<int:attendee_id>")
def attendee(event_id: int, attendee_id: int):
    event = own_event(event_id)
    person = own_attendee(event, attendee_id)
    reports = feedback.no_show_reports(person)
    return render_template(
        "organizer/attendee.html",
        event=event,
        person=person,
        form=ConfirmForm(),
        no_shows=reports,
        no_show_reporters=feedback.distinct_reporters(reports),
        no_show_rule=feedback.NO_SHOW_REPORTERS,
    )


@bp.route("/events/<int:event_id>/attendees/<int:attendee_id>/edit", methods=["GET", "POST"])
def edit_attendee(event_id: int, attendee_id: int):
    """Correct who someone is: name, email, organization, job title, role. What they can
    help with and look for stays theirs, on their own profile page."""
    event = own_event(event_id)
    person = own_attendee(event, attendee_id)
    form = AttendeeDetailsForm(obj=person)
    if form.validate_on_submit():
        try:
            attendee_service.update_details(
                person,
                name=form.name.data,
                email=form.email.data,
                organization=form.organization.data or "",
                job_title=form.job_title.data or "",
                role=form.role.data,
            )
        except attendee_service.DetailsRefused as refused:
            db.session.rollback()
            form.email.errors.append(str(refused))
        else:
            db.session.commit()
            matches.refresh_and_commit(event)  # a new role may change who may meet whom
            flash(f"{person.name}'s details are saved.", "success")
            return redirect(url_for("organizer.attendee", event_id=event.id, attendee_id=person.id))
    return render_template("organizer/attendee_edit.html", event=event, person=person, form=form)


@bp.route("/events/<int:event_id>/attendees/<int:attendee_id>/remove", methods=["GET", "POST"])
def remove_attendee(event_id: int, attendee_id: int):
    """Take someone off the event (a cancelled guest, a duplicate), as they could themselves:
    their meetings are cancelled and their partners told, the rest of their data goes."""
    event = own_event(event_id)
    person = own_attendee(event, attendee_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name, cancelled = person.name, len(personal_data.meetings_to_cancel(person))
        personal_data.delete_attendee(person)
        told = f"; {cancelled} meeting{'s' if cancelled != 1 else ''} cancelled, partners told"
        flash(f"{name} is removed from the event{told if cancelled else ''}.", "success")
        return redirect(url_for("organizer.attendees", event_id=event.id))
    partners = [m.partner_of(person.id).name for m in personal_data.meetings_to_cancel(person)]
    return render_template(
        "organizer/attendee_remove.html", event=event, person=person, form=form, partners=partners
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
        .where(Attendee.event_id == event.id, Attendee.status == AttendeeStatus.ACTIVE)
        .order_by(Attendee.name)
    ).all()
    header = ["name", "email", "organization", "private_link"]
    body = (
        [name, email, org, url_for("attendee.profile", token=token, _external=True)]
        for name, email, org, token in rows
    )
    return csv_response(f"{event.slug}-attendee-links.csv", header, body)
