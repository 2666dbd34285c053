"""Who may meet whom: named presets of role rules, and how many pairs a rule keeps apart.

Pure module: no Flask, no database. An organizer picks a preset for the event; "custom"
means the role × role matrix they ticked themselves. Rules are symmetric in use
(`MatchSettings.roles_may_meet`: a pair may meet when either side lists the other's role),
so every preset below is written out in both directions to read the same either way.

The default is "everyone": role rules that forbid pairs hide obvious matches (a student
looking for an internship never sees the founder offering one), so narrowing is the
organizer's explicit choice, and the matching page says what it costs in pairs kept apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from matchmaker.choices import ROLES

from .types import DEFAULT_ROLE_RULES

Rules = Mapping[str, frozenset[str]]

EVERYONE = "everyone"
JOB_FAIR = "job_fair"
INVESTOR_DAY = "investor_day"
MENTORING = "mentoring"
CUSTOM = "custom"


def symmetric(pairs: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """Rules from unordered role pairs, listed under both roles (every role gets a key)."""
    rules: dict[str, set[str]] = {role: set() for role in ROLES}
    for a, b in pairs:
        rules.setdefault(a, set()).add(b)
        rules.setdefault(b, set()).add(a)
    return {role: frozenset(others) for role, others in rules.items()}


@dataclass(frozen=True)
class RolePreset:
    """A named rule an organizer can pick; ``rules`` is None for "custom" (the matrix)."""

    key: str
    label: str
    description: str
    rules: Rules | None


PRESETS: dict[str, RolePreset] = {
    preset.key: preset
    for preset in (
        RolePreset(
            EVERYONE,
            "Everyone",
            "Anyone may meet anyone. Suggestions follow what people offer and look for, "
            "whatever their role.",
            DEFAULT_ROLE_RULES,
        ),
        RolePreset(
            JOB_FAIR,
            "Job fair",
            "Job seekers and students meet employers and experts; employers also meet "
            "experts. Founders, investors and others get no suggestions.",
            symmetric(
                [
                    ("job_seeker", "employer"),
                    ("job_seeker", "expert"),
                    ("student", "employer"),
                    ("student", "expert"),
                    ("employer", "expert"),
                ]
            ),
        ),
        RolePreset(
            INVESTOR_DAY,
            "Investor day",
            "Founders meet investors and experts; investors meet founders. "
            "Nobody else gets suggestions.",
            symmetric([("founder", "investor"), ("founder", "expert")]),
        ),
        RolePreset(
            MENTORING,
            "Mentoring",
            "Experts meet everyone, including other experts; everyone else meets experts only.",
            symmetric(("expert", role) for role in ROLES),
        ),
        RolePreset(
            CUSTOM,
            "Custom",
            "You tick which roles meet which in the table below.",
            None,
        ),
    )
}


def preset_rules(key: str, custom: Mapping[str, Iterable[str]] | None = None) -> Rules:
    """The rules a preset stands for; "custom" uses `custom` (everyone if none is given).

    Raises
    ------
    ValueError
        For a key that is not in `PRESETS`.
    """
    preset = PRESETS.get(key)
    if preset is None:
        raise ValueError(f"unknown role preset {key!r}")
    if preset.rules is not None:
        return preset.rules
    if not custom:
        return DEFAULT_ROLE_RULES
    return {role: frozenset(others) for role, others in custom.items()}


def may_meet(rules: Rules, a: str, b: str) -> bool:
    """Whether roles *a* and *b* may meet: either side lists the other (as matching reads it)."""
    return b in rules.get(a, ()) or a in rules.get(b, ())


def pairs_kept_apart(rules: Rules, role_counts: Mapping[str, int]) -> int:
    """How many pairs of attendees the rules forbid, given how many attendees have each role.

    Two roles that may not meet keep ``count(a) * count(b)`` pairs apart; a role that may
    not meet itself keeps ``count(r) * (count(r) - 1) / 2``. Roles outside `ROLES` are
    counted as "other", as matching treats them.
    """
    counts: dict[str, int] = {}
    for role, count in role_counts.items():
        key = role if role in ROLES else "other"
        counts[key] = counts.get(key, 0) + max(int(count), 0)
    roles = sorted(counts)
    apart = 0
    for i, a in enumerate(roles):
        for b in roles[i:]:
            if may_meet(rules, a, b):
                continue
            if a == b:
                apart += counts[a] * (counts[a] - 1) // 2
            else:
                apart += counts[a] * counts[b]
    return apart
