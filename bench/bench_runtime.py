"""What each process setting of `sandbox.runtime` earns on the big builds: a setting stays only at >= 5%.

    python bench/bench_runtime.py                    # generic 10M rows and iot 100M readings, 3 rounds
    python bench/bench_runtime.py --suite generic --rounds 5
    python bench/bench_runtime.py --suite iot --engine dask --settings heap

Each round builds every case once in every configuration, interleaved (all settings on; each one left out with
`SANDBOX_RUNTIME=off:NAME`; all off), as whole `sandbox build --workers 2` processes with warm pools. Prints
the median wall time per configuration and what leaving each setting out costs against all on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench_build import SUITES, build

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from sandbox.runtime import SETTINGS  # noqa: E402

CASES = {"generic": SUITES["generic"], "iot": SUITES["iot"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=[*CASES, "all"], default="all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--engine", choices=["local", "dask"], default="local")
    parser.add_argument(
        "--settings", nargs="*", choices=SETTINGS, default=list(SETTINGS), help="leave out each of these"
    )
    args = parser.parse_args()
    configs = {"all on": "on", **{f"without {s}": f"off:{s}" for s in args.settings}, "all off": "off"}
    extra = ["--engine", args.engine] if args.engine != "local" else []

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, suite in CASES.items():
            if args.suite not in ("all", name):
                continue
            seconds: dict[str, list[float]] = {label: [] for label in configs}
            build(suite.recipe, work / "warm", suite.small[1], 1, args.workers, dict(os.environ), suite.unit)
            for _ in range(args.rounds):
                for label, value in configs.items():
                    env = dict(os.environ, SANDBOX_RUNTIME=value)
                    run = build(suite.recipe, work / "big", suite.big[1], 1, args.workers, env, suite.unit, extra)
                    seconds[label].append(run["seconds"])
            base = statistics.median(seconds["all on"])
            shape = f"--workers {args.workers} --engine {args.engine}, {args.rounds} rounds"
            print(f"{name} {suite.big[0]}, {shape} (median wall seconds)")
            for label, runs in seconds.items():
                median = statistics.median(runs)
                runs_text = ", ".join(f"{r:.2f}" for r in runs)
                print(f"  {label:<20}{median:>7.2f} s  {median / base - 1:+7.1%}   ({runs_text})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
