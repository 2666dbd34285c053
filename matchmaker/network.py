"""An attendee's network: everyone they met, at this event and at the organizer's others.

Someone "met" a person when their meeting was booked, its time has passed and neither of
them said it did not happen (a no-show, or "I couldn't make it"). The same email across one
organizer's events is one person, on both sides:

- the viewer's own records at the organizer's other events (same email) bring the people
  they met there, but only those whose contact details they could see at that event (both
  said yes and the person agreed to share them): people met elsewhere without that consent
  stay out of this event's pages;
- a partner met at several events is one entry, with every meeting.

At this event everyone met is listed, with contact details only where
:func:`invites.contact_visible` allows. Nothing crosses to another organizer's events.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from . import calendar, invites, mail, vcard
from .choices import AttendeeStatus, MailStatus, MeetingOutcome, MeetingStatus
from .extensions import db
from .feedback import HelpCounts, any_ended, help_counts
from .models import (
    Attendee,
    Event,
    Meeting,
    MeetingFeedback,
    OutboxMessage,
    Suggestion,
    utcnow,
)

REMINDER_WEEKS = (1, 2, 4, 8, 12, 26)


@dataclass
class Encounter:
    """One meeting in the viewer's network, as the viewer saw it at that event."""

    event: Event
    meeting: Meeting
    partner: Attendee  # the partner's record at that event
    contact_visible: bool
    answer: MeetingFeedback | None  # the viewer's own answer about it


@dataclass
class Connection:
    """One person in the network, with every meeting the viewer had with them, latest first."""

    key: str  # the partner's email, lower case
    encounters: list[Encounter] = field(default_factory=list)

    @property
    def partner(self) -> Attendee:
        """The latest record: the name, organization and title the person gave last."""
        return self.encounters[0].partner

    @property
    def id(self) -> int:
        return self.partner.id

    @property
    def contact(self) -> Attendee | None:
        """The latest record whose contact details the viewer may see, if any."""
        return next((e.partner for e in self.encounters if e.contact_visible), None)

    @property
    def notes(self) -> list[tuple[Encounter, str]]:
        return [(e, e.answer.note) for e in self.encounters if e.answer and e.answer.note]

    @property
    def meet_again(self) -> bool:
        """The viewer's latest answer to "would you meet again?" was yes."""
        answers = [e.answer for e in self.encounters if e.answer is not None]
        answered = [a.meet_again for a in answers if a.meet_again is not None]
        return bool(answered) and bool(answered[0])


@dataclass
class Network:
    connections: list[Connection]
    counts: HelpCounts  # at this event
    other_events: int  # how many of the organizer's other events it reaches into

    def get(self, partner_id: int) -> Connection | None:
        """The connection holding ``partner_id`` at any event; None when not in the network."""
        for connection in self.connections:
            if any(e.partner.id == partner_id for e in connection.encounters):
                return connection
        return None


def own_records(person: Attendee) -> list[Attendee]:
    """The viewer's records at every event of this organizer (same email), this one first."""
    if not _organizer_has_other_events(person):
        return [person]  # an organizer's first event: no need to look through every attendee
    others = db.session.scalars(
        select(Attendee)
        .join(Event, Event.id == Attendee.event_id)
        .where(
            Event.organizer_id == person.event.organizer_id,
            func.lower(Attendee.email) == person.email.lower(),
            Attendee.status == AttendeeStatus.ACTIVE,
            Attendee.id != person.id,
        )
    ).all()
    return [person, *others]


def _organizer_has_other_events(person: Attendee) -> bool:
    return (
        db.session.scalar(
            select(Event.id)
            .where(Event.organizer_id == person.event.organizer_id, Event.id != person.event_id)
            .limit(1)
        )
        is not None
    )


