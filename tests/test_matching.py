"""Matching on small hand-made events whose right answer can be stated."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.matching import (
    Matcher,
    MatchSettings,
    Profile,
    Reason,
    format_reason,
    format_reasons,
    is_weak,
    match_strength,
    suggest_partners,
)
from matchmaker.matching.engine import pair_components
from matchmaker.matching.synthetic import synthetic_profiles
from matchmaker.matching.text import content_words, phrase_terms, shipped_aliases


def ids(result, person: int) -> list[int]:
    return [s.partner_id for s in result.suggestions[person]]


def score(result, person: int, partner: int) -> float:
    return next(s.score for s in result.suggestions[person] if s.partner_id == partner)


# -- text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ML", "machine learning"),
        ("Machine-Learning", "machine learning"),
        ("JS", "JavaScript"),
        ("UX", "user experience"),
        ("data viz", "Data visualisation"),
        ("data visualization", "data visualisation"),
        ("recruiter", "recruiting"),
        ("CV review", "resume review"),
        ("Kubernetes", "k8s"),
        ("startups", "Startup"),
        ("peers in climate tech", "climate tech"),
        ("customer success people", "Customer Success"),
    ],
)
def test_phrase_variants_share_their_terms(a: str, b: str) -> None:
    aliases = shipped_aliases()
    assert set(phrase_terms(a, aliases)) == set(phrase_terms(b, aliases))


def test_phrase_alias_does_not_rewrite_inside_other_phrases() -> None:
    aliases = shipped_aliases()
    assert content_words("security", aliases) == ("cybersecurity",)
    assert content_words("food security", aliases) == ("food", "security")


@pytest.mark.parametrize(
    ("offer", "need"),
    [
        ("machine learning", "ML engineers"),
        ("data visualization", "data viz"),
        ("recruiting", "recruiter"),
        ("statistics", "statistic analysis"),
        ("React", "React developers"),
    ],
)
def test_spelling_and_wording_variants_meet(offer: str, need: str) -> None:
    people = [Profile(1, can_help_with=(offer,)), Profile(2, looking_for=(need,))]
    result = suggest_partners(people)
    assert ids(result, 2) == [1]


@pytest.mark.parametrize(
    ("offer", "need"),
    [
        ("pitch deck feedback", "portfolio feedback"),  # "feedback" on different things
        ("climate tech", "fintech"),  # "fintech" is written "financial technology"
        ("health tech", "edtech"),
        ("board experience", "UX designers"),  # "UX" is written "user experience"
    ],
)
def test_a_shared_generic_word_alone_does_not_match(offer: str, need: str) -> None:
    people = [
        Profile(1, can_help_with=(offer,), interests=(offer,)),
        Profile(2, looking_for=(need,), interests=(need,)),
    ]
    assert ids(suggest_partners(people), 2) == []


def test_a_head_word_still_names_its_phrase() -> None:
    me = Profile(1, looking_for=("portfolio feedback",))
    same_phrase = Profile(2, can_help_with=("portfolio feedback",))
    same_topic = Profile(3, can_help_with=("portfolio",))
    other_feedback = Profile(4, can_help_with=("pitch deck feedback",))
    result = suggest_partners([me, same_phrase, same_topic, other_feedback])
    assert ids(result, 1) == [2, 3]
    assert score(result, 1, 2) > score(result, 1, 3)


def test_organizer_aliases_extend_the_shipped_table() -> None:
    people = [Profile(1, can_help_with=("Tanzu",)), Profile(2, looking_for=("Kubernetes",))]
    assert ids(suggest_partners(people), 2) == []
    extended = MatchSettings(extra_synonyms={"tanzu": "kubernetes"})
    assert ids(suggest_partners(people, extended), 2) == [1]


# -- score ------------------------------------------------------------------------------


def test_complementary_beats_similar() -> None:
    seeker = Profile(1, can_help_with=("python",), looking_for=("fundraising",), role="founder")
    investor = Profile(
        2, can_help_with=("fundraising",), looking_for=("deal flow",), role="investor"
    )
    twin = Profile(3, can_help_with=("python",), looking_for=("fundraising",), role="founder")
    result = suggest_partners([seeker, investor, twin])
    assert ids(result, 1) == [2]  # the twin shares everything and helps with nothing


def test_mutual_beats_one_way() -> None:
    me = Profile(1, can_help_with=("sql",), looking_for=("pricing strategy",))
    one_way = Profile(2, can_help_with=("pricing strategy",), looking_for=("gardening",))
    mutual = Profile(3, can_help_with=("pricing strategy",), looking_for=("sql",))
    result = suggest_partners([me, one_way, mutual])
    assert ids(result, 1) == [3, 2]
    assert score(result, 1, 3) > score(result, 1, 2) > 0


def test_strong_one_way_beats_weak_mutual() -> None:
    seeker = Profile(1, can_help_with=("copywriting",), looking_for=("salary negotiation",))
    expert = Profile(2, can_help_with=("salary negotiation",), looking_for=("board roles",))
    weak = Profile(
        3, can_help_with=("negotiation",), looking_for=("copywriting", "gardening", "chess")
    )
    result = suggest_partners([seeker, expert, weak])
    assert ids(result, 1)[0] == 2


def test_shared_interests_add_a_smaller_part() -> None:
    me = Profile(1, looking_for=("fundraising",), interests=("chess",))
    helper = Profile(2, can_help_with=("fundraising",))
    helper_chess = Profile(3, can_help_with=("fundraising",), interests=("chess",))
    chess_only = Profile(4, interests=("chess",))
    result = suggest_partners([me, helper, helper_chess, chess_only])
    assert ids(result, 1) == [3, 2, 4]
    assert score(result, 1, 4) < score(result, 1, 2)
    assert is_weak(result.suggestions[1][2].reasons)
    assert not is_weak(result.suggestions[1][0].reasons)


def test_rare_need_met_beats_common_need_met() -> None:
    """Meeting a need few people can meet matters more than one everybody meets."""
    me = Profile(1, looking_for=("python", "quantum error correction"))
    crowd = [Profile(10 + i, can_help_with=("python", f"hobby {i}")) for i in range(20)]
    rare = Profile(2, can_help_with=("quantum error correction", "gardening"))
    result = suggest_partners([me, rare, *crowd], MatchSettings(top_k=3))
    assert ids(result, 1)[0] == 2


def test_long_phrases_contribute_through_their_words() -> None:
    me = Profile(1, looking_for=("how do I raise a seed round for a climate startup",))
    investor = Profile(2, can_help_with=("seed round", "climate tech"))
    other = Profile(3, can_help_with=("gardening",))
    result = suggest_partners([me, investor, other])
    assert ids(result, 1) == [2]
    (reason,) = result.suggestions[1][0].reasons
    assert reason.direction == "they_help"
    assert reason.theirs == "seed round"
    assert reason.yours == "… raise a seed round for …"  # the part that matched


def test_helping_with_more_is_not_punished() -> None:
    me = Profile(1, looking_for=("pricing",))
    focused = Profile(2, can_help_with=("pricing",))
    broad = Profile(3, can_help_with=("pricing", "sales", "hiring", "marketing", "legal"))
    result = suggest_partners([me, focused, broad])
    assert score(result, 1, 3) >= 0.9 * score(result, 1, 2)


def test_offer_order_counts_only_with_a_position_decay(monkeypatch: pytest.MonkeyPatch) -> None:
    from matchmaker.matching import vectors

    me = Profile(1, looking_for=("pricing",))
    lists_it_last = Profile(2, can_help_with=("sales", "hiring", "pricing"))
    lists_it_first = Profile(3, can_help_with=("pricing", "sales", "hiring"))
    people = [me, lists_it_last, lists_it_first]
    shipped = suggest_partners(people)
    assert score(shipped, 1, 2) == score(shipped, 1, 3)  # the same offers in another order
    monkeypatch.setattr(vectors, "POSITION_DECAY", 0.5)
    assert ids(suggest_partners(people), 1) == [3, 2]  # listed last still suggested


def test_scores_are_within_bounds_and_help_ranks_above_interests() -> None:
    result = suggest_partners(synthetic_profiles(150, seed=3))
    for suggestions in result.suggestions.values():
        weak = [is_weak(s.reasons) for s in suggestions]
        assert weak == sorted(weak)  # real help first, "shares an interest" after
        for s in suggestions:
            assert 0.0 < s.score <= 1.0


# -- rules ------------------------------------------------------------------------------


def test_shown_score_is_the_fit_even_for_someone_everybody_needs() -> None:
    """The in-demand prior of the one person who meets 300 needs is large; it ranks, but the
    strength people see is still the fit (here all of a need met by a plain offer)."""
    expert = Profile(1, can_help_with=("python",))
    crowd = [Profile(10 + i, looking_for=("python",)) for i in range(300)]
    result = suggest_partners([expert, *crowd])
    assert ids(result, 10)[0] == 1
    assert score(result, 10, 1) == pytest.approx(1 / 1.5, abs=1e-6)


def test_default_role_rules_let_anyone_meet() -> None:
    seeker = Profile(1, looking_for=("fundraising",), role="job_seeker")
    investor = Profile(2, can_help_with=("fundraising",), role="investor")
    founder = Profile(3, looking_for=("fundraising",), role="founder")
    result = suggest_partners([seeker, investor, founder])
    assert ids(result, 1) == [2]
    assert ids(result, 3) == [2]


def test_role_rules_that_leave_nobody_are_explained() -> None:
    seeker = Profile(1, looking_for=("fundraising",), role="job_seeker")
    investor = Profile(2, can_help_with=("fundraising",), role="investor")
    rules = {"investor": frozenset({"founder"})}
    result = suggest_partners([seeker, investor], MatchSettings(role_rules=rules))
    assert ids(result, 1) == []
    assert result.unmatched[1] == "no_compatible_partner"


def test_custom_role_rules_are_symmetric() -> None:
    people = [
        Profile(1, looking_for=("python",), role="student"),
        Profile(2, can_help_with=("python",), role="investor"),
    ]
    rules = {"student": frozenset({"investor"})}
    result = suggest_partners(people, MatchSettings(role_rules=rules))
    assert ids(result, 1) == [2] and ids(result, 2) == [1]


@pytest.mark.parametrize(
    ("org_a", "org_b", "exclude", "meet"),
    [
        ("Acme Oy", "  acme   OY ", True, False),
        ("Acme Oy", "Acme", True, True),
        ("Acme Oy", "Acme Oy", False, True),
        ("", "", True, True),
    ],
)
def test_same_organisation(org_a: str, org_b: str, exclude: bool, meet: bool) -> None:
    people = [
        Profile(1, looking_for=("sql",), organization=org_a),
        Profile(2, can_help_with=("sql",), organization=org_b),
    ]
    result = suggest_partners(people, MatchSettings(exclude_same_organization=exclude))
    assert (ids(result, 1) == [2]) is meet


@pytest.mark.parametrize(
    ("mode_a", "sessions_a", "mode_b", "sessions_b", "meet"),
    [
        ("in_person", None, "virtual", None, False),
        ("in_person", None, "either", None, True),
        ("virtual", None, "virtual", None, True),
        ("either", frozenset({1, 2}), "either", frozenset({3}), False),
        ("either", frozenset({1, 2}), "either", frozenset({2, 3}), True),
        ("either", None, "either", frozenset({3}), True),
        ("either", frozenset(), "either", None, False),
    ],
)
def test_attendees_who_cannot_meet_are_never_paired(
    mode_a: str, sessions_a, mode_b: str, sessions_b, meet: bool
) -> None:
    people = [
        Profile(1, looking_for=("sql",), meeting_mode=mode_a, sessions=sessions_a),
        Profile(2, can_help_with=("sql",), meeting_mode=mode_b, sessions=sessions_b),
    ]
    result = suggest_partners(people)
    assert (ids(result, 1) == [2]) is meet
    if not meet:
        assert result.unmatched[1] == "no_shared_availability"


def test_declined_pairs_are_never_suggested() -> None:
    people = [
        Profile(1, looking_for=("sql",)),
        Profile(2, can_help_with=("sql",)),
        Profile(3, can_help_with=("sql",), interests=("chess",)),
    ]
    settings = MatchSettings(declined_pairs=frozenset({frozenset({1, 2})}))
    result = suggest_partners(people, settings)
    assert ids(result, 1) == [3]
    assert 1 not in ids(result, 2)


def test_unmatched_reasons() -> None:
    people = [
        Profile(1),
        Profile(2, looking_for=("sql",), interests=("chess",)),
        Profile(3, can_help_with=("knitting",)),
    ]
    result = suggest_partners(people)
    assert result.unmatched == {1: "empty_profile", 2: "no_shared_topics", 3: "no_shared_topics"}
    assert result.coverage == 0.0


# -- exposure ---------------------------------------------------------------------------


def test_exposure_cap_keeps_the_popular_expert_from_being_swamped() -> None:
    expert = Profile(1, can_help_with=("fundraising", "pricing"), role="expert")
    others = [Profile(10, can_help_with=("pricing",), role="expert")]
    seekers = [
        Profile(100 + i, looking_for=("fundraising", "pricing"), role="founder") for i in range(12)
    ]
    result = suggest_partners([expert, *others, *seekers], MatchSettings(top_k=1, max_exposure=4))
    appearances = [s.partner_id for p in seekers for s in result.suggestions[p.id]]
    assert appearances.count(1) == 4
    assert result.max_exposure <= 4
    # Everyone still gets somebody while somebody with room exists: 4 + 4 slots for 12.
    assert sum(1 for p in seekers if result.suggestions[p.id]) == 8
    assert {result.unmatched[p.id] for p in seekers if not result.suggestions[p.id]} == {
        "partners_full"
    }


def test_lists_are_full_where_partners_exist() -> None:
    profiles = synthetic_profiles(400, seed=7)
    result = suggest_partners(profiles, MatchSettings(top_k=5))
    matcher = Matcher(MatchSettings(top_k=5)).fit(profiles)
    exposure: dict[int, int] = {}
    for person, suggestions in result.suggestions.items():
        # Everyone with at least five allowed partners with a positive score gets five.
        available = int(matcher._cand_cnt[matcher._index[person]])
        assert len(suggestions) == min(5, available)
        for s in suggestions:
            exposure[s.partner_id] = exposure.get(s.partner_id, 0) + 1
    assert result.max_exposure == max(exposure.values())
    assert set(result.unmatched.values()) <= {
        "empty_profile", "no_compatible_partner", "no_shared_availability", "no_shared_topics"
    }  # fmt: skip
    covered = sum(1 for s in result.suggestions.values() if s)
    assert result.coverage == covered / len(profiles)


@pytest.mark.parametrize(
    "settings",
    [MatchSettings(), MatchSettings(max_exposure=5), MatchSettings(exposure_penalty=0.5)],
)
def test_lists_keep_best_first_order(settings: MatchSettings) -> None:
    result = suggest_partners(synthetic_profiles(200, seed=1), settings)
    matcher = Matcher(settings).fit(synthetic_profiles(200, seed=1))
    assert matcher.result_ == result
    for person, suggestions in result.suggestions.items():
        weak = [is_weak(s.reasons) for s in suggestions]
        assert weak == sorted(weak)  # exposure rules never lift a weak pair above help
        if settings.exposure_penalty == 0 and settings.max_exposure is None:
            row = matcher._index[person]
            keys = matcher._cand_key[row, : len(suggestions)].tolist()
            assert keys == sorted(keys, reverse=True)


def test_exposure_penalty_spreads_suggestions() -> None:
    profiles = synthetic_profiles(400, seed=5)
    plain = suggest_partners(profiles, MatchSettings(top_k=5))
    spread = suggest_partners(profiles, MatchSettings(top_k=5, exposure_penalty=1.0))
    assert spread.max_exposure < plain.max_exposure
    assert spread.coverage == plain.coverage


# -- reasons ----------------------------------------------------------------------------


def test_reasons_quote_each_side_in_their_own_words() -> None:
    me = Profile(
        1,
        can_help_with=("dashboards", "Data viz"),
        looking_for=("seed funding",),
        interests=("Climate tech",),
        role="founder",
    )
    them = Profile(
        2,
        can_help_with=("seed funding",),
        looking_for=("data visualisation",),
        interests=("climate-tech", "chess"),
        role="investor",
    )
    result = suggest_partners([me, them])
    (suggestion,) = result.suggestions[1]
    assert suggestion.reasons == (
        Reason("they_help", "seed funding", "seed funding"),
        Reason("you_help", "Data viz", "data visualisation"),
        Reason("shared", "Climate tech", "climate-tech"),
    )
    assert format_reasons(suggestion.reasons) == [
        "They can help with: seed funding",
        "You can help with: Data viz (they look for: data visualisation)",
        "You both care about: Climate tech (they wrote: climate-tech)",
    ]
    (back,) = result.suggestions[2]
    assert back.reasons[0] == Reason("they_help", "data visualisation", "Data viz")


@pytest.mark.parametrize(
    ("score", "reasons", "expected"),
    [
        (0.9, [Reason("they_help", "a", "a")], (0, "Strong match")),
        (0.6, [Reason("you_help", "a", "a")], (0, "Strong match")),
        (0.59, [Reason("they_help", "a", "a")], (1, "Good match")),
        (0.35, [Reason("they_help", "a", "a")], (1, "Good match")),
        (0.1, [Reason("they_help", "a", "a")], (2, "Possible match")),
        (0.0, [Reason("they_help", "a", "a")], (2, "Possible match")),
        (0.9, [Reason("shared", "chess", "chess")], (3, "Shares an interest")),
    ],
)
def test_match_strength_labels_and_tiers(score, reasons, expected) -> None:  # noqa: ANN001
    assert match_strength(score, reasons) == expected


def test_format_reason_wording() -> None:
    assert (
        format_reason(Reason("you_help", "dashboards", "data visualisation"))
        == "You can help with: dashboards (they look for: data visualisation)"
    )
    assert (
        format_reason(Reason("they_help", "seed funding", "fundraising"))
        == "They can help with: fundraising (you look for: seed funding)"
    )
    assert format_reason(Reason("shared", "climate tech", "Climate Tech")) == (
        "You both care about: climate tech"
    )


# -- determinism and incremental updates -------------------------------------------------


def test_same_input_same_output_in_any_order() -> None:
    profiles = synthetic_profiles(120, seed=5)
    first = suggest_partners(profiles)
    shuffled = profiles[:]
    random.Random(1).shuffle(shuffled)
    assert suggest_partners(shuffled) == first


def test_ties_are_broken_by_id() -> None:
    people = [Profile(i, can_help_with=("sql",)) for i in (5, 3, 9)]
    people.append(Profile(1, looking_for=("sql",)))
    assert ids(suggest_partners(people, MatchSettings(top_k=2)), 1) == [3, 5]


def _edit(profile: Profile, rng: random.Random) -> Profile:
    words = ["python", "fundraising", "ML", "pricing", "k8s", "chess", "brand new phrase"]
    return Profile(
        profile.id,
        can_help_with=tuple(rng.sample(words, rng.randint(0, 3))),
        looking_for=tuple(rng.sample(words, rng.randint(0, 2))),
        interests=profile.interests,
        role=rng.choice(["founder", "investor", "expert", "job_seeker"]),
        organization=rng.choice(["", "Org 1", profile.organization]),
        meeting_mode=rng.choice(["either", "virtual", "in_person"]),
        sessions=rng.choice([None, frozenset({1}), profile.sessions]),
    )


def test_incremental_updates_equal_full_recomputation() -> None:
    rng = random.Random(0)
    profiles = {p.id: p for p in synthetic_profiles(300, seed=11)}
    settings = MatchSettings(top_k=5)
    matcher = Matcher(settings).fit(profiles.values())
    for step in range(12):
        action = step % 4
        if action == 0:  # edit
            target = rng.choice(sorted(profiles))
            profiles[target] = _edit(profiles[target], rng)
            changed = matcher.update(profiles[target])
            assert target in changed or matcher.result_.suggestions[target]
        elif action == 1:  # new attendee
            new = _edit(Profile(1000 + step, interests=("chess",)), rng)
            profiles[new.id] = new
            matcher.update(new)
        elif action == 2:  # leaves
            target = rng.choice(sorted(profiles))
            del profiles[target]
            matcher.remove(target)
        else:  # declines
            a, b = rng.sample(sorted(profiles), 2)
            settings = MatchSettings(
                top_k=5, declined_pairs=settings.declined_pairs | {frozenset((a, b))}
            )
            matcher.decline(a, b)
        assert matcher.result_ == matcher.recomputed(), step
    # Term statistics are those of the first fit; a fresh fit learns new ones.
    assert set(matcher.result_.suggestions) == {p.id for p in profiles.values()}


def test_update_reports_changed_lists() -> None:
    people = [Profile(1, looking_for=("sql",)), Profile(2, can_help_with=("python",))]
    matcher = Matcher().fit(people)
    assert matcher.result_.suggestions[1] == []
    changed = matcher.update(Profile(2, can_help_with=("SQL",)))
    assert changed == {1, 2}
    assert ids(matcher.result_, 1) == [2]


_WORDS = st.sampled_from(["sql", "SQL", "python", "ML", "machine learning", "pricing", "chess"])
_PROFILES = st.lists(
    st.builds(
        lambda *fields: fields,
        st.lists(_WORDS, max_size=3),
        st.lists(_WORDS, max_size=2),
        st.lists(_WORDS, max_size=2),
        st.sampled_from(["founder", "investor", "expert", "job_seeker", "employer"]),
        st.sampled_from(["", "A", "B"]),
        st.sampled_from(["either", "virtual", "in_person"]),
    ),
    min_size=2,
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_PROFILES, st.integers(1, 3), st.integers(1, 4), st.data())
def test_properties(rows, top_k: int, cap: int, data) -> None:
    profiles = [
        Profile(i, offers, needs, interests, role, org, mode)
        for i, (offers, needs, interests, role, org, mode) in enumerate(rows)
    ]
    settings = MatchSettings(top_k=top_k, max_exposure=cap)
    result = suggest_partners(profiles, settings)
    exposure: dict[int, int] = {}
    by_id = {p.id: p for p in profiles}
    for person, suggestions in result.suggestions.items():
        assert len(suggestions) <= top_k
        for s in suggestions:
            exposure[s.partner_id] = exposure.get(s.partner_id, 0) + 1
            other = by_id[s.partner_id]
            assert s.partner_id != person and 0 < s.score <= 1
            org = by_id[person].organization
            assert not (org and org == other.organization)
            assert {by_id[person].meeting_mode, other.meeting_mode} != {"virtual", "in_person"}
    assert max(exposure.values(), default=0) <= cap
    # One update of a random attendee gives what a full recomputation gives.
    target = data.draw(st.sampled_from(profiles))
    edited = Profile(target.id, ("pricing",), ("sql",), role=target.role)
    matcher = Matcher(settings).fit(profiles)
    matcher.update(edited)
    assert matcher.result_ == matcher.recomputed()


def test_reasons_are_grouped_per_kind() -> None:
    reasons = (
        Reason("they_help", "seed funding", "fundraising"),
        Reason("they_help", "pricing", "pricing"),
        Reason("shared", "fintech", "FinTech"),
        Reason("shared", "education", "education"),
    )
    assert format_reasons(reasons) == [
        "They can help with: fundraising, pricing (you look for: seed funding)",
        "You both care about: fintech, education",
    ]


def test_reasons_in_batch_equal_reasons_one_by_one() -> None:
    profiles = synthetic_profiles(300, seed=4)
    matcher = Matcher(MatchSettings(top_k=5)).fit(profiles)
    pairs = [(p, s.partner_id) for p, row in matcher.result_.suggestions.items() for s in row]
    assert len(pairs) > 1000
    assert matcher._batch_reasons(pairs) == [matcher._reasons(v, p) for v, p in pairs]


def test_dense_rows_give_the_same_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    from matchmaker.matching import vectors

    profiles = synthetic_profiles(300, seed=9)
    sparse = suggest_partners(profiles)
    monkeypatch.setattr(vectors, "DENSE_SHARE", 50)
    monkeypatch.setattr(vectors, "DENSE_MIN_HOLDERS", 1)
    matcher = Matcher().fit(profiles)
    assert any(len(rows) for rows in matcher._dense[1::2])  # some terms did go dense
    dense = matcher.result_
    for person, suggestions in sparse.suggestions.items():
        assert [s.partner_id for s in dense.suggestions[person]] == [
            s.partner_id for s in suggestions
        ]
        assert [s.score for s in dense.suggestions[person]] == pytest.approx(
            [s.score for s in suggestions], abs=1e-5
        )


# -- the score's components and weights --------------------------------------------------


def test_components_are_what_the_shown_score_combines() -> None:
    profiles = synthetic_profiles(120, seed=5)
    settings = MatchSettings(top_k=5)
    matcher = Matcher(settings).fit(profiles)
    pairs = [
        (viewer, s.partner_id)
        for viewer, items in matcher.result_.suggestions.items()
        for s in items
    ]
    parts = matcher.components(pairs)
    assert len(parts) == len(pairs)
    norm = 1 + settings.reciprocity + settings.shared_weight
    fit = (parts.they_help + settings.reciprocity * parts.you_help + 0.2 * parts.shared) / norm
    shown = [s.score for items in matcher.result_.suggestions.values() for s in items]
    assert fit.clip(max=1.0) == pytest.approx(shown, abs=1e-4)
    assert (parts.prior > 0).all() and (parts.track_record == 0).all()


def test_pair_components_need_no_ranking_and_agree_with_the_matcher() -> None:
    profiles = synthetic_profiles(60, seed=2)
    pairs = [(profiles[0].id, profiles[5].id), (profiles[7].id, profiles[3].id)]
    fitted = Matcher().fit(profiles).components(pairs)
    alone = pair_components(profiles, pairs)
    for name in ("they_help", "you_help", "shared", "prior"):
        assert getattr(alone, name) == pytest.approx(getattr(fitted, name))
    swapped = pair_components(profiles, [(b, a) for a, b in pairs])
    assert swapped.they_help == pytest.approx(alone.you_help)


def test_default_weights_ignore_track_records() -> None:
    """Busy helpers are not pushed up unless weights learnt from answers say so."""
    me = Profile(1, looking_for=("fundraising",))
    newcomer = Profile(2, can_help_with=("fundraising", "pitch decks"))
    veteran = Profile(3, can_help_with=("fundraising",), track_record=40)
    plain = suggest_partners([me, newcomer, veteran])
    without = suggest_partners([me, newcomer, Profile(3, can_help_with=("fundraising",))])
    assert plain == without
    assert ids(plain, 1) == [2, 3]
    weighted = suggest_partners([me, newcomer, veteran], MatchSettings(track_record_exponent=1.0))
    assert ids(weighted, 1) == [3, 2]
    # The strength people see is still the fit, whatever moved the ranking.
    assert score(weighted, 1, 3) == score(plain, 1, 3)


@pytest.mark.parametrize(
    ("field", "value"),
    [("shared_weight", -0.1), ("shared_weight", 1.5), ("prior_exponent", -1.0),
     ("track_record_exponent", -0.5)],
)  # fmt: skip
def test_weights_out_of_range_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError):
        MatchSettings(**{field: value})
