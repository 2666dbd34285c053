"""Phrase normalisation and phrase-to-phrase similarity.

People describe the same skill in many ways ("ML", "machine-learning", "Machine Learning
engineers"), so matching works on *normalised keys*, not raw text:

1. Unicode NFKC, lower case, ``&``/``/``/``-`` split into words, British ``-isation``/
   ``-yse`` spellings folded into ``-ization``/``-yze``, plural nouns made singular.
2. Aliases replace abbreviations and jargon (``k8s`` -> ``kubernetes``). The shipped table
   lives in ``matchmaker/data/aliases.csv``; an organizer adds per-event aliases through
   ``MatchSettings.extra_synonyms``. Word-scope aliases replace the words wherever they
   occur, phrase-scope aliases only a whole phrase (``security`` alone, not inside
   ``food security``).
3. Filler words ("for", "in") and generic nouns ("people", "advice", "tips") are dropped
   unless nothing else is left, so "peers in climate tech" meets "climate tech".

Two keys are then compared with two scikit-learn vectorisers fitted on the event's distinct
keys: word unigrams and bigrams over light stems ("recruiter" and "recruiting" share the
stem "recruit") and character 3-4-grams within words ("visualisation" and "visualization",
typos). Both use binary features without IDF and the cosine is taken with each key's *own*
n-gram count as norm, so the similarity of two keys depends on those two strings only. That
keeps incremental updates exact: adding one attendee never changes the similarity of phrases
that were already there. Similarities are rounded down to whole steps of 1/255 (one byte) and
summed as integers, so every sum is exact and independent of the order of summation.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

#: Similarities are stored as integers in units of 1/QUANTUM.
QUANTUM = 255

STOP_WORDS = frozenset(
    "a an the of for in to and or with on at by my our your their some any who from about "
    "into around me i we us looking seeking want wanting need needing get getting find "
    "finding more new other etc like e g eg".split()
)
GENERIC_WORDS = frozenset(
    "people person talent tip advice help someone somebody folk peer opportunity insight "
    "contact connection intro introduction".split()
)
_NOT_PLURAL = frozenset(
    "analysis basis thesis status campus bus gas ux aws js css sales news series physics "
    "kubernetes devops mlops ops gdpr always perhaps plus bonus census corpus virus "
    "chaos lens canvas atlas alias bias its this has was is yes us".split()
)
_BRITISH = (
    (re.compile(r"isation"), "ization"),
    (re.compile(r"yse$"), "yze"),
    (re.compile(r"ysing$"), "yzing"),
    (re.compile(r"tre$"), "ter"),
    (re.compile(r"^programme$"), "program"),
)
_TOKEN = re.compile(r"[^\W_][\w+#.]*[\w+#]|[^\W_]|\.net\b|[+#]{1,2}")
_STEM_SUFFIXES = (
    "ations", "ation", "ments", "ment", "ings", "ing", "ers", "er", "ists", "ist",
    "ions", "ion", "ities", "ity", "ives", "ive", "ical", "ics", "ic", "al", "ly", "ed",
)  # fmt: skip


def _singular(token: str) -> str:
    if len(token) <= 3 or not token.isalpha() or token in _NOT_PLURAL:
        return token
    if token.endswith(("ss", "us", "is", "ics")):
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("ches", "shes", "xes", "sses", "zes")):
        return token[:-2]
    if token.endswith("s"):
        return token[:-1]
    return token


def _fold_spelling(token: str) -> str:
    if not token.isalpha() or len(token) < 5:
        return token
    for pattern, replacement in _BRITISH:
        token = pattern.sub(replacement, token)
    return token


@lru_cache(maxsize=65536)
def tokenize(text: str) -> tuple[str, ...]:
    """Split *text* into lower-case, singular, spelling-folded words."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("&", " and ").replace("/", " ").replace("-", " ")
    words = []
    for raw in _TOKEN.findall(text):
        token = raw.strip(".") if raw != ".net" else raw
        if token:
            words.append(_fold_spelling(_singular(token)))
    return tuple(words)


def stem(word: str) -> str:
    """Strip derivational suffixes so "recruiter", "recruiting", "recruitment" meet."""
    if not word.isalpha():
        return word
    changed = True
    while changed:
        changed = False
        for suffix in _STEM_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                changed = True
                break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


