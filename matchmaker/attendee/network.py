"""My network: everyone the attendee met, their own notes, a vCard per person and a
follow-up reminder for the calendar."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from .. import network
from ..exports import calendar_response, vcard_response
from . import attendee_by_token, bp
from .forms import ReminderForm


def _connection_or_404(person, partner_id: int):  # noqa: ANN001, ANN202
    connection = network.network_of(person).get(partner_id)
    if connection is None:
        abort(404, "That person is not in your network.")
    return connection


@bp.route("/me/<token>/network")
def my_network(token: str):
    person = attendee_by_token(token)
    found = network.network_of(person)
    return render_template(
        "attendee/network.html",
        event=person.event,
        person=person,
        network=found,
        form=ReminderForm(),
    )


@bp.route("/me/<token>/network/<int:partner_id>.vcf")
def partner_vcard(token: str, partner_id: int):
    person = attendee_by_token(token)
    connection = _connection_or_404(person, partner_id)
    return vcard_response(network.vcard_for(connection), f"{connection.partner.name}.vcf")


@bp.route("/me/<token>/network/<int:partner_id>/reminder.ics", methods=["POST"])
def follow_up_reminder(token: str, partner_id: int):
    person = attendee_by_token(token)
    connection = _connection_or_404(person, partner_id)
    form = ReminderForm()
    if not form.validate_on_submit():
        flash("Choose in how many weeks you would like the reminder.", "warning")
        return redirect(url_for("attendee.my_network", token=token))
    body = network.reminder_ics(person, connection, form.weeks.data)
    return calendar_response(body, f"follow-up-{connection.partner.name}.ics")
