"""Learning the score's weights from answers, on synthetic answers whose cause is known."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.matching import Matcher, MatchSettings, Profile
from matchmaker.matching.learning import (
    BOUNDS,
    DEFAULT_WEIGHTS,
    MIN_ANSWERS_PER_KIND,
    WeightLearner,
    Weights,
    describe,
    log_scores,
)
from matchmaker.matching.synthetic import synthetic_profiles
from matchmaker.matching.types import PairComponents


def components(n: int, seed: int = 0, *, interests: bool = True) -> PairComponents:
    rng = np.random.default_rng(seed)
    return PairComponents(
        they_help=rng.uniform(0.0, 1.0, n),
        you_help=rng.uniform(0.0, 1.0, n),
        shared=rng.uniform(0.0, 1.0, n) if interests else np.zeros(n),
        prior=rng.uniform(0.8, 2.0, n),
        track_record=rng.poisson(2.0, n).astype(float),
    )


def answers(parts: PairComponents, truth: Weights, seed: int = 1, bias: float = -1.0):
    """Yes or no drawn from the model itself with the ``truth`` weights."""
    rng = np.random.default_rng(seed)
    logit = bias + log_scores(parts, truth)
    return rng.random(len(parts)) < 1 / (1 + np.exp(-logit))


def test_mutual_help_that_predicts_yes_raises_its_weight() -> None:
    parts = components(3000)
    useful = answers(parts, Weights(you_help=1.0))
    learner = WeightLearner().fit(parts, useful)
    assert learner.learned_
    assert learner.weights_.you_help > 0.6 > DEFAULT_WEIGHTS.you_help
    assert learner.weights_.shared == pytest.approx(DEFAULT_WEIGHTS.shared, abs=0.15)
    assert "Your attendees value mutual help more than shared interests." in describe(
        learner.weights_, informative=learner.informative_
    )


def test_shared_interests_and_track_record_that_predict_yes_are_learnt() -> None:
    parts = components(3000, seed=4)
    useful = answers(parts, Weights(you_help=0.0, shared=0.9, track_record=0.8), seed=5)
    weights = WeightLearner().fit(parts, useful).weights_
    assert weights.shared > 0.5
    assert weights.you_help < DEFAULT_WEIGHTS.you_help
    assert weights.track_record > 0.4
    words = describe(weights)
    assert words[0] == "Your attendees value shared interests more than mutual help."
    assert any("earlier events" in sentence for sentence in words)


def test_answers_that_follow_the_defaults_keep_them() -> None:
    parts = components(3000, seed=7)
    weights = WeightLearner().fit(parts, answers(parts, DEFAULT_WEIGHTS, seed=8)).weights_
    for name in ("you_help", "shared", "prior", "track_record"):
        assert getattr(weights, name) == pytest.approx(getattr(DEFAULT_WEIGHTS, name), abs=0.2)


@pytest.mark.parametrize(
    ("positives", "negatives", "needed"),
    [
        (MIN_ANSWERS_PER_KIND - 1, 500, 1),
        (500, MIN_ANSWERS_PER_KIND - 1, 1),
        (10, 10, MIN_ANSWERS_PER_KIND - 10),
        (0, 800, MIN_ANSWERS_PER_KIND),  # one kind of answer only
        (800, 0, MIN_ANSWERS_PER_KIND),
    ],
)
def test_too_few_answers_or_one_kind_give_exactly_the_defaults(
    positives: int, negatives: int, needed: int
) -> None:
    parts = components(positives + negatives, seed=3)
    useful = np.arange(positives + negatives) < positives
    learner = WeightLearner().fit(parts, useful)
    assert not learner.learned_
    assert learner.weights_ is DEFAULT_WEIGHTS
    assert (learner.positives_, learner.negatives_, learner.needed_) == (
        positives,
        negatives,
        needed,
    )
    assert learner.weights_.settings(MatchSettings()) == MatchSettings()


def test_a_strong_penalty_keeps_the_prior() -> None:
    parts = components(400, seed=9)
    useful = answers(parts, Weights(you_help=1.0, track_record=1.0), seed=10)
    weak = WeightLearner(C=1.0).fit(parts, useful).weights_
    strong = WeightLearner(C=1e-4).fit(parts, useful).weights_
    assert abs(strong.you_help - 0.3) < abs(weak.you_help - 0.3)
    assert strong.track_record < 0.05 < weak.track_record


def test_a_weight_no_answer_informs_keeps_its_default() -> None:
    parts = components(2000, seed=11, interests=False)
    learner = WeightLearner().fit(parts, answers(parts, Weights(you_help=0.9), seed=12))
    assert learner.weights_.shared == DEFAULT_WEIGHTS.shared
    assert "shared" not in learner.informative_
    words = describe(learner.weights_, informative=learner.informative_)
    assert not any(sentence.startswith("Your attendees value") for sentence in words)
    assert "No answer involved shared interests yet, so they keep their default weight." in words
    assert any(sentence.startswith("Mutual help") and "more" in sentence for sentence in words)


def test_learnt_weights_stay_within_bounds() -> None:
    parts = components(3000, seed=13)
    useful = answers(parts, Weights(you_help=1.0, prior=2.0, track_record=1.0), bias=2.0)
    weights = WeightLearner().fit(parts, useful).weights_
    for name, (low, high) in BOUNDS.items():
        assert low <= getattr(weights, name) <= high
    assert Weights.from_dict({"you_help": 7, "track_record": -1, "other": 1}) == Weights(
        you_help=1.0, track_record=0.0
    )
    assert Weights.from_dict(weights.as_dict()).as_dict() == weights.as_dict()


def test_one_answer_per_pair() -> None:
    with pytest.raises(ValueError):
        WeightLearner().fit(components(5), [True, False])


def test_the_engine_ranks_by_the_learnt_score() -> None:
    """The learnt weights as settings rank each list in the order of the model's score."""
    people = [
        Profile(p.id, p.can_help_with, p.looking_for, p.interests, track_record=p.id % 5)
        for p in synthetic_profiles(80, seed=3)
    ]
    weights = Weights(you_help=0.8, shared=0.05, prior=1.5, track_record=0.7)
    matcher = Matcher(weights.settings(MatchSettings(top_k=8))).fit(people)
    checked = 0
    for viewer, items in matcher.result_.suggestions.items():
        helping = [
            s.partner_id for s in items if not all(r.direction == "shared" for r in s.reasons)
        ]
        scores = log_scores(matcher.components([(viewer, p) for p in helping]), weights)
        # Best first, up to the model's floor and the kernels' single-precision sums.
        assert (np.diff(scores) <= 1e-3).all(), viewer
        checked += len(scores) > 2
    assert checked > 20


OFFERING = "Offering many things, and things many others look for, counts"


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (Weights(you_help=0.8, shared=0.1), "value mutual help more than shared interests."),
        (Weights(you_help=0.1, shared=0.6), "value shared interests more than mutual help."),
        (
            Weights(you_help=0.3, shared=0.3),
            "value mutual help and shared interests about equally.",
        ),
        (Weights(prior=1.6), f"{OFFERING} more than by default."),
        (Weights(prior=0.4), f"{OFFERING} less than by default."),
        (Weights(track_record=0.5), "helped them at your earlier events are moved up."),
        (DEFAULT_WEIGHTS, "Otherwise their answers agree with the default weights."),
    ],
)
def test_words_name_what_changed(weights: Weights, expected: str) -> None:
    assert any(sentence.endswith(expected) for sentence in describe(weights))


def test_words_give_figures_against_the_defaults() -> None:
    words = describe(Weights(you_help=0.6, shared=0.05))
    assert (
        "Mutual help (what someone can do for the other person in return) counts more than by "
        "default (0.60 instead of 0.30, next to 1 for what the other person can do for them)."
    ) in words
    assert any(s.startswith("Shared interests count less than by default (0.05") for s in words)
    assert not any("earlier events" in s for s in words)
