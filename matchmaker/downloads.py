"""File downloads: CSV that spreadsheets open safely, calendars that clients accept."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from flask import Response

from .spreadsheet import to_csv

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


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
    safe = _UNSAFE_FILENAME.sub("-", filename).strip("-.") or "calendar.ics"
    response = Response(body, content_type="text/calendar; charset=utf-8")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{safe}"'
    response.cache_control.no_cache = True
    response.cache_control.private = True
    return response
