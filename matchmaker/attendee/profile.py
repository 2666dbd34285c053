"""An attendee's own profile, edited through their private link."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from .. import suggestions as matches
from ..adapters import ProfileAnswers, apply_answers
from ..attendees import phrase_suggestions
from ..extensions import db
from ..models import Attendee
from . import attendee_by_token, bp
from .forms import ProfileForm


def _fill_form(form: ProfileForm, person: Attendee) -> None:
    form.name.data = person.name
    form.organization.data = person.organization
    form.job_title.data = person.job_title
    form.role.data = person.role
    form.bio.data = person.bio
    form.can_help_with.data = ", ".join(person.can_help_with or [])
    form.looking_for.data = ", ".join(person.looking_for or [])
    form.interests.data = ", ".join(person.interests or [])
    form.meeting_mode.data = person.meeting_mode
    form.timezone.data = person.timezone or ""
    ids = [choice.value for choice in form.sessions.choices]
    chosen = person.available_session_ids
    form.sessions.data = ids if chosen is None else [i for i in ids if i in chosen]
    form.linkedin_url.data = person.linkedin_url
    form.website_url.data = person.website_url
    form.consent_share_contact.data = person.consent_share_contact


@bp.route("/me/<token>", methods=["GET", "POST"])
def profile(token: str):
    person = attendee_by_token(token)
    event = person.event
    form = ProfileForm(sessions=event.sessions)
    if request.method == "GET":
        _fill_form(form, person)
    elif form.validate_on_submit():
        apply_answers(
            person, ProfileAnswers.from_form_data(form.data), [s.id for s in event.sessions]
        )
        db.session.commit()
        matches.refresh_and_commit(event)
        flash("Your profile is saved.", "success")
        return redirect(url_for("attendee.profile", token=person.access_token))
    return render_template(
        "attendee/profile.html",
        event=event,
        person=person,
        form=form,
        suggestions=phrase_suggestions(event),
    )
