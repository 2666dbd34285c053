"""Attendee files (CSV or XLSX from Eventbrite, Luma, Google Forms or our template) -> rows.

Organizers upload whatever their ticketing tool gave them, often after a round trip through
Excel, so reading is forgiving (encodings, separators, stray blank lines) while validation is
strict and specific: every problem is reported against the row and column the organizer sees
in their spreadsheet, so they can fix the file instead of guessing.

Pure module: no Flask, no database. The web layer and the CLI turn the results into records.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email

from matchmaker.choices import MEETING_MODES, ROLES

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 500

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


class ImportFileError(ValueError):
    """The upload is not a table we can read; the message is meant for the organizer."""


class MappingError(ImportFileError):
    """The chosen columns cannot produce attendees (no email or no name column)."""


@dataclass
class Table:
    """A rectangular table as read from a file, blank rows dropped.

    ``row_numbers[i]`` is the spreadsheet row of ``rows[i]``: the header is row 1 when the file
    starts with it. Rows are counted as records, not physical lines, so a cell with a quoted
    line break still counts as one row, which is what Excel and Google Sheets show. Blank rows
    are counted (a spreadsheet shows them) but not returned.
    """

    headers: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    encoding: str
    delimiter: str


@dataclass
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


# --------------------------------------------------------------------------- reading files

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_NOT_TABLES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) or Word file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_ZIP_MAGIC = b"PK\x03\x04"
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f\x7f-\x9f\ufffe\uffff]")
# Control characters never found in text files; \x1a is the old DOS end-of-file mark.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f]")
_DELIMITERS = (",", ";", "\t", "|")
_BLANK_CHARS = " \t\r\n,;|"  # a line of only separators is a blank row
_SAMPLE_CHARS = 64 * 1024
_SAVE_AS = "Please save it as CSV (UTF-8) or as an Excel workbook (.xlsx) and upload that."


def read_table(data: bytes, filename: str = "") -> Table:
    """Read CSV/TSV text or an XLSX workbook into a :class:`Table`.

    Raises :class:`ImportFileError`, and only that, for anything that is not a readable table.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB."
        )
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data)
    for magic, what in _NOT_TABLES:
        if data.startswith(magic):
            raise ImportFileError(f"This looks like {what}, not an attendee list. {_SAVE_AS}")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(f"'{filename}' is named like an Excel workbook but is not one.")
    text, encoding = _decode(data)
    return _read_delimited(text.rstrip("\x1a"), encoding)


