"""Benchmark matching on events that look like organisers' files (not a test).

The package's synthetic events draw from a few hundred tags, so attendees share identical
phrase sets and an engine that scores each distinct set once looks faster than it will be on
a real file. The default ``--vocabulary realistic`` (see ``_bench_profiles.py``) has
thousands of distinct phrases with a Zipf spread, free-text sentences and phrases typed by
one attendee only; its figures are printed so readers can judge it.

Each measurement runs in its own subprocess, so that its peak memory (ru_maxrss) is its own
and a crash or a ``--timeout`` costs that measurement only. For every size:

- the whole ``suggest_partners(profiles, MatchSettings(top_k=10))`` call: time, peak memory,
  mean list length, share of full lists, coverage;
- the previous scorer on the same profiles: the matching package as it was at ``--previous``
  (a git revision), extracted under another package name;
- the naive way where it fits (N <= 12,000): TF-IDF of offers and needs, dense N x N float32
  products in both directions, a full ``argsort`` per row.

Then one profile update in a fitted 10,000-attendee ``Matcher`` (median and p90 over 30
edits, for both scorers) and ``flask suggest`` end to end on a 10,000-row CSV.

    .venv/bin/python scripts/bench_matching.py                 # 1,000 10,000 100,000
    .venv/bin/python scripts/bench_matching.py --quick         # 1,000 10,000
    .venv/bin/python scripts/bench_matching.py --vocabulary synthetic --skip-cli
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib
import io
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from _bench_profiles import AttendeeRow, attendee_rows, to_profiles, vocabulary_figures, write_csv

ROOT = Path(__file__).resolve().parent.parent
NAIVE_LIMIT = 12_000  # a few N x N float32 matrices beyond this do not fit in a few GiB
PREVIOUS_PACKAGE = "previous_matching"
RESULT_MARK = "RESULT "
TOP_K = 10
Row = tuple[str, str, str, str]  # what, figure, naive way, previous scorer


# --------------------------------------------------------------------------- child side


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _matching(previous_path: str) -> ModuleType:
    """Today's matching package, or the previous one extracted to *previous_path*."""
    if not previous_path:
        return importlib.import_module("matchmaker.matching")
    sys.path.insert(0, previous_path)
    return importlib.import_module(PREVIOUS_PACKAGE)


def _edited(target: Any, fresh: AttendeeRow) -> Any:
    """*target* with the offers and needs another attendee wrote: a real profile edit."""
    return dataclasses.replace(
        target, can_help_with=fresh.can_help_with, looking_for=fresh.looking_for
    )


def _warm_up(api: ModuleType, vocabulary: str) -> float:
    """Compile the numba kernels (or load them from cache) outside the timed calls."""
    start = time.perf_counter()
    rows = attendee_rows(vocabulary, 80, seed=99)
    profiles = to_profiles(rows, api.Profile)
    api.suggest_partners(profiles, api.MatchSettings(top_k=TOP_K))
    matcher = api.Matcher(api.MatchSettings(top_k=TOP_K)).fit(profiles)
    matcher.update(_edited(profiles[0], rows[1]))
    return time.perf_counter() - start


def measure_suggest(n: int, seed: int, vocabulary: str, previous_path: str) -> dict:
    api = _matching(previous_path)
    warm_up = _warm_up(api, vocabulary)
    profiles = to_profiles(attendee_rows(vocabulary, n, seed), api.Profile)
    before = _peak_mib()
    start = time.perf_counter()
    result = api.suggest_partners(profiles, api.MatchSettings(top_k=TOP_K))
    elapsed = time.perf_counter() - start
    lengths = np.array([len(result.suggestions.get(p.id, ())) for p in profiles])
    return {
        "seconds": elapsed,
        "peak_mib": _peak_mib(),
        "before_mib": before,
        "warm_up_s": warm_up,
        "mean_length": float(lengths.mean()),
        "full_share": float((lengths >= TOP_K).mean()),
        "coverage": float(getattr(result, "coverage", (lengths > 0).mean())),
        "max_exposure": getattr(result, "max_exposure", None),
    }


