"""Profiles -> weighted term vectors, and the arrays the kernels walk.

A `Vocabulary` turns phrases into term ids and learns each term's specificity (idf) from
the attendees given to ``fit``. Each person then becomes three rows of weights (offers,
needs, interests, see `Vocabulary.rows`) and a prior; the rows are stacked into sparse
person x term matrices, whose transposes are the posting lists (term -> people) that the
kernels scatter, with the terms many people hold kept as dense rows. The score these
weights make is stated in the package docstring.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import chain

import numpy as np
import scipy.sparse as sp

from .compatibility import ClassKey, class_key, normalise_org
from .text import AliasTable, phrase_terms
from .types import Profile

#: BM25 saturation: the second offer that mentions a need adds less than the first.
K1 = 0.6
#: Weight of an offer by its place in the list: the phrase at 0-based position i counts
#: ``1 / (1 + i) ** POSITION_DECAY`` in the term frequency. 0: order is not used. On the
#: Stack Exchange development sites, where offers come most frequent first, favouring the
#: first ones lowered pooled HR@10 from 0.436 to 0.425 at 0.1, 0.415 at 0.25 (four sites
#: down, one level), 0.388 at 0.5 and 0.306 at 1 (all five down): the first offers are the
#: broad topics, the specific ones come later.
POSITION_DECAY = 0.0
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

#: One person's row of a person x term matrix: term ids and their weights.
Row = tuple[list[int], list[float]]
#: Each phrase of one field with its term ids (sorted, distinct).
Phrases = tuple[tuple[str, tuple[int, ...]], ...]
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Person:
    """What matching needs from one profile: per field, each phrase and its term ids."""

    offers: Phrases
    needs: Phrases
    interests: Phrases
    class_key: ClassKey
    org: str
    track_record: int = 0

    @property
    def empty(self) -> bool:
        return not (self.offers or self.needs or self.interests)


class Vocabulary:
    """Term -> column for one event, and each term's specificity once fitted.

    Attributes
    ----------
    columns : dict of str to int
        Term -> column; terms first seen after `fit` are appended.
    names : list of str
        Column -> term.
    idf : list of float or None
        BM25's idf of each column, learnt by `fit` (None before); a term first seen later
        counts as one held by a single person.
    """

    def __init__(self, aliases: AliasTable) -> None:
        self.aliases = aliases
        self.columns: dict[str, int] = {}
        self.names: list[str] = []
        self.idf: list[float] | None = None
        self._n_fitted = 1
        self._avg_offer_len = 1.0
        self._ids_of_text: dict[str, tuple[int, ...]] = {}

    def term_ids(self, text: str) -> tuple[int, ...]:
        """The sorted, distinct columns of one phrase's terms, adding new terms."""
        ids = self._ids_of_text.get(text)
        if ids is None:
            ids = self._ids_of_text[text] = tuple(sorted(set(self._new_term_ids(text))))
        return ids

    def _new_term_ids(self, text: str) -> tuple[int, ...]:
        columns = self.columns
        out = []
        for term in phrase_terms(text, self.aliases):
            column = columns.get(term)
            if column is None:
                column = columns[term] = len(columns)
                self.names.append(term)
                if self.idf is not None:  # first seen after fit: as specific as it gets
                    n = self._n_fitted
                    self.idf.append(math.log1p((n - 1 + 0.5) / 1.5))
            out.append(column)
        return tuple(out)

    def person(self, profile: Profile) -> Person:
        """The phrases of one profile with their term ids; phrases without terms are dropped."""
        fields = []
        for phrases in (profile.can_help_with, profile.looking_for, profile.interests):
            seen: dict[str, tuple[int, ...]] = {}
            for text in phrases:
                ids = self.term_ids(text)
                if ids and text not in seen:
                    seen[text] = ids
            fields.append(tuple(seen.items()))
        return Person(
            *fields,
            class_key(profile),
            normalise_org(profile.organization),
            max(int(profile.track_record), 0),
        )

    def fit(self, people: Iterable[Person], n: int) -> list[float]:
        """Learn idf and the mean offer length from *n* people; return the idf list."""
        df = np.zeros(len(self.columns), dtype=np.float64)
        lengths = []
        for person in people:
            held = {t for field in (person.offers, person.needs, person.interests)
                    for _, terms in field for t in terms}  # fmt: skip
            df[list(held)] += 1
            if person.offers:
                lengths.append(sum(len(terms) for _, terms in person.offers))
        self._n_fitted = max(n, 1)
        self.idf = np.log1p((self._n_fitted - df + 0.5) / (df + 0.5)).tolist()
        self._avg_offer_len = float(np.mean(lengths)) if lengths else 1.0
        return self.idf

    def rows(self, person: Person) -> tuple[Row, Row, Row]:
        """(offer, need, interest) rows of one person: term ids and weights.

        Offers hold BM25's saturated term frequency (1 for a term written once by someone
        with an average-length list, up to ``K1 + 1`` for a term written many times; each
        offer counts by its `POSITION_DECAY` weight, 1 by default); needs hold
        each term's share of the person's total need specificity (they sum to 1), so that
        ``help(a -> b) = offers[a] . needs[b]`` is the specificity-weighted part of b's needs
        that a covers; interests are L2-normalised idf weights, so shared interests are a
        cosine.
        """
        idf = self.idf
        counts: dict[int, float] = {}
        for i, (_, terms) in enumerate(person.offers):
            weight = 1.0 / (1 + i) ** POSITION_DECAY
            for t in terms:
                counts[t] = counts.get(t, 0.0) + weight
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


