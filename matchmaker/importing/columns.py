"""Which column holds which attendee field: guessed from the headers, checked when chosen.

Exports name their columns differently ("What is your company?", "Organisation",
"Which best describes you?"); keyword rules score each header for each field and the best
scores win, so the organizer only corrects the mapping page instead of filling it in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .errors import MappingError
from .values import ROLE_ANSWERS, plain_words

#: Field keys in display order, with the label a mapping page shows next to each select.
FIELDS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "name": "Full name",
    "email": "Email",
    "organization": "Organization",
    "job_title": "Job title",
    "role": "Role",
    "bio": "Bio",
    "can_help_with": "Can help with",
    "looking_for": "Looking for",
    "interests": "Interests",
    "meeting_mode": "Meeting mode",
    "timezone": "Time zone",
    "linkedin": "LinkedIn",
    "website": "Website",
}

_HEADER_RULES: tuple[tuple[str, int, str], ...] = (
    ("email", 100, r"^(e ?mail|email address|e mail address|your email( address)?)$"),
    ("email", 60, r"\be ?mail\b"),
    ("first_name", 100, r"^(first ?name|given name|forename|first)$"),
    ("first_name", 60, r"\b(first name|given name|forename)\b"),
    ("last_name", 100, r"^(last ?name|surname|family name|last)$"),
    ("last_name", 60, r"\b(last name|surname|family name)\b"),
    ("name", 100, r"^((your |attendee |guest |participant )?(full )?name|what is your name)$"),
    ("name", 50, r"\b(full name|your name)\b"),
    ("organization", 100, r"^(company|organi[sz]ation|company name|organi[sz]ation name)$"),
    ("organization", 70, r"\b(company|organi[sz]ation|affiliation|employer|institution)\b"),
    ("job_title", 100, r"^(job ?title|title|position|occupation)$"),
    ("job_title", 80, r"\b(job title|position|occupation)\b"),
    ("role", 100, r"^(i am an?|i am|im an?|attendee type|participant type)$"),
    ("role", 90, r"\b(describes? you|you are an?|i am an?|type of attendee|attendee type)\b"),
    ("bio", 100, r"^(bio|biography|about|about me|about you|short bio)$"),
    ("bio", 70, r"\b(bio|about yourself|about you|introduce yourself|tell us about)\b"),
    (
        "can_help_with",
        90,
        r"\b(can (you )?help|help others?|can share|(can|you) offer|expertise)\b",
    ),
    ("can_help_with", 60, r"\bskills\b"),
    ("looking_for", 90, r"\b(looking for|like help|hoping|get help|need help|want help)\b"),
    ("looking_for", 40, r"\b(help with|seeking|want to meet|would like to meet)\b"),
    ("interests", 100, r"^(my )?(interests|topics|tags)$"),
    ("interests", 80, r"\b(interests?|topics?|care about)\b"),
    ("meeting_mode", 100, r"^(meeting (mode|preference)|attendance|attendance mode|format)$"),
    ("meeting_mode", 80, r"\b(how will you (attend|join)|in person|online|virtual|meeting)\b"),
    ("timezone", 100, r"^(your )?(time ?zone|tz)$"),
    ("timezone", 80, r"\btime ?zone\b"),
    ("linkedin", 100, r"\blinked ?in\b"),
    ("website", 100, r"^(your |personal )?(website|web site|homepage|url|web|portfolio)$"),
    ("website", 70, r"\b(website|web site|homepage|home page)\b"),
)
_COMPILED_RULES = tuple((f, s, re.compile(p)) for f, s, p in _HEADER_RULES)
# "Role" is a job title in some forms ("Head of Talent") and our role in others ("Employer").
_AMBIGUOUS_ROLE = re.compile(r"^(your )?role$")
_FIELD_ORDER = {key: i for i, key in enumerate(FIELDS)}


def detect_mapping(
    headers: Sequence[str], rows: Sequence[Sequence[str]] | None = None
) -> dict[str, int]:
    """Guess which column holds each field; ``{field: column index}``, absent fields missing.

    Each header scores every field by keyword rules; the best scores are taken first so each
    field gets at most one column and each column at most one field. ``rows`` (a sample of
    the data) only settles a column headed "Role": free text there is a job title.
    """
    candidates: list[tuple[int, int, int, str]] = []
    for index, header in enumerate(headers):
        words = plain_words(header)
        if not words:
            continue
        best: dict[str, int] = {}
        for key, score, pattern in _COMPILED_RULES:
            if score > best.get(key, 0) and pattern.search(words):
                best[key] = score
        if _AMBIGUOUS_ROLE.match(words):
            best.update(_ambiguous_role_scores(index, rows))
        for key, score in best.items():
            if score > 0:
                candidates.append((-score, _FIELD_ORDER[key], index, key))
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for _, _, index, key in sorted(candidates):
        if key not in mapping and index not in used:
            mapping[key] = index
            used.add(index)
    return {key: mapping[key] for key in FIELDS if key in mapping}


def _ambiguous_role_scores(index: int, rows: Sequence[Sequence[str]] | None) -> dict[str, int]:
    if rows is None:
        return {"role": 50, "job_title": 40}
    values = [plain_words(r[index]) for r in rows[:200] if index < len(r) and r[index].strip()]
    if not values:
        return {"role": 50, "job_title": 40}
    if sum(1 for v in values if v in ROLE_ANSWERS) >= 0.8 * len(values):
        return {"role": 95, "job_title": 0}
    return {"role": 0, "job_title": 60}


def check_mapping(headers: Sequence[str], mapping: Mapping[str, int]) -> None:
    """Raise :class:`MappingError` unless the mapping names real columns, an email and a name."""
    for key, index in mapping.items():
        if key not in FIELDS:
            raise MappingError(f"'{key}' is not an attendee field.")
        if not 0 <= index < len(headers):
            raise MappingError(f"The column chosen for {FIELDS[key]} is not in the file.")
    if "email" not in mapping:
        raise MappingError(
            "No column was chosen for the email address; choose the column that holds it."
        )
    if "name" not in mapping and "first_name" not in mapping:
        raise MappingError(
            "No column was chosen for the name; choose a full name or a first name column."
        )
