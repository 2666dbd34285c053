"""Matching quality on who really helped whom: simulated events from Stack Exchange dumps.

Real events do not publish who helped whom; a Stack Exchange site does, because an accepted
answer is a person who demonstrably helped another with a stated need. This module turns a
site's ``Posts.xml`` into simulated events and scores ranked partner lists against them.

For each site, accepted answers whose author differs from the asker are dealt into ``folds``
folds (question id order, answer ``i`` to fold ``i % folds``). Each fold is one event:

- *can help with* of every user: tags (hyphens as spaces) and titles of the questions they
  answered outside the fold, most frequent first, at most 25 phrases;
- *looking for*: for an asker in the fold, tags and title of each of their questions in the
  fold; for everyone else, the tags of the questions they asked outside the fold (at most 10);
- *truth*: the authors of the accepted answers to an asker's questions in the fold, counted
  only if they have a *can help with* profile (nobody can find a helper who offers nothing).

Metrics are HR@10, MRR@10 and HR@10 on the *tail*: askers none of whose helpers is among the
most active tenth of answerers. Prolific helpers have longer profiles, so a matcher can gain
overall by ranking busy people first (popularity does); the tail shows whether it also finds
the less visible people who can help. Counts are kept, not means, so that results pool over
askers of several events and sites. Exposure figures (Gini, most lists one person is in) show
what a ranking costs the people it crowds out of everyone's lists.

The baselines and the event builder reproduce, result for result, the reference protocol in
``stackexchange_protocol.md`` of the shared evaluation folder. Pure module: no Flask.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

K = 10
MAX_OFFERS = 25
MAX_OTHER_NEEDS = 10
HEAD_SHARE = 10  # the head is the most active 1/HEAD_SHARE of answerers
OTHER_WAY_WEIGHT = 0.3
CSV_HEADER = ("Name", "Email", "I can help with", "I'm looking for", "Interests")

Post = Mapping[str, str]
Ranked = Mapping[str, Sequence[str]]


# ----------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Row:
    """One simulated attendee: a Stack Exchange user and what their posts say."""

    uid: str
    name: str
    email: str
    can: tuple[str, ...]
    look: tuple[str, ...]


@dataclass
class Event:
    """One fold of a site as an event.

    ``truth`` maps each asker of the fold to the users whose answers they accepted;
    ``answered`` counts answers given outside the fold (what popularity ranks by);
    ``head`` is the most active tenth of those answerers; ``asked`` is when each asker last
    asked in the fold (the question id, which grows with time), for time splits.
    """

    rows: list[Row]
    truth: dict[str, set[str]]
    answered: Counter[str]
    head: frozenset[str]
    asked: dict[str, int] = field(default_factory=dict)


def load_posts(path: str | Path) -> dict[str, dict[str, str]]:
    """Every ``row`` element of a ``Posts.xml`` dump by its ``Id``, streamed to save memory."""
    posts: dict[str, dict[str, str]] = {}
    for _, element in ET.iterparse(path):
        if element.tag == "row":
            posts[element.attrib["Id"]] = dict(element.attrib)
            element.clear()
    return posts


def tags_of(question: Post) -> list[str]:
    """A question's tags as phrases: ``<machine-learning>`` -> "machine learning"."""
    tags = html.unescape(question.get("Tags", ""))
    found = re.findall(r"<([^>]+)>", tags)
    if not found and tags.startswith("|"):  # newer dumps write "|a|b|" instead of "<a><b>"
        found = [tag for tag in tags.split("|") if tag]
    return [tag.replace("-", " ") for tag in found]


def accepted_pairs(
    questions: Mapping[str, Post], answers: Mapping[str, Post]
) -> list[tuple[str, str, str]]:
    """(question id, asker, helper) for every accepted answer by someone else, by question id."""
    pairs = []
    for qid, question in sorted(questions.items(), key=lambda item: int(item[0])):
        answer = answers.get(question.get("AcceptedAnswerId", ""))
        if answer is None:
            continue
        asker, helper = question.get("OwnerUserId"), answer.get("OwnerUserId")
        if asker and helper and asker != helper:
            pairs.append((qid, asker, helper))
    return pairs


def offers_outside(
    questions: Mapping[str, Post], answers: Mapping[str, Post], held: set[str]
) -> tuple[defaultdict[str, Counter[str]], Counter[str]]:
    """What each user answered outside the fold (tags and titles), and how many answers."""
    offers: defaultdict[str, Counter[str]] = defaultdict(Counter)
    answered: Counter[str] = Counter()
    for answer in answers.values():
        user, parent = answer.get("OwnerUserId"), answer.get("ParentId")
        if not user or parent not in questions or parent in held:
            continue
        question = questions[parent]
        for tag in tags_of(question):
            offers[user][tag] += 1
        offers[user][question.get("Title", "")] += 1
        answered[user] += 1
    return offers, answered


def needs_outside(questions: Mapping[str, Post], held: set[str]) -> defaultdict[str, Counter[str]]:
    """Tags of the questions each user asked outside the fold."""
    seeks: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for question in questions.values():
        user = question.get("OwnerUserId")
        if user and question["Id"] not in held:
            for tag in tags_of(question):
                seeks[user][tag] += 1
    return seeks


