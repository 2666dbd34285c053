"""An attendee's own data behind their private link: download it all as JSON, or delete
the profile (after a confirmation page)."""

from __future__ import annotations

from flask import current_app, render_template

from .. import mail
from ..exports import json_response
from ..personal_data import delete_attendee, export_attendee, meetings_to_cancel
from . import attendee_by_token, bp
from .forms import DeleteProfileForm


@bp.route("/me/<token>/data.json")
def download_data(token: str):
    person = attendee_by_token(token)
    return json_response(export_attendee(person), f"{person.event.slug}-my-data.json")


@bp.route("/me/<token>/delete", methods=["GET", "POST"])
def delete_profile(token: str):
    person = attendee_by_token(token)
    event = person.event
    partners = [m.partner_of(person.id).name for m in meetings_to_cancel(person)]
    form = DeleteProfileForm()
    if form.validate_on_submit():
        delete_attendee(person)
        # Shown in answer to the POST: the private link, the only address that could
        # show it later, no longer works.
        template = "attendee/profile_deleted.html"
    else:
        template = "attendee/delete_profile.html"
    return render_template(
        template,
        event=event,
        person=person,
        form=form,
        partners=partners,
        mail_configured=mail.is_configured(current_app.config),
    )
