"""How the matching defaults were chosen: a grid over the scorer's weights on who helped whom.

Each combination runs through the same code as ``flask suggest`` on the Stack Exchange
development events (see `matchmaker.matching.evaluation`) and is scored by pooled HR@10,
MRR@10, HR@10 on the tail (askers whose helper is not among the busiest tenth), the Gini of
list appearances and HR@10 per site. A combination qualifies for the defaults when its pooled
HR@10 reaches `TARGET_HR` and its tail HR@10 stays above every plain baseline's (0.172,
"one way"): gains must come from understanding needs, not only from putting busy helpers
first. Among qualifying combinations the best HR@10 is reported; none may qualify.

Grid names in capitals are constants of `matching.vectors` (BM25 saturation ``K1``, length
normalisation ``LENGTH_NORM``, the offers' ``POSITION_DECAY``, the prior's ``DEMAND_EXPONENT``
and ``BREADTH_WEIGHT``); the others are `MatchSettings` fields (``reciprocity``,
``shared_weight``, ``prior_exponent``).
``--sweep`` moves one weight at a time away from the shipped defaults instead. The track
record is left out: it belongs to weights learnt from answers. Not a test; run by hand
(about ten seconds per combination):

    .venv/bin/python scripts/choose_matching_weights.py [--sites iot ...] [--quick | --sweep]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sklearn.model_selection import ParameterGrid

from matchmaker.exports import suggest_from_file
from matchmaker.matching import MatchSettings, vectors
from matchmaker.matching import evaluation as ev

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "stackexchange"
#: Best plain baseline's tail HR@10 on the development sites; the defaults must beat it.
TAIL_FLOOR = 0.172
#: Pooled HR@10 the defaults must reach on the development sites.
TARGET_HR = 0.45
GRID = {
    "K1": [0.3, 0.6, 1.2],
    "DEMAND_EXPONENT": [0.25, 0.4, 0.5],
    "BREADTH_WEIGHT": [0.2, 0.5],
    "reciprocity": [0.2, 0.3],
}
QUICK_GRID = {"K1": [0.6, 1.2], "DEMAND_EXPONENT": [0.25, 0.5], "reciprocity": [0.3]}
#: One weight at a time, the others at their shipped values.
SWEEP = {
    "reciprocity": [0.0, 0.1, 0.2, 0.5],
    "shared_weight": [0.0],
    "prior_exponent": [0.0, 0.5, 1.5, 2.0, 3.0],
    "DEMAND_EXPONENT": [0.0, 0.5, 0.75, 1.0],
    "BREADTH_WEIGHT": [0.0, 0.5, 1.0, 2.0],
    "K1": [0.3, 1.2, 2.0],
    "LENGTH_NORM": [0.1, 0.3],
    "POSITION_DECAY": [0.1, 0.25, 0.5],
}
SETTINGS_FIELDS = frozenset(f.name for f in dataclasses.fields(MatchSettings))


@contextmanager
def engine_constants(values: Mapping[str, float]) -> Iterator[None]:
    """Set the scorer's weights in `matching.vectors` for one run, then restore them."""
    saved = {name: getattr(vectors, name) for name in values}
    for name, value in values.items():
        setattr(vectors, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(vectors, name, value)


@dataclasses.dataclass
class Figures:
    """One combination's hits pooled over every site, per site, and its exposure spread."""

    pooled: ev.Hits
    sites: dict[str, ev.Hits]
    spread: ev.Exposure


def run_grid_point(sites: Mapping[str, list[ev.Event]], params: Mapping[str, Any]) -> Figures:
    constants = {k: v for k, v in params.items() if k not in SETTINGS_FIELDS}
    fields = {k: v for k, v in params.items() if k in SETTINGS_FIELDS}
    settings = MatchSettings(top_k=ev.K, **fields)
    per_site: dict[str, ev.Hits] = {}
    spread = ev.Exposure()
    with engine_constants(constants):
        for name, events in sites.items():
            hits = ev.Hits()
            for event in events:
                output = io.StringIO()
                suggest_from_file(
                    ev.attendee_csv(event.rows), "attendees.csv", top_k=ev.K, fmt="jsonl",
                    output=output, settings=settings,
                )  # fmt: skip
                ranked = ev.ranked_from_jsonl(output.getvalue().splitlines(), event.rows)
                hits = hits + ev.score_hits(ranked, event.truth, event.head)
                spread = spread + ev.exposure(ranked, [row.uid for row in event.rows])
            per_site[name] = hits
    return Figures(sum(per_site.values(), ev.Hits()), per_site, spread)


def shipped_defaults() -> dict[str, Any]:
    names = {name for values in (GRID, SWEEP) for name in values}
    settings = MatchSettings()
    return {
        name: getattr(settings, name) if name in SETTINGS_FIELDS else getattr(vectors, name)
        for name in sorted(names)
    }


def sweep_points(defaults: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    yield {}
    for name, values in SWEEP.items():
        for value in values:
            if value != defaults[name]:
                yield {name: value}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sites", nargs="*")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="a small grid")
    mode.add_argument("--sweep", action="store_true", help="one weight at a time")
    args = parser.parse_args()
    if not args.data.is_dir():
        parser.exit(2, f"error: no Stack Exchange data at {args.data} (use --data DIR)\n")
    files = sorted(args.data.glob("*_Posts.xml"))
    if args.sites:
        files = [f for f in files if f.name.split("_")[0] in args.sites]
    sites = {f.name.split("_")[0]: list(ev.build_events(ev.load_posts(f))) for f in files}
    defaults = shipped_defaults()
    if args.sweep:
        points: list[dict[str, Any]] = list(sweep_points(defaults))
    else:
        points = list(ParameterGrid(QUICK_GRID if args.quick else GRID))
    events = [event for site in sites.values() for event in site]
    print(f"{len(events)} events, {sum(len(e.truth) for e in events)} askers; shipped: {defaults}")
    print(f"{'weights':62} {'HR@10':>6} {'MRR@10':>6} {'tail':>6} {'Gini':>5}  HR@10 per site")
    best: tuple[float, dict[str, Any]] | None = None
    for params in points:
        figures = run_grid_point(sites, params)
        hits = figures.pooled
        shown = ", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "(shipped defaults)"
        per_site = " ".join(f"{name} {h.hit_rate:.3f}" for name, h in figures.sites.items())
        is_default = all(defaults[k] == v for k, v in params.items())
        print(
            f"{shown:62} {hits.hit_rate:6.3f} {hits.mrr:6.3f} {hits.tail_hit_rate:6.3f} "
            f"{figures.spread.gini:5.2f}  {per_site}{'  <- shipped' if is_default else ''}"
        )
        qualifies = hits.hit_rate >= TARGET_HR and hits.tail_hit_rate > TAIL_FLOOR
        if qualifies and (best is None or hits.hit_rate > best[0]):
            best = (hits.hit_rate, params)
    if best:
        print(f"best HR@10 >= {TARGET_HR} with tail above {TAIL_FLOOR}: {best[1]} ({best[0]:.3f})")
    else:
        print(f"no combination reaches HR@10 {TARGET_HR} with tail HR@10 above {TAIL_FLOOR}")


if __name__ == "__main__":
    main()
