"""The public event page: guests register themselves when the organizer allows it, confirm
their email by the link they are sent, and can ask for their private link again."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from .. import registration
from ..adapters import ProfileAnswers
from ..attendees import phrase_suggestions
from ..extensions import db
from ..models import Event
from . import bp
from .forms import RegistrationForm, ResendLinkForm


def _public_event(slug: str) -> Event:
    event = db.session.scalar(db.select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    return event


@bp.route("/e/<slug>", methods=["GET", "POST"])
def event_page(slug: str):
    event = _public_event(slug)
    form = RegistrationForm(sessions=event.sessions) if event.takes_registrations else None
    if request.method == "GET" and form is not None:
        form.sessions.data = [s.id for s in event.sessions]
    if form is not None and form.validate_on_submit():
        notice = registration.register(
            event, form.email.data, ProfileAnswers.from_form_data(form.data)
        )
        return redirect(url_for("attendee.registered", slug=event.slug, notice=notice.value))
    return render_template(
        "attendee/event.html",
        event=event,
        form=form,
        suggestions=phrase_suggestions(event) if form is not None else None,
        mail_configured=registration.mail_configured(),
    )


@bp.route("/e/<slug>/registered")
def registered(slug: str):
    event = _public_event(slug)
    try:
        notice = registration.RegistrationNotice(request.args.get("notice", ""))
    except ValueError:
        notice = registration.RegistrationNotice.CHECK_INBOX
    return render_template("attendee/registered.html", event=event, notice=notice.value)


@bp.route("/e/<slug>/confirm/<token>")
def confirm(slug: str, token: str):
    event = _public_event(slug)
    person = registration.confirm(token)
    if person is None or person.event_id != event.id:
        return render_template("attendee/confirm_failed.html", event=event), 404
    flash(
        "Your email is confirmed and you are registered. This page is your private link to "
        "your profile and your matches: bookmark it, and keep it to yourself.",
        "success",
    )
    return redirect(url_for("attendee.profile", token=person.access_token))


@bp.route("/e/<slug>/link", methods=["GET", "POST"])
def resend_link(slug: str):
    event = _public_event(slug)
    form = ResendLinkForm()
    can_email = registration.mail_configured()
    if can_email and form.validate_on_submit():
        notice = registration.resend_link(event, form.email.data)
        return redirect(url_for("attendee.registered", slug=event.slug, notice=notice.value))
    return render_template(
        "attendee/resend_link.html", event=event, form=form, can_email=can_email
    )
