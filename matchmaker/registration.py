"""Public registration that proves the email before anything is shown or kept.

Anyone can type any address into a public form, so a registration is held (status
"unconfirmed") until the link emailed to that address is opened; only then does the
registrant get their private link. With no mail configured there is nobody to prove it to,
so registrations wait for the organizer's approval instead (status "awaiting_approval").
A held registration is matched with nobody and is replaced, not inherited, when the
organizer imports the same email: the imported guest gets a fresh private link.

Every answer to the public form is the same whether the email was new, held or already
active, so the form reveals nothing about who is registered.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from . import invites, mail, suggestions
from .adapters import ProfileAnswers, apply_answers
from .choices import AttendeeStatus
from .extensions import db
from .models import Attendee, Event, utcnow

CONFIRM_LINK_LIFETIME = timedelta(days=7)


class RegistrationNotice(StrEnum):
    """What the registrant is told: the same for a new, a held and a known email."""

    CHECK_INBOX = "check_inbox"  # a confirmation (or their private link) was emailed
    AWAITING_APPROVAL = "awaiting_approval"  # no mail: the organizer approves and sends links


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def register(event: Event, email: str, answers: ProfileAnswers) -> RegistrationNotice:
    """Register ``email`` for the event, or re-send what its owner needs; commits."""
    email = email.strip().lower()
    person = _by_email(event, email)
    if person is None:
        person = Attendee(event_id=event.id, email=email)
        apply_answers(person, answers, [s.id for s in event.sessions])
        person.status = (
            AttendeeStatus.UNCONFIRMED if mail_configured() else AttendeeStatus.AWAITING_APPROVAL
        )
        db.session.add(person)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:  # the same email registered a moment ago
            person = _by_email(event, email)
    # A known email keeps its answers: whoever typed it now may not own it.
    notice = _send_what_is_needed(event, person)
    db.session.commit()
    _deliver()
    return notice


def resend_link(event: Event, email: str) -> RegistrationNotice:
    """Email the private link (or a new confirmation link) to a registered address; commits.

    Says the same whether or not the address is registered.
    """
    person = _by_email(event, email.strip().lower())
    if person is None:
        return RegistrationNotice.CHECK_INBOX if mail_configured() else _no_mail_notice()
    notice = _send_what_is_needed(event, person)
    db.session.commit()
    _deliver()
    return notice


def confirm(token: str) -> Attendee | None:
    """Open a confirmation link: the registration becomes active and is matched; commits.

    Returns None for an unknown, used or expired link.
    """
    if not token or len(token) > 64:
        return None
    person = db.session.scalar(select(Attendee).where(Attendee.confirm_token == token))
    if person is None or person.status != AttendeeStatus.UNCONFIRMED:
        return None
    if person.confirm_sent_at is None or utcnow() - person.confirm_sent_at > CONFIRM_LINK_LIFETIME:
        return None
    person.status = AttendeeStatus.ACTIVE
    person.confirm_token = None
    db.session.commit()
    suggestions.refresh_and_commit(person.event)
    return person


def approve(person: Attendee) -> bool:
    """The organizer lets a registration in (the caller commits); False if it was not held."""
    if person.status == AttendeeStatus.ACTIVE:
        return False
    person.status = AttendeeStatus.ACTIVE
    person.confirm_token = None
    return True


def drop_held_registrations(event: Event, emails: list[str]) -> int:
    """Delete held registrations of these emails, so an import starts them afresh with a
    new private link rather than inheriting what an unproven registrant typed."""
    removed = 0
    for start in range(0, len(emails), 2000):
        chunk = emails[start : start + 2000]
        removed += db.session.execute(
            delete(Attendee).where(
                Attendee.event_id == event.id,
                Attendee.email.in_(chunk),
                Attendee.status != AttendeeStatus.ACTIVE,
            )
        ).rowcount
    return removed


def _by_email(event: Event, email: str) -> Attendee | None:
    return db.session.scalar(
        select(Attendee).where(Attendee.event_id == event.id, Attendee.email == email)
    )


def _no_mail_notice() -> RegistrationNotice:
    return RegistrationNotice.AWAITING_APPROVAL


def _send_what_is_needed(event: Event, person: Attendee) -> RegistrationNotice:
    if not mail_configured():
        return _no_mail_notice()
    if person.status == AttendeeStatus.ACTIVE:
        _queue(
            person,
            f"Your private link for {event.name}",
            "Here is your private link to your profile, your matches and your schedule. "
            "Keep it to yourself: anyone with the link can act as you.\n\n"
            + invites.public_url(f"/me/{person.access_token}"),
        )
    else:
        person.status = AttendeeStatus.UNCONFIRMED
        person.confirm_token = secrets.token_urlsafe(32)
        person.confirm_sent_at = utcnow()
        _queue(
            person,
            f"Confirm your registration for {event.name}",
            "Please confirm that this is your email address by opening this link; it then "
            "takes you to your private page for the event:\n\n"
            + invites.public_url(f"/e/{event.slug}/confirm/{person.confirm_token}")
            + "\n\nThe link works for 7 days. If you did not register, ignore this email: "
            "nothing happens without the link.",
        )
    return RegistrationNotice.CHECK_INBOX


def _queue(person: Attendee, subject: str, text: str) -> None:
    mail.queue_email(
        db.session,
        to_email=person.email,
        to_name=person.name,
        subject=subject,
        body_text=f"Hi {person.name},\n\n{text}\n",
        event_id=person.event_id,
    )


def _deliver() -> None:
    mail.send_in_background(current_app._get_current_object())  # type: ignore[attr-defined]
