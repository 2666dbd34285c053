"""What every chart shares: the `Svg` markup type, escaping, the palette (one colour per
role, each readable on white) and the opening ``<svg>`` element with its title and
description.

The underscored helpers (`_number`, `_open`) are for the chart modules of this package.
"""

from __future__ import annotations

import re
from html import escape

from ..choices import ROLES

#: One colour per role, each dark enough for 4.5:1 against white (text on the colour and the
#: colour on the page both read), and apart enough in hue to tell roles from each other.
ROLE_COLOURS: dict[str, str] = {
    "job_seeker": "#0067a5",
    "employer": "#b93c0a",
    "expert": "#117733",
    "founder": "#a8326f",
    "student": "#7d5e00",
    "investor": "#5b3fa8",
    "other": "#5c636a",
}
UNKNOWN_COLOUR = "#495057"
BAR_COLOUR = "#1d4e89"  # the app's brand blue
TRACK_COLOUR = "#e9edf2"
TEXT_COLOUR = "#212529"
MUTED_TEXT = "#495057"
EDGE_COLOUR = "#7b8794"
UNMET_RING = "#b00020"
UNMET_BACKGROUND = "#fff4d6"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_ID = re.compile(r"[^A-Za-z0-9_-]")


class Svg(str):
    """SVG markup that templates insert as it is (Jinja honours ``__html__``): everything in
    it was escaped when it was built."""

    def __html__(self) -> str:
        return str(self)


def text(value: object) -> str:
    """Escape for XML text and attribute values, dropping the control characters that XML
    does not allow at all."""
    return escape(_CONTROL.sub("", str(value)), quote=True)


def shorten(label: str, limit: int) -> str:
    """``label`` cut to ``limit`` characters with an ellipsis (the table has it in full)."""
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def role_colour(role: str) -> str:
    return ROLE_COLOURS.get(role, UNKNOWN_COLOUR)


def role_label(role: str) -> str:
    return ROLES.get(role, role.replace("_", " ").capitalize() or "No role")


def text_width(label: str, size: float, bold: bool = False) -> float:
    """A rough width of ``label`` in a sans-serif font, enough to decide where it fits."""
    return len(label) * size * (0.62 if bold else 0.56)


def _number(value: float) -> str:
    """Coordinates with at most one decimal: shorter files, no visible difference."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def _open(chart_id: str, width: float, height: float, title: str, description: str) -> list[str]:
    safe_id = _ID.sub("-", chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {_number(width)} {_number(height)}" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc" font-family="{text(FONT)}">',
        f'<title id="{safe_id}-title">{text(title)}</title>',
        f'<desc id="{safe_id}-desc">{text(description)}</desc>',
    ]
