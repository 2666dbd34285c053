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
from ..models import Attendee, Event, Meeting, Suggestion
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
    event = person.event
    cards = matches.cards_for(person)
    return render_template(
        "attendee/matches.html",
        event=event,
        person=person,
        confirmed=[c for c in cards if c.confirmed],
        open_cards=[c for c in cards if not c.confirmed],
        allowance=bookings.meeting_allowances(event, [person.id])[person.id],
        matching_ran=matches.event_has_matches(event.id),
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
        matches.refresh_and_commit(person.event)
        message = f"Noted. We won't suggest {partner.name} again."
        if cancelled:
            message += f" Your meeting is cancelled and {partner.name} is told."
        flash(message, "info")
    elif was_confirmed:
        flash(f"You and {partner.name} already both want to meet; see My schedule.", "info")
    else:
        flash(*_yes_notice(person, partner, confirmed, meeting))
    return redirect(url_for("attendee.suggestions", token=token))


def _meetings(count: int) -> str:
    return f"{count} meeting{'s' if count != 1 else ''}"


def _yes_notice(
    person: Attendee, partner: Attendee, confirmed: bool, meeting: Meeting | None
) -> tuple[str, str]:
    """What “I'd like to meet” led to, in words: booked, waiting, or stopped by a full list.

    Meetings are where scarcity binds: someone with as many meetings as the event allows
    keeps their “yes” (it is still true, and it can be booked once a meeting is cancelled)
    but is told plainly that no meeting can be booked now.
    """
    event = person.event
    if meeting is not None:
        when = format_local(meeting.starts_at, event.timezone, "%a %d %b at %H:%M")
        place = meeting.table_name or "online"
        return (
            f"It's a match: you and {partner.name} both want to meet. "
            f"Your meeting is booked for {when} ({place}); see My schedule.",
            "success",
        )
    allowances = bookings.meeting_allowances(event, [person.id, partner.id])
    mine, theirs = allowances[person.id], allowances[partner.id]
    full = f"Your meetings are full: you have {_meetings(mine.booked)}, the most this event allows"
    if confirmed and mine.full:
        return (
            f"You and {partner.name} both want to meet. {full}, so no meeting was booked. "
            f"To meet {partner.name}, cancel one of your meetings under My schedule and book "
            "a time there.",
            "warning",
        )
    if confirmed and theirs.full:
        return (
            f"You and {partner.name} both want to meet, but {partner.name} already has as "
            "many meetings as this event allows, so no meeting was booked. If one of theirs "
            "is cancelled, you can book a time under My schedule.",
            "warning",
        )
    if confirmed:
        return (
            f"It's a match: you and {partner.name} both want to meet. There is no free slot "
            "you both can make right now; the organizer will help you find one.",
            "success",
        )
    if mine.full:
        return (
            f"{full}. We kept your “I'd like to meet” for {partner.name}: if they say yes "
            "too, you can book a time under My schedule once you cancel another meeting.",
            "warning",
        )
    return f"Noted. We'll tell you when {partner.name} wants to meet too.", "success"


from . import schedule_views  # noqa: E402, F401 - registers the schedule pages on bp
