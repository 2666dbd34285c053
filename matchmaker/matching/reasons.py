"""Plain-language wording of `Reason` objects, in the reader's point of view."""

from __future__ import annotations

from collections.abc import Iterable

from .models import Reason


def format_reason(reason: Reason) -> str:
    """One line such as "You can help with: dashboards (they look for: data visualisation)".

    The attendee's own phrase is shown first; the other side's wording follows in brackets
    only when it differs, so identical phrases are not repeated.
    """
    if reason.direction == "you_help":
        text, other = f"You can help with: {reason.yours}", f"they look for: {reason.theirs}"
    elif reason.direction == "they_help":
        text, other = f"They can help with: {reason.theirs}", f"you look for: {reason.yours}"
    elif reason.direction == "shared":
        text, other = f"You both care about: {reason.yours}", f"they wrote: {reason.theirs}"
    else:
        raise ValueError(f"unknown reason direction {reason.direction!r}")
    if reason.yours.casefold() == reason.theirs.casefold():
        return text
    return f"{text} ({other})"


def format_reasons(reasons: Iterable[Reason]) -> list[str]:
    return [format_reason(r) for r in reasons]
