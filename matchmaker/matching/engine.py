"""Turn profiles into ranked, explained suggestions and keep them current.

`Matcher` learns an event's terms and their specificity (``fit``), ranks every attendee's
partners exactly through inverted indexes, and refreshes only the lists one edit can touch
(``update``, ``remove``, ``decline``). `suggest_partners` is the one-shot form. The score
and the reasons for its shape are in the package docstring; the pieces live beside this
module: `vectors` (terms, weights, matrices), `compatibility` (who may meet whom),
`exposure` (the exposure rules), `explain` (reasons for each pair) and `kernels`.
"""

from __future__ import annotations

import copy
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

import numba
import numpy as np

from . import compatibility, explain, exposure, kernels, vectors
from .text import shipped_aliases
from .types import (
    SHARED_WEIGHT,
    MatchResult,
    MatchSettings,
    PairComponents,
    Profile,
    Reason,
    SuggestedPartner,
)

__all__ = ["SHARED_WEIGHT", "Matcher", "pair_components", "suggest_partners"]

#: Above this many lists to explain at once, reasons come from the kernel.
BATCH_REASONS = 2000

_UNMATCHED = ("no_compatible_partner", "no_shared_availability", "no_shared_topics")

Progress = Callable[[int, int], None]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building results.

    Matching creates hundreds of thousands of small acyclic objects (suggestions, reasons);
    each automatic collection then walks all of them, which costs more than the matching
    itself. Reference counting still frees everything; the previous state is restored.
    (``gc.freeze`` would also spare the first collection afterwards, but in a web worker it
    would make whatever else is alive at that moment uncollectable.)
    Incremental updates allocate little, so they run without the pause (turning the
    collector back on would cost them more than it saves).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Matcher:
    """Suggest partners for the attendees of one event and keep them current.

    Parameters
    ----------
    settings : MatchSettings, optional
        Organizer's rules; defaults to `MatchSettings()`.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Term -> column. Terms first seen in `update` are appended.
    idf_ : list of float
        Specificity of each term, fitted on the attendees given to `fit` (BM25's idf); a
        term first seen later counts as one held by a single person.
    need_mass_ : ndarray of shape (n_terms_at_fit,)
        How much of the attendees' needs each term carries, as seen by `fit`; the
        in-demand prior of a person is read against it.
    result_ : MatchResult
        Suggestions for the profiles seen so far, refreshed by `fit`, `update`, `remove`.
    """

    def __init__(self, settings: MatchSettings | None = None) -> None:
        # A copy, because `decline` adds pairs and the caller's object must not change.
        self.settings = replace(settings) if settings else MatchSettings()

    # -- public ----------------------------------------------------------------------------

    def fit(self, profiles: Iterable[Profile], progress: Progress | None = None) -> Matcher:
        """Learn the event's terms and compute every attendee's suggestions."""
        with _collector_paused():
            return self._fit(profiles, progress)

    def update(self, profile: Profile) -> set[int]:
        """Add or replace one profile; return the ids whose suggestions changed."""
        self._check_fitted()
        return self._apply({profile.id: profile}, set())

    def remove(self, profile_id: int) -> set[int]:
        """Forget one attendee; return the ids whose suggestions changed."""
        self._check_fitted()
        if profile_id not in self._profiles:
            raise KeyError(profile_id)
        return self._apply({}, {profile_id})

    def decline(self, a: int, b: int) -> set[int]:
        """Never suggest *a* and *b* to each other again; return the ids whose lists changed."""
        self._check_fitted()
        self.settings.declined_pairs = self.settings.declined_pairs | {frozenset((a, b))}
        return self._apply({}, set(), touched={a, b})

    def components(self, pairs: Sequence[tuple[int, int]]) -> PairComponents:
        """What the score combines for each (viewer id, candidate id) pair.

        The same quantities the kernels sum (in double precision here), before any weight:
        what learning from answers re-weights. Raises KeyError for an unknown id.
        """
        self._check_prepared()
        index = self._index
        viewers = np.fromiter((index[v] for v, _ in pairs), dtype=np.int64, count=len(pairs))
        partners = np.fromiter((index[c] for _, c in pairs), dtype=np.int64, count=len(pairs))
        offers, needs, interests = self._mats[1]

        def dot(left: object, right: object) -> np.ndarray:
            return np.asarray(left.multiply(right).sum(axis=1)).ravel()

        return PairComponents(
            they_help=dot(offers[partners], needs[viewers]),
            you_help=dot(offers[viewers], needs[partners]),
            shared=dot(interests[viewers], interests[partners]),
            prior=self._base_prior[partners].copy(),
            track_record=self._track[partners].copy(),
        )

    def recomputed(self) -> MatchResult:
        """Every list ranked again from scratch with the current term statistics.

        `update`, `remove` and `decline` re-rank only the lists an edit can touch; this is
        what they must equal (tests compare the two).
        """
        self._check_fitted()
        clone = copy.copy(self)
        n = len(self._ids)
        clone._cand_idx = np.full((n, self._depth), -1, dtype=np.int64)
        clone._cand_key = np.zeros((n, self._depth), dtype=np.float64)
        clone._cand_cnt = np.zeros(n, dtype=np.int64)
        clone._lists, clone._holders = {}, {}
        clone.__dict__.pop("_shown_rows", None)
        with _collector_paused():
            clone._rank(np.arange(n, dtype=np.int64))
            clone._finish(changed=None)
        return clone.result_

    # -- fitting ---------------------------------------------------------------------------

    def _fit(self, profiles: Iterable[Profile], progress: Progress | None) -> Matcher:
        self._prepare(profiles)
        n = len(self._ids)
        self._cand_idx = np.full((n, self._depth), -1, dtype=np.int64)
        self._cand_key = np.zeros((n, self._depth), dtype=np.float64)
        self._cand_cnt = np.zeros(n, dtype=np.int64)
        self._lists: dict[int, list[SuggestedPartner]] = {}
        self._rank(np.arange(n, dtype=np.int64), progress)
        self._finish(changed=None)
        return self

    def _prepare(self, profiles: Iterable[Profile]) -> None:
        """Learn the terms and their specificity and build the arrays, without ranking."""
        profiles = sorted(profiles, key=lambda p: p.id)
        ids = [p.id for p in profiles]
        if len(set(ids)) != len(ids):
            raise ValueError("profile ids must be unique")
        self.__dict__.pop("idf_", None)
        self.__dict__.pop("need_mass_", None)
        self.__dict__.pop("_mats", None)
        self.__dict__.pop("_prior_scale", None)
        self.aliases_ = shipped_aliases().extended(self.settings.extra_synonyms)
        self._vocabulary = vocabulary = vectors.Vocabulary(self.aliases_)
        self.vocabulary_: dict[str, int] = vocabulary.columns
        self._profiles = {p.id: p for p in profiles}
        self._people = {p.id: vocabulary.person(p) for p in profiles}
        self.idf_ = vocabulary.fit(self._people.values(), len(profiles))
        self._rows: dict[int, tuple[vectors.Row, vectors.Row, vectors.Row]] = {
            pid: vocabulary.rows(person) for pid, person in self._people.items()
        }
        self.__dict__.pop("_shown_rows", None)
        self._holders: dict[int, explain.Holders] = {}
        self._build()

    # -- arrays ----------------------------------------------------------------------------

    def _build(self) -> None:
        """Flatten the people into the arrays the kernels read."""
        settings = self.settings
        self._depth = exposure.candidate_depth(settings)
        self._ids = np.fromiter(self._profiles, dtype=np.int64, count=len(self._profiles))
        self._index = {int(pid): i for i, pid in enumerate(self._ids)}
        pids = self._ids.tolist()
        people = [self._people[pid] for pid in pids]
        n = len(people)
        offers, needs, interests = mats = vectors.person_term_matrices(
            pids, self._rows, len(self.vocabulary_), getattr(self, "_mats", None),
            getattr(self, "_stale", set()),
        )  # fmt: skip
        self._mats, self._stale = (pids, mats), set()
        self._term_arrays, self._dense = vectors.kernel_arrays(offers, needs, interests)
        # The needs seen by `fit`, so that one edit never moves anybody else's prior.
        if not hasattr(self, "need_mass_"):
            self.need_mass_ = np.asarray(needs.sum(axis=0)).ravel()
        self._base_prior = vectors.priors(people, offers, self.need_mass_)
        self._track = np.fromiter((p.track_record for p in people), dtype=np.float64, count=n)
        weighted = vectors.weighted_priors(
            self._base_prior, self._track, settings.prior_exponent, settings.track_record_exponent
        )
        # Scaled so that the largest multiplier seen by `fit` is 1: ranking is the same, and
        # a key's part above its help tier stays below HELP_TIER (the fit is below 2), so
        # the tier and the score people see can be read back from the key. The scale is
        # kept for later edits, so that they move nobody else's keys.
        if not hasattr(self, "_prior_scale"):
            self._prior_scale = 1.0 / max(float(weighted.max(initial=0.0)), 1e-12)
        self._prior = weighted * self._prior_scale
        self._empty = np.fromiter((p.empty for p in people), dtype=bool, count=n)
        classes: dict[tuple, int] = {}
        orgs: dict[str, int] = {"": -1}
        self._cls_of = np.fromiter(
            (classes.setdefault(p.class_key, len(classes)) for p in people), np.int64, count=n
        )
        self._org_of = np.fromiter(
            (orgs.setdefault(p.org, len(orgs) - 1) for p in people), np.int64, count=n
        )
        self._role_of = np.fromiter((p.class_key[0] for p in people), np.int64, count=n)
        class_keys = tuple(classes)
        if getattr(self, "_class_keys", None) != class_keys:
            self._class_keys = class_keys
            self._compat, self._avail_ok, self._role_ok = compatibility.class_tables(
                list(classes), settings
            )
        self._decl_ptr, self._decl_idx = compatibility.declined_lists(
            settings.declined_pairs, self._index, n
        )

    def _kernel_args(self) -> tuple:
        settings = self.settings
        return (
            *self._term_arrays, settings.reciprocity, settings.shared_weight, self._prior,
            self._cls_of, self._org_of, self._compat, settings.exclude_same_organization,
            self._decl_ptr, self._decl_idx,
        )  # fmt: skip

    def _rank(self, viewers: np.ndarray, progress: Progress | None = None) -> None:
        """Exact top candidates of the given viewers, in chunks so progress can be shown."""
        viewers = viewers[~self._empty[viewers]]
        self._cand_cnt[viewers] = 0
        n = len(self._ids)
        threads = numba.get_num_threads()
        chunk = max(1024, len(viewers) // 50) if progress else max(len(viewers), 1)
        for start in range(0, len(viewers), chunk):
            block = viewers[start : start + chunk]
            kernels.rank(
                block, n, *self._kernel_args(), *self._dense, self._depth, self._cand_idx,
                self._cand_key, self._cand_cnt, min(len(block), 8 * threads),
            )  # fmt: skip
            if progress:
                progress(min(start + chunk, len(viewers)), len(viewers))
        if progress and len(viewers) == 0:
            progress(0, 0)

    # -- exposure, reasons, result ---------------------------------------------------------

    def _final_lists(self) -> tuple[np.ndarray, np.ndarray]:
        """Each attendee's final top_k (indices, keys) after the exposure rules."""
        return exposure.final_lists(self._cand_idx, self._cand_key, self._cand_cnt, self.settings)

    def _shown_scores(self, fin_idx: np.ndarray, fin_key: np.ndarray) -> np.ndarray:
        """How well each pair fits, in [0, 1], as shown to people.

        Ranking multiplies by the in-demand prior and divides by any exposure penalty; the
        score people see is the fit itself, so it is read from the exact candidate keys
        without either.
        """
        if self._depth == fin_idx.shape[1] or not len(fin_idx):
            raw = fin_key
        else:
            match = self._cand_idx[:, None, :] == fin_idx[:, :, None]
            raw = np.take_along_axis(self._cand_key, match.argmax(axis=2), axis=1)
        fit = raw - np.floor(raw / kernels.HELP_TIER) * kernels.HELP_TIER
        return np.minimum(fit / self._prior[np.maximum(fin_idx, 0)], 1.0)

    def _finish(self, changed: set[int] | None) -> set[int]:
        """Apply exposure rules, attach reasons, publish `result_`; return changed ids."""
        fin_idx, fin_key = self._final_lists()
        n = len(self._ids)
        id_list = self._ids.tolist()
        old = self._lists
        if changed:
            for pid in changed:
                self._holders.pop(pid, None)
        pids = np.where(fin_idx >= 0, self._ids[np.maximum(fin_idx, 0)], -1)
        shown = self._shown_scores(fin_idx, fin_key).round(6)
        dirty = np.ones(n, dtype=bool)
        previous_rows = getattr(self, "_shown_rows", None)
        if changed is not None and previous_rows is not None and n:
            old_pids, old_shown, old_ids = previous_rows
            # Where each current attendee sat in the previous arrays (ids are sorted).
            rows = np.minimum(np.searchsorted(old_ids, self._ids), max(len(old_ids) - 1, 0))
            known = (old_ids[rows] == self._ids) if len(old_ids) else np.zeros(n, dtype=bool)
            same = np.zeros(n, dtype=bool)
            if old_pids.shape[1] == pids.shape[1]:
                same[known] = (old_pids[rows[known]] == pids[known]).all(axis=1) & (
                    old_shown[rows[known]] == shown[known]
                ).all(axis=1)
            subjects = np.array(sorted(changed), dtype=np.int64)
            dirty = ~same | np.isin(self._ids, subjects) | np.isin(pids, subjects).any(axis=1)
        self._shown_rows = (pids, shown, self._ids)
        dirty_rows = np.flatnonzero(dirty).tolist()
        partner_ids = pids[dirty].tolist()
        shown_list = shown[dirty].tolist()
        wanted = [
            (id_list[p], partner)
            for p, row in zip(dirty_rows, partner_ids, strict=True)
            for partner in row
            if partner >= 0
        ]
        if len(wanted) > BATCH_REASONS:
            explained = dict(zip(wanted, self._batch_reasons(wanted), strict=True))
        else:
            explained = {pair: self._reasons(*pair) for pair in wanted}
        lists = dict(old) if changed is not None else {}
        for pid in set(old) - set(id_list):
            del lists[pid]
        for p, row, scores in zip(dirty_rows, partner_ids, shown_list, strict=True):
            pid = id_list[p]
            fresh = [
                SuggestedPartner(partner, score, explained[(pid, partner)])
                for partner, score in zip(row, scores, strict=True)
                if partner >= 0
            ]
            previous = old.get(pid)
            lists[pid] = previous if previous == fresh else fresh
        if changed is not None and list(lists) != id_list:
            lists = {pid: lists[pid] for pid in id_list}
        self._lists = lists
        times_shown = np.bincount(fin_idx[fin_idx >= 0], minlength=n) if n else np.zeros(0)
        unmatched = self._unmatched_codes([p for p in range(n) if not lists[id_list[p]]])
        covered = sum(1 for s in lists.values() if s)
        self.result_ = MatchResult(
            suggestions=lists,
            coverage=covered / n if n else 1.0,
            max_exposure=int(times_shown.max()) if n else 0,
            exposure_mean=float(times_shown.mean()) if n else 0.0,
            exposure_stdev=float(times_shown.std()) if n else 0.0,
            unmatched=unmatched,
        )
        return {pid for pid in lists if old.get(pid) != lists[pid]}

    def _reasons(self, viewer: int, partner: int) -> tuple[Reason, ...]:
        """Why *partner* suits *viewer*, in each one's own words, best matches first."""
        return explain.pair_reasons(
            self._people[viewer], self._people[partner], self._holders_of(partner), self.idf_,
            self._vocabulary.names,
        )  # fmt: skip

    def _batch_reasons(self, pairs: list[tuple[int, int]]) -> list[tuple[Reason, ...]]:
        """`_reasons` for many pairs at once, through the kernel; the same result."""
        people = [self._people[pid] for pid in self._ids.tolist()]
        index = self._index
        viewers = np.array([index[v] for v, _ in pairs], dtype=np.int64)
        partners = np.array([index[p] for _, p in pairs], dtype=np.int64)
        return explain.batch_reasons(people, viewers, partners, self.idf_, self._vocabulary.names)

    def _holders_of(self, pid: int) -> explain.Holders:
        """`explain.phrase_holders` of one person, kept until the person changes."""
        holders = self._holders.get(pid)
        if holders is None:
            holders = self._holders[pid] = explain.phrase_holders(self._people[pid])
        return holders

    def _unmatched_codes(self, people: list[int]) -> dict[int, str]:
        """Why each of these attendees (rows) has an empty list: `UNMATCHED_REASONS` keys."""
        unmatched: dict[int, str] = {}
        rest = []
        for p in people:
            pid = int(self._ids[p])
            if self._empty[p]:
                unmatched[pid] = "empty_profile"
            elif self._cand_cnt[p] > 0:
                unmatched[pid] = "partners_full"
            else:
                rest.append(p)
        if rest:
            codes = kernels.explain_unmatched(
                np.array(rest, dtype=np.int64), self._role_of, self._cls_of, self._org_of,
                self._empty, self._decl_ptr, self._decl_idx, self._role_ok, self._avail_ok,
                self.settings.exclude_same_organization,
            )  # fmt: skip
            for p, code in zip(rest, codes.tolist(), strict=True):
                unmatched[int(self._ids[p])] = _UNMATCHED[code]
        return unmatched

    # -- incremental -----------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "result_"):
            raise RuntimeError("call fit() first")

    def _check_prepared(self) -> None:
        if not hasattr(self, "_mats"):
            raise RuntimeError("call fit() first")

    def _apply(
        self, changed: dict[int, Profile], removed: set[int], touched: set[int] | None = None
    ) -> set[int]:
        """Apply edits and re-rank only the viewers whose candidate lists can change.

        Term statistics stay as fitted, so every other pair keeps its score: a viewer's list
        can only change if it held an edited attendee or if an edited attendee now beats its
        last entry (or fills a list that is not full).
        """
        old_ids = self._ids
        subjects = set(changed) | set(removed) | set(touched or ())
        self._stale = set(removed) | set(changed)
        for pid in removed:
            del self._profiles[pid]
            del self._people[pid]
            del self._rows[pid]
        for pid, profile in changed.items():
            self._profiles[pid] = profile
            self._people[pid] = person = self._vocabulary.person(profile)
            self._rows[pid] = self._vocabulary.rows(person)
        self._profiles = dict(sorted(self._profiles.items()))
        self._build()

        n, depth = len(self._ids), self._depth
        remap = np.array([self._index.get(int(pid), -1) for pid in old_ids], dtype=np.int64)
        cand_idx = np.full((n, depth), -1, dtype=np.int64)
        cand_key = np.zeros((n, depth), dtype=np.float64)
        cand_cnt = np.zeros(n, dtype=np.int64)
        keep = remap >= 0
        old_idx = self._cand_idx[keep]
        cand_idx[remap[keep]] = np.where(old_idx >= 0, remap[np.maximum(old_idx, 0)], -1)
        cand_key[remap[keep]] = self._cand_key[keep]
        cand_cnt[remap[keep]] = self._cand_cnt[keep]
        self._cand_idx, self._cand_key, self._cand_cnt = cand_idx, cand_key, cand_cnt

        present = [self._index[pid] for pid in subjects if pid in self._index]
        filled = np.arange(depth)[None, :] < cand_cnt[:, None]
        stale = (np.isin(cand_idx, present) | (cand_idx < 0)) & filled
        affected = set(present) | set(np.flatnonzero(stale.any(axis=1)).tolist())
        for p in present:
            affected.update(self._newly_reachable(p))
        if affected:
            self._rank(np.array(sorted(affected), dtype=np.int64))
        return self._finish(changed=subjects)

    def _newly_reachable(self, p: int) -> list[int]:
        """Viewers for whom attendee *p* now ranks within their candidate depth."""
        if self._empty[p]:
            return []
        keys = kernels.column_keys(p, len(self._ids), *self._kernel_args())
        viewers = np.flatnonzero(keys > 0)
        keys = keys[viewers]
        depth = self._depth
        worst_key = self._cand_key[viewers, depth - 1]
        worst_idx = self._cand_idx[viewers, depth - 1]
        better = (
            (self._cand_cnt[viewers] < depth)
            # Scores are summed in float32 in another order here: judge with a margin, so a
            # viewer is re-ranked (harmlessly) rather than missed on a rounding difference.
            | (keys > worst_key - 1e-5)
            | ((keys == worst_key) & (p < worst_idx))
        )
        return viewers[better].tolist()


def pair_components(
    profiles: Sequence[Profile],
    pairs: Sequence[tuple[int, int]],
    settings: MatchSettings | None = None,
) -> PairComponents:
    """`Matcher.components` of an event's pairs, without ranking anybody's list.

    The term statistics are those of ``profiles`` (the whole event), so the components are
    what matching would combine for these pairs at that event.
    """
    matcher = Matcher(settings)
    matcher._prepare(profiles)
    return matcher.components(pairs)


def suggest_partners(
    profiles: Sequence[Profile],
    settings: MatchSettings | None = None,
    progress: Progress | None = None,
) -> MatchResult:
    """Suggest up to ``settings.top_k`` partners for every attendee, with reasons.

    Same input, same output: ties are broken by attendee id and nothing is random.
    """
    return Matcher(settings).fit(profiles, progress=progress).result_
