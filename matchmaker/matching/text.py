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

`phrase_terms` then turns a phrase into matching terms: its light stems ("recruiter" and
"recruiting" share the stem "recruit") and, for short phrases, the whole phrase, which the
engine weighs by how specific each term is at the event.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources

STOP_WORDS = frozenset(
    "a an the of for in to and or with on at by my our your their some any who from about "
    "into around me i we us looking seeking want wanting need needing get getting find "
    "finding more new other etc like e g eg".split()
)
GENERIC_WORDS = frozenset(
    "people person talent tip advice help someone somebody folk peer opportunity insight "
    "contact connection intro introduction".split()
)
#: Words that name a kind of thing rather than the thing: they never match alone (fintech and
#: climate tech are not alike for sharing "technology") but stay in the phrase they name.
HEAD_WORDS = frozenset("technology tech feedback experience".split())
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


@lru_cache(maxsize=65536)
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


def content_words(text: str, aliases: AliasTable) -> tuple[str, ...]:
    """The words of *text* that carry meaning, aliased, in the order written."""
    return _words(text, aliases)[0]


def _words(text: str, aliases: AliasTable) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(content words, words without stop words) of *text*, aliased, in the order written."""
    words = aliases.apply(tokenize(text))
    kept = tuple(w for w in words if w not in STOP_WORDS and w not in GENERIC_WORDS)
    named = kept or tuple(w for w in words if w not in STOP_WORDS) or words
    return tuple(w for w in named if w not in HEAD_WORDS) or named, named


#: Longest phrase (in content words) that also counts as a key phrase of its own.
KEY_PHRASE_WORDS = 4


def phrase_terms(text: str, aliases: AliasTable) -> tuple[str, ...]:
    """Matching terms of one phrase: its word stems, plus the phrase itself when short.

    A long phrase (a sentence, a question title) contributes through its words, so "how do
    I raise a seed round for a climate startup" meets "seed funding" and "climate tech"; a
    short multi-word phrase ("machine learning") also counts as a key phrase, so people who
    wrote the same phrase score above those who merely share its words.
    """
    content, named = _words(text, aliases)
    stems = tuple(dict.fromkeys(stem(w) for w in content))
    # Head words ("tech", "feedback") never match alone, but still name the phrase.
    whole = tuple(dict.fromkeys(stem(w) for w in named))
    if 1 < len(whole) <= KEY_PHRASE_WORDS:
        return (*stems, " ".join(whole))
    return stems
