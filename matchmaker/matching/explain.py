"""Why a partner suits a viewer: the phrases of each that match, as `Reason` objects.

For each of the viewer's phrases the partner's phrase sharing the most specific terms is
found, in three directions: they can help (my needs, their offers), I can help (my offers,
their needs) and shared interests; each of their phrases is said once and at most
`REASONS_PER_DIRECTION` per direction are kept. Long phrases are quoted by the part that
matched. `pair_reasons` explains one pair; `batch_reasons` gives the same result for many
pairs at once through `kernels.pair_reasons`. How reasons are worded is in `reasons`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain

import numpy as np

from . import kernels
from .text import stem, tokenize
from .types import Reason
from .vectors import Person, Phrases

#: Reasons kept per direction.
REASONS_PER_DIRECTION = 3
#: Phrases longer than this (in words) are quoted by their matching part.
QUOTE_WORDS = 7

_DIRECTIONS = ("they_help", "you_help", "shared")
_WORD = re.compile(r"\S+")
#: Pairs explained per kernel call, so the reason arrays stay small.
_BATCH = 65536

#: Per field of one person (offers, needs, interests): term -> positions of its phrases.
Holders = tuple[dict[int, list[int]], ...]


def phrase_holders(person: Person) -> Holders:
    """Per field of one person: term -> positions of the phrases that hold it."""
    maps = []
    for field in (person.offers, person.needs, person.interests):
        found: dict[int, list[int]] = {}
        for j, (_, terms) in enumerate(field):
            for t in terms:
                found.setdefault(t, []).append(j)
        maps.append(found)
    return tuple(maps)


def pair_reasons(
    mine: Person, theirs: Person, their_holders: Holders, idf: Sequence[float], names: list[str]
) -> tuple[Reason, ...]:
    """Why *theirs* suits *mine*, in each one's own words, best matches first.

    ``their_holders`` is `phrase_holders` of *theirs*; ``names`` maps term ids to terms.
    """
    out: list[Reason] = []
    for direction, yours, others, holders in (
        ("they_help", mine.needs, theirs.offers, their_holders[0]),
        ("you_help", mine.offers, theirs.needs, their_holders[1]),
        ("shared", mine.interests, theirs.interests, their_holders[2]),
    ):
        if yours and others:
            out.extend(_phrase_matches(direction, yours, others, holders, idf, names))
    return tuple(out)


def batch_reasons(
    people: Sequence[Person],
    viewers: np.ndarray,
    partners: np.ndarray,
    idf: Sequence[float],
    names: list[str],
) -> list[tuple[Reason, ...]]:
    """`pair_reasons` for many pairs at once, through the kernel; the same result.

    ``viewers[i]`` and ``partners[i]`` are positions in ``people``.
    """
    fields = ("offers", "needs", "interests")
    texts: list[str] = []
    terms: list[tuple[int, ...]] = []
    person_ptr = np.zeros((3, len(people) + 1), dtype=np.int64)
    for f, name in enumerate(fields):
        person_ptr[f, 0] = len(texts)
        for i, person in enumerate(people):
            phrases = getattr(person, name)
            if phrases:
                for text, ids in phrases:  # term ids are sorted (see Vocabulary.term_ids)
                    texts.append(text)
                    terms.append(ids)
            person_ptr[f, i + 1] = len(texts)
    lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
    phrase_ptr = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(lengths, out=phrase_ptr[1:])
    phrase_terms = np.fromiter(
        chain.from_iterable(terms), dtype=np.int64, count=int(phrase_ptr[-1])
    )
    idf_array = np.asarray(idf, dtype=np.float64)
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
    for start in range(0, len(viewers), _BATCH):
        raw = kernels.pair_reasons(
            viewers[start : start + _BATCH], partners[start : start + _BATCH], mine,
            theirs, person_ptr, phrase_ptr, phrase_terms, idf_array, REASONS_PER_DIRECTION,
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
                reason = made[code] = quoted_reason(
                    _DIRECTIONS[int(direction[at])], (texts[i], terms[i]), (texts[j], terms[j]),
                    names,
                )  # fmt: skip
            reasons.append(reason)
        ordered = [reasons[u] for u in inverse.tolist()]
        ends = np.cumsum(np.bincount(pair, minlength=len(raw))).tolist()
        out.extend([tuple(ordered[a:b]) for a, b in zip([0, *ends[:-1]], ends, strict=True)])
    return out


def quoted_reason(
    direction: str,
    mine: tuple[str, tuple[int, ...]],
    theirs: tuple[str, tuple[int, ...]],
    names: list[str],
) -> Reason:
    """A reason in both people's words; long phrases quoted by the part that matched."""
    (mine_text, mine_terms), (their_text, their_terms) = mine, theirs
    if len(mine_text) <= 40 and len(their_text) <= 40:  # too short to need a quote
        return Reason(direction, mine_text, their_text)
    matched = frozenset(names[t] for t in set(mine_terms) & set(their_terms))
    return Reason(direction, _quote(mine_text, matched), _quote(their_text, matched))


def _phrase_matches(
    direction: str,
    yours: Phrases,
    others: Phrases,
    holders: dict[int, list[int]],
    idf: Sequence[float],
    names: list[str],
) -> list[Reason]:
    """For each of the viewer's phrases, the other's phrase sharing the most specific terms."""
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
        reasons.append(quoted_reason(direction, yours[i], others[j], names))
        if len(reasons) == REASONS_PER_DIRECTION:
            break
    return reasons


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
