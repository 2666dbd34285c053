"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from .choices import ANSWERS, MEETING_MODES, ROLES
from .matching import format_reason, format_reasons, is_weak


def format_local(instant: datetime | None, zone: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    if instant is None:
        return ""
    return instant.astimezone(ZoneInfo(zone)).strftime(fmt)


def format_number(value: float, digits: int = 0) -> str:
    """1234 -> "1,234"; with digits, 9.6 -> "9.6" but 10.0 -> "10" (no trailing zeros)."""
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if digits and "." in text else text


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["reason_text"] = format_reason
    app.jinja_env.filters["reason_lines"] = format_reasons
    app.jinja_env.tests["weak_match"] = is_weak
    app.jinja_env.globals.update(ROLES=ROLES, MEETING_MODES=MEETING_MODES, ANSWERS=ANSWERS)
