"""What matching reads about an event's attendees from the database.

Each active attendee's profile, and their *track record*: how many different people (told
apart by email) said, after meeting them at one of the same organizer's earlier events, that
this person helped them ("They helped me" or "We helped each other"). Only weights learnt
from the organizer's answers use the track record (`matchmaker.matching.learning`); the
default score leaves it out, so that busy people are not pushed into every list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from .adapters import matching_profile
from .choices import AttendeeStatus, Helped, MeetingOutcome, MeetingStatus
from .extensions import db
from .matching import Profile
from .models import Attendee, Event, Meeting, MeetingFeedback

PROFILE_COLUMNS = (
    Attendee.id,
    Attendee.email,
    Attendee.can_help_with,
    Attendee.looking_for,
    Attendee.interests,
    Attendee.role,
    Attendee.organization,
    Attendee.meeting_mode,
    Attendee.available_session_ids,
    Attendee.updated_at,
)

TrackRecords = Mapping[str, int]


def profile_of(row: Any, records: TrackRecords | None = None) -> Profile:
    """The matching profile of a row of `PROFILE_COLUMNS`, with its track record."""
    track = (records or {}).get(row.email.lower(), 0)
    return matching_profile(row, track_record=track)


def load_profiles(
    event_id: int, records: TrackRecords | None = None
) -> tuple[list[Profile], datetime | None]:
    """The event's active attendees as profiles (by id), and their latest edit time."""
    rows = db.session.execute(
        select(*PROFILE_COLUMNS)
        .where(Attendee.event_id == event_id, Attendee.status == AttendeeStatus.ACTIVE)
        .order_by(Attendee.id)
    ).all()
    stamp = max((r.updated_at for r in rows), default=None)
    return [profile_of(r, records) for r in rows], stamp


@dataclass(frozen=True)
class HelpReport:
    """At an event that started at ``starts_at``, ``reporter`` said ``helper`` helped them."""

    starts_at: datetime
    helper: str
    reporter: str


def help_reports(organizer_id: int) -> list[HelpReport]:
    """Every "they helped me" or "we helped each other" at the organizer's events, in one
    query, emails folded to lower case."""
    reporter, helper = aliased(Attendee), aliased(Attendee)
    partner_id = case(
        (Meeting.low_id == MeetingFeedback.attendee_id, Meeting.high_id), else_=Meeting.low_id
    )
    rows = db.session.execute(
        select(Event.starts_at, func.lower(helper.email), func.lower(reporter.email))
        .select_from(MeetingFeedback)
        .join(Meeting, Meeting.id == MeetingFeedback.meeting_id)
        .join(Event, Event.id == Meeting.event_id)
        .join(reporter, reporter.id == MeetingFeedback.attendee_id)
        .join(helper, helper.id == partner_id)
        .where(
            Event.organizer_id == organizer_id,
            Meeting.status == MeetingStatus.CONFIRMED,
            MeetingFeedback.outcome == MeetingOutcome.MET,
            MeetingFeedback.helped.in_([Helped.THEY_HELPED_ME, Helped.BOTH]),
        )
    )
    return [HelpReport(*row) for row in rows]


def track_records(reports: list[HelpReport], before: datetime) -> dict[str, int]:
    """Different people who said each email helped them, at events that started before
    ``before``."""
    reporters: dict[str, set[str]] = {}
    for report in reports:
        if report.starts_at < before and report.reporter != report.helper:
            reporters.setdefault(report.helper, set()).add(report.reporter)
    return {email: len(people) for email, people in reporters.items()}


def event_track_records(event: Event) -> dict[str, int]:
    """Track records of everyone as of the event's start (the organizer's earlier events)."""
    return track_records(help_reports(event.organizer_id), event.starts_at)