def measure_update(n: int, seed: int, vocabulary: str, previous_path: str, edits: int) -> dict:
    api = _matching(previous_path)
    warm_up = _warm_up(api, vocabulary)
    profiles = to_profiles(attendee_rows(vocabulary, n, seed), api.Profile)
    fresh = attendee_rows(vocabulary, edits, seed + 1000)
    start = time.perf_counter()
    matcher = api.Matcher(api.MatchSettings(top_k=TOP_K)).fit(profiles)
    fit = time.perf_counter() - start
    rng = np.random.default_rng(seed + 1)
    times, changed = [], []
    for i, index in enumerate(rng.choice(n, size=edits, replace=False)):
        edited = _edited(profiles[int(index)], fresh[i])
        start = time.perf_counter()
        changed.append(len(matcher.update(edited)))
        times.append(time.perf_counter() - start)
    return {
        "fit_s": fit,
        "warm_up_s": warm_up,
        "median_ms": 1000 * statistics.median(times),
        "p90_ms": 1000 * float(np.percentile(times, 90)),
        "max_ms": 1000 * max(times),
        "edits": edits,
        "changed_median": statistics.median(changed),
        "peak_mib": _peak_mib(),
    }


def measure_naive(n: int, seed: int, vocabulary: str) -> dict:
    """Score every pair as dense matrices, the way a first version would, then sort rows.

    TF-IDF rows are L2-normalised, so ``L @ C.T`` is the cosine of one attendee's needs with
    another's offers; both directions are combined as the engine combines them.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    rows = attendee_rows(vocabulary, n, seed)
    offers = ["; ".join(r.can_help_with) for r in rows]
    needs = ["; ".join(r.looking_for) for r in rows]
    before = _peak_mib()
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(dtype=np.float32).fit(offers + needs)
    can = vectorizer.transform(offers)
    looking = vectorizer.transform(needs)
    helped = (looking @ can.T).toarray()  # [i, j]: how well j's offers meet i's needs
    helping = (can @ looking.T).toarray()  # [i, j]: how well i's offers meet j's needs
    score = np.maximum(helped, helping)
    score *= 0.7
    low = np.minimum(helped, helping, out=helped)
    del helping
    low *= 0.3
    score += low
    del low
    np.fill_diagonal(score, -1.0)
    top = np.argsort(-score, axis=1)[:, :TOP_K]
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "peak_mib": _peak_mib(), "before_mib": before, "k": top.shape[1]}


def measure_cli(n: int, seed: int, vocabulary: str) -> dict:
    """``flask suggest`` on an attendee CSV, timed from outside as an organiser would."""
    flask = Path(sys.executable).with_name("flask")
    with tempfile.TemporaryDirectory(prefix="matchmaker-bench-") as folder:
        source, output = Path(folder) / "attendees.csv", Path(folder) / "suggestions.csv"
        write_csv(attendee_rows(vocabulary, n, seed), source)
        command = [str(flask), "--app", "matchmaker", "suggest", str(source)]
        command += ["--top", str(TOP_K), "--format", "csv", "-o", str(output)]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        elapsed = time.perf_counter() - start
        messages = done.stderr.strip().splitlines()
        if done.returncode != 0:
            raise RuntimeError(
                f"flask: {messages[-1]}" if messages else f"flask exited {done.returncode}"
            )
        with output.open(encoding="utf-8", newline="") as handle:
            records = sum(1 for _ in csv.reader(handle)) - 1
        return {
            "seconds": elapsed,
            "peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "csv_mib": source.stat().st_size / 2**20,
            "records": records,
            "skipped_rows": sum(1 for m in messages if m.startswith("skipped:")),
            "message": messages[-1] if messages else "",
        }


def run_measurement(args: argparse.Namespace) -> dict:
    n, seed, vocabulary = args.sizes[0], args.seed, args.vocabulary
    if args.child == "suggest":
        return measure_suggest(n, seed, vocabulary, args.previous_path)
    if args.child == "update":
        return measure_update(n, seed, vocabulary, args.previous_path, args.edits)
    if args.child == "naive":
        return measure_naive(n, seed, vocabulary)
    return measure_cli(n, seed, vocabulary)


# --------------------------------------------------------------------------- parent side


def run_child(args: argparse.Namespace, kind: str, n: int, previous: Path | None = None) -> dict:
    """One measurement in a fresh process (own session, so a timeout ends all it started)."""
    command = [sys.executable, __file__, "--child", kind, "--sizes", str(n), "--seed"]
    command += [str(args.seed), "--vocabulary", args.vocabulary, "--edits", str(args.edits)]
    if previous is not None:
        command += ["--previous-path", str(previous)]
    pipe = subprocess.PIPE
    process = subprocess.Popen(
        command, stdout=pipe, stderr=pipe, text=True, cwd=ROOT, start_new_session=True
    )
    try:
        out, err = process.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"error": f"timed out after {args.timeout:.0f} s"}
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    for line in reversed(out.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    if process.returncode < 0:
        name = signal.Signals(-process.returncode).name
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return {"error": f"killed by {name}{hint}"}
    lines = [line for line in err.strip().splitlines() if line.strip()]
    return {"error": lines[-1] if lines else f"exited with status {process.returncode}"}


def extract_previous(revision: str) -> tuple[Path, str]:
    """The matching package at *revision*, importable as ``previous_matching``.

    Kept under the temporary directory per commit, so repeated runs reuse it and its numba
    cache. Absolute imports of the package itself are renamed and the shipped alias table of
    that revision is copied beside it; its imports of ``matchmaker.choices`` stay.
    """

    def git(*command: str) -> bytes:
        done = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, check=False)
        if done.returncode != 0:
            raise OSError(f"git {command[0]}: {done.stderr.decode().strip()}")
        return done.stdout

    sha = git("rev-parse", "--verify", f"{revision}^{{commit}}").decode().strip()
    subject = git("log", "-1", "--format=%h %s", sha).decode().strip()
    home = Path(tempfile.gettempdir()) / f"matchmaker-bench-previous-{sha[:12]}"
    if (home / ".complete").exists():
        return home, subject
    staging = Path(tempfile.mkdtemp(prefix="matchmaker-bench-staging-"))
    try:
        for part in ("matchmaker/matching", "matchmaker/data"):
            try:
                archive = git("archive", "--format=tar", sha, part)
            except OSError:
                if part == "matchmaker/matching":
                    raise
                continue
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(staging, filter="data")
        package = staging / PREVIOUS_PACKAGE
        (staging / "matchmaker" / "matching").rename(package)
        if (staging / "matchmaker" / "data").is_dir():
            (staging / "matchmaker" / "data").rename(package / "data")
        shutil.rmtree(staging / "matchmaker")
        for source in package.rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            renamed = re.sub(r"\bmatchmaker\.matching\b", PREVIOUS_PACKAGE, text)
            renamed = renamed.replace(
                'resources.files("matchmaker")', f'resources.files("{PREVIOUS_PACKAGE}")'
            )
            if renamed != text:
                source.write_text(renamed, encoding="utf-8")
        (staging / ".complete").touch()
        try:
            staging.rename(home)
        except OSError:  # another run extracted it meanwhile
            shutil.rmtree(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return home, subject


def _mib(value: float) -> str:
    return f"{value:,.0f} MiB"


def _seconds(value: float) -> str:
    return f"{value:,.2f} s" if value < 100 else f"{value:,.0f} s"


def _cell(result: dict | None, show: Callable[[dict], str]) -> str:
    """A summary cell: the figure, or why there is none."""
    if result is None:
        return "-"
    if "error" in result:
        return "timed out" if result["error"].startswith("timed out") else "failed"
    return show(result)


def _time(r: dict) -> str:
    return _seconds(r["seconds"])


def _peak(r: dict) -> str:
    return _mib(r["peak_mib"])


def _lists(r: dict) -> str:
    return f"{r['mean_length']:.1f} / {r['full_share']:.0%} / {r['coverage']:.3f}"


def _update(r: dict) -> str:
    return f"{r['median_ms']:,.0f} / {r['p90_ms']:,.0f} ms"


def _wall(r: dict) -> str:
    return f"{_seconds(r['seconds'])}, {_mib(r['peak_mib'])}"


def _failed(label: str, result: dict) -> bool:
    if "error" in result:
        print(f"  {label:<22}failed: {result['error']}")
    return "error" in result


def _describe(label: str, result: dict) -> None:
    if _failed(label, result):
        return
    print(
        f"  {label:<22}{_seconds(result['seconds']):>9}   peak {_mib(result['peak_mib']):>10} "
        f"(before the call {_mib(result['before_mib'])}"
        + (f", JIT warm-up {result['warm_up_s']:.1f} s)" if "warm_up_s" in result else ")")
    )
    if "mean_length" in result:
        exposure = result.get("max_exposure")
        print(
            f"  {'':<22}lists: mean length {result['mean_length']:.2f}, "
            f"full ({TOP_K}) {result['full_share']:.1%}, coverage {result['coverage']:.4f}"
            + (f", max exposure {exposure}" if exposure is not None else "")
        )


def _describe_update(label: str, result: dict) -> None:
    if _failed(label, result):
        return
    print(
        f"  {label:<22}median {result['median_ms']:,.1f} ms, p90 {result['p90_ms']:,.1f} ms, "
        f"max {result['max_ms']:,.1f} ms over {result['edits']} edits "
        f"(lists changed per edit: median {result['changed_median']:.0f}; fit "
        f"{_seconds(result['fit_s'])}, peak {_mib(result['peak_mib'])})"
    )


def _print_vocabulary(figures: dict) -> None:
    print(
        f"N={figures['attendees']:,}: {figures['distinct_phrases']:,} distinct phrases, "
        f"{figures['distinct_words']:,} distinct words, "
        f"{figures['distinct_phrase_sets']:,} distinct phrase sets; most common "
        f'"{figures["top_phrase"]}" is {figures["top_share_of_mentions"]:.1%} of '
        f"{figures['mentions']:,} mentions, written by {figures['top_share_of_attendees']:.1%} "
        f"of attendees; {figures['once_only_share']:.0%} of phrases written once"
    )


def bench_size(args: argparse.Namespace, n: int, previous: Path | None) -> list[Row]:
    """Vocabulary figures, then today's engine, the previous scorer and the naive way at *n*."""
    print()
    rows: list[Row] = []
    try:
        figures = vocabulary_figures(attendee_rows(args.vocabulary, n, args.seed))
    except Exception as error:  # the synthetic vocabulary imports the engine being measured
        print(f"N={n:,}: vocabulary failed: {error!r}")
    else:
        _print_vocabulary(figures)
        rows.append(
            (
                f"vocabulary N={n:,}: phrases / words / top phrase",
                f"{figures['distinct_phrases']:,} / {figures['distinct_words']:,} / "
                f"{figures['top_share_of_attendees']:.0%} of attendees",
                "",
                "",
            )
        )
    current = run_child(args, "suggest", n)
    _describe("suggest_partners", current)
    old = run_child(args, "suggest", n, previous) if previous else None
    if old is not None:
        _describe("previous scorer", old)
    naive = None
    if not args.skip_naive and n <= NAIVE_LIMIT:
        naive = run_child(args, "naive", n)
        _describe("naive TF-IDF dense", naive)
    elif not args.skip_naive:
        print(
            f"  {'naive TF-IDF dense':<22}skipped: N x N matrices do not fit above {NAIVE_LIMIT:,}"
        )
    return rows + [
        (
            f"suggest_partners N={n:,}: time",
            _cell(current, _time),
            _cell(naive, _time),
            _cell(old, _time),
        ),
        (
            f"suggest_partners N={n:,}: peak memory",
            _cell(current, _peak),
            _cell(naive, _peak),
            _cell(old, _peak),
        ),
        (f"lists N={n:,}: mean / full / coverage", _cell(current, _lists), "-", _cell(old, _lists)),
    ]


