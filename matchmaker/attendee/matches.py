"""An attendee's suggested partners, with the reasons, and their answers to them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from .. import bookings, feedback, network
from .. import suggestions as matches
from ..answering import NotYourSuggestion, answer_suggestion
from ..choices import Answer
from ..matching import match_strength
from ..models import Attendee, Meeting
from ..templating import format_local
from . import attendee_by_token, bp
from .forms import AnswerForm


@bp.route("/me/<token>/matches")
def suggestions(token: str):
    person = attendee_by_token(token)
    event = person.event
    meetings = bookings.attendee_meetings(person)
    people = network.network_of(person, meetings_here=meetings)
    # People already met here are in "Meet again" and the network, not among the cards.
    met = {e.partner.id for c in people.connections for e in c.encounters if e.event.id == event.id}
    booked = {m.suggestion_id: m for m in meetings}
    cards = [c for c in matches.cards_for(person, booked=booked) if c.partner.id not in met]
    return render_template(
        "attendee/matches.html",
        event=event,
        person=person,
        confirmed=[c for c in cards if c.confirmed],
        # Strongest label first, the ranking's order within a label.
        open_cards=sorted(
            (c for c in cards if not c.confirmed),
            key=lambda c: match_strength(c.row.score, c.reasons)[0],
        ),
        allowance=bookings.MeetingAllowance(len(meetings), event.max_meetings_per_attendee),
        # Asked only when there is no card, the one case the page says it.
        matching_ran=bool(cards) or matches.event_has_matches(event.id),
        # Meetings booked for a pair, shown on its card (assigned ones in speed networking).
        booked=booked,
        form=AnswerForm(),
        questions=feedback.open_questions(person, meetings=meetings),
        follow_ups=network.follow_ups(person, people),
        met_before=network.met_before(person, [c.partner for c in cards], people),
    )


@bp.route("/me/<token>/matches/<int:suggestion_id>", methods=["POST"])
def answer(token: str, suggestion_id: int):
    person = attendee_by_token(token)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash("Choose “I'd like to meet” or “Not for me”.", "warning")
        return redirect(url_for("attendee.suggestions", token=token))
    try:
        outcome = answer_suggestion(person, suggestion_id, form.answer.data)
    except NotYourSuggestion:
        abort(404)
    partner, cancelled = outcome.partner, outcome.cancelled
    if outcome.answer == Answer.DECLINED:
        message = f"Noted. We won't suggest {partner.name} again."
        if cancelled:
            message += f" Your meeting is cancelled and {partner.name} is told."
        flash(message, "info")
    elif outcome.was_confirmed:
        flash(f"You and {partner.name} already both want to meet; see My schedule.", "info")
    else:
        flash(*_yes_notice(person, partner, outcome.confirmed, outcome.meeting))
    # Back to the card just answered, not the top of a long list (a declined card is gone,
    # and the page then opens at the top, where the notice is).
    return redirect(url_for("attendee.suggestions", token=token, _anchor=f"s{suggestion_id}"))


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
    if event.has_ended:  # no meeting can be booked any more: meetings and limits are moot
        if confirmed:
            return (
                f"It's a match: you and {partner.name} both want to stay in touch. The event "
                "is over, so no meeting was booked; their card shows their contact details if "
                "they chose to share them.",
                "success",
            )
        return f"Noted. If {partner.name} says yes too, you will both see it here.", "success"
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
