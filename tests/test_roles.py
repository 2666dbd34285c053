"""Role presets and the count of pairs they keep apart, on hand-made cases."""

from __future__ import annotations

import itertools

import pytest

from matchmaker.choices import ROLES
from matchmaker.matching import DEFAULT_ROLE_RULES, MatchSettings, Profile, suggest_partners
from matchmaker.matching.roles import (
    CUSTOM,
    EVERYONE,
    INVESTOR_DAY,
    JOB_FAIR,
    MENTORING,
    PRESETS,
    may_meet,
    pairs_kept_apart,
    preset_rules,
)


def test_the_default_lets_anyone_meet_anyone() -> None:
    assert preset_rules(EVERYONE) == DEFAULT_ROLE_RULES
    assert all(may_meet(DEFAULT_ROLE_RULES, a, b) for a in ROLES for b in ROLES)
    assert MatchSettings().role_rules == dict(DEFAULT_ROLE_RULES)


@pytest.mark.parametrize(
    ("preset", "a", "b", "meet"),
    [
        (JOB_FAIR, "job_seeker", "employer", True),
        (JOB_FAIR, "student", "expert", True),
        (JOB_FAIR, "employer", "expert", True),
        (JOB_FAIR, "founder", "founder", False),
        (JOB_FAIR, "founder", "student", False),
        (JOB_FAIR, "job_seeker", "student", False),
        (JOB_FAIR, "employer", "employer", False),
        (INVESTOR_DAY, "founder", "investor", True),
        (INVESTOR_DAY, "founder", "expert", True),
        (INVESTOR_DAY, "investor", "expert", False),
        (INVESTOR_DAY, "investor", "investor", False),
        (INVESTOR_DAY, "founder", "founder", False),
        (MENTORING, "expert", "student", True),
        (MENTORING, "expert", "expert", True),
        (MENTORING, "student", "founder", False),
        (MENTORING, "other", "other", False),
    ],
)
def test_presets_say_who_meets_whom(preset, a, b, meet) -> None:
    rules = preset_rules(preset)
    assert may_meet(rules, a, b) is meet
    assert MatchSettings(role_rules=rules).roles_may_meet(a, b) is meet


@pytest.mark.parametrize("preset", [key for key in PRESETS if key != CUSTOM])
def test_presets_read_the_same_in_both_directions(preset) -> None:
    rules = preset_rules(preset)
    assert set(rules) == set(ROLES)
    for a, b in itertools.product(ROLES, repeat=2):
        assert (b in rules[a]) == (a in rules[b])


def test_every_preset_is_described() -> None:
    assert list(PRESETS) == [EVERYONE, JOB_FAIR, INVESTOR_DAY, MENTORING, CUSTOM]
    for preset in PRESETS.values():
        assert preset.label and preset.description.endswith(".")


def test_custom_uses_the_ticked_matrix_and_unknown_presets_are_refused() -> None:
    rules = preset_rules(CUSTOM, {"student": ["investor"]})
    assert may_meet(rules, "investor", "student")
    assert not may_meet(rules, "student", "student")
    assert preset_rules(CUSTOM, None) == DEFAULT_ROLE_RULES
    with pytest.raises(ValueError, match="unknown role preset"):
        preset_rules("speed_dating")


@pytest.mark.parametrize(
    ("preset", "counts", "apart"),
    [
        (EVERYONE, {"founder": 10, "student": 7, "investor": 3}, 0),
        # Three founders at a job fair: each of the 3 founder pairs is kept apart.
        (JOB_FAIR, {"founder": 3}, 3),
        (JOB_FAIR, {"job_seeker": 4, "employer": 2}, 6 + 1),  # seekers among themselves, employers
        # Nobody here may meet: every one of the C(11, 2) = 55 pairs is kept apart.
        (JOB_FAIR, {"founder": 2, "investor": 4, "employer": 5}, 55),
        # founders 1 + investors 3 + founder-student 2 + investor-student 3 (student alone: 0).
        (INVESTOR_DAY, {"founder": 2, "investor": 3, "student": 1}, 9),
        # Unknown roles count as "other": 3 others keep 3 pairs apart; the expert meets all.
        (MENTORING, {"alien": 2, "other": 1, "expert": 1}, 3),
        (MENTORING, {"expert": 5}, 0),
        (JOB_FAIR, {}, 0),
        (JOB_FAIR, {"founder": 1, "employer": 0}, 0),
    ],
)
def test_pairs_kept_apart(preset, counts, apart) -> None:
    assert pairs_kept_apart(preset_rules(preset), counts) == apart


def test_pairs_kept_apart_reads_one_way_rules_both_ways() -> None:
    rules = {"student": frozenset({"investor"})}
    assert pairs_kept_apart(rules, {"student": 1, "investor": 1}) == 0
    assert pairs_kept_apart(rules, {"student": 2, "investor": 1}) == 1


def test_pairs_kept_apart_equals_counting_pairs_of_people() -> None:
    roles = ["founder"] * 4 + ["student"] * 3 + ["investor"] * 2 + ["expert", "other", "other"]
    counts = {role: roles.count(role) for role in set(roles)}
    for key in (EVERYONE, JOB_FAIR, INVESTOR_DAY, MENTORING):
        rules = preset_rules(key)
        by_hand = sum(1 for a, b in itertools.combinations(roles, 2) if not may_meet(rules, a, b))
        assert pairs_kept_apart(rules, counts) == by_hand


INTERNSHIP_PEOPLE = [
    Profile(1, can_help_with=("startup internships",), looking_for=("React",), role="founder"),
    Profile(2, looking_for=("startup internships",), can_help_with=("React",), role="student"),
    Profile(3, looking_for=("React",), can_help_with=("startup internships",), role="founder"),
]


def _partners(result, person: int) -> list[int]:
    return [s.partner_id for s in result.suggestions[person]]


def test_everyone_pairs_a_founder_with_the_student_looking_for_their_internship() -> None:
    result = suggest_partners(INTERNSHIP_PEOPLE, MatchSettings(role_rules=preset_rules(EVERYONE)))
    assert 1 in _partners(result, 2) and 2 in _partners(result, 1)


def test_a_job_fair_never_pairs_two_founders() -> None:
    result = suggest_partners(INTERNSHIP_PEOPLE, MatchSettings(role_rules=preset_rules(JOB_FAIR)))
    assert 3 not in _partners(result, 1) and 1 not in _partners(result, 3)
    assert _partners(result, 2) == []
