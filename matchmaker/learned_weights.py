"""Weights learnt from an organizer's answers, for the matching of their events.

Every answer about a pair, at any of the organizer's events, is a lesson about what makes a
useful meeting (`labelled_pairs`): "I'd like to meet" and a meeting rated 4 or 5 are useful,
"Not for me" and a meeting rated 1 or 2 are not (a rating after the meeting outweighs the
answer before it; 3 says neither). Each pair is seen from the side that answered, with the
components matching combined for it at its event (`matchmaker.matching.engine.pair_components`),
and `matchmaker.matching.learning.WeightLearner` re-weights the score, the defaults as its
prior, once there are enough answers of both kinds.

The matching job fits afresh at each run (`refresh`) and keeps the result on the event
(``Event.learned_weights``); suggestions use it while ``Event.learn_from_answers`` is on
(`weights_in_force`). The organizer's matching page says what was learnt, in words, or how
many answers are still missing (`last_fit`). Only the organizer's own events count: one
organizer's attendees never move another's weights.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields

import numpy as np
from sqlalchemy import or_, select

from . import profiles
from .choices import Answer
from .extensions import db
from .matching import MatchSettings, learning
from .matching.engine import pair_components
from .matching.types import PairComponents
from .models import Event, Meeting, MeetingFeedback, Suggestion

USEFUL_FROM = 4  # a meeting rated this or more (of 5) was useful
USELESS_UP_TO = 2  # ... this or less, it was not


@dataclass(frozen=True)
class Lesson:
    """One answer: at ``event_id``, ``viewer`` found meeting ``candidate`` useful or not."""

    event_id: int
    viewer: int
    candidate: int
    useful: bool


def labelled_pairs(organizer_id: int) -> list[Lesson]:
    """Every answer about a pair at the organizer's events, in two queries.

    One lesson per (event, viewer, candidate): the meeting's rating when there is one that
    says useful or not, otherwise the answer to the suggestion.
    """
    found: dict[tuple[int, int, int], bool] = {}
    answered = db.session.execute(
        select(
            Suggestion.event_id,
            Suggestion.low_id,
            Suggestion.high_id,
            Suggestion.answer_low,
            Suggestion.answer_high,
        )
        .join(Event, Event.id == Suggestion.event_id)
        .where(
            Event.organizer_id == organizer_id,
            or_(Suggestion.answer_low != Answer.NONE, Suggestion.answer_high != Answer.NONE),
        )
    )
    for event_id, low, high, answer_low, answer_high in answered:
        for viewer, candidate, answer in ((low, high, answer_low), (high, low, answer_high)):
            if answer in (Answer.INTERESTED, Answer.DECLINED):
                found[(event_id, viewer, candidate)] = answer == Answer.INTERESTED
    rated = db.session.execute(
        select(
            MeetingFeedback.event_id,
            MeetingFeedback.attendee_id,
            Meeting.low_id,
            Meeting.high_id,
            MeetingFeedback.usefulness,
        )
        .join(Meeting, Meeting.id == MeetingFeedback.meeting_id)
        .join(Event, Event.id == MeetingFeedback.event_id)
        .where(Event.organizer_id == organizer_id, MeetingFeedback.usefulness.is_not(None))
    )
    for event_id, viewer, low, high, usefulness in rated:
        candidate = high if viewer == low else low
        if usefulness >= USEFUL_FROM:
            found[(event_id, viewer, candidate)] = True
        elif usefulness <= USELESS_UP_TO:
            found[(event_id, viewer, candidate)] = False
    return [Lesson(e, v, c, useful) for (e, v, c), useful in sorted(found.items())]


@dataclass
class Learnt:
    """What one fit learnt or counted, as kept on the event (`as_dict`) and shown to the
    organizer; ``sentences`` says in words what ``weights`` means."""

    weights: learning.Weights = learning.DEFAULT_WEIGHTS
    learned: bool = False
    positives: int = 0
    negatives: int = 0
    min_per_kind: int = learning.MIN_ANSWERS_PER_KIND
    informative: tuple[str, ...] = ()
    sentences: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.learned and not self.sentences:
            self.sentences = learning.describe(self.weights, informative=self.informative)

    @property
    def answers(self) -> int:
        return self.positives + self.negatives

    @property
    def useful_needed(self) -> int:
        """Useful answers still missing before anything can be learnt."""
        return max(self.min_per_kind - self.positives, 0)

    @property
    def not_useful_needed(self) -> int:
        return max(self.min_per_kind - self.negatives, 0)

    def as_dict(self) -> dict:
        return {
            "weights": self.weights.as_dict(),
            "learned": self.learned,
            "positives": self.positives,
            "negatives": self.negatives,
            "min_per_kind": self.min_per_kind,
            "informative": list(self.informative),
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> Learnt | None:
        if not data:
            return None
        return cls(
            weights=learning.Weights.from_dict(data.get("weights") or {}),
            learned=bool(data.get("learned")),
            positives=int(data.get("positives", 0)),
            negatives=int(data.get("negatives", 0)),
            min_per_kind=int(data.get("min_per_kind", learning.MIN_ANSWERS_PER_KIND)),
            informative=tuple(data.get("informative") or ()),
        )


def _concatenate(parts: list[PairComponents]) -> PairComponents:
    return PairComponents(
        *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(PairComponents))
    )


def fit(organizer_id: int, min_per_kind: int = learning.MIN_ANSWERS_PER_KIND) -> Learnt:
    """Learn the organizer's weights from the answers at all of their events.

    Each event's pairs are described with that event's attendees (their words, and their
    track record as of the event's start); answers about people no longer there are skipped.
    Below ``min_per_kind`` answers of either kind nothing is computed but the counts.
    """
    lessons = labelled_pairs(organizer_id)
    positives = sum(lesson.useful for lesson in lessons)
    counted = Learnt(
        positives=positives, negatives=len(lessons) - positives, min_per_kind=min_per_kind
    )
    if counted.useful_needed or counted.not_useful_needed:
        return counted
    by_event: dict[int, list[Lesson]] = defaultdict(list)
    for lesson in lessons:
        by_event[lesson.event_id].append(lesson)
    reports = profiles.help_reports(organizer_id)
    parts, useful = [], []
    for event in db.session.scalars(select(Event).where(Event.id.in_(list(by_event)))):
        people, _ = profiles.load_profiles(
            event.id, profiles.track_records(reports, event.starts_at)
        )
        present = {p.id for p in people}
        kept = [x for x in by_event[event.id] if x.viewer in present and x.candidate in present]
        if kept:
            settings = MatchSettings(extra_synonyms=dict(event.synonyms or {}))
            parts.append(pair_components(people, [(x.viewer, x.candidate) for x in kept], settings))
            useful += [x.useful for x in kept]
    if not parts:
        return Learnt(min_per_kind=min_per_kind)
    learner = learning.WeightLearner(min_per_kind=min_per_kind).fit(_concatenate(parts), useful)
    return Learnt(
        weights=learner.weights_,
        learned=learner.learned_,
        positives=learner.positives_,
        negatives=learner.negatives_,
        min_per_kind=min_per_kind,
        informative=learner.informative_,
    )


def refresh(event: Event) -> Learnt | None:
    """Fit the organizer's weights and keep them on the event (the caller commits).

    Nothing is fitted while the event does not learn from answers.
    """
    if not event.learn_from_answers:
        return None
    learnt = fit(event.organizer_id)
    event.learned_weights = learnt.as_dict()
    return learnt


def weights_in_force(event: Event) -> learning.Weights | None:
    """The learnt weights the event's suggestions use, or None for the defaults."""
    if not event.learn_from_answers:
        return None
    learnt = Learnt.from_dict(event.learned_weights)
    return learnt.weights if learnt is not None and learnt.learned else None


def last_fit(event: Event) -> Learnt | None:
    """What the event's last matching run learnt or counted (None: no run has tried yet)."""
    return Learnt.from_dict(event.learned_weights)
