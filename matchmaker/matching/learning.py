"""What makes a useful meeting, learnt from an organizer's answers: a re-weighting of the score.

Pure module: no Flask, no database. For a viewer B and a candidate A the score combines what
A can do for B (``they``, weight 1), what B can do for A (``you``, weight ``r``), shared
interests (weight ``s``) and a per-candidate multiplier (package docstring)::

    score_B(A) = prior(A) ** a * (1 + track_record(A)) ** t * (they + r you + s shared)

The shipped weights are ``r = 0.3, s = 0.2, a = 1, t = 0`` (`DEFAULT_WEIGHTS`): the track
record (how many people said A helped them at the organizer's earlier events) is left out,
so that busy people are not pushed into every list. `WeightLearner` fits the four weights to
answers: a logistic regression whose logit is the log of the score itself plus an intercept,

    logit = b + log(FIT_FLOOR + they + r you + s shared) + a log prior + t log(1 + track),

L2-penalised towards the shipped weights (their prior) and kept within `BOUNDS`. Ranking by
the fitted logit is ranking by the score with the learnt weights, so the engine applies them
exactly (`Weights.settings`) and the reasons people read stay the same. Each weight's
penalty is scaled by how much it moves the log score across the answers (the spread of its
derivative at the defaults), as standardising the features does for an ordinary L2 logistic
regression; a weight that no answer informs (no shared interests anywhere) keeps its default.

The score enters as an offset (coefficient 1: the model's odds are the score up to a
constant), which scikit-learn's LogisticRegression cannot express, so the same penalised
log loss is minimised with scipy's L-BFGS-B, which also keeps the bounds. Given the default
log score as a free feature instead, LogisticRegression fitted it a negative coefficient on
the Stack Exchange development answers (within the lists people were shown the default
score varies little), and such a fit cannot be turned into weights.

Weights are learnt only from at least `MIN_ANSWERS_PER_KIND` useful and as many not-useful
answers: the usual rule of ten events per estimated coefficient for logistic regression,
for five coefficients (the intercept and four weights). With fewer, or with one kind only,
the defaults are returned unchanged. `describe` says in plain sentences what was learnt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np

from .types import DEFAULT_RECIPROCITY, SHARED_WEIGHT, MatchSettings, PairComponents

#: Useful and not-useful answers each needed before weights are learnt (10 per coefficient).
MIN_ANSWERS_PER_KIND = 50
#: Inverse strength of the penalty: ``C * sum(log loss) + penalty / 2``.
PENALTY_C = 1.0
#: Added to every pair's fit, so that a pair scoring 0 has a finite log score.
FIT_FLOOR = 1e-3
#: The weights, in the order of the model's coefficients after the intercept.
NAMES = ("you_help", "shared", "prior", "track_record")
#: The range of each learnt weight: within what `MatchSettings` accepts and what the
#: organizer can read (a track record counts at most in proportion to the people helped).
BOUNDS = {
    "you_help": (0.0, 1.0),
    "shared": (0.0, 1.0),
    "prior": (0.0, 2.0),
    "track_record": (0.0, 1.0),
}
#: Relative changes smaller than this are "about the same" in words.
NOTABLE = 0.2


@dataclass(frozen=True)
class Weights:
    """The score's weights next to 1 for "what they can do for you".

    ``you_help`` is what you can do for them (``MatchSettings.reciprocity``), ``shared`` the
    weight of shared interests, ``prior`` the exponent of the breadth-and-demand prior and
    ``track_record`` the exponent of ``1 + track record``.
    """

    you_help: float = DEFAULT_RECIPROCITY
    shared: float = SHARED_WEIGHT
    prior: float = 1.0
    track_record: float = 0.0

    def settings(self, base: MatchSettings) -> MatchSettings:
        """``base`` with these weights in force."""
        return replace(
            base,
            reciprocity=self.you_help,
            shared_weight=self.shared,
            prior_exponent=self.prior,
            track_record_exponent=self.track_record,
        )

    def as_dict(self) -> dict[str, float]:
        return {key: round(float(value), 4) for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Weights:
        """From `as_dict` output; unknown keys are ignored and values kept within `BOUNDS`."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: _clip(k, float(v)) for k, v in data.items() if k in names})


