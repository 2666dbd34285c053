"""Invitations and calendar entries for booked meetings.

:func:`calendar_meeting` composes what one person's calendar shows of a meeting (title,
reasons, contact details, where, the link back to their schedule) from the database, and
:func:`queue_invites` puts an iTIP REQUEST or CANCEL email for each person in the outbox.
The bytes come from :mod:`matchmaker.calendar`; the links use the site's public address.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_request_context, request

from . import calendar, mail
from .choices import MeetingStatus
from .extensions import db
from .matching import format_reasons
from .models import Attendee, Meeting, Suggestion
from .stored_lists import reasons_for

# The site's address for links and UIDs in a job, which has no request to read it from.
job_base_url: ContextVar[str] = ContextVar("job_base_url", default="")


def base_url() -> str:
    """PUBLIC_BASE_URL, else the address of the request (or of the one that started the job)."""
    return (
        current_app.config.get("PUBLIC_BASE_URL")
        or job_base_url.get()
        or (request.host_url if has_request_context() else "")
    ).rstrip("/")


#: Where links point when neither PUBLIC_BASE_URL nor a request names the site.
FALLBACK_BASE_URL = "http://127.0.0.1:5000"


def public_url(path: str) -> str:
    return (base_url() or FALLBACK_BASE_URL) + path


def new_meeting_uid() -> str:
    """A UID for a new meeting: random, because it is chosen before the row has an id."""
    domain = urlsplit(base_url()).hostname or "matchmaker.invalid"
    return calendar.meeting_uid(secrets.token_hex(10), domain)


def contact_visible(row: Suggestion | None, partner: Attendee) -> bool:
    """Whether someone may see ``partner``'s email and links: only once both said yes to
    each other, and only if the partner agreed to share them. An assigned meeting alone
    (speed networking) shares nothing."""
    return row is not None and row.confirmed and bool(partner.consent_share_contact)


def no_reply_address() -> str:
    """The ORGANIZER of attendees' calendars: replies to it reach nobody's private inbox."""
    domain = urlsplit(base_url()).hostname or "matchmaker.invalid"
    return f"no-reply@{domain}"


def calendar_meeting(meeting: Meeting, viewer: Attendee | None) -> calendar.CalendarMeeting:
    """The meeting as `viewer` sees it, or the organizer's own view when None.

    An attendee's calendar names the partner but carries the partner's email (ATTENDEE line,
    contact line) only when :func:`contact_visible`; its ORGANIZER is a no-reply address.
    """
    event = meeting.event
    low, high = meeting.low, meeting.high
    if viewer is None:
        summary = f"{low.name} & {high.name} - {event.name}"
        description = ""
        organizer_address = (event.organizer.name, event.organizer.email)
        attendees = [(low.name, low.email), (high.name, high.email)]
    else:
        partner = meeting.partner_of(viewer.id)
        summary = calendar.meeting_summary(partner.name, partner.organization, event.name)
        lines = []
        row = db.session.get(Suggestion, meeting.suggestion_id) if meeting.suggestion_id else None
        if row is not None:
            lines += ["Why you were matched:"] + [
                f"- {line}" for line in format_reasons(reasons_for(row, viewer.id))
            ]
        attendees = [(viewer.name, viewer.email)]
        if contact_visible(row, partner):
            contact = [partner.email] + [
                u for u in (partner.linkedin_url, partner.website_url) if u
            ]
            lines += ["", f"Contact {partner.name}: " + ", ".join(contact)]
            attendees.append((partner.name, partner.email))
        if viewer.access_token:
            lines += ["", "Your schedule: " + public_url(f"/me/{viewer.access_token}/schedule")]
        description = "\n".join(lines).strip()
        organizer_address = (event.name, no_reply_address())
    if meeting.mode == "virtual":
        location = meeting.virtual_url or ""
    else:
        location = calendar.meeting_location(event.venue, meeting.table_name)
    return calendar.CalendarMeeting(
        uid=meeting.uid,
        start=meeting.starts_at,
        end=meeting.ends_at,
        timezone=event.timezone,
        summary=summary,
        organizer=organizer_address,
        attendees=attendees,
        sequence=meeting.sequence,
        description=description,
        location=location,
        url=meeting.virtual_url if meeting.mode == "virtual" else None,
        virtual=meeting.mode == "virtual",
        status="CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED",
        created=meeting.created_at,
        last_modified=meeting.updated_at or meeting.created_at,
    )


def queue_invites(meeting: Meeting, method: str) -> None:
    """An iTIP REQUEST or CANCEL email to each attendee, in the caller's transaction."""
    event = meeting.event
    for person in (meeting.low, meeting.high):
        partner = meeting.partner_of(person.id)
        entry = calendar_meeting(meeting, person)
        local = event.local(meeting.starts_at)
        when = _when(meeting, person)
        where = entry.location or "to be announced"
        schedule = public_url(f"/me/{person.access_token}/schedule")
        if method == "CANCEL":
            subject = f"Cancelled: meeting with {partner.name} at {event.name}"
            body = (
                f"Hi {person.name},\n\nYour meeting with {partner.name} on {when} is cancelled."
                f"\n\nYour schedule and calendar links: {schedule}"
            )
            # The meeting already carries STATUS:CANCELLED and its raised SEQUENCE.
            ics = calendar.cancellation_ics(entry)
        else:
            prefix = "Updated: " if meeting.sequence > 0 else ""
            subject = f"{prefix}Meet {partner.name} at {event.name}, {local:%a %H:%M}"
            pair = meeting.suggestion_id
            row = db.session.get(Suggestion, pair) if pair else None  # loaded by the entry
            assigned = (
                "The organizer assigned this meeting. If it does not suit you, cancel it on "
                "your schedule (the link is below).\n\n"
                if row is None or not row.confirmed
                else ""
            )
            body = (
                f"Hi {person.name},\n\nYou are meeting {partner.name} on {when}.\n"
                f"Where: {where}\n\n{assigned}{entry.description}"
            )
            ics = calendar.invite_ics(entry)
        mail.queue_email(
            db.session,
            to_email=person.email,
            to_name=person.name,
            subject=subject,
            body_text=body + "\n",
            ics=ics,
            ics_method=method,
            event_id=event.id,
            meeting_id=meeting.id,
        )


def _when(meeting: Meeting, person: Attendee) -> str:
    """The meeting's start in the event's time, and in the person's own zone when they set
    another one (people joining online from elsewhere)."""
    event = meeting.event
    when = f"{event.local(meeting.starts_at):%A %d %B, %H:%M} ({event.timezone.replace('_', ' ')})"
    if not person.timezone or person.timezone == event.timezone:
        return when
    try:
        own = meeting.starts_at.astimezone(ZoneInfo(person.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return when
    return f"{when}; your time {own:%A %d %B, %H:%M} ({person.timezone.replace('_', ' ')})"
