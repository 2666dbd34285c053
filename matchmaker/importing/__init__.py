"""Attendee files (CSV or XLSX from Eventbrite, Luma, Google Forms or our template) -> rows.

Organizers upload whatever their ticketing tool gave them, often after a round trip through
Excel, so reading is forgiving (encodings, separators, stray blank lines) while validation is
strict and specific: every problem is reported against the row and column the organizer sees
in their spreadsheet, so they can fix the file instead of guessing.

The steps live in their own modules: `reading` (bytes -> :class:`Table`), `columns` (which
column holds which field), `values` (one cell's text -> the value we store), `rows`
(mapped rows -> :class:`AttendeeRecord` and :class:`RowError`) and `template` (the CSV an
organizer can start from).

Pure package: no Flask, no database. The web layer and the CLI turn the results into records.
"""

from __future__ import annotations

from collections.abc import Mapping

from .columns import FIELDS, check_mapping, detect_mapping
from .errors import ImportFileError, MappingError
from .reading import MAX_COLUMNS, MAX_ROWS, SAMPLE_ROWS, Row, Table, read_table
from .rows import (
    LIST_FIELDS,
    MAX_LENGTHS,
    MAX_PHRASES,
    AttendeeRecord,
    ImportReport,
    RowError,
    validate_rows,
)
from .template import TEMPLATE_FIELDS, template_csv
from .values import normalize_email, normalize_meeting_mode, normalize_role, split_phrases

__all__ = [
    "FIELDS",
    "LIST_FIELDS",
    "MAX_COLUMNS",
    "MAX_LENGTHS",
    "MAX_PHRASES",
    "MAX_ROWS",
    "SAMPLE_ROWS",
    "TEMPLATE_FIELDS",
    "AttendeeRecord",
    "ImportFileError",
    "ImportReport",
    "MappingError",
    "Row",
    "RowError",
    "Table",
    "check_mapping",
    "detect_mapping",
    "normalize_email",
    "normalize_meeting_mode",
    "normalize_role",
    "parse_attendee_file",
    "read_table",
    "split_phrases",
    "template_csv",
    "validate_rows",
]


def parse_attendee_file(
    data: bytes, filename: str = "", mapping: Mapping[str, int] | None = None
) -> tuple[Table, dict[str, int], ImportReport]:
    """Read, map (guessing unless ``mapping`` is given) and validate in one call."""
    table = read_table(data, filename)
    chosen = dict(mapping) if mapping is not None else detect_mapping(table.headers, table.sample)
    return table, chosen, validate_rows(table, chosen)