def _decode(data: bytes) -> tuple[str, str]:
    """Excel writes UTF-16 with a BOM, or the Windows code page; everything else is UTF-8."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding.removesuffix("-sig")), encoding
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"The file says it is {encoding.upper()} text but is not. {_SAVE_AS}"
                ) from None
    head = data[:4096]
    utf16_like = head.count(b"\x00") > len(head) // 4
    sample = data[:_SAMPLE_CHARS]
    if not utf16_like and len(_CONTROL_BYTES.findall(sample)) > len(sample) // 100:
        raise ImportFileError(f"This is not a text or spreadsheet file. {_SAVE_AS}")
    if utf16_like:
        # UTF-16 without a BOM: ASCII characters leave every other byte zero.
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            raise ImportFileError(f"This is not a text or spreadsheet file. {_SAVE_AS}") from None
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ImportFileError(f"The text encoding of this file is not recognised. {_SAVE_AS}")
    return str(best), best.encoding


def _read_delimited(text: str, encoding: str) -> Table:
    sample = text[:_SAMPLE_CHARS]
    if "\x00" in text or len(_CONTROL_CHARS.findall(sample)) > len(sample) // 100:
        raise ImportFileError(f"This is not a text or spreadsheet file. {_SAVE_AS}")
    delimiter = _guess_delimiter(sample, truncated=len(text) > len(sample))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _build_table(reader, encoding, delimiter)
    except csv.Error as exc:
        raise ImportFileError(
            f"The file could not be read as a table ({exc}). {_SAVE_AS}"
        ) from None


def _guess_delimiter(sample: str, truncated: bool) -> str:
    """Pick the separator that gives the widest header and the most rows of the same width.

    Scoring every candidate copes with European Excel (semicolons, unquoted commas inside
    cells) where csv.Sniffer alone often guesses wrong; the Sniffer only breaks ties.
    """
    scores: dict[str, tuple[float, int]] = {}
    for delimiter in _DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)]
        except csv.Error:
            continue
        if truncated and len(records) > 1:
            records.pop()  # the sample may have cut the last record in half
        records = [r for r in records if "".join(r).strip(_BLANK_CHARS)][:50]
        if not records:
            continue
        width = len(_trim(records[0]))
        body = records[1:] or records
        same = sum(1 for r in body if len(_trim(r)) <= width and len(r) >= width) / len(body)
        scores[delimiter] = (same if width > 1 else 0.0, width)
    if not scores:
        return ","
    best = max(scores.values())
    tied = [d for d in _DELIMITERS if scores.get(d) == best]
    if len(tied) > 1:
        try:
            sniffed = csv.Sniffer().sniff(sample[:8192], delimiters="".join(tied)).delimiter
        except csv.Error:
            sniffed = tied[0]
        return sniffed if sniffed in tied else tied[0]
    return tied[0]


def _trim(cells: Sequence[str]) -> Sequence[str]:
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _build_table(records: Iterable[list[str]], encoding: str, delimiter: str) -> Table:
    header: list[str] | None = None
    rows: list[list[str]] = []
    numbers: list[int] = []
    width = 0
    for number, record in enumerate(records, start=1):
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.replace("\ufeff", "").strip() for cell in record]
            width = len(_trim(header))
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows; please split it.")
        rows.append(record)
        numbers.append(number)
        if len(record) > width:
            width = max(width, len(_trim(record)))
    if header is None:
        raise ImportFileError("The file is empty.")
    if not rows:
        raise ImportFileError("The file has a header row but no attendee rows under it.")
    if width > MAX_COLUMNS:
        raise ImportFileError(f"The file has more than {MAX_COLUMNS} columns.")
    headers = (header + [""] * width)[:width]
    for i, row in enumerate(rows):
        if len(row) != width:
            rows[i] = (row + [""] * (width - len(row)))[:width]
    if width == 1 and not detect_mapping(headers):
        raise ImportFileError(
            f"The file has a single column headed '{headers[0][:60]}', which is not an attendee "
            "field. Check that the first row holds column headings such as Name and Email, "
            "and that columns are separated by commas, semicolons or tabs."
        )
    return Table(headers, rows, numbers, encoding, delimiter)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise ImportFileError("The workbook has no worksheet.")
                sheet = workbook.worksheets[0]
                sheet.reset_dimensions()  # some writers store wrong dimensions
                records = _xlsx_records(sheet.iter_rows(values_only=True))
                return _build_table(records, "xlsx", "")
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many unrelated types on damaged workbooks
        raise ImportFileError(
            f"This file could not be opened as an Excel workbook (.xlsx). {_SAVE_AS}"
        ) from None


def _xlsx_records(rows: Iterable[tuple[object, ...]]) -> Iterable[list[str]]:
    for values in rows:
        end = len(values)
        while end and values[end - 1] is None:
            end -= 1
        if end > MAX_COLUMNS:
            raise ImportFileError(f"The file has more than {MAX_COLUMNS} columns.")
        yield [_cell_text(value) for value in values[:end]]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- column mapping

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


def _words(text: str) -> str:
    """Lowercase ASCII words: 'Organisation:' and 'organisation' compare equal."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", text.replace("'", "").replace("\u2019", "")))


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
        words = _words(header)
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
    values = [_words(r[index]) for r in rows[:200] if index < len(r) and r[index].strip()]
    if not values:
        return {"role": 50, "job_title": 40}
    if sum(1 for v in values if v in _ROLE_EXACT) >= 0.8 * len(values):
        return {"role": 95, "job_title": 0}
    return {"role": 0, "job_title": 60}


