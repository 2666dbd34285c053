"""Benchmark matching on synthetic events (not a test).

Each measurement runs in its own subprocess so that peak memory (ru_maxrss) belongs to it
alone. For every size it prints the time of the exact top-k ranking (before the exposure
pass), of the whole ``suggest_partners`` call (text, ranking, exposure, reasons), the peak
memory, coverage and exposure; where it fits, the same score computed naively as dense
N x N matrices, and the ratio; at 10,000 attendees also one incremental update.

    .venv/bin/python scripts/bench_matching.py --sizes 1000 10000 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

NAIVE_LIMIT = 12_000  # N x N float32 matrices beyond this do not fit in a few GiB


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warmup() -> float:
    from matchmaker.matching import suggest_partners
    from matchmaker.matching.synthetic import synthetic_profiles

    start = time.perf_counter()
    matcher_profiles = synthetic_profiles(60, seed=99)
    suggest_partners(matcher_profiles)
    return time.perf_counter() - start


def measure_fast(n: int, seed: int) -> dict:
    from matchmaker.matching import Matcher, MatchSettings
    from matchmaker.matching.synthetic import synthetic_profiles

    warmup = _warmup()
    profiles = synthetic_profiles(n, seed=seed)
    settings = MatchSettings(top_k=10)
    marks: dict[str, float] = {}
    original_rank = Matcher._rank

    def timed_rank(self, *args, **kwargs):
        start = time.perf_counter()
        original_rank(self, *args, **kwargs)
        marks["rank"] = marks.get("rank", 0.0) + time.perf_counter() - start

    Matcher._rank = timed_rank
    start = time.perf_counter()
    matcher = Matcher(settings).fit(profiles)
    total = time.perf_counter() - start
    Matcher._rank = original_rank
    result = matcher.result_
    out = {
        "n": n,
        "warmup_s": warmup,
        "rank_s": marks["rank"],
        "total_s": total,
        "peak_mib": _peak_mib(),
        "signatures": int(len(matcher._sig_arrays[2])),
        "concepts": len(matcher.space_.keys),
        "coverage": result.coverage,
        "max_exposure": result.max_exposure,
        "exposure_mean": result.exposure_mean,
        "exposure_stdev": result.exposure_stdev,
        "unmatched": len(result.unmatched),
    }
    if n <= 20_000:
        rng = np.random.default_rng(seed + 1)
        fresh = synthetic_profiles(n + 50, seed=seed + 2)[n:]
        times = []
        for i in range(7):
            target = profiles[int(rng.integers(n))]
            edited = type(target)(
                target.id,
                fresh[i].can_help_with,
                fresh[i].looking_for,
                fresh[i].interests,
                target.role,
                target.organization,
                target.meeting_mode,
                target.sessions,
            )
            start = time.perf_counter()
            matcher.update(edited)
            times.append(time.perf_counter() - start)
        out["update_median_ms"] = 1000 * statistics.median(times)
        out["update_max_ms"] = 1000 * max(times)
    return out


def measure_naive(n: int, seed: int) -> dict:
    """The same score for every pair as dense matrices, then top-k per row."""
    from matchmaker.matching import Matcher, MatchSettings
    from matchmaker.matching.engine import MUTUAL_WEIGHT, SHARED_WEIGHT
    from matchmaker.matching.synthetic import synthetic_profiles
    from matchmaker.matching.text import QUANTUM

    profiles = synthetic_profiles(n, seed=seed)
    matcher = Matcher(MatchSettings(top_k=10))
    matcher.fit(profiles[:50])  # text model and kernels warm; the event is rebuilt below
    start = time.perf_counter()
    matcher = Matcher(MatchSettings(top_k=10))
    # Reuse only the text model and arrays, not the ranking: fit() would rank everybody.
    matcher._rank = lambda *a, **k: None
    matcher._finish = lambda *a, **k: None
    matcher.fit(profiles)
    (need_ptr, need_idx, inv_need, offer_ptr, offer_idx, offer_val,
     int_ptr, int_idx, inv_int, zin_ptr, zin_idx, zin_val, *_) = matcher._sig_arrays  # fmt: skip
    sig = matcher._sig_of
    k_concepts = len(matcher.space_.keys)

    def dense(ptr, idx, val):
        rows = np.zeros((len(ptr) - 1, k_concepts), dtype=np.float32)
        r = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
        rows[r, idx] = 1.0 if val is None else val
        return rows[np.maximum(sig, 0)]

    soft_offers = dense(offer_ptr, offer_idx, offer_val) / QUANTUM
    needs = dense(need_ptr, need_idx, None) * (QUANTUM * inv_need[np.maximum(sig, 0)])[:, None]
    soft_int = dense(zin_ptr, zin_idx, zin_val) / QUANTUM
    ints = dense(int_ptr, int_idx, None) * (QUANTUM * inv_int[np.maximum(sig, 0)])[:, None]
    helps = needs @ soft_offers.T  # [b, a] = help(a -> b)
    del soft_offers, needs
    shared = ints @ soft_int.T
    del soft_int, ints
    shared += shared.T
    shared *= 0.5 * SHARED_WEIGHT
    hi = np.maximum(helps, helps.T)
    lo = np.minimum(helps, helps.T)
    del helps
    score = (1 - SHARED_WEIGHT) * ((1 - MUTUAL_WEIGHT) * hi + MUTUAL_WEIGHT * lo) + shared
    del hi, lo, shared
    cls, org = matcher._cls_of, matcher._org_of
    allowed = matcher._compat[cls[:, None], cls[None, :]].astype(bool)
    allowed &= (org[:, None] != org[None, :]) | (org[:, None] < 0)
    np.fill_diagonal(allowed, False)
    allowed &= ~matcher._empty[None, :]
    score = np.where(allowed, score, 0.0)
    del allowed
    top = np.argpartition(-score, 10, axis=1)[:, :10]
    elapsed = time.perf_counter() - start
    return {"n": n, "naive_s": elapsed, "naive_peak_mib": _peak_mib(), "top": top.shape[1]}


def run_child(kind: str, n: int, seed: int) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--sizes", str(n), "--seed", str(seed)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-naive", action="store_true")
    parser.add_argument("--child", choices=["fast", "naive"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure = measure_fast if args.child == "fast" else measure_naive
        print(json.dumps(measure(args.sizes[0], args.seed)))
        return

    import numba

    print(f"numba threads: {numba.get_num_threads()}; sizes: {args.sizes}; seed {args.seed}")
    for n in args.sizes:
        fast = run_child("fast", n, args.seed)
        if "error" in fast:
            print(f"N={n:>7,}: failed: {fast['error']}")
            continue
        print(
            f"N={n:>7,}  exact top-40 ranking {fast['rank_s']:7.2f} s   "
            f"whole suggest_partners {fast['total_s']:7.2f} s   "
            f"peak {fast['peak_mib']:7.0f} MiB   (JIT warm-up {fast['warmup_s']:.2f} s, "
            f"{fast['signatures']:,} signatures, {fast['concepts']:,} concepts)"
        )
        print(
            f"           coverage {fast['coverage']:.4f}  max exposure {fast['max_exposure']}  "
            f"exposure mean {fast['exposure_mean']:.2f} stdev {fast['exposure_stdev']:.2f}  "
            f"unmatched {fast['unmatched']}"
        )
        if "update_median_ms" in fast:
            print(
                f"           incremental update of one profile: median "
                f"{fast['update_median_ms']:.0f} ms, max {fast['update_max_ms']:.0f} ms"
            )
        if args.no_naive or n > NAIVE_LIMIT:
            print("           naive dense N x N: skipped (does not fit in memory)")
            continue
        naive = run_child("naive", n, args.seed)
        if "error" in naive:
            print(f"           naive dense N x N: failed: {naive['error']}")
            continue
        print(
            f"           naive dense N x N {naive['naive_s']:7.2f} s, peak "
            f"{naive['naive_peak_mib']:.0f} MiB; naive / ranking = "
            f"{naive['naive_s'] / fast['rank_s']:.1f}x"
        )


if __name__ == "__main__":
    main()
