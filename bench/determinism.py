"""The determinism matrix: every built-in recipe, built in machine shapes that a second run cannot vary.

    python bench/determinism.py                      # every built-in recipe at its default size, seed 11
    python bench/determinism.py --recipes iot --seed 4 --json

Each build runs as a user runs it (`sandbox build RECIPE --seed S`, a fresh process) in one of these shapes:

- blas-1, blas-4: in-process build (`--workers 1`), OpenBLAS and OpenMP with 1 and with 4 threads (and two
  different string hash seeds: every shape is a fresh process, so no set order may reach the output);
- workers-2, workers-3: the local process pool, chunks landing on workers in whatever order they finish;
- dask: `--engine dask` on a LocalCluster of 2 single-threaded workers;
- reverse, shuffled: in-process, the chunks run in reverse and in a shuffled order (each chunk runs after
  whatever other chunks left behind in the process: buffers, caches);
- old-cpu: `--workers 2` with numpy's SIMD kernels limited to its baseline (x86-64-v2: no AVX2, FMA or
  AVX-512), OpenBLAS's kernels for a Nehalem, and glibc's libm without its FMA and AVX2 variants.

Every shape but workers-2 runs with the process settings of `sandbox.runtime` switched off (`SANDBOX_RUNTIME=off:...`:
no BLAS or Arrow thread pins, the default heap, no preloaded workers), and workers-2 with them on, as users
run it; so the matrix shows that the bytes do not depend on these settings, not that the settings hide anything.
The sha256 of every Parquet part under `tables/` and `truth/`, of manifest.json and of the data card must be the
same in every shape; exit 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

#: Every setting that could touch a value off. `fast-exit` stays: it acts after the sandbox is complete, and
#: without it an interpreter teardown occasionally aborts in a C++ destructor ("terminate called without an
#: active exception", exit 134; 2 of ~100 builds under the test suite), which would fail the shape, not the bytes.
RUNTIME_OFF = {"SANDBOX_RUNTIME": "off:threads,heap,preload"}


def old_cpu_env() -> dict[str, str]:
    """numpy limited to its baseline kernels, OpenBLAS to a Nehalem's, glibc's ifuncs to pre-AVX2 variants."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    disabled = [feature for feature in __cpu_dispatch__ if __cpu_features__.get(feature)]
    env = {"OPENBLAS_CORETYPE": "Nehalem", "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F,-AVX512DQ"}
    if disabled:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(disabled)
    return env


def shapes() -> dict[str, tuple[dict[str, str], list[str]]]:
    """Shape name -> (environment, extra build arguments)."""
    one = ["--workers", "1"]
    return {
        "blas-1": ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "1"}, one),
        "blas-4": ({"OPENBLAS_NUM_THREADS": "4", "OMP_NUM_THREADS": "4", "PYTHONHASHSEED": "2"}, one),
        "workers-2": ({"SANDBOX_RUNTIME": "on"}, ["--workers", "2"]),
        "workers-3": ({}, ["--workers", "3"]),
        "dask": ({}, ["--engine", "dask", "--workers", "2"]),
        "reverse": ({"SANDBOX_TEST_CHUNK_ORDER": "reverse"}, one),
        "shuffled": ({"SANDBOX_TEST_CHUNK_ORDER": "shuffle:7"}, one),
        "old-cpu": (old_cpu_env(), ["--workers", "2"]),
    }


def sandbox_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every Parquet part of a sandbox, its manifest and its data card, by path inside it."""
    files = [folder / "manifest.json", folder / "README.md"]
    files += [path for role in ("tables", "truth") for path in sorted((folder / role).rglob("*.parquet"))]
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def build(recipe: str, seed: int, out: Path, env: dict[str, str], extra: list[str]) -> dict[str, str]:
    sandbox = str(Path(sys.executable).with_name("sandbox"))
    argv = [sandbox, "build", recipe, "--out", str(out), "--seed", str(seed), "--overwrite", *extra]
    done = subprocess.run(argv, env={**os.environ, **RUNTIME_OFF, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}\n{done.stderr}")
    return sandbox_hashes(out)


def matrix(recipes: list[str], seed: int, work: Path) -> dict[str, dict[str, object]]:
    """Per recipe: parts, shapes built, and the parts whose bytes differ from the first shape's (by shape)."""
    results: dict[str, dict[str, object]] = {}
    for recipe in recipes:
        reference: dict[str, str] | None = None
        differing: dict[str, list[str]] = {}
        for name, (env, extra) in shapes().items():
            hashes = build(recipe, seed, work / recipe / name, env, extra)
            if reference is None:
                reference = hashes
                continue
            paths = sorted(set(reference) | set(hashes))
            bad = [p for p in paths if reference.get(p) != hashes.get(p)]
            if bad:
                differing[name] = bad
        assert reference is not None
        digest = hashlib.sha256("".join(f"{p}={h}\n" for p, h in sorted(reference.items())).encode()).hexdigest()
        results[recipe] = {"parts": len(reference), "digest": digest[:16], "differing": differing}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", nargs="*", help="built-in recipe names (default: all)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    from sandbox.api import builtin_recipes

    recipes = args.recipes or sorted(builtin_recipes())
    with tempfile.TemporaryDirectory(prefix="determinism-") as work:
        results = matrix(recipes, args.seed, Path(work))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"seed {args.seed}; shapes: {', '.join(shapes())}")
        print("| recipe | parts | digest of all parts | shapes that differ |")
        print("| --- | --- | --- | --- |")
        for recipe, r in results.items():
            differing = r["differing"]
            assert isinstance(differing, dict)
            summary = ", ".join(f"{k} ({len(v)} parts)" for k, v in differing.items()) or "none"
            print(f"| {recipe} | {r['parts']} | {r['digest']} | {summary} |")
    return 1 if any(r["differing"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
