"""The public event page, where guests register themselves when the organizer allows it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError

from .. import suggestions as matches
from ..adapters import ProfileAnswers, apply_answers
from ..attendees import phrase_suggestions
from ..extensions import db
from ..models import Attendee, Event
from . import bp
from .forms import RegistrationForm


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
            apply_answers(
                person, ProfileAnswers.from_form_data(form.data), [s.id for s in event.sessions]
            )
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