def network_of(
    person: Attendee, *, now: datetime | None = None, meetings_here: Sequence[Meeting] | None = None
) -> Network:
    """The viewer's network, people met most recently first, in a fixed number of queries.

    ``meetings_here``: the viewer's confirmed meetings at this event when the caller already
    has them; someone with no record at another event and no meeting ended yet has met
    nobody, which the page then learns without asking for meetings.
    """
    records = {r.id: r for r in own_records(person)}
    if len(records) == 1 and meetings_here is not None and not any_ended(meetings_here, now):
        return Network([], HelpCounts(0, 0), 0)
    meetings = db.session.scalars(
        select(Meeting)
        .where(
            or_(Meeting.low_id.in_(list(records)), Meeting.high_id.in_(list(records))),
            Meeting.status == MeetingStatus.CONFIRMED,
            Meeting.ends_at <= (now or utcnow()),
        )
        .options(selectinload(Meeting.low), selectinload(Meeting.high), selectinload(Meeting.event))
        .order_by(Meeting.starts_at.desc())
    ).all()
    ids = [m.id for m in meetings]
    answers = (
        db.session.scalars(select(MeetingFeedback).where(MeetingFeedback.meeting_id.in_(ids)))
        if ids
        else []
    )
    mine: dict[int, MeetingFeedback] = {}
    did_not_happen: set[int] = set()
    for answer in answers:
        if answer.outcome != MeetingOutcome.MET:
            did_not_happen.add(answer.meeting_id)
        if answer.attendee_id in records:
            mine[answer.meeting_id] = answer
    row_ids = [m.suggestion_id for m in meetings if m.suggestion_id]
    rows = {
        r.id: r
        for r in (
            db.session.scalars(select(Suggestion).where(Suggestion.id.in_(row_ids)))
            if row_ids
            else []
        )
    }
    by_key: dict[str, Connection] = {}
    own_email = person.email.lower()
    for meeting in meetings:
        if meeting.id in did_not_happen:
            continue
        viewer_id = meeting.low_id if meeting.low_id in records else meeting.high_id
        partner = meeting.partner_of(viewer_id)
        key = partner.email.lower()
        if key == own_email:
            continue
        visible = invites.contact_visible(rows.get(meeting.suggestion_id or 0), partner)
        if meeting.event_id != person.event_id and not visible:
            continue
        encounter = Encounter(meeting.event, meeting, partner, visible, mine.get(meeting.id))
        by_key.setdefault(key, Connection(key)).encounters.append(encounter)
    connections = list(by_key.values())
    # The give and take of this event, by the viewer's own answers.
    counts = help_counts(
        [
            (c.key, e.answer)
            for c in connections
            for e in c.encounters
            if e.answer and e.event.id == person.event_id
        ]
    )
    others = {e.event.id for c in connections for e in c.encounters} - {person.event_id}
    return Network(connections, counts, len(others))


@dataclass
class FollowUp:
    connection: Connection
    here_now: Attendee | None  # their record at this event, when met only elsewhere


def follow_ups(person: Attendee, network: Network) -> list[FollowUp]:
    """The people the viewer said they would meet again, and whether they are at this
    event too (with that record's consent to be recognised)."""
    wanted = [c for c in network.connections if c.meet_again]
    if not wanted:
        return []
    here = _here(person, [c.key for c in wanted])
    found = []
    for connection in wanted:
        met_here = any(e.event.id == person.event_id for e in connection.encounters)
        found.append(FollowUp(connection, None if met_here else here.get(connection.key)))
    return found


def met_before(
    person: Attendee, partners: Iterable[Attendee], network: Network | None = None
) -> dict[int, list[Event]]:
    """For people at this event, the organizer's other events where the viewer met them.

    Only where the person agreed to share their contact details at both events: at the
    earlier one (which :func:`network_of` already asks) and at this one, so someone who did
    not consent here is not recognised here.
    """
    partners = [p for p in partners if p.consent_share_contact]
    if not partners:
        return {}
    network = network or network_of(person)
    elsewhere: dict[str, list[Event]] = {}
    for connection in network.connections:
        events = [e.event for e in connection.encounters if e.event.id != person.event_id]
        if events:
            elsewhere[connection.key] = events
    return {p.id: elsewhere[p.email.lower()] for p in partners if p.email.lower() in elsewhere}


def _here(person: Attendee, keys: list[str]) -> dict[str, Attendee]:
    records = db.session.scalars(
        select(Attendee).where(
            Attendee.event_id == person.event_id,
            func.lower(Attendee.email).in_(keys),
            Attendee.status == AttendeeStatus.ACTIVE,
            Attendee.consent_share_contact.is_(True),
        )
    )
    return {r.email.lower(): r for r in records}


# -- files the viewer takes away -------------------------------------------------------------


def _met_line(encounter: Encounter) -> str:
    when = encounter.event.local(encounter.meeting.starts_at)
    return f"Met at {encounter.event.name}, {when:%d %b %Y}"