DEFAULT_WEIGHTS = Weights()


def _clip(name: str, value: float) -> float:
    low, high = BOUNDS[name]
    return float(min(max(value, low), high))


def _columns(components: PairComponents) -> tuple[np.ndarray, ...]:
    """they, you, shared, log prior and log(1 + track record) of each pair."""

    def column(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)

    return (
        column(components.they_help),
        column(components.you_help),
        column(components.shared),
        np.log(np.maximum(column(components.prior), 1e-12)),
        np.log1p(np.maximum(column(components.track_record), 0.0)),
    )


def log_scores(components: PairComponents, weights: Weights = DEFAULT_WEIGHTS) -> np.ndarray:
    """The log of each pair's score under ``weights``, shape ``(n_pairs,)``.

    Without the score's constant normalisation: what the model's logit adds an intercept to.
    """
    they, you, shared, log_prior, log_track = _columns(components)
    fit = FIT_FLOOR + they + weights.you_help * you + weights.shared * shared
    return np.log(fit) + weights.prior * log_prior + weights.track_record * log_track


class WeightLearner:
    """Fit the score's weights to answers about pairs, the given weights as the prior.

    Parameters
    ----------
    min_per_kind : int
        Useful and not-useful answers each needed to learn anything.
    C : float
        Inverse strength of the L2 penalty towards ``prior``.
    prior : Weights
        Where the weights start and what they fall back to.

    Attributes
    ----------
    weights_ : Weights
        The learnt weights, or ``prior`` when nothing was learnt.
    learned_ : bool
        Whether ``weights_`` comes from the answers.
    positives_, negatives_ : int
        Useful and not-useful answers seen by `fit`.
    needed_ : int
        How many more answers of the scarcer kind are needed (0 once there are enough).
    informative_ : tuple of str
        The weights some answer informs (their feature varies across the answers).
    intercept_ : float
        The fitted intercept (0 when nothing was learnt).
    """

    def __init__(
        self,
        min_per_kind: int = MIN_ANSWERS_PER_KIND,
        C: float = PENALTY_C,
        prior: Weights = DEFAULT_WEIGHTS,
    ) -> None:
        self.min_per_kind = min_per_kind
        self.C = C
        self.prior = prior

    def fit(self, components: PairComponents, useful: Sequence[bool] | np.ndarray) -> WeightLearner:
        """Learn weights from answers; ``useful[i]`` is the answer about pair i."""
        y = np.asarray(useful, dtype=bool)
        if y.shape != (len(components),):
            raise ValueError("give one answer per pair")
        self.positives_ = int(y.sum())
        self.negatives_ = len(y) - self.positives_
        self.needed_ = max(self.min_per_kind - min(self.positives_, self.negatives_), 0)
        self.weights_, self.learned_, self.informative_, self.intercept_ = (
            self.prior, False, (), 0.0
        )  # fmt: skip
        if self.needed_:
            return self
        they, you, shared, log_prior, log_track = _columns(components)
        start = np.array([getattr(self.prior, name) for name in NAMES])
        fit0 = FIT_FLOOR + they + start[0] * you + start[1] * shared
        # How much each weight moves the log score across the answers, at the prior.
        spread = np.array(
            [(you / fit0).std(), (shared / fit0).std(), log_prior.std(), log_track.std()]
        )
        varies = spread > 1e-9
        target = y.astype(np.float64)

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            b, r, s, a, t = theta
            fit = FIT_FLOOR + they + r * you + s * shared
            logit = b + np.log(fit) + a * log_prior + t * log_track
            loss = np.logaddexp(0.0, logit) - target * logit  # log loss, without overflow
            residual = np.exp(-np.logaddexp(0.0, -logit)) - target  # sigmoid(logit) - y
            gradient = self.C * np.array(
                [residual.sum(), residual @ (you / fit), residual @ (shared / fit),
                 residual @ log_prior, residual @ log_track]
            )  # fmt: skip
            moved = (theta[1:] - start) * spread
            gradient[1:] += moved * spread
            return float(self.C * loss.sum() + 0.5 * moved @ moved), gradient

        # A weight no answer informs stays where it starts.
        bounds = [(None, None)] + [
            BOUNDS[name] if free else (value, value)
            for name, free, value in zip(NAMES, varies, start, strict=True)
        ]
        # Imported here: scipy.optimize costs half a second of every process start.
        from scipy.optimize import minimize

        result = minimize(
            objective,
            np.concatenate([[0.0], start]),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 1000},
        )
        learned = {
            name: _clip(name, value) for name, value in zip(NAMES, result.x[1:], strict=True)
        }
        self.weights_ = Weights(**learned)
        self.learned_ = True
        self.informative_ = tuple(name for name, free in zip(NAMES, varies, strict=True) if free)
        self.intercept_ = float(result.x[0])
        return self


