"""The CSV template an organizer can download and fill in when they start from scratch."""

from __future__ import annotations

import csv
import io

from matchmaker.choices import MEETING_MODES, ROLES

from .columns import FIELDS

TEMPLATE_FIELDS = (
    "name", "email", "organization", "job_title", "role", "bio", "can_help_with",
    "looking_for", "interests", "meeting_mode", "timezone", "linkedin", "website",
)  # fmt: skip
_TEMPLATE_EXAMPLE = (
    "Ada Lovelace",
    "ada@example.org",
    "Analytical Engines Ltd",
    "Head of Engineering",
    ROLES["expert"],
    "Builds teams that ship reliable data products.",
    "Python, hiring junior developers, technical interviews",
    "UX designers, beta testers",
    "open source, climate tech",
    MEETING_MODES["either"],
    "Europe/London",
    "https://www.linkedin.com/in/ada-example",
    "https://example.org",
)


def template_csv() -> str:
    """A CSV with our headings and one example row, for organizers who start from scratch."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([FIELDS[key] for key in TEMPLATE_FIELDS])
    writer.writerow(_TEMPLATE_EXAMPLE)
    return out.getvalue()
