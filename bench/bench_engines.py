"""Engines on this machine: workers 1 vs 2 on the local engine and on Dask (LocalCluster), for the iot recipe.

    python bench/bench_engines.py                    # 50M readings (498 devices x 7 days), median of 3
    python bench/bench_engines.py --devices 50 --runs 1

Each build runs as users run it (`sandbox build iot --rows N`, in a fresh process) and is timed end to end,
LocalCluster start-up included. The client's own peak RSS (without its workers) is measured at 1/10 and at
the full size: it stays flat as rows grow, because parts never pass through the client.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from measure import measure

READINGS_PER_DEVICE = 100_458  # one device's 5 sensors over the recipe's 7 days, as built
CONFIGS = [("local", 1), ("local", 2), ("dask", 1), ("dask", 2)]


def build(out: Path, devices: int, engine: str, workers: int) -> tuple[float, int, int]:
    sandbox = str(Path(sys.executable).with_name("sandbox"))
    argv = [
        sandbox,
        "build",
        "iot",
        "--out",
        str(out),
        "--rows",
        str(devices),
        "--workers",
        str(workers),
        "--engine",
        engine,
        "--json",
        "--overwrite",
    ]
    run = measure(argv, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    rows = json.loads(run.stdout)["rows"]
    return run.seconds, run.own_peak_rss, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=498, help="iot --rows (498 devices: ~50M readings)")
    parser.add_argument("--runs", type=int, default=3, help="runs per configuration (the median is reported)")
    args = parser.parse_args()
    readings = args.devices * READINGS_PER_DEVICE
    from sandbox.api import load_recipe

    chunk_rows = load_recipe("iot").chunk_rows
    print(
        f"iot recipe, {args.devices} devices (~{readings / 1e6:.0f}M readings), chunk_rows {chunk_rows:,} "
        f"(readings per chunk: one device group x one UTC day), median of {args.runs} runs, {os.cpu_count()} cores"
    )
    medians: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        for engine, workers in CONFIGS:
            times, clients = [], []
            for _ in range(args.runs):
                seconds, client, rows = build(Path(tmp) / "out", args.devices, engine, workers)
                times.append(seconds)
                clients.append(client)
                shutil.rmtree(Path(tmp) / "out")
            medians[engine, workers] = statistics.median(times)
            median = medians[engine, workers]
            print(
                f"{engine:5} workers {workers}: {median:6.1f} s  ({rows / median / 1e6:.2f}M rows/s; "
                f"runs {', '.join(f'{t:.1f}' for t in times)}; client peak RSS {max(clients) / 2**20:.0f} MB)"
            )
        for engine in ("local", "dask"):
            print(f"{engine}: workers 2 vs 1 speed-up {medians[engine, 1] / medians[engine, 2]:.2f}x (target >= 1.7x)")
        small = max(1, args.devices // 10)
        _, client_small, rows_small = build(Path(tmp) / "small", small, "dask", 2)
        _, client_full, rows_full = build(Path(tmp) / "full", args.devices, "dask", 2)
        print(
            f"dask client peak RSS: {client_small / 2**20:.0f} MB at {rows_small:,} rows, "
            f"{client_full / 2**20:.0f} MB at {rows_full:,} rows ({client_full / client_small:.2f}x for "
            f"{rows_full / rows_small:.1f}x the rows)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