# -- in words --------------------------------------------------------------------------------

#: How the organizer reads each weight: its name, its verb, and what is said while no
#: answer informs it. The track record has a sentence of its own (its default is 0).
WORDS = {
    "you_help": (
        "Mutual help (what someone can do for the other person in return)",
        "counts",
        "No answer involved mutual help yet, so it keeps its default weight.",
    ),
    "shared": (
        "Shared interests",
        "count",
        "No answer involved shared interests yet, so they keep their default weight.",
    ),
    "prior": (
        "Offering many things, and things many others look for,",
        "counts",
        "No answer told people who offer more apart, so that keeps its default weight.",
    ),
}
TRACK_RECORD_WORDS = "People whom others said helped them at your earlier events are moved up."


def _change(learned: float, default: float) -> str:
    """ "more", "less" or "same": how a learnt weight compares with its default."""
    if default == 0.0:
        return "more" if learned >= NOTABLE / 2 else "same"
    ratio = learned / default
    if ratio >= 1 + NOTABLE:
        return "more"
    if ratio <= 1 - NOTABLE:
        return "less"
    return "same"


def describe(
    weights: Weights,
    default: Weights = DEFAULT_WEIGHTS,
    informative: Iterable[str] = NAMES,
) -> list[str]:
    """What the learnt weights mean, in plain sentences for the organizer.

    First mutual help against shared interests (when answers informed both), then each
    weight that moved notably from its default, with figures for the two that are read
    next to "what the other person can do for them", then the weights no answer informed.
    """
    informed = set(informative)
    sentences = []
    compared = {"you_help", "shared"} <= informed
    if compared:
        if weights.you_help > weights.shared * (1 + NOTABLE):
            sentences.append("Your attendees value mutual help more than shared interests.")
        elif weights.shared > weights.you_help * (1 + NOTABLE):
            sentences.append("Your attendees value shared interests more than mutual help.")
        else:
            sentences.append("Your attendees value mutual help and shared interests about equally.")
    for name, (subject, verb, _) in WORDS.items():
        learned, before = getattr(weights, name), getattr(default, name)
        change = _change(learned, before)
        if name not in informed or change == "same":
            continue
        figures = ""
        if name != "prior":
            figures = (
                f" ({learned:.2f} instead of {before:.2f}, next to 1 for what the other person "
                "can do for them)"
            )
        sentences.append(f"{subject} {verb} {change} than by default{figures}.")
    if "track_record" in informed and _change(weights.track_record, default.track_record) != "same":
        sentences.append(TRACK_RECORD_WORDS)
    if not sentences:
        sentences.append("Your attendees' answers agree with the default weights.")
    elif compared and len(sentences) == 1:
        sentences.append("Otherwise their answers agree with the default weights.")
    sentences += [words for name, (_, _, words) in WORDS.items() if name not in informed]
    return sentences
