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


class MeetingStatus(StrEnum):
    """Cancelled meetings stay, so calendars can cancel them."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class MailStatus(StrEnum):
    """Where a message in the outbox stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