def vcard_for(connection: Connection) -> str:
    """The person's vCard with only what the viewer may see: contact details only from a
    record where they were visible; the viewer's private notes stay out of it."""
    partner, contact = connection.partner, connection.contact
    return vcard.build_vcard(
        partner.name,
        organization=partner.organization,
        title=partner.job_title,
        emails=[contact.email] if contact else [],
        urls=[u for u in (contact.linkedin_url, contact.website_url) if u] if contact else [],
        note="\n".join(_met_line(e) for e in connection.encounters),
    )


def _reminder_lines(person: Attendee, connection: Connection) -> list[str]:
    """Where they met, the contact details the viewer may see, and the way back to the
    network page: the text of both kinds of reminder."""
    contact = connection.contact
    lines = [_met_line(e) for e in connection.encounters]
    if contact is not None:
        details = [contact.email] + [u for u in (contact.linkedin_url, contact.website_url) if u]
        lines += ["", "Contact: " + ", ".join(details)]
    lines += ["", "Your network: " + invites.public_url(f"/me/{person.access_token}/network")]
    return lines


def _reminder_day(person: Attendee, weeks: int, today: date | None) -> date:
    if weeks not in REMINDER_WEEKS:
        raise ValueError(f"weeks must be one of {REMINDER_WEEKS}")
    return (today or datetime.now(UTC).astimezone(person.event.zone).date()) + timedelta(
        weeks=weeks
    )


def reminder_ics(
    person: Attendee, connection: Connection, weeks: int, *, today: date | None = None
) -> bytes:
    """An all-day reminder ``weeks`` weeks from ``today`` to follow up with the person."""
    day = _reminder_day(person, weeks, today)
    now = datetime.now(UTC)
    partner = connection.partner
    lines = _reminder_lines(person, connection)
    domain = urlsplit(invites.base_url()).hostname or "matchmaker.invalid"
    return calendar.follow_up_ics(
        uid=f"follow-up-{secrets.token_hex(8)}@{domain}",
        summary=f"Follow up with {partner.name}",
        description="\n".join(lines),
        day=day,
        now=now,
    )


# -- reminder emails -------------------------------------------------------------------------

REMINDER_HOUR = 9  # local time of the event, the morning of the chosen day


def schedule_reminder_email(
    person: Attendee, connection: Connection, weeks: int, *, today: date | None = None
) -> OutboxMessage:
    """Queue an email to the viewer ``weeks`` weeks from now, at 9:00 in the event's time
    zone, to get back in touch with the person; the caller commits.

    It waits in the outbox like any message, held back until then, and goes with the
    partner's record (deleting either person's data drops it).
    """
    day = _reminder_day(person, weeks, today)
    zone = person.event.zone
    send_at = datetime.combine(day, time(REMINDER_HOUR), tzinfo=zone).astimezone(UTC)
    partner = connection.partner
    body = "\n".join(
        [
            f"Hi {person.name},",
            "",
            f"{weeks} week{'s' if weeks != 1 else ''} ago you asked us to remind you to get "
            f"back in touch with {partner.name}.",
            "",
            *_reminder_lines(person, connection),
            "",
            "You set this reminder yourself on your network page; nobody else sees it.",
        ]
    )
    return mail.queue_email(
        db.session,
        to_email=person.email,
        to_name=person.name,
        subject=f"Time to follow up with {partner.name}",
        body_text=body,
        event_id=person.event_id,
        send_at=send_at,
        follow_up_of_id=partner.id,
    )


def reminder_emails(person: Attendee) -> dict[int, list[OutboxMessage]]:
    """The viewer's reminder emails not sent yet, by the partner record they are about."""
    found: dict[int, list[OutboxMessage]] = {}
    for message in db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.event_id == person.event_id,
            func.lower(OutboxMessage.to_email) == person.email.lower(),
            OutboxMessage.follow_up_of_id.is_not(None),
            OutboxMessage.status == MailStatus.PENDING,
        )
        .order_by(OutboxMessage.next_attempt_at)
    ):
        found.setdefault(message.follow_up_of_id, []).append(message)
    return found


def cancel_reminder_email(person: Attendee, message_id: int) -> bool:
    """Drop one of the viewer's pending reminder emails; False when it is not theirs or
    has already gone. The caller commits."""
    mine = reminder_emails(person)
    for messages in mine.values():
        for message in messages:
            if message.id == message_id:
                db.session.delete(message)
                return True
    return False
