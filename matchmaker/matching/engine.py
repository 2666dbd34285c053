"""Turn profiles into ranked, explained suggestions and keep them current.

`Matcher` learns an event's terms and their specificity (``fit``), ranks every attendee's
partners exactly through inverted indexes, and refreshes only the lists one edit can touch
(``update``, ``remove``, ``decline``). `suggest_partners` is the one-shot form. The score
and the reasons for its shape are in the package docstring.
"""

from __future__ import annotations

import copy
import gc
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import chain

import numba
import numpy as np
import scipy.sparse as sp

from matchmaker.choices import MEETING_MODES, ROLES

from . import kernels
from .text import AliasTable, phrase_terms, shipped_aliases, stem, tokenize
from .types import MatchResult, MatchSettings, Profile, Reason, SuggestedPartner

#: Weight of shared interests next to "how much they can help me" (1).
SHARED_WEIGHT = 0.2
#: BM25 saturation: the second offer that mentions a need adds less than the first.
K1 = 0.6
#: BM25 length normalisation. None: someone who can help with more is never punished for
#: listing more (on the Stack Exchange development sites 0 also ranked best: 0.3 cost 2 points
#: of HR@10).
LENGTH_NORM = 0.0
#: Weight of the giving prior: people who offer more distinct things are more likely to
#: help (``1 + BREADTH_WEIGHT * breadth``, breadth in [0, 1], saturating at BREADTH_CAP).
BREADTH_WEIGHT = 0.2
BREADTH_CAP = 25
#: The in-demand prior: ``(1 + demand) ** DEMAND_EXPONENT`` where demand is how many
#: people's needs (summed help) someone's offers cover. Gently favours people who can help
#: many; larger exponents raised HR@10 further but lost the askers whose helper is not busy.
DEMAND_EXPONENT = 0.25
#: Terms held by at least 1/DENSE_SHARE of the attendees are swept as dense rows: below
#: that, scattering their posting lists is cheaper (measured at 40,000 attendees: shares of
#: 1/4 to 1/8 ranked in 4.7-4.9 s, 1/16 in 5.3 s, 1/64 in 7.7 s, none in 8.9 s).
DENSE_SHARE = 8
#: Bytes allowed for dense rows per field (terms x attendees x 4).
DENSE_BUDGET = 64 * 2**20
#: ... and by at least this many people, so small events stay on posting lists.
DENSE_MIN_HOLDERS = 64
#: Candidates ranked exactly per attendee, as a multiple of top_k, when an exposure rule
#: may move some of them out of the list.
DEPTH_FACTOR = 3
#: Reasons kept per direction.
REASONS_PER_DIRECTION = 3
#: Phrases longer than this (in words) are quoted by their matching part.
QUOTE_WORDS = 7
#: Above this many lists to explain at once, reasons come from the kernel.
BATCH_REASONS = 2000

_ROLE_IDS = {role: i for i, role in enumerate(ROLES)}
_MODE_IDS = {mode: i for i, mode in enumerate(MEETING_MODES)}
_DIRECTIONS = ("they_help", "you_help", "shared")
_UNMATCHED = ("no_compatible_partner", "no_shared_availability", "no_shared_topics")
_WORD = re.compile(r"\S+")

Progress = Callable[[int, int], None]
Row = tuple[list[int], list[float]]


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


