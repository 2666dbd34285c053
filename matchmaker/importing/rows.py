"""Mapped rows -> validated :class:`AttendeeRecord` objects and a :class:`RowError` per problem.

Validation is strict and specific: every problem is reported against the row and column the
organizer sees in their spreadsheet, so they can fix the file instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from email_validator import EmailNotValidError

from .columns import FIELDS, check_mapping
from .reading import Row, Table
from .values import (
    checked_email,
    normalize_meeting_mode,
    normalize_role,
    normalize_url,
    split_phrases,
    time_zone_name,
)

LIST_FIELDS = ("can_help_with", "looking_for", "interests")

MAX_LENGTHS: dict[str, int] = {
    "name": 200,
    "email": 254,
    "organization": 200,
    "job_title": 200,
    "bio": 2000,
    "phrase": 300,
    "link": 500,
}
#: A list field holds at most this many phrases, each at most MAX_LENGTHS["phrase"] long:
#: enough for a sentence or a question title, which matching reads word by word.
MAX_PHRASES = 50
#: How often, in rows, :func:`validate_rows` reports how far it got.
PROGRESS_EVERY_ROWS = 1000


@dataclass(slots=True)
class AttendeeRecord:
    row_number: int
    name: str
    email: str
    organization: str
    job_title: str
    role: str
    bio: str
    can_help_with: list[str] = field(default_factory=list)
    looking_for: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    meeting_mode: str = "either"
    timezone: str | None = None
    linkedin_url: str | None = None
    website_url: str | None = None


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, column '{self.column}': {self.message}"


@dataclass
class ImportReport:
    """Valid records plus every problem found; a row with any error gives no record."""

    records: list[AttendeeRecord]
    errors: list[RowError]
    total_rows: int


def _column_label(headers: Sequence[str], index: int) -> str:
    if index < len(headers) and headers[index]:
        return headers[index]
    return f"column {_column_letters(index)}"


def _column_letters(index: int) -> str:
    """A spreadsheet's name for the column at ``index``: A, B, ... Z, AA, AB ..."""
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


#: A problem in one row: the field it concerns and a message for the organizer.
_Problem = tuple[str, str]


