"""Ranking quality of matching on labelled synthetic events (not a test).

Labels come from `planted_event`: every attendee's needs and offers are hidden topics
worded in varied ways, and the relevant partners of an attendee are those who can help
them or whom they can help, by topic. A quarter of the attendees are look-alike twins who
cannot help their original. Metrics over attendees with at least one relevant partner:
precision@5, recall@10 (relevant found in the top 10 over min(relevant, 10)) and MRR@10.

Compared: random order; "similar profiles" (cosine of TF-IDF over all fields joined); this
module without exposure cap (pure ranking) and with the default cap; and ablations: without
the shipped alias table, with aliases derived from the taxonomy files, with LSA links.

    .venv/bin/python scripts/eval_matching.py [--people 600] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from matchmaker.matching import MatchSettings, Profile, engine, suggest_partners
from matchmaker.matching import text as text_module
from matchmaker.matching.synthetic import planted_event

TAXONOMY = Path("/work/shared/data/taxonomy")
Ranker = Callable[[Sequence[Profile]], dict[int, list[int]]]


def metrics(ranked: dict[int, list[int]], relevant: dict[int, set[int]]) -> dict[str, float]:
    p5, r10, mrr = [], [], []
    for person, rel in relevant.items():
        if not rel:
            continue
        top = ranked.get(person, [])[:10]
        hits = [partner in rel for partner in top]
        p5.append(sum(hits[:5]) / 5)
        r10.append(sum(hits) / min(len(rel), 10))
        mrr.append(next((1 / (i + 1) for i, hit in enumerate(hits) if hit), 0.0))
    return {"P@5": np.mean(p5), "R@10": np.mean(r10), "MRR": np.mean(mrr)}


def random_ranker(seed: int) -> Ranker:
    def rank(profiles: Sequence[Profile]) -> dict[int, list[int]]:
        rng = np.random.default_rng(seed)
        ids = [p.id for p in profiles]
        return {p.id: [i for i in rng.permutation(ids).tolist() if i != p.id] for p in profiles}

    return rank


def similar_profiles(profiles: Sequence[Profile]) -> dict[int, list[int]]:
    docs = [" ".join((*p.can_help_with, *p.looking_for, *p.interests)) for p in profiles]
    matrix = TfidfVectorizer().fit_transform(docs)
    sims = (matrix @ matrix.T).toarray()
    np.fill_diagonal(sims, -1)
    ids = np.array([p.id for p in profiles])
    order = np.argsort(-sims, axis=1, kind="stable")[:, :10]
    return {int(ids[i]): ids[row].tolist() for i, row in enumerate(order)}


def module(settings_for: Callable[[int], MatchSettings]) -> Ranker:
    def rank(profiles: Sequence[Profile]) -> dict[int, list[int]]:
        result = suggest_partners(profiles, settings_for(len(profiles)))
        return {pid: [s.partner_id for s in items] for pid, items in result.suggestions.items()}

    return rank


def taxonomy_aliases() -> dict[str, str]:
    """Phrase aliases from Stack Overflow tag synonyms and ESCO alternative labels."""
    aliases: dict[str, str] = {}
    with open(TAXONOMY / "stackoverflow_tag_synonyms.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            aliases[row["SourceTagName"].replace("-", " ")] = row["TargetTagName"].replace("-", " ")
    with open(TAXONOMY / "esco_skills_en_subset.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for label in row["altLabels"].splitlines():
                if label.strip() and label.strip() != row["preferredLabel"]:
                    aliases.setdefault(label.strip(), row["preferredLabel"])
    return aliases


@contextmanager
def extra_phrase_aliases(extra: dict[str, str]):
    shipped = text_module.shipped_aliases()
    table = text_module.AliasTable()
    table.word_aliases = dict(shipped.word_aliases)
    table.max_len = shipped.max_len
    table.phrase_aliases = dict(shipped.phrase_aliases)
    for source, target in extra.items():
        key = text_module.tokenize(source)
        if key and key not in table.word_aliases:
            table.phrase_aliases.setdefault(key, text_module.tokenize(target))
    original = engine.shipped_aliases
    engine.shipped_aliases = lambda: table
    try:
        yield
    finally:
        engine.shipped_aliases = original


@contextmanager
def no_aliases():
    original = engine.shipped_aliases
    engine.shipped_aliases = lambda: text_module.AliasTable()
    try:
        yield
    finally:
        engine.shipped_aliases = original


@contextmanager
def lsa_links(components: int = 64, threshold: float = 0.7):
    """Also link phrases whose n-gram rows are close after TruncatedSVD (LSA)."""
    original = text_module.PhraseSpace.fit

    def fit(self, keys):
        original(self, keys)
        rows = self._rows
        if rows[0] is None or len(self.keys) < 3:
            return self
        import scipy.sparse as sp

        matrix = sp.hstack([rows[0], rows[1]]).tocsr()
        k = min(components, matrix.shape[0] - 1, matrix.shape[1] - 1)
        reduced = normalize(TruncatedSVD(k, random_state=0).fit_transform(matrix))
        sims = reduced @ reduced.T
        for a, b in zip(*np.nonzero(sims >= threshold), strict=True):
            if a != b and b not in self.similarity[a]:
                self.similarity[a][b] = int(sims[a, b] * text_module.QUANTUM)
        return self

    text_module.PhraseSpace.fit = fit
    try:
        yield
    finally:
        text_module.PhraseSpace.fit = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=600)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()

    uncapped = module(lambda n: MatchSettings(top_k=10, max_exposure=n))
    capped = module(lambda n: MatchSettings(top_k=10))
    taxonomy = taxonomy_aliases()
    runs: list[tuple[str, Callable[[], contextmanager] | None, Ranker | None]] = [
        ("random", None, None),
        ("similar profiles (TF-IDF cosine)", None, similar_profiles),
        ("matching, no exposure cap", None, uncapped),
        ("matching, default cap (2k)", None, capped),
        ("  ablation: no alias table", no_aliases, uncapped),
        ("  ablation: + taxonomy aliases", lambda: extra_phrase_aliases(taxonomy), uncapped),
        ("  ablation: + LSA links", lsa_links, uncapped),
    ]
    print(f"{args.people} attendees per event, seeds {args.seeds}; mean over seeds")
    print(f"{'method':<36} {'P@5':>6} {'R@10':>6} {'MRR':>6}")
    for name, context, ranker in runs:
        scores = []
        for seed in args.seeds:
            profiles, relevant = planted_event(args.people, seed=seed)
            rank = ranker or random_ranker(seed)
            if context is None:
                ranked = rank(profiles)
            else:
                with context():
                    ranked = rank(profiles)
            scores.append(metrics(ranked, relevant))
        mean = {k: np.mean([s[k] for s in scores]) for k in scores[0]}
        print(f"{name:<36} {mean['P@5']:6.3f} {mean['R@10']:6.3f} {mean['MRR']:6.3f}")


if __name__ == "__main__":
    main()