def _normalise_org(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class _Person:
    """What matching needs from one profile: per field, each phrase and its term ids."""

    offers: tuple[tuple[str, tuple[int, ...]], ...]
    needs: tuple[tuple[str, tuple[int, ...]], ...]
    interests: tuple[tuple[str, tuple[int, ...]], ...]
    class_key: tuple[int, int, frozenset[int] | None]
    org: str

    @property
    def empty(self) -> bool:
        return not (self.offers or self.needs or self.interests)


def _csr(rows: Sequence[Row], n_cols: int) -> sp.csr_matrix:
    lengths = np.fromiter((len(r[0]) for r in rows), dtype=np.int64, count=len(rows))
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    total = int(ptr[-1])
    cols = np.fromiter(chain.from_iterable(r[0] for r in rows), dtype=np.int64, count=total)
    vals = np.fromiter(chain.from_iterable(r[1] for r in rows), dtype=np.float64, count=total)
    return sp.csr_matrix((vals, cols, ptr), shape=(len(rows), max(n_cols, 1)))


def _postings(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Term -> (people, values): the transpose of a person x term matrix."""
    by_term = matrix.tocsc()
    by_term.sort_indices()
    return (
        by_term.indptr.astype(np.int64),
        by_term.indices.astype(np.int64),
        by_term.data.astype(np.float64),
    )


def _dense_rows(
    postings: tuple[np.ndarray, np.ndarray, np.ndarray], n_people: int
) -> tuple[np.ndarray, np.ndarray]:
    """Dense float32 rows (term -> value per person) for the terms many people hold.

    A term held by at least 1/DENSE_SHARE of the people is cheaper to add as one contiguous
    row than to scatter through its posting list; rows are capped by `DENSE_BUDGET` bytes.
    Returns the row of each term (-1: sparse) and the rows.
    """
    ptr, person, value = postings
    held = np.diff(ptr)
    common = np.flatnonzero(held >= max(n_people / DENSE_SHARE, DENSE_MIN_HOLDERS))
    common = common[np.argsort(-held[common], kind="stable")]
    common = np.sort(common[: DENSE_BUDGET // (4 * max(n_people, 1))])
    row_of = np.full(len(held), -1, dtype=np.int64)
    row_of[common] = np.arange(len(common))
    dense = np.zeros((len(common), n_people), dtype=np.float32)
    if len(common):
        spans = [np.arange(ptr[t], ptr[t + 1]) for t in common.tolist()]
        at = np.concatenate(spans)
        rows = np.repeat(np.arange(len(common)), held[common])
        dense[rows, person[at]] = value[at]
    return row_of, dense


def _arrays(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        matrix.indptr.astype(np.int64),
        matrix.indices.astype(np.int64),
        matrix.data.astype(np.float64),
    )


@lru_cache(maxsize=65536)
def _word_stems(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each whitespace-separated word of *text* with the stems it holds."""
    return tuple((word, tuple(stem(t) for t in tokenize(word))) for word in _WORD.findall(text))


@lru_cache(maxsize=65536)
def _quote(text: str, matched: frozenset[str]) -> str:
    """The part of a long phrase around the words that matched, with ellipses."""
    words = _word_stems(text)
    if len(words) <= QUOTE_WORDS:
        return text
    hits = [i for i, (_, stems) in enumerate(words) if any(s in matched for s in stems)]
    plain = [word for word, _ in words]
    if not hits:
        return " ".join(plain[:QUOTE_WORDS]) + " …"
    start = max(hits[0] - 2, 0)
    stop = min(max(hits[-1] + 3, start + 3), len(words), start + QUOTE_WORDS)
    snippet = " ".join(plain[start:stop])
    return f"{'… ' if start else ''}{snippet}{' …' if stop < len(words) else ''}"


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
        profiles = sorted(profiles, key=lambda p: p.id)
        ids = [p.id for p in profiles]
        if len(set(ids)) != len(ids):
            raise ValueError("profile ids must be unique")
        self.__dict__.pop("idf_", None)
        self.__dict__.pop("need_mass_", None)
        self.__dict__.pop("_mats", None)
        self.aliases_: AliasTable = shipped_aliases().extended(self.settings.extra_synonyms)
        self._terms_of: dict[str, tuple[str, ...]] = {}
        self._ids_of_text: dict[str, tuple[int, ...]] = {}
        self.vocabulary_: dict[str, int] = {}
        self._term_names: list[str] = []
        self._profiles = {p.id: p for p in profiles}
        self._people = {p.id: self._person(p) for p in profiles}
        n = len(profiles)
        df = np.zeros(len(self.vocabulary_), dtype=np.float64)
        lengths = []
        for person in self._people.values():
            held = {t for field in (person.offers, person.needs, person.interests)
                    for _, terms in field for t in terms}  # fmt: skip
            df[list(held)] += 1
            if person.offers:
                lengths.append(sum(len(terms) for _, terms in person.offers))
        self._n_fitted = max(n, 1)
        self.idf_ = np.log1p((self._n_fitted - df + 0.5) / (df + 0.5)).tolist()
        self._avg_offer_len = float(np.mean(lengths)) if lengths else 1.0
        self._rows: dict[int, tuple[Row, Row, Row]] = {
            pid: self._vectors(person) for pid, person in self._people.items()
        }
        self.__dict__.pop("_shown_rows", None)
        self._holders: dict[int, tuple[dict[int, list[int]], ...]] = {}
        self._build()
        n = len(self._ids)
        self._cand_idx = np.full((n, self._depth), -1, dtype=np.int64)
        self._cand_key = np.zeros((n, self._depth), dtype=np.float64)
        self._cand_cnt = np.zeros(n, dtype=np.int64)
        self._lists: dict[int, list[SuggestedPartner]] = {}
        self._rank(np.arange(n, dtype=np.int64), progress)
        self._finish(changed=None)
        return self

    def _terms(self, text: str) -> tuple[str, ...]:
        terms = self._terms_of.get(text)
        if terms is None:
            terms = self._terms_of[text] = phrase_terms(text, self.aliases_)
        return terms

    def _term_ids(self, text: str) -> tuple[int, ...]:
        ids = self._ids_of_text.get(text)
        if ids is None:
            ids = self._ids_of_text[text] = tuple(sorted(set(self._new_term_ids(text))))
        return ids

    def _new_term_ids(self, text: str) -> tuple[int, ...]:
        vocabulary = self.vocabulary_
        out = []
        for term in self._terms(text):
            column = vocabulary.get(term)
            if column is None:
                column = vocabulary[term] = len(vocabulary)
                self._term_names.append(term)
                if hasattr(self, "idf_"):  # first seen after fit: as specific as it gets
                    n = self._n_fitted
                    self.idf_.append(math.log1p((n - 1 + 0.5) / 1.5))
            out.append(column)
        return tuple(out)

    def _person(self, profile: Profile) -> _Person:
        fields = []
        for phrases in (profile.can_help_with, profile.looking_for, profile.interests):
            seen: dict[str, tuple[int, ...]] = {}
            for text in phrases:
                ids = self._term_ids(text)
                if ids and text not in seen:
                    seen[text] = ids
            fields.append(tuple(seen.items()))
        role = _ROLE_IDS.get(profile.role, _ROLE_IDS["other"])
        class_key = (role, _MODE_IDS[profile.meeting_mode], profile.sessions)
        return _Person(*fields, class_key, _normalise_org(profile.organization))

    def _vectors(self, person: _Person) -> tuple[Row, Row, Row]:
        """(offer, need, interest) rows of one person: term ids and weights.

        Offers hold BM25's saturated term frequency (1 for a term written once by someone
        with an average-length list, up to ``K1 + 1`` for a term written many times); needs hold
        each term's share of the person's total need specificity (they sum to 1), so that
        ``help(a -> b) = offers[a] . needs[b]`` is the specificity-weighted part of b's needs
        that a covers; interests are L2-normalised idf weights, so shared interests are a
        cosine.
        """
        idf = self.idf_
        counts: dict[int, int] = {}
        for _, terms in person.offers:
            for t in terms:
                counts[t] = counts.get(t, 0) + 1
        length = sum(counts.values())
        scale = K1 * (1 - LENGTH_NORM + LENGTH_NORM * length / self._avg_offer_len)
        offer = (list(counts), [tf * (K1 + 1) / (tf + scale) for tf in counts.values()])

        weights: dict[int, float] = {}
        for _, terms in person.needs:  # each need phrase weighs the same, shared by its terms
            mass = sum(idf[t] for t in terms)
            for t in terms:
                weights[t] = weights.get(t, 0.0) + idf[t] / mass
        total = sum(weights.values())
        need_terms = sorted(weights)
        need = (need_terms, [weights[t] / total for t in need_terms])

        int_terms = sorted({t for _, terms in person.interests for t in terms})
        norm = math.sqrt(sum(idf[t] ** 2 for t in int_terms))
        interest = (int_terms, [idf[t] / norm for t in int_terms])
        return offer, need, interest

    # -- arrays ----------------------------------------------------------------------------

    def _build(self) -> None:
        """Flatten the people into the arrays the kernels read."""
        settings = self.settings
        penalised = settings.exposure_penalty > 0 or settings.max_exposure is not None
        self._depth = settings.top_k * (DEPTH_FACTOR if penalised else 1)
        self._ids = np.fromiter(self._profiles, dtype=np.int64, count=len(self._profiles))
        self._index = {int(pid): i for i, pid in enumerate(self._ids)}
        pids = self._ids.tolist()
        people = [self._people[pid] for pid in pids]
        n = len(people)
        n_terms = len(self.vocabulary_)
        offers, needs, interests = self._matrices(pids, n_terms)
        postings = [_postings(offers), _postings(needs), _postings(interests)]
        self._term_arrays = (
            *_arrays(needs), *_arrays(offers), *_arrays(interests), *chain(*postings)
        )  # fmt: skip
        self._dense = tuple(chain(*(_dense_rows(p, n) for p in postings)))
        breadth = np.fromiter(
            (min(len(p.offers), BREADTH_CAP) for p in people), dtype=np.float64, count=n
        )
        breadth = np.log1p(breadth) / math.log1p(BREADTH_CAP)
        self._prior = (1 + BREADTH_WEIGHT * breadth) / (1 + BREADTH_WEIGHT)
        # Demand: how much of everyone's needs this person's offers cover, in people. The
        # needs are those seen by `fit`, so one edit never moves anybody else's prior.
        if not hasattr(self, "need_mass_"):
            self.need_mass_ = np.asarray(needs.sum(axis=0)).ravel()
        mass = np.zeros(offers.shape[1])
        mass[: min(len(self.need_mass_), len(mass))] = self.need_mass_[: len(mass)]
        demand = offers @ mass
        self._prior = self._prior * (1 + demand) ** DEMAND_EXPONENT
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
            self._compat, self._avail_ok, self._role_ok = self._class_tables(list(classes))

        declined: list[list[int]] = [[] for _ in range(n)]
        for pair in settings.declined_pairs:
            members = [self._index.get(pid) for pid in pair]
            if len(members) == 2 and None not in members:
                a, b = members
                declined[a].append(b)
                declined[b].append(a)
        lengths = np.fromiter(map(len, declined), dtype=np.int64, count=n)
        self._decl_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=self._decl_ptr[1:])
        self._decl_idx = np.fromiter(
            (m for d in declined for m in sorted(d)), dtype=np.int64, count=int(lengths.sum())
        )

    def _matrices(self, pids: list[int], n_terms: int) -> list[sp.csr_matrix]:
        """The (offers, needs, interests) person x term matrices, rows in `pids` order.

        After `fit`, an edit patches the rows it changed (`_stale` holds their ids) instead
        of flattening every person again.
        """
        previous = getattr(self, "_mats", None)
        stale: set[int] = getattr(self, "_stale", set())
        if previous is None or len(stale) > 64:
            rows = [self._rows[pid] for pid in pids]
            mats = [_csr([r[f] for r in rows], n_terms) for f in range(3)]
        else:
            old_ids, mats = previous
            keep = [i for i, pid in enumerate(old_ids) if pid not in stale]
            kept_ids = [old_ids[i] for i in keep]
            if len(keep) < len(old_ids):
                mats = [m[keep] for m in mats]
            for m in mats:
                m.resize((m.shape[0], max(n_terms, 1)))
            for pid in sorted(stale & set(pids)):
                at = bisect_left(kept_ids, pid)
                kept_ids.insert(at, pid)
                mats = [
                    sp.vstack(
                        [m[:at], _csr([self._rows[pid][f]], n_terms), m[at:]], format="csr"
                    )
                    for f, m in enumerate(mats)
                ]
        self._mats = (pids, mats)
        self._stale = set()
        return mats

    def _class_tables(self, keys: list[tuple]) -> tuple[np.ndarray, ...]:
        """Which compatibility classes may meet: roles, then mode and sessions."""
        settings = self.settings
        roles = list(ROLES)
        role_ok = np.array(
            [[settings.roles_may_meet(a, b) for b in roles] for a in roles], dtype=np.uint8
        )
        mode_ok = np.ones((3, 3), dtype=np.uint8)
        mode_ok[_MODE_IDS["in_person"], _MODE_IDS["virtual"]] = 0
        mode_ok[_MODE_IDS["virtual"], _MODE_IDS["in_person"]] = 0
        role = np.array([k[0] for k in keys], dtype=np.int64)
        mode = np.array([k[1] for k in keys], dtype=np.int64)
        session_ids = sorted({s for k in keys if k[2] is not None for s in k[2]})
        bit = {s: i for i, s in enumerate(session_ids)}
        words = max(1, (len(session_ids) + 63) // 64)
        masks = np.zeros((len(keys), words), dtype=np.uint64)
        for q, key in enumerate(keys):
            if key[2] is None:
                masks[q] = np.uint64(0xFFFFFFFFFFFFFFFF)
            else:
                for s in key[2]:
                    masks[q, bit[s] // 64] |= np.uint64(1) << np.uint64(bit[s] % 64)
        n_keys = len(keys)
        compat = np.zeros((n_keys, n_keys), dtype=np.uint8)
        avail_ok = np.zeros((n_keys, n_keys), dtype=np.uint8)
        for start in range(0, n_keys, 256):  # in blocks: Q x Q x 8-byte masks can be large
            rows = slice(start, min(start + 256, n_keys))
            shared = np.zeros((rows.stop - start, n_keys), dtype=bool)
            for w in range(words):
                shared |= (masks[rows, None, w] & masks[None, :, w]) != 0
            block = shared & (mode_ok[mode[rows, None], mode[None, :]] != 0)
            avail_ok[rows] = block
            compat[rows] = block & (role_ok[role[rows, None], role[None, :]] != 0)
        return compat, avail_ok, role_ok

    def _kernel_args(self) -> tuple:
        settings = self.settings
        return (
            *self._term_arrays, settings.reciprocity, SHARED_WEIGHT, self._prior,
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
        settings = self.settings
        k, depth, n = settings.top_k, self._depth, len(self._ids)
        idx, key, cnt = self._cand_idx, self._cand_key.copy(), self._cand_cnt
        filled = np.arange(depth)[None, :] < cnt[:, None]
        if settings.exposure_penalty > 0 and n:
            first = idx[:, :k][filled[:, :k]]
            exposure = np.bincount(first, minlength=n)
            # Appearing in up to top_k lists is what everyone does; beyond that each doubling
            # costs a little, so the penalty nudges instead of hiding the people who can help.
            excess = np.log2(np.maximum(exposure / k, 1.0))
            factor = 1.0 / (1.0 + settings.exposure_penalty * excess)
            tier = np.floor(key / kernels.HELP_TIER) * kernels.HELP_TIER
            key = np.where(filled, tier + (key - tier) * factor[np.maximum(idx, 0)], key)
            order = np.lexsort((np.where(filled, idx, n), -np.where(filled, key, -1.0)), axis=1)
            idx = np.take_along_axis(idx, order, axis=1)
            key = np.take_along_axis(key, order, axis=1)
        if settings.max_exposure is not None and n:
            slots = np.flatnonzero(filled.ravel())
            order = slots[np.lexsort((slots, -key.ravel()[slots]))]
            accepted, _, _ = kernels.allocate_exposure(
                order, idx, cnt, k, settings.max_exposure, n
            )
            keep = accepted.reshape(n, depth).astype(bool)
            position = np.cumsum(keep, axis=1) - 1
            rows, cols = np.nonzero(keep & (position < k))
            out_idx = np.full((n, k), -1, dtype=np.int64)
            out_key = np.zeros((n, k), dtype=np.float64)
            out_idx[rows, position[rows, cols]] = idx[rows, cols]
            out_key[rows, position[rows, cols]] = key[rows, cols]
            return out_idx, out_key
        filled = np.arange(depth)[None, :] < cnt[:, None]
        return np.where(filled, idx, -1)[:, :k], np.where(filled, key, 0.0)[:, :k]

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
        exposure = np.bincount(fin_idx[fin_idx >= 0], minlength=n) if n else np.zeros(0)
        unmatched = self._explain([p for p in range(n) if not lists[id_list[p]]])
        covered = sum(1 for s in lists.values() if s)
        self.result_ = MatchResult(
            suggestions=lists,
            coverage=covered / n if n else 1.0,
            max_exposure=int(exposure.max()) if n else 0,
            exposure_mean=float(exposure.mean()) if n else 0.0,
            exposure_stdev=float(exposure.std()) if n else 0.0,
            unmatched=unmatched,
        )
        return {pid for pid in lists if old.get(pid) != lists[pid]}

    def _reasons(self, viewer: int, partner: int) -> tuple[Reason, ...]:
        """Why *partner* suits *viewer*, in each one's own words, best matches first."""
        mine, theirs = self._people[viewer], self._people[partner]
        their_holders = self._holders_of(partner)
        out: list[Reason] = []
        for direction, yours, others, holders in (
            ("they_help", mine.needs, theirs.offers, their_holders[0]),
            ("you_help", mine.offers, theirs.needs, their_holders[1]),
            ("shared", mine.interests, theirs.interests, their_holders[2]),
        ):
            if yours and others:
                out.extend(self._phrase_matches(direction, yours, others, holders))
        return tuple(out)

    def _batch_reasons(self, pairs: list[tuple[int, int]]) -> list[tuple[Reason, ...]]:
        """`_reasons` for many pairs at once, through the kernel; the same result."""
        fields = ("offers", "needs", "interests")
        people = [self._people[pid] for pid in self._ids.tolist()]
        texts: list[str] = []
        terms: list[tuple[int, ...]] = []
        person_ptr = np.zeros((3, len(people) + 1), dtype=np.int64)
        for f, name in enumerate(fields):
            person_ptr[f, 0] = len(texts)
            for i, person in enumerate(people):
                phrases = getattr(person, name)
                if phrases:
                    for text, ids in phrases:  # term ids are sorted (see _term_ids)
                        texts.append(text)
                        terms.append(ids)
                person_ptr[f, i + 1] = len(texts)
        lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
        phrase_ptr = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(lengths, out=phrase_ptr[1:])
        phrase_terms = np.fromiter(
            (t for row in terms for t in row), dtype=np.int64, count=int(phrase_ptr[-1])
        )
        index = self._index
        viewers = np.array([index[v] for v, _ in pairs], dtype=np.int64)
        partners = np.array([index[p] for _, p in pairs], dtype=np.int64)
        idf = np.asarray(self.idf_, dtype=np.float64)
        # they_help: my needs x their offers; you_help: my offers x their needs; shared.
        mine, theirs = np.array([1, 0, 2]), np.array([0, 1, 2])
        text_ids: dict[str, int] = {}
        text_of = np.fromiter(
            (text_ids.setdefault(t, len(text_ids)) for t in texts), dtype=np.int64,
            count=len(texts),
        )  # fmt: skip
        n_texts = max(len(text_ids), 1)
        out: list[tuple[Reason, ...]] = []
        made: dict[int, Reason] = {}
        for start in range(0, len(pairs), 65536):
            raw = kernels.pair_reasons(
                viewers[start : start + 65536], partners[start : start + 65536], mine,
                theirs, person_ptr, phrase_ptr, phrase_terms, idf, REASONS_PER_DIRECTION,
            )  # fmt: skip
            flat = raw.reshape(len(raw), -1, 2)
            pair, slot = np.nonzero(flat[:, :, 0] >= 0)  # row-major: each pair's order kept
            mine_at, theirs_at = flat[pair, slot, 0], flat[pair, slot, 1]
            direction = slot // REASONS_PER_DIRECTION
            # The same two texts in the same direction make the same reason: build it once.
            key = (direction * n_texts + text_of[mine_at]) * n_texts + text_of[theirs_at]
            unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            reasons = []
            for code, at in zip(unique.tolist(), first.tolist(), strict=True):
                reason = made.get(code)
                if reason is None:
                    i, j = int(mine_at[at]), int(theirs_at[at])
                    reason = made[code] = self._quoted_reason(
                        _DIRECTIONS[int(direction[at])], (texts[i], terms[i]), (texts[j], terms[j])
                    )
                reasons.append(reason)
            ordered = [reasons[u] for u in inverse.tolist()]
            counts = np.bincount(pair, minlength=len(raw)).tolist()
            position = 0
            for count in counts:
                out.append(tuple(ordered[position : position + count]))
                position += count
        return out

    def _quoted_reason(
        self, direction: str, mine: tuple[str, tuple[int, ...]], theirs: tuple[str, tuple[int, ...]]
    ) -> Reason:
        """A reason in both people's words; long phrases quoted by the part that matched."""
        (mine_text, mine_terms), (their_text, their_terms) = mine, theirs
        if len(mine_text) <= 40 and len(their_text) <= 40:  # too short to need a quote
            return Reason(direction, mine_text, their_text)
        names = self._term_names
        matched = frozenset(names[t] for t in set(mine_terms) & set(their_terms))
        return Reason(direction, _quote(mine_text, matched), _quote(their_text, matched))

    def _holders_of(self, pid: int) -> tuple[dict[int, list[int]], ...]:
        """Per field of one person: term -> positions of the phrases that hold it."""
        holders = self._holders.get(pid)
        if holders is None:
            person = self._people[pid]
            maps = []
            for field in (person.offers, person.needs, person.interests):
                found: dict[int, list[int]] = {}
                for j, (_, terms) in enumerate(field):
                    for t in terms:
                        found.setdefault(t, []).append(j)
                maps.append(found)
            holders = self._holders[pid] = tuple(maps)
        return holders

    def _phrase_matches(
        self,
        direction: str,
        yours: tuple[tuple[str, tuple[int, ...]], ...],
        others: tuple[tuple[str, tuple[int, ...]], ...],
        holders: dict[int, list[int]],
    ) -> list[Reason]:
        """For each of the viewer's phrases, the other's phrase sharing the most specific terms."""
        idf = self.idf_
        best: list[tuple[float, int, int]] = []
        for i, (_, terms) in enumerate(yours):
            weight: dict[int, float] = {}
            for t in terms:
                found = holders.get(t)
                if found:
                    for j in found:
                        weight[j] = weight.get(j, 0.0) + idf[t]
            if weight:
                j = max(weight, key=lambda j: (weight[j], -j))
                best.append((weight[j], i, j))
        if not best:
            return []
        best.sort(key=lambda item: (-item[0], item[1]))
        reasons: list[Reason] = []
        used: set[int] = set()
        for _, i, j in best:
            if j in used:
                continue  # one phrase of theirs answering several of yours is said once
            used.add(j)
            reasons.append(self._quoted_reason(direction, yours[i], others[j]))
            if len(reasons) == REASONS_PER_DIRECTION:
                break
        return reasons

    def _explain(self, people: list[int]) -> dict[int, str]:
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
            self._people[pid] = person = self._person(profile)
            self._rows[pid] = self._vectors(person)
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


def suggest_partners(
    profiles: Sequence[Profile],
    settings: MatchSettings | None = None,
    progress: Progress | None = None,
) -> MatchResult:
    """Suggest up to ``settings.top_k`` partners for every attendee, with reasons.

    Same input, same output: ties are broken by attendee id and nothing is random.
    """
    return Matcher(settings).fit(profiles, progress=progress).result_
