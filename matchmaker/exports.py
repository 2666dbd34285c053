"""Files that leave the app: CSV that spreadsheets open safely (no formula injection),
downloads of CSV, calendars and JSON, and suggestion lists written straight from an attendee file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO
from urllib.parse import quote

from flask import Response

from . import importing
from .adapters import matching_profile
from .matching import MatchSettings, format_reasons, suggest_partners

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> str:
    """Prefix a quote so the cell is shown as text, never evaluated (CWE-1236)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize(h) for h in header])
    for row in rows:
        writer.writerow([neutralize(cell) for cell in row])
    return buffer.getvalue()


_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_NOT_IN_A_NAME = re.compile(r'[\x00-\x1f\x7f/\\"]+')


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _UNSAFE_FILENAME.sub("-", plain).strip("-.")


def disposition(kind: str, filename: str, default: str) -> str:
    """A Content-Disposition with a plain ASCII name every browser reads ("Nystrom") and the
    real one ("Nyström", RFC 6266 ``filename*``) for those that read it."""
    stem, dot, extension = filename.rpartition(".")
    stem, extension = (stem, _ascii(extension)) if dot else (filename, "")
    plain = _ascii(stem)
    plain = (f"{plain}.{extension}" if extension else plain) if plain else default
    real = _NOT_IN_A_NAME.sub("-", filename).strip("-. ")
    if not real or real == plain:
        return f'{kind}; filename="{plain}"'
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(real, safe='')}"


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    # A byte-order mark makes Excel read the file as UTF-8 rather than the local code page.
    body = "\ufeff" + to_csv(header, rows)
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def calendar_response(body: bytes, filename: str, *, inline: bool = False) -> Response:
    """An iCalendar body as a download, or inline for a subscribed feed.

    Nothing is cached along the way: the calendar changes whenever a meeting does, and it
    names people.
    """
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = disposition(
        "inline" if inline else "attachment", filename, "calendar.ics"
    )
    response.cache_control.no_cache = True
    response.cache_control.private = True
    return response


def vcard_response(text: str, filename: str) -> Response:
    """A vCard as a download that no browser or proxy keeps: it carries contact details."""
    response = Response(text.encode("utf-8"), content_type="text/vcard; charset=utf-8")
    response.headers["Content-Disposition"] = disposition("attachment", filename, "contact.vcf")
    response.cache_control.no_store = True
    return response


def json_response(data: object, filename: str) -> Response:
    """A JSON document as a download that no browser or proxy keeps: it carries personal data."""
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    response = Response(body.encode("utf-8"), mimetype="application/json")
    response.headers["Content-Disposition"] = disposition("attachment", filename, "data.json")
    response.cache_control.no_store = True
    return response


SUGGESTION_FIELDS = ("email", "rank", "partner", "score", "reasons")


@dataclass
class SuggestReport:
    people: int
    written: int
    errors: list[importing.RowError] = field(default_factory=list)


def suggest_from_file(
    data: bytes,
    filename: str,
    top_k: int,
    fmt: str,
    output: TextIO,
    settings: MatchSettings | None = None,
) -> SuggestReport:
    """Write `top_k` suggestions per attendee in `fmt` ("csv" or "jsonl") to `output`.

    Rows with errors are skipped and returned in the report; an unreadable file raises
    `importing.ImportFileError`. ``settings`` (default: the defaults with ``top_k``) lets the
    evaluation try variants through exactly this code path.
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown format {fmt!r}")
    _, _, report = importing.parse_attendee_file(data, filename)
    records = report.records
    profiles = [matching_profile(record, index) for index, record in enumerate(records)]
    result = suggest_partners(profiles, settings or MatchSettings(top_k=top_k))
    writer = csv.writer(output, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(SUGGESTION_FIELDS)
    written = 0
    for index, record in enumerate(records):
        for rank, suggestion in enumerate(result.suggestions.get(index, []), start=1):
            partner = records[suggestion.partner_id].email
            reasons = format_reasons(suggestion.reasons)
            score = round(float(suggestion.score), 4)
            if writer:
                writer.writerow(
                    [
                        neutralize(record.email),
                        rank,
                        neutralize(partner),
                        score,
                        neutralize("; ".join(reasons)),
                    ]
                )
            else:
                line = {
                    "email": record.email,
                    "rank": rank,
                    "partner": partner,
                    "score": score,
                    "reasons": reasons,
                }
                output.write(json.dumps(line, ensure_ascii=False) + "\n")
            written += 1
    return SuggestReport(people=len(records), written=written, errors=report.errors)