def bench_update(args: argparse.Namespace, previous: Path | None) -> list[Row]:
    m = args.edit_size
    print(f"\nOne profile update in a fitted Matcher of {m:,} attendees:")
    current = run_child(args, "update", m)
    _describe_update("Matcher.update", current)
    old = run_child(args, "update", m, previous) if previous else None
    if old is not None:
        _describe_update("previous scorer", old)
    what = f"profile update N={m:,}: median / p90"
    return [(what, _cell(current, _update), "-", _cell(old, _update))]


def bench_cli(args: argparse.Namespace) -> list[Row]:
    m = args.edit_size
    print(f"\nflask suggest on a {m:,}-row CSV (top {TOP_K}, CSV out):")
    cli = run_child(args, "cli", m)
    if "error" in cli:
        print(f"  {'flask suggest':<22}failed: {cli['error']}")
    else:
        print(
            f"  {'flask suggest':<22}{_seconds(cli['seconds']):>9} wall, peak "
            f"{_mib(cli['peak_mib'])}; {cli['csv_mib']:.1f} MiB in, {cli['records']:,} "
            f"records out, {cli['skipped_rows']} rows skipped ({cli['message']})"
        )
    return [(f"flask suggest, {m:,}-row CSV: wall, peak", _cell(cli, _wall), "-", "-")]


