"""Horizontal bars with their numbers written on them (the funnel, usefulness by session)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .svg import (
    BAR_COLOUR,
    TEXT_COLOUR,
    TRACK_COLOUR,
    Svg,
    _number,
    _open,
    shorten,
    text,
    text_width,
)


@dataclass(frozen=True)
class Bar:
    """One bar: ``value`` sets its length, ``note`` is what is written on it."""

    label: str
    value: float
    note: str
    colour: str = BAR_COLOUR


BAR_WIDTH = 400
BAR_HEIGHT = 24
BAR_FONT = 15


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    chart_id: str,
    maximum: float | None = None,
    description: str | None = None,
) -> Svg:
    """Horizontal bars on a light track that stands for ``maximum`` (default: the largest
    value), each with its note written inside the bar when it fits and just after it
    otherwise. Short labels sit to the left of their bar; long ones above it."""
    top = max([maximum or 0.0, *(bar.value for bar in bars)])
    labels = [shorten(bar.label, 44) for bar in bars]
    beside = all(len(label) <= 18 for label in labels)
    label_width = (
        max((text_width(label, BAR_FONT) for label in labels), default=0) + 10 if beside else 0
    )
    track = BAR_WIDTH - label_width
    row = BAR_HEIGHT + (10 if beside else 28)
    height = max(row * len(bars), row) + 4
    if description is None:
        description = "; ".join(f"{bar.label}: {bar.note}" for bar in bars) or "No figures."
    parts = _open(chart_id, BAR_WIDTH, height, title, description)
    for index, (bar, label) in enumerate(zip(bars, labels, strict=True)):
        y = index * row + (2 if beside else 22)
        middle = y + BAR_HEIGHT / 2
        if beside:
            parts.append(
                f'<text x="0" y="{_number(middle)}" dy="0.35em" font-size="{BAR_FONT}" '
                f'fill="{TEXT_COLOUR}">{text(label)}</text>'
            )
        else:
            parts.append(
                f'<text x="0" y="{_number(y - 7)}" font-size="{BAR_FONT}" '
                f'fill="{TEXT_COLOUR}">{text(label)}</text>'
            )
        x = label_width
        length = track * (bar.value / top) if top > 0 else 0.0
        length = max(length, 2.0) if bar.value > 0 else 0.0
        parts.append(
            f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(track)}" '
            f'height="{BAR_HEIGHT}" rx="3" fill="{TRACK_COLOUR}"/>'
        )
        if length:
            parts.append(
                f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(length)}" '
                f'height="{BAR_HEIGHT}" rx="3" fill="{text(bar.colour)}"/>'
            )
        note_width = text_width(bar.note, BAR_FONT, bold=True)
        if note_width + 14 <= length:
            parts.append(
                f'<text x="{_number(x + length - 7)}" y="{_number(middle)}" dy="0.35em" '
                f'text-anchor="end" font-size="{BAR_FONT}" font-weight="700" '
                f'fill="#ffffff">{text(bar.note)}</text>'
            )
        else:
            parts.append(
                f'<text x="{_number(x + length + 6)}" y="{_number(middle)}" dy="0.35em" '
                f'font-size="{BAR_FONT}" font-weight="700" fill="{TEXT_COLOUR}">'
                f"{text(bar.note)}</text>"
            )
    parts.append("</svg>")
    return Svg("".join(parts))
