"""The one place that turns people from one shape into another.

An attendee arrives as an imported row (:class:`~matchmaker.importing.AttendeeRecord`) or as
answers typed into a form (:class:`ProfileAnswers`), is stored as an
:class:`~matchmaker.models.Attendee`, and is seen by matching as a
:class:`~matchmaker.matching.Profile` and by scheduling as a
:class:`~matchmaker.scheduling.Person`. No database session and no Flask here: each function
reads attributes and returns a new value, so each conversion exists once and is tested alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .importing import AttendeeRecord, split_phrases
from .matching import Profile
from .scheduling import Person

# Columns an import may set; profile answers an attendee already gave win over an empty cell.
IMPORTED_FIELDS = (
    "name",
    "organization",
    "job_title",
    "role",
    "bio",
    "can_help_with",
    "looking_for",
    "interests",
    "meeting_mode",
    "timezone",
    "linkedin_url",
    "website_url",
)


def record_values(record: AttendeeRecord) -> dict[str, object]:
    """The attendee columns an imported row sets."""
    return {name: getattr(record, name) for name in IMPORTED_FIELDS}


def matching_profile(person: Any, profile_id: int | None = None, track_record: int = 0) -> Profile:
    """What matching needs to know about someone.

    ``person`` is an attendee, a lighter row with the same attribute names, or an imported
    record (which has no id and no session choice: pass ``profile_id``). ``track_record`` is
    how many people said this person helped them at the organizer's earlier events.
    """
    sessions = getattr(person, "available_session_ids", None)
    return Profile(
        id=person.id if profile_id is None else profile_id,
        can_help_with=tuple(person.can_help_with or ()),
        looking_for=tuple(person.looking_for or ()),
        interests=tuple(person.interests or ()),
        role=person.role,
        organization=person.organization or "",
        meeting_mode=person.meeting_mode,
        sessions=None if sessions is None else frozenset(sessions),
        track_record=track_record,
    )


def scheduling_person(person: Any, session_index: Mapping[int, int]) -> Person:
    """What scheduling needs: the meeting mode and the sessions as slot-grid indexes.

    ``session_index`` maps stored session ids to their position in the event's sessions;
    choices naming a session that no longer exists are dropped.
    """
    ids = person.available_session_ids
    sessions = (
        None if ids is None else frozenset(session_index[i] for i in ids if i in session_index)
    )
    return Person(mode=person.meeting_mode, sessions=sessions)


@dataclass
class ProfileAnswers:
    """A validated profile form as plain data; phrase fields are still the typed text."""

    name: str
    organization: str = ""
    job_title: str = ""
    role: str = "other"
    bio: str = ""
    can_help_with: str = ""
    looking_for: str = ""
    interests: str = ""
    meeting_mode: str = "either"
    timezone: str = ""
    sessions: list[int] = field(default_factory=list)
    linkedin_url: str = ""
    website_url: str = ""
    consent_share_contact: bool = False

    @classmethod
    def from_form_data(cls, data: Mapping[str, Any]) -> ProfileAnswers:
        """From WTForms' ``form.data``; fields a form does not have keep their defaults."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names and v is not None})


def apply_answers(person: Any, answers: ProfileAnswers, session_ids: Sequence[int]) -> None:
    """Copy profile answers onto an attendee (the caller commits).

    Choosing every session is stored as "no restriction" (None), so sessions added later
    count as available too.
    """
    person.name = answers.name.strip()
    person.organization = answers.organization.strip()
    person.job_title = answers.job_title.strip()
    person.role = answers.role
    person.bio = answers.bio.strip()
    person.can_help_with = split_phrases(answers.can_help_with)
    person.looking_for = split_phrases(answers.looking_for)
    person.interests = split_phrases(answers.interests)
    person.meeting_mode = answers.meeting_mode or "either"
    person.timezone = answers.timezone or None
    chosen = sorted(set(answers.sessions) & set(session_ids))
    person.available_session_ids = None if chosen == sorted(session_ids) else chosen
    person.linkedin_url = answers.linkedin_url or None
    person.website_url = answers.website_url or None
    person.consent_share_contact = bool(answers.consent_share_contact)
