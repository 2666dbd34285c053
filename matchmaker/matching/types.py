"""Plain data passed into and out of matching; no behaviour beyond validation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from matchmaker.choices import MEETING_MODES, ROLES

_EVERYONE = frozenset(ROLES)

#: Weight of "how much I can help them" next to "how much they can help me" (1).
DEFAULT_RECIPROCITY = 0.3
#: Weight of shared interests next to "how much they can help me" (1).
SHARED_WEIGHT = 0.2

#: Who may meet whom. A pair is allowed when either side lists the other's role, so the
#: matrix is symmetric even if an organizer writes only one direction. The default lets
#: anyone meet anyone: forbidding role pairs hides obvious matches (a student looking for an
#: internship and the founder offering one), so narrowing is an organizer's explicit choice
#: among the presets in `matchmaker.matching.roles` ("everyone" is this table).
DEFAULT_ROLE_RULES: Mapping[str, frozenset[str]] = {role: _EVERYONE for role in ROLES}

UNMATCHED_REASONS = {
    "empty_profile": "Nothing filled in: no skills, needs or interests to match on.",
    "no_compatible_partner": "The event's rules (roles, organisation, declined pairs) "
    "leave nobody to meet.",
    "no_shared_availability": "Everyone allowed by the rules meets only in another mode "
    "or at other sessions.",
    "no_shared_topics": "Nobody who could meet shares a skill, need or interest.",
    "partners_full": "Every possible partner already appears in as many lists as allowed.",
}


def _phrases(values: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = values.split(",")
    return tuple(v.strip() for v in values if v and v.strip())


@dataclass(frozen=True)
class Profile:
    """What one attendee wrote, in their own words.

    Phrase fields accept any iterable of strings (or one comma-separated string) and are
    stored as tuples; ``sessions`` is None when the attendee is available for all sessions.
    ``track_record`` is how many people said this attendee helped them at the organizer's
    earlier events; only weights learnt from answers use it (`MatchSettings`).
    """

    id: int
    can_help_with: tuple[str, ...] = ()
    looking_for: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    role: str = "other"
    organization: str = ""
    meeting_mode: str = "either"
    sessions: frozenset[int] | None = None
    track_record: int = 0

    def __post_init__(self) -> None:
        for name in ("can_help_with", "looking_for", "interests"):
            object.__setattr__(self, name, _phrases(getattr(self, name)))
        if self.sessions is not None and not isinstance(self.sessions, frozenset):
            object.__setattr__(self, "sessions", frozenset(self.sessions))
        if self.meeting_mode not in MEETING_MODES:
            raise ValueError(f"unknown meeting mode {self.meeting_mode!r}")

    @property
    def is_empty(self) -> bool:
        return not (self.can_help_with or self.looking_for or self.interests)


@dataclass
class MatchSettings:
    """Organizer's choices for one event.

    ``reciprocity`` is the weight of the other direction of help (how much the viewer can
    help the candidate) next to how much the candidate can help the viewer; the default was
    chosen on real "who helped whom" data (see ``matchmaker/matching/__init__.py``).
    ``exposure_penalty`` (0 to 1, default 0) gently moves people who appear in many lists
    down so that suggestions spread more evenly; ``max_exposure`` is an optional hard cap on
    how many lists one person appears in (None: no cap). Scarcity is in meetings, not in
    suggestions: each attendee's meeting limit is what protects the most sought-after people.
    ``extra_synonyms`` are per-event aliases ("k8s" -> "kubernetes") applied on top of the
    shipped table. ``declined_pairs`` holds pairs of attendee ids never to suggest.

    ``shared_weight``, ``prior_exponent`` and ``track_record_exponent`` are the rest of the
    score's weights (see the package docstring); the defaults are the shipped score, and
    `matchmaker.matching.learning` re-weights them from an organizer's answers.
    """

    top_k: int = 10
    max_exposure: int | None = None
    exposure_penalty: float = 0.0
    reciprocity: float = DEFAULT_RECIPROCITY
    role_rules: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: dict(DEFAULT_ROLE_RULES)
    )
    exclude_same_organization: bool = True
    extra_synonyms: Mapping[str, str] = field(default_factory=dict)
    declined_pairs: frozenset[frozenset[int]] = frozenset()
    shared_weight: float = SHARED_WEIGHT
    prior_exponent: float = 1.0
    track_record_exponent: float = 0.0

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")
        if self.max_exposure is not None and self.max_exposure < 1:
            raise ValueError("max_exposure must be at least 1")
        if not 0.0 <= self.exposure_penalty <= 1.0:
            raise ValueError("exposure_penalty must be between 0 and 1")
        if not 0.0 <= self.reciprocity <= 1.0:
            raise ValueError("reciprocity must be between 0 and 1")
        if not 0.0 <= self.shared_weight <= 1.0:
            raise ValueError("shared_weight must be between 0 and 1")
        if self.prior_exponent < 0.0 or self.track_record_exponent < 0.0:
            raise ValueError("exponents must not be negative")

    @property
    def exposure_cap(self) -> int | None:
        return self.max_exposure

    def roles_may_meet(self, a: str, b: str) -> bool:
        rules = self.role_rules
        return b in rules.get(a, ()) or a in rules.get(b, ())


@dataclass(frozen=True, slots=True)
class Reason:
    """Why two people should meet, quoting each one's own phrase.

    ``direction`` is from the point of view of the person reading the suggestion:
    "you_help" (your ``yours`` offer meets their ``theirs`` need), "they_help" (their offer
    ``theirs`` meets your need ``yours``) or "shared" (an interest you both listed).
    """

    direction: str
    yours: str
    theirs: str


@dataclass(frozen=True, slots=True)
class SuggestedPartner:
    """One partner in an attendee's list; stored as a `matchmaker.models.Suggestion` row."""

    partner_id: int
    score: float
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class PairComponents:
    """The parts the score combines, for a batch of (viewer, candidate) pairs.

    Each array has shape ``(n_pairs,)``. ``they_help`` is help(candidate -> viewer),
    ``you_help`` help(viewer -> candidate), ``shared`` the cosine of shared interests,
    ``prior`` the candidate's default prior (breadth and demand of their offers) and
    ``track_record`` the candidate's `Profile.track_record`.
    """

    they_help: np.ndarray
    you_help: np.ndarray
    shared: np.ndarray
    prior: np.ndarray
    track_record: np.ndarray

    def __len__(self) -> int:
        return len(self.they_help)


@dataclass
class MatchResult:
    """Suggestions for every attendee plus the figures an organizer checks.

    ``coverage`` is the share of all attendees with at least one suggestion; ``unmatched``
    explains every attendee without one (keys of `UNMATCHED_REASONS`). ``max_exposure`` and
    ``exposure_stdev`` describe how many lists each attendee appears in.
    """

    suggestions: dict[int, list[SuggestedPartner]]
    coverage: float
    max_exposure: int
    exposure_mean: float
    exposure_stdev: float
    unmatched: dict[int, str]