def validate_rows(
    table: Table,
    mapping: Mapping[str, int],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Turn mapped rows into records, collecting every problem with its row and column.

    Rows with any problem produce no record. A repeated email is reported on the later row,
    pointing at the row where it first appeared. Row numbers are those of
    :meth:`Table.rows`. ``progress`` is told how many rows are done every
    :data:`PROGRESS_EVERY_ROWS` rows. See :func:`extra_cells_problem` for rows with more
    cells than the header.
    """
    check_mapping(table.headers, mapping)
    labels = {key: _column_label(table.headers, index) for key, index in mapping.items()}
    columns = [(key, mapping[key]) for key in FIELDS if key in mapping]
    blank = dict.fromkeys(FIELDS, "")
    has_first_name = "first_name" in mapping
    records: list[AttendeeRecord] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    total = 0

    for total, row in enumerate(table.rows(), start=1):
        values = blank.copy()
        for key, index in columns:
            values[key] = row.cells[index].strip()
        record, problems = _read_row(values, row.number, has_first_name, first_seen)
        if record is None:
            errors.extend(RowError(row.number, labels[key], message) for key, message in problems)
        if row.extra:
            errors.append(extra_cells_problem(row, len(table.headers)))
        elif record is not None:
            records.append(record)
        if progress is not None and total % PROGRESS_EVERY_ROWS == 0:
            progress(total)
    return ImportReport(records=records, errors=errors, total_rows=total)


def extra_cells_problem(row: Row, width: int) -> RowError:
    """The error for a row with more cells than the header has columns.

    It is an error, not a warning that would import the row without the extra cells: a row
    longer than its header almost always had its cells moved, by a separator inside an
    unquoted value ("Acme, Inc" in a comma-separated file) or a stray quote, so the cells
    under the header are not what the header says either. Importing it would store the
    wrong organization, role or offers without anyone noticing. As an error it is held back
    like any other bad row: the organizer fixes the file, gives a column without a heading
    its heading, or imports the other rows only. The column named is the first extra one
    that holds something.
    """
    first = next(i for i, cell in enumerate(row.extra) if cell.strip())
    shown = [cell.strip() for cell in row.extra if cell.strip()]
    quoted = ", ".join(f"'{_short(cell, 30)}'" for cell in shown[:3])
    if len(shown) > 3:
        quoted += f" and {len(shown) - 3} more"
    cells = width + len(row.extra)
    return RowError(
        row.number,
        f"column {_column_letters(width + first)}",
        f"the row has {cells} cells but the header has {width}; the extra "
        f"{'cells' if len(shown) > 1 else 'cell'} {quoted} and the rest of the row were not "
        "imported. A comma or quote inside a value often moves the cells after it: put "
        "that value in quotes, or give the extra column a heading.",
    )


def _read_row(
    values: Mapping[str, str], number: int, has_first_name: bool, first_seen: dict[str, int]
) -> tuple[AttendeeRecord | None, list[_Problem]]:
    """One row's record, or None and every problem found in it, in field order.

    ``values`` holds every field, blank when unmapped. ``first_seen`` (email -> row) is
    shared across rows so a repeated address is caught.
    """
    problems: list[_Problem] = []
    name = _read_name(values, has_first_name, problems)
    email = _read_email(values["email"], number, first_seen, problems)
    for key in ("organization", "job_title", "bio"):
        if len(values[key]) > MAX_LENGTHS[key]:
            problems.append((key, _too_long(values[key], MAX_LENGTHS[key])))
    lists = {key: _read_phrases(key, values[key], problems) for key in LIST_FIELDS}
    timezone = _read_timezone(values["timezone"], problems)
    links = {key: _read_link(key, values[key], problems) for key in ("linkedin", "website")}
    if problems:
        return None, problems
    record = AttendeeRecord(
        row_number=number,
        name=name,
        email=email,
        organization=" ".join(values["organization"].split()),
        job_title=" ".join(values["job_title"].split()),
        role=normalize_role(values["role"]),
        bio=values["bio"],
        can_help_with=lists["can_help_with"],
        looking_for=lists["looking_for"],
        interests=lists["interests"],
        meeting_mode=normalize_meeting_mode(values["meeting_mode"]),
        timezone=timezone,
        linkedin_url=links["linkedin"],
        website_url=links["website"],
    )
    return record, problems


def _read_name(values: Mapping[str, str], has_first_name: bool, problems: list[_Problem]) -> str:
    """The full name, else first and last name joined; a problem names the column used."""
    name = " ".join((values["name"] or f"{values['first_name']} {values['last_name']}").split())
    key = "name" if values["name"] or not has_first_name else "first_name"
    if not name:
        problems.append((key, "the name is missing"))
    elif len(name) > MAX_LENGTHS["name"]:
        problems.append((key, _too_long(name, MAX_LENGTHS["name"])))
    return name


def _read_email(raw: str, number: int, first_seen: dict[str, int], problems: list[_Problem]) -> str:
    """The normalized address; a valid one not seen before is recorded in ``first_seen``."""
    email = raw.lower().removeprefix("mailto:")
    if not email:
        problems.append(("email", "the email address is missing"))
    elif len(email) > MAX_LENGTHS["email"]:
        problems.append(("email", _too_long(email, MAX_LENGTHS["email"])))
    else:
        try:
            email = checked_email(email)
        except EmailNotValidError:
            problems.append(("email", f"'{_short(raw)}' is not a valid email address"))
        else:
            if email in first_seen:
                problems.append(("email", f"'{email}' already appears on row {first_seen[email]}"))
            else:
                first_seen[email] = number
    return email


def _read_phrases(key: str, raw: str, problems: list[_Problem]) -> list[str]:
    """A list field's phrases, checked for count and length."""
    if not raw:
        return []
    short = len(raw) <= _REMEMBERED_LENGTH
    phrases = list(_remembered_phrases(raw)) if short else split_phrases(raw)
    if len(phrases) > MAX_PHRASES:
        problems.append((key, f"there are {len(phrases)} items; at most {MAX_PHRASES} are allowed"))
    if short:
        return phrases  # no phrase of a short answer can be too long
    for phrase in phrases:
        if len(phrase) > MAX_LENGTHS["phrase"]:
            problems.append(
                (
                    key,
                    f"'{_short(phrase, 40)}' is too long ({len(phrase)} characters; "
                    f"each item may have at most {MAX_LENGTHS['phrase']})",
                )
            )
    return phrases


#: Short answers are split once however often they appear: a checkbox question gives the
#: same few answers in thousands of rows. No phrase of theirs can be too long.
_REMEMBERED_LENGTH = 200  # below MAX_LENGTHS["phrase"]


@lru_cache(maxsize=8192)
def _remembered_phrases(raw: str) -> tuple[str, ...]:
    return tuple(split_phrases(raw))


def _read_timezone(raw: str, problems: list[_Problem]) -> str | None:
    """The IANA name in its usual spelling (matched without case); None when blank."""
    if not raw:
        return None
    timezone = time_zone_name(raw)
    if timezone is None:
        problems.append(
            (
                "timezone",
                f"'{_short(raw)}' is not a known time zone (use a name like Europe/Helsinki)",
            )
        )
    return timezone


def _read_link(key: str, raw: str, problems: list[_Problem]) -> str | None:
    """An http(s) address; None when blank or not usable."""
    if not raw:
        return None
    if len(raw) > MAX_LENGTHS["link"]:
        problems.append((key, _too_long(raw, MAX_LENGTHS["link"])))
        return None
    url = normalize_url(raw)
    if url is None:
        problems.append(
            (key, f"'{_short(raw)}' is not a web address starting with http:// or https://")
        )
    return url


def _too_long(value: str, limit: int) -> str:
    return f"the value is too long ({len(value)} characters; at most {limit})"


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"