def _check_mapping(table: Table, mapping: Mapping[str, int]) -> None:
    for key, index in mapping.items():
        if key not in FIELDS:
            raise MappingError(f"'{key}' is not an attendee field.")
        if not 0 <= index < len(table.headers):
            raise MappingError(f"The column chosen for {FIELDS[key]} is not in the file.")
    if "email" not in mapping:
        raise MappingError(
            "No column was chosen for the email address; choose the column that holds it."
        )
    if "name" not in mapping and "first_name" not in mapping:
        raise MappingError(
            "No column was chosen for the name; choose a full name or a first name column."
        )


# --------------------------------------------------------------------------- values

_ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "job_seeker": (
        "job seeker", "jobseeker", "job seeking", "looking for work", "looking for a job",
        "seeking work", "open to work", "job hunting", "candidate",
    ),
    "employer": ("employer", "hiring", "recruiter", "hiring manager", "recruiting"),
    "expert": ("expert", "mentor", "advisor", "adviser", "coach", "consultant"),
    "founder": ("founder", "co founder", "cofounder", "entrepreneur"),
    "student": ("student",),
    "investor": ("investor", "vc", "angel", "angel investor", "venture capitalist"),
    "other": ("other",),
}  # fmt: skip
_ROLE_EXACT: dict[str, str] = {
    _words(text): key
    for key, label in ROLES.items()
    for text in (key, label, *_ROLE_SYNONYMS.get(key, ()))
}
_ROLE_KEYWORDS = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"\b(co ?founder|founder|founding|entrepreneur)\b", "founder"),
        (r"\b(investor|vc|venture|angel)\b", "investor"),
        (r"\b(employer|hiring|recruit\w*|talent acquisition)\b", "employer"),
        (r"\b(job ?seek\w*|looking for (a )?(job|work|role)|open to work|between jobs)\b",
         "job_seeker"),
        (r"\b(student|phd|undergrad\w*|studying)\b", "student"),
        (r"\b(expert|mentor|advis[eo]r|consultant|coach)\b", "expert"),
    )
)  # fmt: skip

_MODE_EITHER = re.compile(r"\b(either|both|hybrid|any|no preference|flexible|whichever)\b")
_MODE_IN_PERSON = re.compile(r"\b(in ?person|on ?site|face to face|irl|offline|physical)\b")
_MODE_VIRTUAL = re.compile(r"\b(virtual|virtually|online|on line|remote|remotely|video)\b")


@lru_cache(maxsize=1024)
def normalize_role(text: str) -> str:
    """Map what people typed ("Looking for work", "Hiring") onto a ROLES key; else 'other'."""
    words = _words(text)
    if words in _ROLE_EXACT:
        return _ROLE_EXACT[words]
    for pattern, key in _ROLE_KEYWORDS:
        if pattern.search(words):
            return key
    return "other"


@lru_cache(maxsize=1024)
def normalize_meeting_mode(text: str) -> str:
    """Map an answer onto a MEETING_MODES key; blank or unclear answers mean 'either'."""
    words = _words(text).replace("in_person", "in person")
    if words in MEETING_MODES:
        return words
    if _MODE_EITHER.search(words):
        return "either"
    in_person = bool(_MODE_IN_PERSON.search(words))
    virtual = bool(_MODE_VIRTUAL.search(words))
    if in_person and not virtual:
        return "in_person"
    if virtual and not in_person:
        return "virtual"
    return "either"


_PHRASE_SPLIT = re.compile(r"[,;\n\r\u2022\u2023\u2043\u2219\u25aa\u25cf\u25e6\u00b7]|\s/\s")
_LIST_MARKER = re.compile(r"^(?:[-*+\u2013]|\d{1,2}[.)])\s+")
_MARKER_STARTS = frozenset("-*+\u20130123456789")


def split_phrases(text: str) -> list[str]:
    """Split a free-text list into short phrases, first spelling of each kept, order kept.

    Separators are commas, semicolons, line breaks, " / " and bullets, because that is how
    people write lists in a single form field.
    """
    phrases: list[str] = []
    seen: set[str] = set()
    for piece in _PHRASE_SPLIT.split(text):
        piece = piece.strip()
        if piece[:1] in _MARKER_STARTS:
            piece = _LIST_MARKER.sub("", piece)
        phrase = " ".join(piece.split())
        folded = phrase.casefold()
        if phrase and folded not in seen:
            seen.add(folded)
            phrases.append(phrase)
    return phrases


