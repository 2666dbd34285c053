"""Pages for attendees: the public event page and the private profile link."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.exc import IntegrityError

from .. import bookings, mail
from .. import suggestions as matches
from ..attendees import apply_profile, phrase_suggestions
from ..extensions import db
from ..models import Attendee, Event, Suggestion
from ..templating import format_local
from .forms import AnswerForm, ProfileForm, RegistrationForm

bp = Blueprint("attendee", __name__)


def attendee_by_token(token: str) -> Attendee:
    if not token or len(token) > 64:
        abort(404)
    person = db.session.scalar(db.select(Attendee).where(Attendee.access_token == token))
    if person is None:
        abort(404, "This link is not valid. It may have been replaced; ask the organizer.")
    return person


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


@bp.route("/e/<slug>", methods=["GET", "POST"])
def event_page(slug: str):
    event = db.session.scalar(db.select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    form = RegistrationForm(sessions=event.sessions) if event.registration_open else None
    if request.method == "GET" and form is not None:
        form.sessions.data = [s.id for s in event.sessions]
    if form is not None and form.validate_on_submit():
        email = form.email.data.strip().lower()
        taken = db.session.scalar(
            db.select(Attendee.id).where(Attendee.event_id == event.id, Attendee.email == email)
        )
        if taken is not None:
            form.email.errors.append(
                "This email is already registered. Use the private link you were sent, "
                "or ask the organizer to send it again."
            )
        else:
            person = Attendee(event_id=event.id, email=email)
            apply_profile(person, form, [s.id for s in event.sessions])
            db.session.add(person)
            try:
                db.session.commit()
            except IntegrityError:  # the same email registered a moment ago
                db.session.rollback()
                form.email.errors.append("This email is already registered.")
                return render_template(
                    "attendee/event.html",
                    event=event,
                    form=form,
                    suggestions=phrase_suggestions(event),
                )
            # Matching may have run already: the newcomer gets suggestions at once, and
            # appears in the lists of the people they suit.
            matches.refresh_and_commit(event)
            flash(
                "You are registered. Bookmark this page: it is your private link to your "
                "profile and your matches.",
                "success",
            )
            return redirect(url_for("attendee.profile", token=person.access_token))
    return render_template(
        "attendee/event.html",
        event=event,
        form=form,
        suggestions=phrase_suggestions(event) if form is not None else None,
    )


@bp.route("/me/<token>", methods=["GET", "POST"])
def profile(token: str):
    person = attendee_by_token(token)
    event = person.event
    form = ProfileForm(sessions=event.sessions)
    if request.method == "GET":
        _fill_form(form, person)
    elif form.validate_on_submit():
        apply_profile(person, form, [s.id for s in event.sessions])
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


@bp.route("/me/<token>/matches")
def suggestions(token: str):
    person = attendee_by_token(token)
    cards = matches.cards_for(person)
    return render_template(
        "attendee/matches.html",
        event=person.event,
        person=person,
        confirmed=[c for c in cards if c.confirmed],
        open_cards=[c for c in cards if not c.confirmed],
        form=AnswerForm(),
    )


@bp.route("/me/<token>/matches/<int:suggestion_id>", methods=["POST"])
def answer(token: str, suggestion_id: int):
    person = attendee_by_token(token)
    # Locked, so that two people answering at the same moment both see the other's answer.
    row = db.session.scalar(
        db.select(Suggestion).where(Suggestion.id == suggestion_id).with_for_update()
    )
    if row is None or person.id not in (row.low_id, row.high_id):
        abort(404)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash("Choose “I'd like to meet” or “Not for me”.", "warning")
        return redirect(url_for("attendee.suggestions", token=token))
    partner = row.high if row.low_id == person.id else row.low
    was_confirmed = row.confirmed
    confirmed = matches.record_answer(row, person.id, form.answer.data)
    meeting = bookings.book_confirmed(row) if confirmed else None
    cancelled = []
    if was_confirmed and not row.confirmed:
        # Changing one's mind on a confirmed match also calls off its meeting.
        for booked in bookings.active_meetings_of_pair(row):
            bookings.cancel_meeting(booked, by=person.name)
            cancelled.append(booked)
    db.session.commit()
    if meeting is not None or cancelled:
        mail.send_in_background(current_app._get_current_object())
    if form.answer.data == "declined":
        matches.refresh_after_change(person.event)
        db.session.commit()
        message = f"Noted. We won't suggest {partner.name} again."
        if cancelled:
            message += f" Your meeting is cancelled and {partner.name} is told."
        flash(message, "info")
    elif confirmed and meeting is not None:
        when = format_local(meeting.starts_at, person.event.timezone, "%a %d %b at %H:%M")
        place = meeting.table_name or "online"
        flash(
            f"It's a match: you and {partner.name} both want to meet. "
            f"Your meeting is booked for {when} ({place}); see My schedule.",
            "success",
        )
    elif confirmed:
        flash(
            f"It's a match: you and {partner.name} both want to meet. There is no free slot "
            "you both can make right now; the organizer will help you find one.",
            "success",
        )
    else:
        flash(f"Noted. We'll tell you when {partner.name} wants to meet too.", "success")
    return redirect(url_for("attendee.suggestions", token=token))


from . import schedule_views  # noqa: E402, F401 - registers the schedule pages on bp
