"""How the matching defaults were chosen: a grid over the scorer's weights on who helped whom.

Each combination runs through the same code as ``flask suggest`` on the Stack Exchange
development events (see `matchmaker.matching.evaluation`) and is scored by pooled HR@10,
MRR@10 and HR@10 on the tail (askers whose helper is not among the busiest tenth). The
defaults are the combination with the best HR@10 whose tail HR@10 stays above every plain
baseline's (0.172, "one way"): gains must come from understanding needs, not only from
putting busy helpers first. Not a test; run by hand (a few seconds per combination):

    .venv/bin/python scripts/choose_matching_weights.py [--sites iot ...] [--quick]
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sklearn.model_selection import ParameterGrid

from matchmaker.exports import suggest_from_file
from matchmaker.matching import MatchSettings, vectors
from matchmaker.matching import evaluation as ev
from matchmaker.matching.types import DEFAULT_RECIPROCITY

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "stackexchange"
#: Best plain baseline's tail HR@10 on the development sites; the defaults must beat it.
TAIL_FLOOR = 0.172
GRID = {
    "K1": [0.3, 0.6, 1.2],
    "DEMAND_EXPONENT": [0.0, 0.25, 0.5],
    "BREADTH_WEIGHT": [0.0, 0.2, 0.5],
    "reciprocity": [0.0, 0.3],
}
QUICK_GRID = {"K1": [0.6, 1.2], "DEMAND_EXPONENT": [0.0, 0.25], "reciprocity": [0.3]}


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


def pooled_hits(events: list[ev.Event], params: Mapping[str, Any]) -> ev.Hits:
    constants = {k: v for k, v in params.items() if k != "reciprocity"}
    settings = MatchSettings(top_k=ev.K, reciprocity=params.get("reciprocity", DEFAULT_RECIPROCITY))
    total = ev.Hits()
    with engine_constants(constants):
        for event in events:
            output = io.StringIO()
            suggest_from_file(
                ev.attendee_csv(event.rows), "attendees.csv", top_k=ev.K, fmt="jsonl",
                output=output, settings=settings,
            )  # fmt: skip
            ranked = ev.ranked_from_jsonl(output.getvalue().splitlines(), event.rows)
            total = total + ev.score_hits(ranked, event.truth, event.head)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sites", nargs="*")
    parser.add_argument("--quick", action="store_true", help="a small grid")
    args = parser.parse_args()
    if not args.data.is_dir():
        parser.exit(2, f"error: no Stack Exchange data at {args.data} (use --data DIR)\n")
    files = sorted(args.data.glob("*_Posts.xml"))
    if args.sites:
        files = [f for f in files if f.name.split("_")[0] in args.sites]
    events = [event for f in files for event in ev.build_events(ev.load_posts(f))]
    defaults = {
        "K1": vectors.K1,
        "DEMAND_EXPONENT": vectors.DEMAND_EXPONENT,
        "BREADTH_WEIGHT": vectors.BREADTH_WEIGHT,
        "reciprocity": DEFAULT_RECIPROCITY,
    }
    print(f"{len(events)} events, {sum(len(e.truth) for e in events)} askers")
    print(f"{'weights':62} {'HR@10':>6} {'MRR@10':>6} {'tail':>6}")
    best: tuple[float, dict[str, Any]] | None = None
    for params in ParameterGrid(QUICK_GRID if args.quick else GRID):
        hits = pooled_hits(events, params)
        shown = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
        is_default = all(defaults[k] == v for k, v in params.items())
        print(
            f"{shown:62} {hits.hit_rate:6.3f} {hits.mrr:6.3f} {hits.tail_hit_rate:6.3f}"
            f"{'  <- shipped default' if is_default else ''}"
        )
        if hits.tail_hit_rate > TAIL_FLOOR and (best is None or hits.hit_rate > best[0]):
            best = (hits.hit_rate, params)
    if best:
        print(f"best HR@10 with tail above {TAIL_FLOOR}: {best[1]} ({best[0]:.3f})")


if __name__ == "__main__":
    main()