class AliasTable:
    """Replace abbreviations and synonyms by a canonical wording.

    Parameters
    ----------
    word_aliases, phrase_aliases : mapping of str to str
        Raw alias -> canonical wording. Keys and values are normalised with `tokenize`, so
        "Node.js", "node.js" and "NodeJS" are written once.
    """

    def __init__(
        self,
        word_aliases: Mapping[str, str] | None = None,
        phrase_aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.word_aliases: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.phrase_aliases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for source, target in (word_aliases or {}).items():
            self._add(self.word_aliases, source, target)
        for source, target in (phrase_aliases or {}).items():
            self._add(self.phrase_aliases, source, target)
        self.max_len = max((len(k) for k in self.word_aliases), default=1)

    @staticmethod
    def _add(table: dict, source: str, target: str) -> None:
        key = tokenize(source)
        if key:
            table[key] = tokenize(target)

    def extended(self, extra: Mapping[str, str]) -> AliasTable:
        """Return a copy with an organizer's per-event aliases added (they take priority)."""
        table = AliasTable()
        table.word_aliases = dict(self.word_aliases)
        table.phrase_aliases = dict(self.phrase_aliases)
        for source, target in extra.items():
            key = tokenize(source)
            table.phrase_aliases.pop(key, None)
            self._add(table.word_aliases, source, target)
        table.max_len = max((len(k) for k in table.word_aliases), default=1)
        return table

    def apply(self, words: tuple[str, ...]) -> tuple[str, ...]:
        if words in self.phrase_aliases:
            return self.phrase_aliases[words]
        out: list[str] = []
        i = 0
        while i < len(words):
            for length in range(min(self.max_len, len(words) - i), 0, -1):
                target = self.word_aliases.get(words[i : i + length])
                if target is not None:
                    out.extend(target)
                    i += length
                    break
            else:
                out.append(words[i])
                i += 1
        return tuple(out)


@lru_cache(maxsize=1)
def shipped_aliases() -> AliasTable:
    """The alias table shipped in ``matchmaker/data/aliases.csv`` (see ATTRIBUTION.md)."""
    words: dict[str, str] = {}
    phrases: dict[str, str] = {}
    source = resources.files("matchmaker").joinpath("data/aliases.csv")
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            (phrases if row["scope"] == "phrase" else words)[row["alias"]] = row["canonical"]
    return AliasTable(words, phrases)


def phrase_key(text: str, aliases: AliasTable) -> str:
    """Normalised matching key of one phrase; "" when nothing meaningful is left."""
    words = aliases.apply(tokenize(text))
    words = tuple(w for w in words if w not in STOP_WORDS) or words
    content = tuple(w for w in words if w not in GENERIC_WORDS) or words
    return " ".join(dict.fromkeys(content))


def _word_features(key: str) -> list[str]:
    stems = [stem(w) for w in key.split()]
    return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)]


def _char_features(key: str) -> list[str]:
    grams = []
    for word in key.split():
        padded = f" {word} "
        for n in (3, 4):
            grams.extend(padded[i : i + n] for i in range(max(len(padded) - n + 1, 1)))
    return grams


_ANALYZERS = (_word_features, _char_features)


