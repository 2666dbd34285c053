"""Fixed vocabularies shared by the forms, the importer, matching and scheduling.

Kept in one plain module so that the pure algorithm modules and the web layer agree on the
exact strings stored in the database without importing each other.
"""

from __future__ import annotations

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

ANSWERS: dict[str, str] = {
    "none": "No answer yet",
    "interested": "I'd like to meet",
    "declined": "Not for me",
}
