"""My network: everyone the attendee met, their own notes, a vCard per person and a
follow-up reminder, for the calendar or by email some weeks later."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for

from .. import mail, network
from ..exports import calendar_response, vcard_response
from ..extensions import db
from . import attendee_by_token, bp
from .forms import CancelReminderForm, ReminderForm


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
        cancel_form=CancelReminderForm(),
        reminders=network.reminder_emails(person),
        mail_configured=mail.is_configured(current_app.config),
    )


@bp.route("/me/<token>/network/<int:partner_id>.vcf")
def partner_vcard(token: str, partner_id: int):
    person = attendee_by_token(token)
    connection = _connection_or_404(person, partner_id)
    return vcard_response(network.vcard_for(connection), f"{connection.partner.name}.vcf")


def _reminder_request(token: str, partner_id: int):  # noqa: ANN202
    """The viewer, the connection and the weeks chosen; or, when the choice is not valid, a
    redirect back to the network page with a message."""
    person = attendee_by_token(token)
    connection = _connection_or_404(person, partner_id)
    form = ReminderForm()
    if not form.validate_on_submit():
        flash("Choose in how many weeks you would like the reminder.", "warning")
        return None, redirect(url_for("attendee.my_network", token=token))
    return (person, connection, form.weeks.data), None


@bp.route("/me/<token>/network/<int:partner_id>/reminder.ics", methods=["POST"])
def follow_up_reminder(token: str, partner_id: int):
    chosen, refused = _reminder_request(token, partner_id)
    if refused:
        return refused
    person, connection, weeks = chosen
    body = network.reminder_ics(person, connection, weeks)
    return calendar_response(body, f"follow-up-{connection.partner.name}.ics")


@bp.route("/me/<token>/network/<int:partner_id>/reminder-email", methods=["POST"])
def follow_up_email(token: str, partner_id: int):
    chosen, refused = _reminder_request(token, partner_id)
    if refused:
        return refused
    person, connection, weeks = chosen
    message = network.schedule_reminder_email(person, connection, weeks)
    db.session.commit()
    when = message.next_attempt_at.astimezone(person.event.zone)
    flash(
        f"We will email you on {when:%A %d %B %Y} to follow up with {connection.partner.name}.",
        "success",
    )
    return redirect(url_for("attendee.my_network", token=token, _anchor=f"person-{partner_id}"))


@bp.route("/me/<token>/network/reminders/<int:message_id>/cancel", methods=["POST"])
def cancel_follow_up_email(token: str, message_id: int):
    person = attendee_by_token(token)
    if CancelReminderForm().validate_on_submit():
        if network.cancel_reminder_email(person, message_id):
            db.session.commit()
            flash("Reminder cancelled.", "info")
        else:
            flash("That reminder has already been sent or cancelled.", "info")
    return redirect(url_for("attendee.my_network", token=token))
