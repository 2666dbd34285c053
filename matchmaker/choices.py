"""Fixed vocabularies shared by the forms, the importer, matching and scheduling.

Kept in one plain module so that the pure algorithm modules and the web layer agree on the
exact strings stored in the database without importing each other.
"""

from __future__ import annotations

from enum import StrEnum

ROLES: dict[str, str] = {
    "job_seeker": "Job seeker",
    "employer": "Employer",
    "expert": "Expert",
    "founder": "Founder",
    "student": "Student",
    "investor": "Investor",
    "other": "Other",
}

MEETING_MODES: dict[str, str] = {
    "either": "In person or online",
    "in_person": "In person",
    "virtual": "Online",
}



class Answer(StrEnum):
    """One side's answer to a suggested partner (stored as the plain string)."""

    NONE = "none"
    INTERESTED = "interested"
    DECLINED = "declined"


ANSWERS: dict[str, str] = {
    Answer.NONE: "No answer yet",
    Answer.INTERESTED: "I'd like to meet",
    Answer.DECLINED: "Not for me",
}


class AttendeeStatus(StrEnum):
    """Whether someone takes part yet. Only active attendees are matched or reach their
    private pages: a public registration is held until its email is confirmed (or, with no
    mail configured, until the organizer approves it)."""

    ACTIVE = "active"
    UNCONFIRMED = "unconfirmed"
    AWAITING_APPROVAL = "awaiting_approval"


class MeetingStatus(StrEnum):
    """Cancelled meetings stay, so calendars can cancel them."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class SchedulingMode(StrEnum):
    """Who decides which meetings happen, chosen by the organizer and told to attendees."""

    PEOPLE_CHOOSE = "people_choose"  # only mutual yeses are booked
    SPEED_NETWORKING = "speed_networking"  # the organizer assigns; anyone may decline one


SCHEDULING_MODES: dict[str, str] = {
    SchedulingMode.PEOPLE_CHOOSE: "People choose: a meeting is booked when both say yes",
    SchedulingMode.SPEED_NETWORKING: "Speed networking: you assign meetings; anyone can decline",
}


class FollowUps(StrEnum):
    """What matching does with pairs who met at the organizer's earlier events."""

    AS_USUAL = "as_usual"  # suggested like anyone else, labelled "You met before"
    PREFER = "prefer"  # auto-schedule books them first when either would meet again
    EXCLUDE = "exclude"  # never suggested again: only new people


FOLLOW_UPS: dict[str, str] = {
    FollowUps.AS_USUAL: "Suggest them like anyone else (their cards say they met before)",
    FollowUps.PREFER: "Prefer them: auto-schedule books them first when either would meet again",
    FollowUps.EXCLUDE: "Leave them out: suggest only people they have not met",
}


class MeetingOutcome(StrEnum):
    """Did the meeting happen, as one of the two people answers after it ended."""

    MET = "met"
    NO_SHOW = "no_show"  # the other person did not come
    MISSED = "missed"  # I could not make it


MEETING_OUTCOMES: dict[str, str] = {
    MeetingOutcome.MET: "Yes, we met",
    MeetingOutcome.NO_SHOW: "They didn't come",
    MeetingOutcome.MISSED: "I couldn't make it",
}


class Helped(StrEnum):
    """Who helped whom in a meeting, from the answering person's side."""

    THEY_HELPED_ME = "they_helped_me"
    I_HELPED_THEM = "i_helped_them"
    BOTH = "both"
    NEITHER = "neither"


HELPED: dict[str, str] = {
    Helped.THEY_HELPED_ME: "They helped me",
    Helped.I_HELPED_THEM: "I helped them",
    Helped.BOTH: "We helped each other",
    Helped.NEITHER: "Neither of us",
}


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class MailStatus(StrEnum):
    """Where a message in the outbox stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
