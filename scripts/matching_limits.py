"""What the Stack Exchange development sites allow: MRR above popularity costs the tail.

The matching targets ask for three things at once on the development sites: HR@10 of at
least 0.45, MRR@10 above every plain baseline (popularity's included, 0.302 pooled) and HR@10
on the tail (askers whose real helper is not among the busiest tenth of answerers) above
every plain baseline's (0.172). This script measures how far those can be had together, with
more knowledge than any attendee file holds: how many answers each person really gave (what
popularity ranks by; the file shows at most 25 phrases per person).

Each asker's list is split: the first ``slots`` places go to the people who can help ranked
by that true activity, ``log(1 + answers) + weight * log(help)`` with ``help`` this module's
specificity-weighted help score; the remaining places keep the shipped ranking (duplicates
skipped). Slots 0 is the shipped ranking; 10 is activity and help alone. The pooled figures
show the trade: every slot given to the busiest helpers raises MRR and lowers the tail, and
no split reaches popularity's MRR while keeping the tail above the baselines. Not a test;
about half a minute on the five development sites:

    .venv/bin/python scripts/matching_limits.py [--sites iot ...] [--weight 0.3]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from eval_matching import DEFAULT_DATA, event_profiles, ranked_uids, site_files

from matchmaker.matching import Matcher, MatchSettings
from matchmaker.matching import evaluation as ev

#: Best plain baselines on the development sites, pooled (see scripts/eval_matching.py).
POPULARITY_MRR = 0.302
TAIL_FLOOR = 0.172
#: Added to the help score before the log, so that a small help still ranks below a large.
HELP_FLOOR = 1e-3


def activity_lists(
    event: ev.Event, matcher: Matcher, weight: float, k: int = ev.K
) -> dict[str, list[str]]:
    """Each asker's top ``k`` of the people who can help them, by true activity and help."""
    uids = [row.uid for row in event.rows]
    index = {uid: i for i, uid in enumerate(uids)}
    askers = sorted(event.truth, key=index.__getitem__)
    everyone = range(len(uids))
    pairs = [(index[asker], other) for asker in askers for other in everyone]
    help_to_asker = matcher.components(pairs).they_help.reshape(len(askers), len(uids))
    activity = np.log1p([event.answered.get(uid, 0) for uid in uids])
    lists = {}
    for row, asker in enumerate(askers):
        helps = help_to_asker[row]
        score = np.where(helps > 0, activity + weight * np.log(helps + HELP_FLOOR), -np.inf)
        score[index[asker]] = -np.inf
        order = np.argsort(-score, kind="stable")[:k]
        lists[asker] = [uids[i] for i in order if np.isfinite(score[i])]
    return lists


def split_list(first: Sequence[str], rest: Sequence[str], slots: int, k: int = ev.K) -> list[str]:
    """``first[:slots]``, then ``rest`` without repeats, ``k`` people at most."""
    out = list(first[:slots])
    out += [uid for uid in rest if uid not in out]
    return out[:k]


def measure(files: dict[str, Path], weight: float) -> tuple[list[ev.Hits], ev.Hits]:
    """Pooled hits of each split (0..K activity slots) and of the popularity baseline."""
    by_slots = [ev.Hits() for _ in range(ev.K + 1)]
    popularity = ev.Hits()
    for name, path in files.items():
        print(f"  {name} ...", flush=True)
        for event in ev.build_events(ev.load_posts(path)):
            matcher = Matcher(MatchSettings(top_k=ev.K)).fit(event_profiles(event, track=False))
            shipped = ranked_uids(matcher, event)
            busiest = activity_lists(event, matcher, weight)
            for slots in range(ev.K + 1):
                ranked = {
                    asker: split_list(busiest.get(asker, []), shipped.get(asker, []), slots)
                    for asker in event.truth
                }
                by_slots[slots] += ev.score_hits(ranked, event.truth, event.head)
            baselines = ev.baseline_rankings(event.rows, event.answered)
            popularity += ev.score_hits(baselines["popularity"], event.truth, event.head)
    return by_slots, popularity


def report(by_slots: Sequence[ev.Hits], popularity: ev.Hits) -> None:
    print(f"\n{'busiest first':>14} {'HR@10':>6} {'MRR@10':>6} {'tail HR@10':>10}  both targets")
    for slots, hits in enumerate(by_slots):
        both = hits.mrr > popularity.mrr and hits.tail_hit_rate > TAIL_FLOOR
        print(
            f"{slots:>14} {hits.hit_rate:6.3f} {hits.mrr:6.3f} {hits.tail_hit_rate:10.3f}  "
            f"{'yes' if both else 'no'}"
        )
    print(
        f"{'popularity':>14} {popularity.hit_rate:6.3f} {popularity.mrr:6.3f} "
        f"{popularity.tail_hit_rate:10.3f}"
    )
    print(
        f"\nBoth targets: MRR@10 above popularity's {popularity.mrr:.3f} and tail HR@10 above "
        f"{TAIL_FLOOR} (the best plain baseline's). {popularity.askers} askers pooled."
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sites", nargs="+", help="site names (default: every *_Posts.xml)")
    parser.add_argument(
        "--weight", type=float, default=0.3, help="weight of log(help) beside log(1 + answers)"
    )
    args = parser.parse_args(argv)
    if args.weight < 0:
        parser.error("--weight must be 0 or more")
    files = site_files(args.data, args.sites)
    print(f"Busiest helpers first, then the shipped ranking: {len(files)} sites, 5 folds each")
    report(*measure(files, args.weight))


if __name__ == "__main__":
    main()
