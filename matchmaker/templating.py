"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from .choices import ANSWERS, HELPED, MEETING_MODES, MEETING_OUTCOMES, ROLES
from .matching import format_reason, format_reasons, is_weak, match_strength


def format_local(instant: datetime | None, zone: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    if instant is None:
        return ""
    return instant.astimezone(ZoneInfo(zone)).strftime(fmt)


def format_number(value: float, digits: int = 0) -> str:
    """1234 -> "1,234"; with digits, 9.6 -> "9.6" but 10.0 -> "10" (no trailing zeros)."""
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if digits and "." in text else text


def width_class(fraction: float) -> str:
    """A bar's width as a class, "w-pct-0" to "w-pct-100": the Content-Security-Policy
    refuses style attributes, so app.css has a rule for each whole percent."""
    return f"w-pct-{min(100, max(0, round(fraction * 100)))}"


def heat_class(fraction: float) -> str:
    """A table cell's shade in tenths, "heat-0" to "heat-10" (rules in app.css)."""
    return f"heat-{min(10, max(0, round(fraction * 10)))}"


def useful_class(mean: float) -> str:
    """A usefulness average's shade in half points, "useful-2" (1 of 5) to "useful-10" (5 of
    5): warm below the middle, blue above (rules in app.css)."""
    return f"useful-{min(10, max(2, round(mean * 2)))}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["reason_text"] = format_reason
    app.jinja_env.filters["reason_lines"] = format_reasons
    app.jinja_env.filters["width_class"] = width_class
    app.jinja_env.filters["heat_class"] = heat_class
    app.jinja_env.filters["useful_class"] = useful_class
    app.jinja_env.tests["weak_match"] = is_weak
    app.jinja_env.filters["match_strength"] = match_strength
    app.jinja_env.globals.update(
        ROLES=ROLES,
        MEETING_MODES=MEETING_MODES,
        ANSWERS=ANSWERS,
        MEETING_OUTCOMES=MEETING_OUTCOMES,
        HELPED=HELPED,
    )
