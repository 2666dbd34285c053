"""Match an attendee spreadsheet directly, without the database.

Organizers use it to try matching on a file before an event: the same column recognition as
the importer, the same matching, one output record per suggestion.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from typing import TextIO

from . import importing
from .adapters import matching_profile
from .matching import MatchSettings, format_reasons, suggest_partners
from .spreadsheet import neutralize

FIELDS = ("email", "rank", "partner", "score", "reasons")


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
        writer.writerow(FIELDS)
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
