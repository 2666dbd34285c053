"""Suggestions in the database: run matching for an event, keep lists current, record answers.

How the lists are stored (one row per pair, both sides' ranks and answers) is in
`stored_lists`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import func, or_, select

from . import earlier_meetings, jobs, learned_weights, profiles
from .choices import Answer, AttendeeStatus, FollowUps, JobStatus
from .extensions import db
from .matching import Matcher, MatchResult, MatchSettings, Profile, Reason, roles
from .models import Attendee, Event, Job, MeetingFeedback, Suggestion, utcnow
from .stored_lists import reasons_for, store_lists

MATCHING = "matching"  # the job kind that computes an event's suggestions
# Above this many attendees a refit (cold process, changed settings, an import) runs in the
# background, not in a request: fitting and storing every list take about 1.5 ms per attendee
# on SQLite and 3 ms on PostgreSQL, so a request stays under about 1.5 s.
INLINE_REFIT_LIMIT = 500
# Above this many changed profiles at once (an import), one refit beats updating each: an
# update re-ranks against the whole event (about 20 ms at 2,000 attendees, 150 ms at 10,000).
BATCH_REFIT_AT = 8


class AnswerError(ValueError):
    """An answer that cannot be recorded (unknown value, or not this attendee's pair)."""


# -- profiles and settings -------------------------------------------------------------------


def declined_pairs(event_id: int) -> frozenset[frozenset[int]]:
    """Pairs never to suggest again at the event: one side said "Not for me", or they
    already met (a meeting that happened, :meth:`MeetingFeedback.met_pairs`)."""
    declined = db.session.execute(
        select(Suggestion.low_id, Suggestion.high_id).where(
            Suggestion.event_id == event_id,
            Suggestion.either_said(Answer.DECLINED),
        )
    )
    met = db.session.execute(MeetingFeedback.met_pairs(event_id))
    return frozenset(frozenset(pair) for rows in (declined, met) for pair in rows)


def pairs_left_out(event: Event) -> frozenset[frozenset[int]]:
    """:func:`declined_pairs`, and pairs who met at the organizer's earlier events when the
    organizer leaves follow-ups out."""
    left_out = declined_pairs(event.id)
    if event.follow_ups == FollowUps.EXCLUDE:
        left_out |= frozenset(frozenset(pair) for pair in earlier_meetings.earlier_pairs(event))
    return left_out


def event_role_rules(event: Event) -> dict[str, frozenset[str]]:
    """Who may meet whom at the event: its preset, or its own matrix when that is "custom"."""
    return dict(roles.preset_rules(event.role_preset or roles.EVERYONE, event.role_rules))


def match_settings(event: Event) -> MatchSettings:
    """The organizer's settings, with the weights learnt from their answers when in force."""
    settings = MatchSettings(
        top_k=event.suggestions_per_attendee,
        max_exposure=event.max_exposure,
        exposure_penalty=event.exposure_penalty or 0.0,
        role_rules=event_role_rules(event),
        exclude_same_organization=event.exclude_same_organization,
        extra_synonyms=dict(event.synonyms or {}),
        declined_pairs=pairs_left_out(event),
    )
    weights = learned_weights.weights_in_force(event)
    return weights.settings(settings) if weights is not None else settings


def _settings_key(event: Event) -> tuple:
    rules = sorted((k, tuple(sorted(v))) for k, v in event_role_rules(event).items())
    return (
        event.suggestions_per_attendee,
        event.max_exposure,
        event.exposure_penalty or 0.0,
        event.exclude_same_organization,
        event.follow_ups,
        tuple(sorted((event.synonyms or {}).items())),
        tuple(rules),
        learned_weights.weights_in_force(event),
    )


# -- running matching ------------------------------------------------------------------------


@dataclass
class _CachedMatcher:
    matcher: Matcher
    stamp: datetime | None
    ids: set[int]
    settings_key: tuple
    # Track records as of the event's start, by email, when the weights in force use them:
    # they change only between events.
    records: profiles.TrackRecords = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The unmatched attendees as the run's figures last recorded them (callers of
    # `compute_matches` record them).
    unmatched: dict[int, str] = field(default_factory=dict)


_MATCHERS: dict[int, _CachedMatcher] = {}
_MATCHERS_LOCK = threading.Lock()


def _load_profiles(
    event_id: int, records: profiles.TrackRecords | None = None
) -> tuple[list[Profile], datetime | None]:
    return profiles.load_profiles(event_id, records)


def compute_matches(
    event: Event, progress: Callable[[float], None] | None = None
) -> tuple[Matcher, MatchResult]:
    """Fit a matcher on the event's current profiles and remember it for quick updates.

    The caller stores the lists and records the result's figures on the run.
    """
    settings = match_settings(event)
    # Only learnt weights use track records: the default score does not read them.
    records = profiles.event_track_records(event) if settings.track_record_exponent else {}
    people, stamp = _load_profiles(event.id, records)
    report = (lambda done, total: progress(done / max(total, 1))) if progress else None
    matcher = Matcher(settings).fit(people, progress=report)
    result = matcher.result_
    with _MATCHERS_LOCK:
        _MATCHERS[event.id] = _CachedMatcher(
            matcher,
            stamp,
            {p.id for p in people},
            _settings_key(event),
            records=records,
            unmatched=dict(result.unmatched),
        )
    return matcher, result


def event_has_matches(event_id: int) -> bool:
    return (
        db.session.scalar(
            select(Job.id)
            .where(
                Job.event_id == event_id,
                Job.kind == MATCHING,
                Job.status == JobStatus.DONE,
            )
            .limit(1)
        )
        is not None
    )


def refresh_after_change(event: Event, *, background: bool = True) -> set[int]:
    """Bring stored suggestions up to date after registrations, imports, edits or answers.

    Uses this process's cached matcher when it matches the event's settings, applying only
    the profiles changed since it was built. A batch of more than `BATCH_REFIT_AT` changed
    profiles (an import), a cold process or changed settings refit from the database
    instead; in a big event that refit runs in the background unless ``background`` is
    False (the command line, where a background thread would die with the process).
    Returns the ids whose lists changed (none when the work went to the background).
    The caller commits.
    """
    if not event_has_matches(event.id):
        return set()
    with _MATCHERS_LOCK:
        cached = _MATCHERS.get(event.id)
    if cached is not None and cached.settings_key == _settings_key(event):
        changed = _refresh_incrementally(event, cached)
        if changed is not None:
            return changed
    size = db.session.scalar(select(func.count()).where(Attendee.event_id == event.id)) or 0
    if background and size > INLINE_REFIT_LIMIT:
        # Too big to rebuild inside a request: a background run refreshes everyone and
        # leaves a warm matcher behind for the next edits.
        start_matching(event)
        return set()
    return _refit(event)


def _refit(event: Event) -> set[int]:
    """Fit afresh and store every list.

    Every list, not only those that differ from this process's matcher: another process
    may have stored newer lists since, and only the database knows which.
    """
    _, result = compute_matches(event)
    store_lists(event.id, result.suggestions)
    _record_figures(event.id, result)
    return set(result.suggestions)


def _catch_up(event: Event) -> MatchResult | None:
    """Apply what changed while a run was computing (registrations, imports, edits).

    Returns the result now in force, or None when there is no matcher to bring up to date.
    """
    with _MATCHERS_LOCK:
        cached = _MATCHERS.get(event.id)
    if cached is None:
        return None
    if _refresh_incrementally(event, cached) is None:
        _refit(event)
        with _MATCHERS_LOCK:
            cached = _MATCHERS[event.id]
    return cached.matcher.result_


def _refresh_incrementally(event: Event, cached: _CachedMatcher) -> set[int] | None:
    """Apply what changed since the cached matcher last looked; None when a refit is cheaper."""
    with cached.lock:
        matcher = cached.matcher
        statement = select(*profiles.PROFILE_COLUMNS).where(
            Attendee.event_id == event.id, Attendee.status == AttendeeStatus.ACTIVE
        )
        if cached.stamp is not None:
            statement = statement.where(Attendee.updated_at > cached.stamp)
        # In id order, so that every database applies the same edits in the same order.
        statement = statement.order_by(Attendee.id).limit(BATCH_REFIT_AT + 1)
        rows = db.session.execute(statement).all()
        if len(rows) > BATCH_REFIT_AT:
            return None
        changed: set[int] = set()
        for row in rows:
            changed |= matcher.update(profiles.profile_of(row, cached.records))
            cached.ids.add(row.id)
            cached.stamp = max(cached.stamp or row.updated_at, row.updated_at)
        current_ids = set(
            db.session.scalars(select(Attendee.id).where(Attendee.event_id == event.id))
        )
        for gone in cached.ids - current_ids:
            changed |= matcher.remove(gone)
        cached.ids &= current_ids
        for pair in pairs_left_out(event) - matcher.settings.declined_pairs:
            a, b = sorted(pair)
            if a in current_ids and b in current_ids:
                changed |= matcher.decline(a, b)
        lists = {pid: matcher.result_.suggestions.get(pid, []) for pid in changed}
        store_lists(event.id, lists)
        if cached.unmatched != matcher.result_.unmatched:  # most edits leave it alone
            _record_figures(event.id, matcher.result_)
            cached.unmatched = dict(matcher.result_.unmatched)
    return changed


def _record_figures(event_id: int, result: MatchResult) -> None:
    """Keep the latest run's figures (who has no suggestions, and why) true to the lists now."""
    run = db.session.scalar(
        select(Job)
        .where(
            Job.event_id == event_id,
            Job.kind == MATCHING,
            Job.status == JobStatus.DONE,
        )
        .order_by(Job.id.desc())
        .limit(1)
    )
    if run is not None:
        run.figures = result_figures(result)


def refresh_and_commit(event: Event, *, background: bool = True) -> set[int] | None:
    """Refresh suggestions after a change that is already committed, and commit them.

    A failure is logged, not raised: the change is saved and the suggestions catch up at
    the next refresh or run. Returns the ids whose lists changed, None on failure.
    """
    try:
        changed = refresh_after_change(event, background=background)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the saved change must not be lost to a refresh error
        db.session.rollback()
        forget_cached_matcher(event.id)  # it may hold changes the database does not
        current_app.logger.exception("refreshing suggestions for event %s failed", event.id)
        return None
    return changed


def forget_cached_matcher(event_id: int) -> None:
    with _MATCHERS_LOCK:
        _MATCHERS.pop(event_id, None)


@jobs.task(MATCHING, failure="Matching failed because of an error on our side. Please try again.")
def _matching_job(event_id: int, params: dict, progress: jobs.Progress) -> dict:
    """Compute and store all suggestions for the event; the figures are the organizer's."""
    event = db.session.get(Event, event_id)
    if event.learn_from_answers:
        progress(0.0, "Learning from your attendees' answers…")
        learned_weights.refresh(event)
    progress(0.0, "Reading profiles…")
    _, result = compute_matches(
        event, progress=lambda share: progress(0.9 * share, "Scoring pairs…")
    )
    progress(0.9, "Saving suggestions…")
    store_lists(event.id, result.suggestions)
    # People who registered or were imported while the run was scoring are included.
    result = _catch_up(event) or result
    return result_figures(result)


def result_figures(result: MatchResult) -> dict:
    """The figures of a run kept for the organizer's page (JSON-ready)."""
    return {
        "attendees": len(set(result.suggestions) | set(result.unmatched)),
        "coverage": round(result.coverage, 4),
        "max_exposure": result.max_exposure,
        "exposure_mean": round(result.exposure_mean, 2),
        "exposure_stdev": round(result.exposure_stdev, 2),
        "unmatched": {str(k): v for k, v in result.unmatched.items()},
    }


def start_matching(event: Event) -> Job:
    """Queue a matching job (or return the one under way); see :func:`matchmaker.jobs.start`."""
    return jobs.start(event.id, MATCHING)


def latest_run(event_id: int) -> Job | None:
    return jobs.latest(event_id, MATCHING)


# -- answers ---------------------------------------------------------------------------------


def record_answer(row: Suggestion, attendee_id: int, answer: str) -> bool:
    """Store one side's answer; returns True when this answer confirmed the match.

    The caller commits; a decline also removes the pair from future runs.
    """
    if answer not in Answer.__members__.values():
        raise AnswerError(f"unknown answer {answer!r}")
    side = row.side(attendee_id)
    was_confirmed = row.confirmed
    setattr(row, f"answer_{side}", answer)
    if row.confirmed and not was_confirmed:
        row.confirmed_at = utcnow()
        return True
    if not row.confirmed:
        row.confirmed_at = None
    return False


@dataclass
class Card:
    """One suggestion as an attendee sees it."""

    row: Suggestion
    partner: Attendee
    reasons: list[Reason]
    mine: str
    theirs: str
    rank: int | None

    @property
    def confirmed(self) -> bool:
        return self.mine == self.theirs == Answer.INTERESTED


def cards_for(
    person: Attendee, *, every_pair: bool = False, booked: Collection[int] = ()
) -> list[Card]:
    """The attendee's suggestions in their order, plus pairs where the other side said yes
    and the pairs of ``booked`` (suggestion ids of their meetings, even when no longer listed).

    Declined pairs are left out whichever side declined, unless ``every_pair`` (the
    organizer's view of one attendee), which keeps every stored pair.
    """
    rows = db.session.scalars(
        select(Suggestion).where(
            or_(Suggestion.low_id == person.id, Suggestion.high_id == person.id)
        )
    ).all()
    partner_ids = {row.partner_id(person.id) for row in rows}
    partners = {
        a.id: a for a in db.session.scalars(select(Attendee).where(Attendee.id.in_(partner_ids)))
    }
    cards = []
    for row in rows:
        side = row.side(person.id)
        rank = row.rank_low if side == "low" else row.rank_high
        mine, theirs = row.answer_of(person.id), row.partner_answer(person.id)
        shown = not row.declined and (
            rank is not None or Answer.INTERESTED in (mine, theirs) or row.id in booked
        )
        if not (shown or every_pair):
            continue
        cards.append(
            Card(
                row,
                partners[row.partner_id(person.id)],
                reasons_for(row, person.id),
                mine,
                theirs,
                rank,
            )
        )
    cards.sort(key=lambda c: (c.rank is None, c.rank or 0, -c.row.score, c.partner.id))
    return cards
