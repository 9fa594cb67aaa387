"""Benchmark `sandbox build` the way users run it, against a naive Faker loop and pyarrow's own write.

    python bench/bench_build.py                      # every suite, figures only
    python bench/bench_build.py --suite ecommerce    # one suite
    python bench/bench_build.py --check              # exit 1 if a gated target is missed

Each build is one whole process (start-up, imports, pools, generation, noise, privacy scan, writing, hashing,
manifest), with the peak RSS of its process tree. The warm builds and their ceilings run 3 times each,
interleaved, and their medians are compared. Compare figures from one run only: the machine drifts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from measure import measure

HERE = Path(__file__).resolve().parent
PY = sys.executable
NAIVE_ROWS = 20_000
#: The warm builds (small and big) and their ceilings each run this many times, interleaved; their medians are
#: compared (one run of either moved 15-25% on this machine).
REPEATS = 3


@dataclass(frozen=True)
class Suite:
    recipe: str
    #: (label, --rows) of the small and the big case; the big one is the one compared with the ceiling.
    small: tuple[str, int]
    big: tuple[str, int]
    #: The table whose rows the suite counts (rows/s), or None for all rows.
    unit: str | None
    naive: bool = False
    #: Whether --check fails on this suite's big-case targets (the domain suites are measured and reported).
    gated: bool = False


SUITES = {
    "generic": Suite(
        str(HERE / "generic10.yaml"), ("1M", 1_000_000), ("10M", 10_000_000), None, naive=True, gated=True
    ),
    "ecommerce": Suite("ecommerce", ("1M events", 175_000), ("10M events", 1_750_000), "events"),
    "iot": Suite("iot", ("10M readings", 100), ("100M readings", 1_000), "readings"),
    "ledger": Suite("ledger", ("100k invoices", 100_000), ("1M invoices", 1_000_000), "truth_invoices"),
}


def build(
    recipe: str,
    out: Path,
    rows: int,
    seed: int,
    workers: int,
    env: dict[str, str],
    unit: str | None,
    extra: list[str] | None = None,
) -> dict[str, Any]:
    argv = [
        PY,
        "-m",
        "sandbox",
        "build",
        recipe,
        "--out",
        str(out),
        "--rows",
        str(rows),
        "--seed",
        str(seed),
        "--workers",
        str(workers),
        "--overwrite",
        "--json",
        *(extra or []),
    ]
    run = measure(argv, env)
    info = json.loads(run.stdout)
    counted = info["tables"][unit]["rows"] if unit else info["rows"]
    return {
        "rows": counted,
        "seconds": run.seconds,
        "rows_s": counted / run.seconds,
        "mb_s": info["bytes"] / 1e6 / run.seconds,
        "rss_mb": run.peak_rss / 1e6,
        "scan_share": info["stats"]["scan_seconds"] / info["stats"]["task_seconds"],
    }


def rewrite(parts: Path, out: Path) -> dict[str, Any]:
    """pyarrow alone rewriting the parts of the build in `parts` (bench/baselines.py ceiling)."""
    run = measure([PY, str(HERE / "baselines.py"), "ceiling", str(parts), str(out)])
    return {**json.loads(run.stdout), "rss_mb": run.peak_rss / 1e6}


def median(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return sorted(runs, key=lambda r: r[key])[len(runs) // 2]


def run_suite(
    name: str, suite: Suite, workers: int, work: Path
) -> tuple[list[str], list[tuple[str, float, float | None, bool]]]:
    env = dict(os.environ, SANDBOX_CACHE_DIR=str(work / "cache"))  # cold pools for the first build
    unit = suite.unit or "rows"
    results = {
        f"{suite.small[0]} cold pools": build(
            suite.recipe, work / "small", suite.small[1], 1, workers, env, suite.unit
        ),
        f"{suite.small[0]} warm, seed 2": build(
            suite.recipe, work / "small", suite.small[1], 2, workers, env, suite.unit
        ),
    }
    small_runs, small_ceilings = [results[f"{suite.small[0]} warm, seed 2"]], []
    big_runs, ceilings = [], []
    for repeat in range(REPEATS):
        if repeat:  # the first is the warm build above
            small_runs.append(build(suite.recipe, work / "small", suite.small[1], 2, workers, env, suite.unit))
        small_ceilings.append(rewrite(work / "small", work / "ceiling"))
        big_runs.append(build(suite.recipe, work / "big", suite.big[1], 1, workers, env, suite.unit))
        ceilings.append(rewrite(work / "big", work / "ceiling"))
    # the median run by time; peak RSS is the highest of the runs
    results[f"{suite.small[0]} warm, seed 2"] = {
        **median(small_runs, "seconds"),
        "rss_mb": max(r["rss_mb"] for r in small_runs),
    }
    results[f"{suite.big[0]} warm"] = {**median(big_runs, "seconds"), "rss_mb": max(r["rss_mb"] for r in big_runs)}
    small_ceiling = median(small_ceilings, "write_seconds")
    ceiling = median(ceilings, "write_seconds")
    lines = [
        f"suite {name}: {Path(suite.recipe).name}, --workers {workers}; {unit}/s counts {unit}",
        f"{'case':<24}{unit:>12}{'seconds':>9}{unit + '/s':>14}{'MB/s':>8}{'peak RSS MB':>13}{'scan share':>12}",
    ]
    for label, r in results.items():
        lines.append(
            f"{label:<24}{r['rows']:>12,}{r['seconds']:>9.2f}{r['rows_s']:>14,.0f}{r['mb_s']:>8.1f}"
            f"{r['rss_mb']:>13,.0f}{r['scan_share']:>12.1%}"
        )
    lines.append(
        f"{'pyarrow ceiling (all rows)':<24}{ceiling['rows']:>12,}{ceiling['write_seconds']:>9.2f}"
        f"{ceiling['rows'] / ceiling['write_seconds']:>14,.0f}{'':>8}{ceiling['rss_mb']:>13,.0f}"
    )
    builds = ", ".join(f"{r['seconds']:.2f}" for r in big_runs)
    writes = ", ".join(f"{c['write_seconds']:.2f}" for c in ceilings)
    lines.append(f"({suite.big[0]} and ceiling: medians of {REPEATS} interleaved runs: {builds} s; {writes} s)")
    builds = ", ".join(f"{r['seconds']:.2f}" for r in small_runs)
    writes = ", ".join(f"{c['write_seconds']:.2f}" for c in small_ceilings)
    lines.append(f"({suite.small[0]} warm and its own ceiling, likewise: {builds} s; {writes} s)")
    big, small = results[f"{suite.big[0]} warm"], results[f"{suite.small[0]} warm, seed 2"]
    # (label, value, limit, gated): --check fails on a gated target only
    targets: list[tuple[str, float, float | None, bool]] = [
        (f"{name}: wall vs pyarrow ceiling (<= 1.5)", big["seconds"] / ceiling["write_seconds"], 1.5, suite.gated),
        # the issues ask the same of the small case; process start-up and the end of a build (~0.5 s) are a
        # large share of it, so it is reported, never gated
        (
            f"{name}: wall vs pyarrow ceiling at {suite.small[0]} (<= 1.5)",
            small["seconds"] / small_ceiling["write_seconds"],
            1.5,
            False,
        ),
        (
            f"{name}: peak RSS {suite.big[0]} / {suite.small[0]} (<= 1.5)",
            big["rss_mb"] / small["rss_mb"],
            1.5,
            suite.gated,
        ),
        (f"{name}: privacy scan share of build (<= 0.10)", big["scan_share"], 0.10, suite.gated),
        (
            f"{name}: warm / cold {suite.small[0]} build time",
            small["seconds"] / results[f"{suite.small[0]} cold pools"]["seconds"],
            None,
            False,
        ),
    ]
    if suite.naive:
        naive = measure([PY, str(HERE / "baselines.py"), "naive", str(NAIVE_ROWS), str(work / "naive.parquet")])
        rate = NAIVE_ROWS / naive.seconds
        lines.append(
            f"{'naive Faker loop':<24}{NAIVE_ROWS:>12,}{naive.seconds:>9.2f}{rate:>14,.0f}{'':>8}"
            f"{naive.peak_rss / 1e6:>13,.0f}"
        )
        # Reported, not gated: see RESULTS.md (1000x of the same-run loop exceeds pyarrow's own write here).
        targets.insert(0, (f"{name}: speed vs naive Faker loop (same run)", big["rows_s"] / rate, None, False))
    return lines, targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 when a gated target is missed")
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    failed = False
    for name in SUITES if args.suite == "all" else [args.suite]:
        work = Path(tempfile.mkdtemp(prefix=f"sandbox-bench-{name}-"))
        try:
            lines, targets = run_suite(name, SUITES[name], args.workers, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print("\n".join(lines) + "\n")
        for label, value, limit, gated in targets:
            ok = limit is None or value <= limit
            failed |= not ok and gated
            verdict = "" if limit is None else ("ok" if ok else "MISSED") + ("" if gated else " (reported)")
            print(f"{label:<58}{value:>10.3f}  {verdict}")

        print()
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