@dataclass
class PhraseSpace:
    """Distinct phrase keys of an event and their pairwise similarity.

    Attributes
    ----------
    keys : list of str
        Concept id -> key. New keys are appended, ids never change.
    similarity : list of dict
        Concept id -> {other concept id: similarity in units of 1/QUANTUM}, including itself
        with QUANTUM; only pairs at or above ``threshold`` are kept.
    """

    threshold: float = 0.5
    word_weight: float = 0.5
    keys: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    similarity: list[dict[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._vocabularies: tuple[dict[str, int], dict[str, int]] = ({}, {})
        self._rows: list[sp.csr_matrix | None] = [None, None]

    def fit(self, keys: Iterable[str]) -> PhraseSpace:
        """Fit the vectorisers on the event's distinct keys and compute their similarity."""
        distinct = sorted(set(keys) - {""})
        self.keys, self.index, self.similarity = [], {}, []
        self._vocabularies, self._rows = ({}, {}), [None, None]
        if distinct:
            for vocabulary, analyzer in zip(self._vocabularies, _ANALYZERS, strict=True):
                fitted = CountVectorizer(analyzer=analyzer, binary=True).fit(distinct)
                vocabulary.update(sorted(fitted.vocabulary_.items(), key=lambda kv: kv[1]))
        self.add(distinct)
        return self

    def _vectors(self, keys: list[str]) -> list[sp.csr_matrix]:
        """Binary n-gram rows; n-grams never seen before extend the fitted vocabulary."""
        out = []
        for i, (vocabulary, analyzer) in enumerate(
            zip(self._vocabularies, _ANALYZERS, strict=True)
        ):
            for key in keys:
                for gram in analyzer(key):
                    vocabulary.setdefault(gram, len(vocabulary))
            vectorizer = CountVectorizer(
                analyzer=analyzer, binary=True, vocabulary=vocabulary, dtype=np.float64
            )
            rows = vectorizer.transform(keys).tocsr()
            previous = self._rows[i]
            if previous is None:
                self._rows[i] = rows
            else:
                previous.resize((previous.shape[0], len(vocabulary)))
                self._rows[i] = sp.vstack([previous, rows]).tocsr()
            out.append(rows)
        return out

    def add(self, keys: Iterable[str], chunk: int = 2048) -> list[int]:
        """Add keys not seen yet; return the concept id of every key given."""
        keys = list(keys)
        new = sorted({k for k in keys if k and k not in self.index})
        if new:
            vectors = self._vectors(new)
            first = len(self.keys)
            for offset, key in enumerate(new):
                self.index[key] = first + offset
                self.keys.append(key)
                self.similarity.append({})
            weights = (self.word_weight, 1.0 - self.word_weight)
            for start in range(0, len(new), chunk):
                stop = min(start + chunk, len(new))
                total = None
                for rows, every, weight in zip(vectors, self._rows, weights, strict=True):
                    block = rows[start:stop]
                    shared = (block @ every.T).tocoo()
                    # Integer overlap over the geometric mean of integer sizes: symmetric and
                    # exact, so a pair gets the same value whichever key arrived first.
                    sizes = np.diff(block.indptr)[shared.row] * np.diff(every.indptr)[shared.col]
                    values = weight * (shared.data / np.sqrt(sizes.astype(np.float64)))
                    part = sp.csr_matrix((values, (shared.row, shared.col)), shared.shape)
                    total = part if total is None else total + part
                self._store(total.tocsr(), first + start)
        return [self.index.get(k, -1) for k in keys]

    def _store(self, sims: sp.csr_matrix, first: int) -> None:
        units = np.floor(sims.data * QUANTUM + 1e-6).astype(np.int64)
        keep = units >= int(np.ceil(self.threshold * QUANTUM - 1e-9))
        rows = np.repeat(np.arange(sims.shape[0]), np.diff(sims.indptr))[keep]
        cols, units = sims.indices[keep], np.minimum(units[keep], QUANTUM)
        for row, col, unit in zip(rows.tolist(), cols.tolist(), units.tolist(), strict=True):
            a, b = first + row, col
            if a == b:
                continue
            self.similarity[a][b] = unit
            self.similarity[b][a] = unit
        for row in range(sims.shape[0]):
            self.similarity[first + row][first + row] = QUANTUM

    def matrix(self) -> sp.csr_matrix:
        """Similarity as a sparse (n_concepts, n_concepts) int32 matrix in 1/QUANTUM units."""
        n = len(self.keys)
        lengths = np.fromiter((len(d) for d in self.similarity), dtype=np.int64, count=n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.empty(indptr[-1], dtype=np.int32)
        data = np.empty(indptr[-1], dtype=np.int32)
        for i, row in enumerate(self.similarity):
            cols = sorted(row)
            indices[indptr[i] : indptr[i + 1]] = cols
            data[indptr[i] : indptr[i + 1]] = [row[c] for c in cols]
        return sp.csr_matrix((data, indices, indptr), shape=(n, n))


def content_words(text: str, aliases: AliasTable) -> tuple[str, ...]:
    """The words of *text* that carry meaning, aliased, in the order written."""
    words = aliases.apply(tokenize(text))
    kept = tuple(w for w in words if w not in STOP_WORDS and w not in GENERIC_WORDS)
    return kept or tuple(w for w in words if w not in STOP_WORDS) or words


#: Longest phrase (in content words) that also counts as a key phrase of its own.
KEY_PHRASE_WORDS = 4


def phrase_terms(text: str, aliases: AliasTable) -> tuple[str, ...]:
    """Matching terms of one phrase: its word stems, plus the phrase itself when short.

    A long phrase (a sentence, a question title) contributes through its words, so "how do
    I raise a seed round for a climate startup" meets "seed funding" and "climate tech"; a
    short multi-word phrase ("machine learning") also counts as a key phrase, so people who
    wrote the same phrase score above those who merely share its words.
    """
    stems = tuple(dict.fromkeys(stem(w) for w in content_words(text, aliases)))
    if 1 < len(stems) <= KEY_PHRASE_WORDS:
        return (*stems, " ".join(stems))
    return stems