def person_term_matrices(
    pids: list[int],
    rows: Mapping[int, tuple[Row, Row, Row]],
    n_terms: int,
    previous: tuple[list[int], list[sp.csr_matrix]] | None = None,
    stale: AbstractSet[int] = frozenset(),
) -> list[sp.csr_matrix]:
    """The (offers, needs, interests) person x term matrices, rows in `pids` order.

    ``previous`` holds the ids and matrices built last time; when given, only the rows of
    the ``stale`` ids (edited, added or removed people) are built again, instead of
    flattening every person.
    """
    if previous is None or len(stale) > 64:
        people = [rows[pid] for pid in pids]
        return [_csr([r[f] for r in people], n_terms) for f in range(3)]
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
            sp.vstack([m[:at], _csr([rows[pid][f]], n_terms), m[at:]], format="csr")
            for f, m in enumerate(mats)
        ]
    return mats


def kernel_arrays(
    offers: sp.csr_matrix, needs: sp.csr_matrix, interests: sp.csr_matrix
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """The term arrays and dense rows `kernels.rank` and `kernels.column_keys` read.

    Returns ``(terms, dense)``: ``terms`` is the CSR arrays of needs, offers and interests
    followed by their posting lists (offers, needs, interests); ``dense`` is, per field in
    the same order as the postings, each term's dense row (-1: sparse) and the rows.
    """
    n = offers.shape[0]
    postings = [_postings(offers), _postings(needs), _postings(interests)]
    terms = (*_arrays(needs), *_arrays(offers), *_arrays(interests), *chain(*postings))
    dense = tuple(chain(*(_dense_rows(p, n) for p in postings)))
    return terms, dense


def priors(people: Sequence[Person], offers: sp.csr_matrix, need_mass: np.ndarray) -> np.ndarray:
    """Each person's prior: breadth of their offers times how in demand those offers are.

    ``need_mass`` is how much of the attendees' needs each term carries, as seen by ``fit``
    (terms added since count for nothing), so one edit never moves anybody else's prior.
    """
    n = len(people)
    breadth = np.fromiter(
        (min(len(p.offers), BREADTH_CAP) for p in people), dtype=np.float64, count=n
    )
    breadth = np.log1p(breadth) / math.log1p(BREADTH_CAP)
    prior = (1 + BREADTH_WEIGHT * breadth) / (1 + BREADTH_WEIGHT)
    # Demand: how much of everyone's needs this person's offers cover, in people.
    mass = np.zeros(offers.shape[1])
    mass[: min(len(need_mass), len(mass))] = need_mass[: len(mass)]
    demand = offers @ mass
    return prior * (1 + demand) ** DEMAND_EXPONENT


def weighted_priors(
    prior: np.ndarray,
    track_record: np.ndarray,
    prior_exponent: float = 1.0,
    track_record_exponent: float = 0.0,
) -> np.ndarray:
    """``prior ** prior_exponent * (1 + track_record) ** track_record_exponent``.

    The shipped score is ``prior`` itself (exponents 1 and 0), returned unchanged; weights
    learnt from answers may make the prior count more or less and add a track record.
    """
    out = prior if prior_exponent == 1.0 else prior**prior_exponent
    if track_record_exponent != 0.0:
        out = out * (1.0 + track_record) ** track_record_exponent
    return out


def _csr(rows: Sequence[Row], n_cols: int) -> sp.csr_matrix:
    lengths = np.fromiter((len(r[0]) for r in rows), dtype=np.int64, count=len(rows))
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    total = int(ptr[-1])
    cols = np.fromiter(chain.from_iterable(r[0] for r in rows), dtype=np.int64, count=total)
    vals = np.fromiter(chain.from_iterable(r[1] for r in rows), dtype=np.float64, count=total)
    return sp.csr_matrix((vals, cols, ptr), shape=(len(rows), max(n_cols, 1)))


def _postings(matrix: sp.csr_matrix) -> Arrays:
    """Term -> (people, values): the transpose of a person x term matrix."""
    by_term = matrix.tocsc()
    by_term.sort_indices()
    return (
        by_term.indptr.astype(np.int64),
        by_term.indices.astype(np.int64),
        by_term.data.astype(np.float64),
    )


def _dense_rows(postings: Arrays, n_people: int) -> tuple[np.ndarray, np.ndarray]:
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


def _arrays(matrix: sp.csr_matrix) -> Arrays:
    return (
        matrix.indptr.astype(np.int64),
        matrix.indices.astype(np.int64),
        matrix.data.astype(np.float64),
    )