@lru_cache(maxsize=1)
def _time_zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def _normalize_url(value: str) -> str | None:
    """Return an http(s) URL, adding https:// to 'www.x.org/…' style values; None if invalid."""
    if any(c.isspace() for c in value):
        return None
    if "://" not in value and re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", value):
        value = "https://" + value
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if "." not in host and host != "localhost":
        return None
    return value


# --------------------------------------------------------------------------- validation


def _column_label(headers: Sequence[str], index: int) -> str:
    if headers[index]:
        return headers[index]
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"column {letters}"


#: A problem in one row: the field it concerns and a message for the organizer.
_Problem = tuple[str, str]


def validate_rows(table: Table, mapping: Mapping[str, int]) -> ImportReport:
    """Turn mapped rows into records, collecting every problem with its row and column.

    Rows with any problem produce no record. A repeated email is reported on the later row,
    pointing at the row where it first appeared. Row numbers are ``table.row_numbers``.
    """
    _check_mapping(table, mapping)
    labels = {key: _column_label(table.headers, index) for key, index in mapping.items()}
    columns = [(key, mapping[key]) for key in FIELDS if key in mapping]
    blank = dict.fromkeys(FIELDS, "")
    has_first_name = "first_name" in mapping
    records: list[AttendeeRecord] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}

    for cells, number in zip(table.rows, table.row_numbers, strict=True):
        values = blank.copy()
        for key, index in columns:
            values[key] = cells[index].strip()
        record, problems = _read_row(values, number, has_first_name, first_seen)
        if record is None:
            errors.extend(RowError(number, labels[key], message) for key, message in problems)
        else:
            records.append(record)
    return ImportReport(records=records, errors=errors, total_rows=len(table.rows))


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
            email = _normalize_email(email)
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
    phrases = split_phrases(raw) if raw else []
    if len(phrases) > MAX_PHRASES:
        problems.append((key, f"there are {len(phrases)} items; at most {MAX_PHRASES} are allowed"))
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


def _read_timezone(raw: str, problems: list[_Problem]) -> str | None:
    """The IANA name in its usual spelling (matched without case); None when blank."""
    if not raw:
        return None
    timezone = _time_zones().get(raw.lower())
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
    url = _normalize_url(raw)
    if url is None:
        problems.append(
            (key, f"'{_short(raw)}' is not a web address starting with http:// or https://")
        )
    return url


def _too_long(value: str, limit: int) -> str:
    return f"the value is too long ({len(value)} characters; at most {limit})"


_SIMPLE_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def normalize_email(text: str) -> str:
    """Lowercase and validate an address (syntax only, no DNS); raises EmailNotValidError."""
    return _normalize_email(text.strip().lower().removeprefix("mailto:"))


def _normalize_email(email: str) -> str:
    """email-validator's verdict, with the domain part cached: a file repeats few domains.

    A plain ASCII dot-atom local part is valid on its own, so only the domain needs the
    library's (slow, IDNA-aware) check; anything unusual goes through the full check.
    """
    local, at, domain = email.rpartition("@")
    if at and len(local) <= 64 and domain.isascii() and _SIMPLE_LOCAL.fullmatch(local):
        return f"{local}@{_validated_domain(domain)}"
    return validate_email(email, check_deliverability=False).normalized.lower()


@lru_cache(maxsize=4096)
def _validated_domain(domain: str) -> str:
    return validate_email(f"a@{domain}", check_deliverability=False).domain.lower()


def parse_attendee_file(
    data: bytes, filename: str = "", mapping: Mapping[str, int] | None = None
) -> tuple[Table, dict[str, int], ImportReport]:
    """Read, map (guessing unless ``mapping`` is given) and validate in one call."""
    table = read_table(data, filename)
    chosen = dict(mapping) if mapping is not None else detect_mapping(table.headers, table.rows)
    return table, chosen, validate_rows(table, chosen)


# --------------------------------------------------------------------------- template

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