def most_active(answered: Counter[str]) -> frozenset[str]:
    """The most active tenth of answerers (at least one), ties in first-answer order."""
    ranked = sorted(answered, key=answered.__getitem__, reverse=True)
    return frozenset(ranked[: max(1, len(ranked) // HEAD_SHARE)])


def build_event(
    questions: Mapping[str, Post],
    answers: Mapping[str, Post],
    pairs: Sequence[tuple[str, str, str]],
    held: set[str],
) -> Event:
    """The event of one fold: profiles from outside ``held``, needs and truth from inside."""
    offers, answered = offers_outside(questions, answers, held)
    seeks = needs_outside(questions, held)
    need: defaultdict[str, list[str]] = defaultdict(list)
    truth: defaultdict[str, set[str]] = defaultdict(set)
    asked: dict[str, int] = {}
    for qid, asker, helper in pairs:
        if qid in held and helper in offers:
            need[asker] += [*tags_of(questions[qid]), questions[qid].get("Title", "")]
            truth[asker].add(helper)
            asked[asker] = max(asked.get(asker, 0), int(qid))
    rows = []
    for uid in sorted(set(offers) | set(seeks) | set(need), key=int):
        can = tuple(phrase for phrase, _ in offers[uid].most_common(MAX_OFFERS))
        if uid in need:
            look = tuple(need[uid])
        else:
            look = tuple(phrase for phrase, _ in seeks[uid].most_common(MAX_OTHER_NEEDS))
        rows.append(Row(uid, f"User {uid}", f"u{uid}@example.org", can, look))
    return Event(rows, dict(truth), answered, most_active(answered), asked)


def build_events(posts: Mapping[str, Post], folds: int = 5) -> Iterator[Event]:
    """One simulated event per fold of the site's accepted answers."""
    questions = {pid: p for pid, p in posts.items() if p["PostTypeId"] == "1"}
    answers = {pid: p for pid, p in posts.items() if p["PostTypeId"] == "2"}
    pairs = accepted_pairs(questions, answers)
    for fold in range(folds):
        held = {qid for i, (qid, _, _) in enumerate(pairs) if i % folds == fold}
        yield build_event(questions, answers, pairs, held)


def attendee_csv(rows: Iterable[Row]) -> bytes:
    """The attendee file an organizer would upload for this event (UTF-8, CRLF rows).

    Phrases are joined by ", ", so a comma inside a phrase (a title) becomes a space rather
    than splitting it in two.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([row.name, row.email, _phrase_list(row.can), _phrase_list(row.look), ""])
    return buffer.getvalue().encode("utf-8")


def _phrase_list(phrases: Iterable[str]) -> str:
    return ", ".join(phrase.replace(",", " ") for phrase in phrases)


def ranked_from_jsonl(lines: Iterable[str], rows: Iterable[Row]) -> dict[str, list[str]]:
    """Ranked partner uids per uid from suggestion JSON lines (``email``, ``partner``, ``rank``)."""
    by_email = {row.email: row.uid for row in rows}
    found: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
    for line in lines:
        if line.strip().startswith("{"):
            record = json.loads(line)
            found[by_email[record["email"]]].append(
                (record.get("rank", 0), by_email[record["partner"]])
            )
    return {uid: [partner for _, partner in sorted(items)] for uid, items in found.items()}


# ----------------------------------------------------------------------------- metrics


@dataclass
class Hits:
    """Hit counts at K over askers; add two to pool events or sites, weighted by askers."""

    askers: int = 0
    hits: int = 0
    reciprocal_ranks: float = 0.0
    tail_askers: int = 0
    tail_hits: int = 0

    def __add__(self, other: Hits) -> Hits:
        return Hits(
            self.askers + other.askers,
            self.hits + other.hits,
            self.reciprocal_ranks + other.reciprocal_ranks,
            self.tail_askers + other.tail_askers,
            self.tail_hits + other.tail_hits,
        )

    @property
    def hit_rate(self) -> float:
        return self.hits / self.askers if self.askers else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_ranks / self.askers if self.askers else 0.0

    @property
    def tail_hit_rate(self) -> float:
        return self.tail_hits / self.tail_askers if self.tail_askers else 0.0


def score_hits(
    ranked: Ranked, truth: Mapping[str, set[str]], head: Iterable[str], k: int = K
) -> Hits:
    """HR@k, MRR@k and tail HR@k of ``ranked`` lists against who really helped each asker.

    An asker is in the tail when none of their helpers is in ``head``.
    """
    head = frozenset(head)
    result = Hits()
    for asker, helpers in truth.items():
        top = list(ranked.get(asker, ()))[:k]
        first = next((i for i, uid in enumerate(top) if uid in helpers), None)
        in_tail = not helpers & head
        result.askers += 1
        result.tail_askers += in_tail
        if first is not None:
            result.hits += 1
            result.reciprocal_ranks += 1.0 / (first + 1)
            result.tail_hits += in_tail
    return result


def gini(counts: Sequence[float]) -> float:
    """Gini coefficient of non-negative counts: 0 when equal, (n - 1) / n when one has all."""
    values = np.sort(np.asarray(counts, dtype=float))
    n, total = len(values), values.sum()
    if n == 0 or total == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float(2 * (ranks * values).sum() / (n * total) - (n + 1) / n)


@dataclass
class Exposure:
    """How evenly lists spread attention over the people who could be in them.

    ``gini`` is over how many lists each person appears in, counting those in none, and
    ``max_lists`` is the most lists one person appears in. Adding two pools events: the Gini
    is averaged weighted by people, ``max_lists`` is the highest of the two.
    """

    people: int = 0
    gini_people: float = 0.0  # Gini times people, so that sums pool
    max_lists: int = 0
    lists: int = 0
    entries: int = 0

    def __add__(self, other: Exposure) -> Exposure:
        return Exposure(
            self.people + other.people,
            self.gini_people + other.gini_people,
            max(self.max_lists, other.max_lists),
            self.lists + other.lists,
            self.entries + other.entries,
        )

    @property
    def gini(self) -> float:
        return self.gini_people / self.people if self.people else 0.0

    @property
    def mean_list_length(self) -> float:
        return self.entries / self.lists if self.lists else 0.0


def exposure(ranked: Ranked, people: Iterable[str], k: int = K) -> Exposure:
    """Exposure spread of the top ``k`` of each list over ``people``."""
    appearances = dict.fromkeys(people, 0)
    entries = 0
    for partners in ranked.values():
        top = list(partners)[:k]
        entries += len(top)
        for uid in top:
            appearances[uid] = appearances.get(uid, 0) + 1
    counts = list(appearances.values())
    return Exposure(
        people=len(counts),
        gini_people=gini(counts) * len(counts),
        max_lists=max(counts, default=0),
        lists=len(ranked),
        entries=entries,
    )


# ----------------------------------------------------------------------------- baselines

BASELINES = (
    "random",
    "popularity",
    "similar profiles (symmetric tf-idf)",
    "can-help-me only (one way)",
    "strict reciprocal (harmonic mean)",
    "one way + 0.3 other way",
)


def top_k(scores: np.ndarray, uids: Sequence[str], k: int = K) -> dict[str, list[str]]:
    """Each row's ``k`` best columns, ties to the earlier user.

    Oneself scores minus infinity, so it comes last: in an event of ``k`` people or fewer
    it closes its own list (as in the reference protocol; an asker never helps themselves).
    """
    ranked = {}
    for i, uid in enumerate(uids):
        row = scores[i].copy()
        row[i] = -np.inf
        ranked[uid] = [uids[j] for j in np.argsort(-row, kind="stable")[:k]]
    return ranked


def _joined(phrases: Iterable[str]) -> str:
    return " ; ".join(phrases)


def tfidf_profiles(rows: Sequence[Row]) -> tuple[csr_matrix, csr_matrix, csr_matrix]:
    """TF-IDF of offers, needs and both, fitted on offers and needs of everyone.

    Returns three ``(n_rows, n_terms)`` L2-normalised sparse matrices, so that products of
    rows are cosines.
    """
    offers = [_joined(row.can) for row in rows]
    needs = [_joined(row.look) for row in rows]
    vectorizer = TfidfVectorizer(sublinear_tf=True).fit(offers + needs)
    both = [_joined((*row.can, *row.look)) for row in rows]
    return vectorizer.transform(offers), vectorizer.transform(needs), vectorizer.transform(both)


def harmonic_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise harmonic mean, 0 where both are 0: a pair counts only if both ways do."""
    return 2 * a * b / np.maximum(a + b, 1e-12)


def baseline_scores(
    rows: Sequence[Row], answered: Mapping[str, int], seed: int = 0
) -> dict[str, np.ndarray]:
    """Dense ``(n_rows, n_rows)`` score matrices of the plain baselines, row i ranking for i.

    Plain on purpose: each isolates one idea (content, direction, reciprocity, popularity)
    so that the project's figures can be read against them.
    """
    offers, needs, both = tfidf_profiles(rows)
    help_to_me = (needs @ offers.T).toarray()  # [i, j]: how well j can help i
    help_from_me = help_to_me.T
    popularity = np.array([answered.get(row.uid, 0) for row in rows], dtype=float)
    return {
        "random": np.random.default_rng(seed).random(help_to_me.shape),
        "popularity": np.tile(popularity, (len(rows), 1)),
        "similar profiles (symmetric tf-idf)": (both @ both.T).toarray(),
        "can-help-me only (one way)": help_to_me,
        "strict reciprocal (harmonic mean)": harmonic_mean(help_to_me, help_from_me),
        "one way + 0.3 other way": help_to_me + OTHER_WAY_WEIGHT * help_from_me,
    }


def baseline_rankings(
    rows: Sequence[Row], answered: Mapping[str, int], seed: int = 0
) -> dict[str, dict[str, list[str]]]:
    """Top-K lists of every baseline, by baseline name (in `BASELINES` order)."""
    uids = [row.uid for row in rows]
    return {
        name: top_k(scores, uids) for name, scores in baseline_scores(rows, answered, seed).items()
    }