def print_summary(summary: list[Row]) -> None:
    print("\nSummary")
    header = ("what", "figure", "naive way", "previous scorer")
    widths = [max(len(row[i]) for row in [header, *summary]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *summary]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=None,
        help="attendee counts (default 1000 10000 100000)",
    )
    parser.add_argument("--quick", action="store_true", help="sizes 1000 10000")
    parser.add_argument("--vocabulary", choices=["realistic", "synthetic"], default="realistic")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--previous",
        default="6fda955",
        help="git revision of the previous scorer (default %(default)s)",
    )
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-previous", action="store_true")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--skip-update", action="store_true")
    parser.add_argument(
        "--edit-size", type=int, default=10_000, help="attendees in the update and CLI measurements"
    )
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds per measurement (default %(default)s)"
    )
    parser.add_argument(
        "--child", choices=["suggest", "update", "naive", "cli"], help=argparse.SUPPRESS
    )
    parser.add_argument("--previous-path", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(RESULT_MARK + json.dumps(run_measurement(args)))
        return
    sizes = args.sizes or ([1000, 10_000] if args.quick else [1000, 10_000, 100_000])

    import numba

    print(
        f"Matching benchmark: {args.vocabulary} vocabulary, "
        f"sizes {', '.join(f'{n:,}' for n in sizes)}, "
        f"seed {args.seed}, {os.cpu_count()} CPUs, numba threads {numba.get_num_threads()}, "
        f"timeout {args.timeout:.0f} s per measurement"
    )
    previous = None
    if not args.skip_previous:
        try:
            previous, subject = extract_previous(args.previous)
            print(f"Previous scorer: {subject} (from {previous})")
        except OSError as error:
            print(f"Previous scorer: cannot extract {args.previous!r}: {error}")
    summary: list[Row] = []
    for n in sizes:
        summary += bench_size(args, n, previous)
    if not args.skip_update:
        summary += bench_update(args, previous)
    if not args.skip_cli:
        summary += bench_cli(args)
    print_summary(summary)


if __name__ == "__main__":
    main()
