"""Plain-language wording of `Reason` objects, in the reader's point of view."""

from __future__ import annotations

from collections.abc import Iterable

from .types import Reason

_LEADS = {
    "they_help": ("They can help with", "you look for"),
    "you_help": ("You can help with", "they look for"),
    "shared": ("You both care about", "they wrote"),
}


def _quoted(reason: Reason) -> tuple[str, str]:
    """(phrase led with, the other side's phrase) for one reason."""
    if reason.direction == "they_help":
        return reason.theirs, reason.yours
    return reason.yours, reason.theirs


def format_reason(reason: Reason) -> str:
    """One line such as "You can help with: dashboards (they look for: data visualisation)".

    The phrase of the person who offers comes first; the other side's wording follows in
    brackets only when it differs, so identical phrases are not repeated.
    """
    if reason.direction not in _LEADS:
        raise ValueError(f"unknown reason direction {reason.direction!r}")
    lead, other_lead = _LEADS[reason.direction]
    first, other = _quoted(reason)
    if first.casefold() == other.casefold():
        return f"{lead}: {first}"
    return f"{lead}: {first} ({other_lead}: {other})"


def format_reasons(reasons: Iterable[Reason]) -> list[str]:
    """One line per kind of reason, e.g. "You both care about: fintech, education".

    Within a line the phrases keep their order (best match first); the other side's words
    follow in brackets where they differ from the phrase shown.
    """
    grouped: dict[str, list[Reason]] = {}
    for reason in reasons:
        if reason.direction not in _LEADS:
            raise ValueError(f"unknown reason direction {reason.direction!r}")
        grouped.setdefault(reason.direction, []).append(reason)
    lines = []
    for direction in ("they_help", "you_help", "shared"):
        items = grouped.get(direction)
        if not items:
            continue
        lead, other_lead = _LEADS[direction]
        firsts, others = [], []
        for reason in items:
            first, other = _quoted(reason)
            if first not in firsts:
                firsts.append(first)
            if other.casefold() != first.casefold() and other not in others:
                others.append(other)
        line = f"{lead}: {', '.join(firsts)}"
        if others:
            line += f" ({other_lead}: {', '.join(others)})"
        lines.append(line)
    return lines


def is_weak(reasons: Iterable[Reason]) -> bool:
    """True when nobody can help the other: the pair only shares interests."""
    return all(reason.direction == "shared" for reason in reasons)


#: What attendees read beside the bar, strongest first, and the shown score each needs.
STRENGTHS = (("Strong match", 0.6), ("Good match", 0.35), ("Possible match", 0.0))
WEAK_STRENGTH = "Shares an interest"


def match_strength(score: float, reasons: Iterable[Reason]) -> tuple[int, str]:
    """(tier, label) of a suggestion: 0 is the strongest; sharing interests only comes last.

    Lists are ranked by fit times how much a person can help (see the package docstring),
    while the label reads the fit alone, so pages order cards by tier, then by rank.
    """
    if is_weak(reasons):
        return len(STRENGTHS), WEAK_STRENGTH
    return next((tier, label) for tier, (label, floor) in enumerate(STRENGTHS) if score >= floor)
