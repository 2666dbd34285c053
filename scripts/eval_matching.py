"""Matching quality: who really helped whom on Stack Exchange sites, then planted events.

First check (`matchmaker.matching.evaluation`): each site's accepted answers are split into
folds; each fold is an event whose askers need what they asked in the fold, and the question
is whether the person who gave the accepted answer is in the asker's top 10. This project runs
exactly as `flask suggest` does (`suggest_from_file` on the attendee CSV), beside the plain
baselines of the protocol. Figures per site and pooled over the askers of all sites.

Then learning from answers (`matchmaker.matching.learning`), on a time split: each site is
one organizer and its folds are their events. Askers who last asked before the site's median
asker did are the earlier half: their top 10 under the default weights are what they were
shown, the real helper is an "I'd like to meet" and everyone else a "Not for me". The weights
are fitted on those answers (all of the site's events together) and judged on the later half
of the askers: content only (the default weights), learnt weights over the content parts
(track records left out), and learnt weights with the track record (answers given before,
what popularity ranks by), beside the plain baselines on the same askers.

Second check: planted synthetic events (`planted_event`), where every attendee's needs and
offers are hidden topics worded in varied ways and a quarter are look-alike twins who cannot
help their original: precision@5, recall@10 and MRR@10 against random order and "similar
profiles". ``--ablations`` adds runs without the alias table and with taxonomy aliases.

    .venv/bin/python scripts/eval_matching.py [--sites iot ...] [--json figures.json]
        [--skip-stackexchange] [--skip-learning] [--skip-synthetic]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import inspect
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from matchmaker import importing
from matchmaker.adapters import matching_profile
from matchmaker.exports import suggest_from_file
from matchmaker.matching import Matcher, MatchSettings, Profile, engine, learning, suggest_partners
from matchmaker.matching import evaluation as ev
from matchmaker.matching import text as text_module
from matchmaker.matching.synthetic import planted_event
from matchmaker.matching.types import PairComponents

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_DATA = SHARED / "data/stackexchange"
TAXONOMY = SHARED / "data/taxonomy"
DEFAULT_LABEL = "matchmaker (default)"

#: Variants run through ``suggest_from_file(settings=...)``: label, MatchSettings field, value.
VARIANTS: tuple[tuple[str, str, float], ...] = (
    ("matchmaker one way", "reciprocity", 0.0),
    ("matchmaker exposure penalty 0.25", "exposure_penalty", 0.25),
    ("matchmaker exposure penalty 0.5", "exposure_penalty", 0.5),
)

COLUMNS = """\
askers: people whose accepted answers were held out; HR@10: share of them whose real helper is in
their top 10; MRR@10: mean of 1/rank of that helper (0 when absent); tail: askers none of whose
helpers is among the most active tenth of answerers, tail HR@10: HR@10 over them; Gini: how
unequally attendees appear in others' lists (0 all equally, near 1 one person in every list),
mean over events weighted by attendees; max: most lists one attendee appears in (highest event);
len: mean list length."""

WIDTH = 36
HEADER = (
    f"{'site':14} {'method':{WIDTH}} {'askers':>6} {'HR@10':>6} {'MRR@10':>6} "
    f"{'tail':>5} {'tailHR':>6} {'Gini':>5} {'max':>4} {'len':>5}"
)


# ----------------------------------------------------------------------------- Stack Exchange


@dataclass
class MethodResult:
    """Figures of one method pooled over events: hits at 10 and exposure spread."""

    hits: ev.Hits = field(default_factory=ev.Hits)
    spread: ev.Exposure = field(default_factory=ev.Exposure)

    def __add__(self, other: MethodResult) -> MethodResult:
        return MethodResult(self.hits + other.hits, self.spread + other.spread)

    def figures(self) -> dict[str, float | int]:
        return {
            "askers": self.hits.askers,
            "hr10": self.hits.hit_rate,
            "mrr10": self.hits.mrr,
            "tail_askers": self.hits.tail_askers,
            "tail_hr10": self.hits.tail_hit_rate,
            "gini": self.spread.gini,
            "max_lists": self.spread.max_lists,
            "mean_list_length": self.spread.mean_list_length,
        }


@dataclass
class SiteResult:
    """Every method's figures on one site, and what the importer's refusals cost.

    An asker whose row is refused gets no list, and one whose every helper is refused cannot
    be helped by anyone in the file: both are misses for this project whatever it ranks.
    ``changed`` holds the variants whose lists differed from the default on some event.
    """

    methods: dict[str, MethodResult] = field(default_factory=dict)
    rows: int = 0
    refused_rows: int = 0
    refused_askers: int = 0
    helpers_refused: int = 0
    changed: set[str] = field(default_factory=set)

    def add(self, method: str, result: MethodResult) -> None:
        self.methods[method] = self.methods.get(method, MethodResult()) + result

    def __add__(self, other: SiteResult) -> SiteResult:
        pooled = SiteResult(
            dict(self.methods),
            self.rows + other.rows,
            self.refused_rows + other.refused_rows,
            self.refused_askers + other.refused_askers,
            self.helpers_refused + other.helpers_refused,
            self.changed | other.changed,
        )
        for method, result in other.methods.items():
            pooled.add(method, result)
        return pooled


def project_variants() -> tuple[list[tuple[str, MatchSettings]], list[str]]:
    """The variants this version of the code can express, and notes on those it cannot."""
    runs: list[tuple[str, MatchSettings]] = []
    if "settings" not in inspect.signature(suggest_from_file).parameters:
        return runs, ["suggest_from_file takes no settings: variants skipped"]
    known = {f.name for f in dataclasses.fields(MatchSettings)}
    notes = []
    for label, name, value in VARIANTS:
        if name in known:
            runs.append((label, MatchSettings(top_k=ev.K, **{name: value})))
        else:
            notes.append(f"MatchSettings has no field {name!r}: {label!r} skipped")
    return runs, notes


def suggest_lists(
    event: ev.Event, settings: MatchSettings | None
) -> tuple[dict[str, list[str]], set[str]]:
    """Top-10 lists from `suggest_from_file`, as `flask suggest --format jsonl` writes them.

    Also returns the uids of the rows the importer refused (their people are in no list).
    """
    output = io.StringIO()
    extra = {} if settings is None else {"settings": settings}
    report = suggest_from_file(
        ev.attendee_csv(event.rows),
        "attendees.csv",
        top_k=ev.K,
        fmt="jsonl",
        output=output,
        **extra,
    )
    refused = {event.rows[error.row - 2].uid for error in report.errors}  # row 1: header
    return ev.ranked_from_jsonl(output.getvalue().splitlines(), event.rows), refused


def score(event: ev.Event, ranked: ev.Ranked) -> MethodResult:
    people = [row.uid for row in event.rows]
    return MethodResult(ev.score_hits(ranked, event.truth, event.head), ev.exposure(ranked, people))


def evaluate_site(path: Path, folds: int, runs: Sequence[tuple[str, MatchSettings]]) -> SiteResult:
    """This project by default and in each variant of ``runs``, then the baselines."""
    site = SiteResult()
    for event in ev.build_events(ev.load_posts(path), folds):
        default, refused = suggest_lists(event, None)
        site.add(DEFAULT_LABEL, score(event, default))
        site.rows += len(event.rows)
        site.refused_rows += len(refused)
        site.refused_askers += len(refused & event.truth.keys())
        site.helpers_refused += sum(helpers <= refused for helpers in event.truth.values())
        for label, settings in runs:
            ranked, _ = suggest_lists(event, settings)
            site.add(label, score(event, ranked))
            if ranked != default:
                site.changed.add(label)
        for name, ranked in ev.baseline_rankings(event.rows, event.answered).items():
            site.add(name, score(event, ranked))
    return site


def table_row(site: str, method: str, result: MethodResult) -> str:
    h, s = result.hits, result.spread
    return (
        f"{site:14} {method:{WIDTH}} {h.askers:6d} {h.hit_rate:6.3f} {h.mrr:6.3f} "
        f"{h.tail_askers:5d} {h.tail_hit_rate:6.3f} {s.gini:5.2f} {s.max_lists:4d} "
        f"{s.mean_list_length:5.1f}"
    )


def print_site(name: str, site: SiteResult) -> None:
    for method, result in site.methods.items():
        print(table_row(name, method, result))
    print(
        f"{'':14} the importer refused {site.refused_rows} of {site.rows} rows: "
        f"{site.refused_askers} askers, and {site.helpers_refused} askers lost every helper"
    )


def site_files(data: Path, sites: Sequence[str] | None) -> dict[str, Path]:
    if not data.is_dir():
        sys.exit(f"no Stack Exchange data at {data}: pass --data DIR (a folder of *_Posts.xml)")
    files = {p.name.split("_")[0]: p for p in sorted(data.glob("*_Posts.xml"))}
    if not files:
        sys.exit(f"no *_Posts.xml files in {data}: pass --data DIR (a folder of *_Posts.xml)")
    unknown = sorted(set(sites or ()) - set(files))
    if unknown:
        sys.exit(f"unknown site(s) {', '.join(unknown)}; available: {', '.join(files)}")
    return {name: files[name] for name in sites} if sites else files


def stackexchange(data: Path, sites: Sequence[str] | None, folds: int) -> dict[str, Any]:
    files = site_files(data, sites)
    runs, notes = project_variants()
    print(f"Who helped whom on Stack Exchange: {len(files)} sites, {folds} folds each")
    print(COLUMNS)
    for note in notes:
        print(f"note: {note}")
    print(HEADER)
    results: dict[str, SiteResult] = {}
    for name, path in files.items():
        results[name] = evaluate_site(path, folds, runs)
        print_site(name, results[name])
    pooled = sum(results.values(), SiteResult())
    print_site("POOLED", pooled)
    for label, _ in runs:
        if label not in pooled.changed:
            notes.append(f"{label!r} gave the same lists as the default on every event")
            print(f"note: {notes[-1]}")
    return {
        "folds": folds,
        "notes": notes,
        "sites": {name: site_figures(site) for name, site in results.items()},
        "pooled": site_figures(pooled),
    }


def site_figures(site: SiteResult) -> dict[str, Any]:
    return {
        "rows": site.rows,
        "refused_rows": site.refused_rows,
        "refused_askers": site.refused_askers,
        "askers_whose_helpers_were_all_refused": site.helpers_refused,
        "methods": {method: result.figures() for method, result in site.methods.items()},
    }


# ----------------------------------------------------------------------------- learning

CONTENT_ONLY = "content only (default weights)"
LEARNT_CONTENT = "learnt weights, content parts"
LEARNT_TRACK = "learnt weights + track record"
LEARNT_RUNS = ((LEARNT_CONTENT, False), (LEARNT_TRACK, True))


@dataclass
class FoldRun:
    """One event of a site under the default weights: its people and what they were shown."""

    event: ev.Event
    profiles: list[Profile]
    matcher: Matcher
    ranked: dict[str, list[str]]


def event_profiles(event: ev.Event, track: bool) -> list[Profile]:
    """The event's attendee file as `flask suggest` reads it, with each person's track
    record (answers given outside the fold) when ``track``."""
    _, _, report = importing.parse_attendee_file(ev.attendee_csv(event.rows), "attendees.csv")
    return [
        matching_profile(
            record, index, event.answered.get(event.rows[index].uid, 0) if track else 0
        )
        for index, record in enumerate(report.records)
    ]


def ranked_uids(matcher: Matcher, event: ev.Event) -> dict[str, list[str]]:
    uids = [row.uid for row in event.rows]
    return {
        uids[pid]: [uids[s.partner_id] for s in items]
        for pid, items in matcher.result_.suggestions.items()
    }


def shown_answers(runs: Sequence[FoldRun], cut: int) -> tuple[PairComponents, np.ndarray]:
    """The earlier askers' answers about what they were shown: the pairs' components and
    whether the partner was their real helper."""
    parts, useful = [], []
    for run in runs:
        index = {row.uid: i for i, row in enumerate(run.event.rows)}
        pairs = []
        for asker, helpers in run.event.truth.items():
            if run.event.asked[asker] <= cut:
                for partner in run.ranked.get(asker, []):
                    pairs.append((index[asker], index[partner]))
                    useful.append(partner in helpers)
        parts.append(run.matcher.components(pairs))
    joined = PairComponents(
        *(
            np.concatenate([getattr(p, f.name) for p in parts])
            for f in dataclasses.fields(PairComponents)
        )
    )
    return joined, np.array(useful, dtype=bool)


def learning_site(path: Path, folds: int) -> tuple[dict[str, MethodResult], dict[str, Any]]:
    """One site as one organizer: fit on the earlier askers, judge on the later ones."""
    events = list(ev.build_events(ev.load_posts(path), folds))
    cut = int(np.median([t for event in events for t in event.asked.values()]))
    runs: dict[bool, list[FoldRun]] = {}
    for track in (False, True):
        runs[track] = []
        for event in events:
            people = event_profiles(event, track)
            matcher = Matcher(MatchSettings(top_k=ev.K)).fit(people)
            runs[track].append(FoldRun(event, people, matcher, ranked_uids(matcher, event)))
    results: dict[str, MethodResult] = {}
    notes: dict[str, Any] = {"cut_question_id": cut}

    def add(method: str, event: ev.Event, ranked: ev.Ranked) -> None:
        later = {a: h for a, h in event.truth.items() if event.asked[a] > cut}
        people = [row.uid for row in event.rows]
        result = MethodResult(ev.score_hits(ranked, later, event.head), ev.exposure(ranked, people))
        results[method] = results.get(method, MethodResult()) + result

    for run in runs[False]:
        add(CONTENT_ONLY, run.event, run.ranked)
    for label, track in LEARNT_RUNS:
        learner = learning.WeightLearner().fit(*shown_answers(runs[track], cut))
        notes[label] = {
            "learned": learner.learned_,
            "useful": learner.positives_,
            "not_useful": learner.negatives_,
            "weights": learner.weights_.as_dict(),
            "words": learning.describe(learner.weights_, informative=learner.informative_)
            if learner.learned_
            else [],
        }
        for run in runs[track]:
            if learner.learned_:
                settings = learner.weights_.settings(MatchSettings(top_k=ev.K))
                add(label, run.event, ranked_uids(Matcher(settings).fit(run.profiles), run.event))
            else:
                add(label, run.event, run.ranked)
    for event in events:
        for name, ranked in ev.baseline_rankings(event.rows, event.answered).items():
            add(name, event, ranked)
    return results, notes


def learning_split(data: Path, sites: Sequence[str] | None, folds: int) -> dict[str, Any]:
    files = site_files(data, sites)
    print(f"\nLearning from answers, time split: {len(files)} sites, {folds} folds each")
    print(
        "Fitted on the answers of the earlier half of each site's askers (their top 10 under "
        "the\ndefault weights; the real helper is a yes, the rest no), judged on the later "
        f"half; at least\n{learning.MIN_ANSWERS_PER_KIND} answers of each kind are needed, "
        "else the default weights stay."
    )
    print(HEADER)
    pooled: dict[str, MethodResult] = {}
    figures: dict[str, Any] = {"sites": {}}
    for name, path in files.items():
        results, notes = learning_site(path, folds)
        for method, result in results.items():
            print(table_row(name, method, result))
            pooled[method] = pooled.get(method, MethodResult()) + result
        for label, _ in LEARNT_RUNS:
            fit = notes[label]
            state = "learnt" if fit["learned"] else "not enough answers: default weights"
            print(
                f"{'':14} {label}: {state} ({fit['useful']} yes, {fit['not_useful']} no) "
                f"{fit['weights']}"
            )
            for sentence in fit["words"]:
                print(f"{'':16} {sentence}")
        figures["sites"][name] = {
            "methods": {m: r.figures() for m, r in results.items()},
            "fits": notes,
        }
    for method, result in pooled.items():
        print(table_row("POOLED", method, result))
    figures["pooled"] = {m: r.figures() for m, r in pooled.items()}
    content, learnt = pooled[CONTENT_ONLY].hits, pooled[LEARNT_TRACK].hits
    verdict = "raises" if learnt.hit_rate > content.hit_rate else "does NOT raise"
    print(
        f"note: on the later askers, {LEARNT_TRACK!r} {verdict} pooled HR@10 over content only "
        f"({learnt.hit_rate:.3f} against {content.hit_rate:.3f})"
    )
    return figures


# ----------------------------------------------------------------------------- planted events

Ranker = Callable[[Sequence[Profile]], dict[int, list[int]]]


def planted_metrics(
    ranked: dict[int, list[int]], relevant: dict[int, set[int]]
) -> dict[str, float]:
    p5, r10, mrr = [], [], []
    for person, rel in relevant.items():
        if not rel:
            continue
        top = ranked.get(person, [])[:10]
        hits = [partner in rel for partner in top]
        p5.append(sum(hits[:5]) / 5)
        r10.append(sum(hits) / min(len(rel), 10))
        mrr.append(next((1 / (i + 1) for i, hit in enumerate(hits) if hit), 0.0))
    return {"P@5": float(np.mean(p5)), "R@10": float(np.mean(r10)), "MRR": float(np.mean(mrr))}


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
def extra_phrase_aliases(extra: dict[str, str]) -> Iterator[None]:
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
def no_aliases() -> Iterator[None]:
    original = engine.shipped_aliases
    engine.shipped_aliases = lambda: text_module.AliasTable()
    try:
        yield
    finally:
        engine.shipped_aliases = original


Run = tuple[str, Callable[[], AbstractContextManager[None]] | None, Ranker | None]


def planted_runs(ablations: bool) -> list[Run]:
    uncapped = module(lambda n: MatchSettings(top_k=10, max_exposure=n))
    runs: list[Run] = [
        ("random", None, None),
        ("similar profiles (TF-IDF cosine)", None, similar_profiles),
        ("matching, default settings", None, module(lambda n: MatchSettings(top_k=10))),
        ("matching, no exposure cap", None, uncapped),
        (
            "matching, exposure cap 2k",
            None,
            module(lambda n: MatchSettings(top_k=10, max_exposure=20)),
        ),
    ]
    if ablations:
        taxonomy = taxonomy_aliases()
        runs += [
            ("  ablation: no alias table", no_aliases, uncapped),
            ("  ablation: + taxonomy aliases", lambda: extra_phrase_aliases(taxonomy), uncapped),
        ]
    return runs


def planted(people: int, seeds: Sequence[int], ablations: bool) -> dict[str, Any]:
    print(f"\nPlanted synthetic events: {people} attendees per event, seeds {list(seeds)}")
    print("P@5: precision in the top 5; R@10: relevant partners found in the top 10 over")
    print("min(relevant, 10); MRR: mean of 1/rank of the first relevant one; mean over seeds.")
    print(f"{'method':<36} {'P@5':>6} {'R@10':>6} {'MRR':>6}")
    figures: dict[str, dict[str, float]] = {}
    for name, context, ranker in planted_runs(ablations):
        scores = []
        for seed in seeds:
            profiles, relevant = planted_event(people, seed=seed)
            rank = ranker or random_ranker(seed)
            if context is None:
                ranked = rank(profiles)
            else:
                with context():
                    ranked = rank(profiles)
            scores.append(planted_metrics(ranked, relevant))
        mean = {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}
        figures[name.strip()] = mean
        print(f"{name:<36} {mean['P@5']:6.3f} {mean['R@10']:6.3f} {mean['MRR']:6.3f}")
    return {"people": people, "seeds": list(seeds), "methods": figures}


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of *_Posts.xml")
    parser.add_argument("--sites", nargs="+", metavar="NAME", help="only these sites")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-stackexchange", action="store_true")
    parser.add_argument("--skip-learning", action="store_true", help="no time-split learning")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--ablations", action="store_true", help="planted-event ablations")
    parser.add_argument("--people", type=int, default=600, help="attendees per planted event")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write all figures here")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    figures: dict[str, Any] = {}
    if not args.skip_stackexchange:
        figures["stackexchange"] = stackexchange(args.data, args.sites, args.folds)
    if not args.skip_learning:
        figures["learning"] = learning_split(args.data, args.sites, args.folds)
    if not args.skip_synthetic:
        figures["planted"] = planted(args.people, args.seeds, args.ablations)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
