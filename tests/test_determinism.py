"""The same bytes whatever the machine's shape: BLAS threads, SIMD kernels, libm variants, chunk order, buffers.

A second build on the same machine cannot show any of this, so each test changes one of those settings.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

import sandbox
from sandbox import runtime
from sandbox.core import exact
from sandbox.errors import UsageError
from tests.conftest import ROOT, part_hashes

sys.path.insert(0, str(ROOT / "bench"))
from determinism import RUNTIME_OFF, old_cpu_env  # noqa: E402

#: The exact functions on fixed inputs, hashed: run here and under an older CPU's kernels.
HASHES = """
import hashlib, json
import numpy as np
from sandbox.core import exact
x = np.linspace(-700, 700, 200_001)
p = np.linspace(1e-9, 1 - 1e-9, 200_001)
e = np.sin(np.arange(6 * 9000, dtype=np.float64)).reshape(6, 9000)  # inputs only: the same bits here and there
out = {
    "exp": exact.exp(x), "log": exact.log(np.abs(x) + 1e-3), "sin": exact.sin(x / 7),
    "normal_quantile": exact.normal_quantile(p), "ar1": exact.ar1(np.round(e, 6), 0.9, np.ones(6)),
    "ar1_float32": exact.ar1(np.round(e, 6).astype(np.float32), 0.9, np.ones(6, np.float32)),
    "standard_normal": exact.standard_normal(np.random.default_rng(1), 300_000),
    "gamma": exact.gamma(np.random.default_rng(2), 1.5, 100_000),
    "numpy.exp": np.exp(x), "numpy.sin": np.sin(x / 7),
}
print(json.dumps({k: hashlib.sha256(v.tobytes()).hexdigest() for k, v in out.items()}))
"""


def _hashes(env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", HASHES], env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_exact_functions_give_the_same_bits_under_an_older_cpus_kernels() -> None:
    here, old = _hashes({}), _hashes(old_cpu_env())
    for name in ("exp", "log", "sin", "normal_quantile", "ar1", "ar1_float32", "standard_normal", "gamma"):
        assert here[name] == old[name], name
    if "NPY_DISABLE_CPU_FEATURES" in old_cpu_env():  # this CPU has SIMD kernels beyond numpy's baseline
        assert here["numpy.exp"] != old["numpy.exp"] or here["numpy.sin"] != old["numpy.sin"]


def _ulps(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want) / np.spacing(np.abs(want))))


def test_exact_functions_agree_with_libm_to_a_few_ulps() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(-700, 700, 100_000)
    assert _ulps(exact.exp(x), np.array([math.exp(v) for v in x.tolist()])) <= 2
    y = np.exp(rng.uniform(-700, 700, 100_000))
    assert _ulps(exact.log(y), np.array([math.log(v) for v in y.tolist()])) <= 4
    z = rng.uniform(-500, 500, 100_000)
    assert float(np.max(np.abs(exact.sin(z) - np.array([math.sin(v) for v in z.tolist()])))) < 5e-16
    p = rng.uniform(1e-12, 1 - 1e-12, 20_000)
    want = np.array([NormalDist().inv_cdf(v) for v in p.tolist()])
    assert float(np.max(np.abs(exact.normal_quantile(p) - want))) < 1e-14
    assert exact.exp(np.array([0.0, -800.0, 800.0])).tolist() == [1.0, 0.0, math.inf]
    assert exact.log(np.array([1.0, 0.0])).tolist() == [0.0, -math.inf]


def test_ar1_is_the_recursive_filter() -> None:
    rng = np.random.default_rng(2)
    e, start = rng.standard_normal((4, 3000)), rng.standard_normal(4)
    want, previous = np.empty_like(e), start
    for t in range(e.shape[1]):
        previous = 0.9 * previous + e[:, t]
        want[:, t] = previous
    assert float(np.max(np.abs(exact.ar1(e, 0.9, start) - want))) < 1e-12


def test_exact_draws_have_their_distributions_moments() -> None:
    rng = np.random.default_rng(8)
    n = 400_000
    normal = exact.normal(rng, 3.0, 2.0, n)
    assert abs(normal.mean() - 3.0) < 0.02 and abs(normal.std() - 2.0) < 0.02
    z = exact.standard_normal(rng, 2_000_000)  # the ziggurat's base, wedges and tail each carry their share
    for cut in (0.5, 1.0, 2.0, 3.0, 3.65, 4.0):
        expected = 2 * (1 - NormalDist().cdf(cut)) * len(z)
        assert abs(int((np.abs(z) > cut).sum()) - expected) < 4.5 * math.sqrt(expected), cut
    assert abs(float(np.median(exact.lognormal(rng, 1.0, 0.5, n))) - math.e) < 0.02
    assert abs(exact.exponential(rng, 30.0, n).mean() - 30.0) < 0.3
    gamma = exact.gamma(rng, 1.5, n)
    assert len(gamma) == n and abs(gamma.mean() - 1.5) < 0.02 and abs(gamma.var() - 1.5) < 0.05
    # Lomax with shape 3: median 2**(1/3) - 1
    assert abs(float(np.median(exact.pareto(rng, 3.0, n))) - (2 ** (1 / 3) - 1)) < 0.005


def _console_build(recipe: str, out: Path, rows: int, env: dict[str, str], *extra: str) -> dict[str, str]:
    argv = [sys.executable, "-m", "sandbox", "build", recipe, "--out", str(out), "--rows", str(rows), "--seed", "11"]
    subprocess.run([*argv, "-q", *extra], env={**os.environ, **RUNTIME_OFF, **env}, check=True)
    return part_hashes(out)


@pytest.mark.parametrize(("recipe", "rows"), [("iot", 6), ("ecommerce", 3000), ("ledger", 400), ("starter", 2000)])
def test_bytes_do_not_change_with_blas_threads_cpu_kernels_workers_or_chunk_order(
    tmp_path: Path, recipe: str, rows: int
) -> None:
    """The guard is off in every build here: the bytes must not need it."""
    reference = _console_build(recipe, tmp_path / "blas4", rows, {"OPENBLAS_NUM_THREADS": "4"}, "--workers", "1")
    assert len(reference) >= 3
    old_cpu = _console_build(recipe, tmp_path / "old", rows, old_cpu_env(), "--workers", "2")
    assert old_cpu == reference
    shuffled = {"SANDBOX_TEST_CHUNK_ORDER": "shuffle:3", "OPENBLAS_NUM_THREADS": "1"}
    assert _console_build(recipe, tmp_path / "shuffled", rows, shuffled, "--workers", "1") == reference


def test_a_chunk_does_not_read_what_an_earlier_chunk_left_in_the_reused_grids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox.domains.iot import signals

    sandbox.build("iot", tmp_path / "clean", rows=4, seed=5)
    poisoned = signals._buffer

    def poison(name: str, size: int, kind: type) -> np.ndarray:
        buffer = poisoned(name, size, kind)
        buffer[:] = np.nan if np.issubdtype(kind, np.floating) else -7  # what no chunk may ever see
        return buffer

    monkeypatch.setattr(signals, "_buffer", poison)
    sandbox.build("iot", tmp_path / "poisoned", rows=4, seed=5)
    assert part_hashes(tmp_path / "poisoned") == part_hashes(tmp_path / "clean")


def test_the_manifest_and_the_card_do_not_depend_on_the_order_chunks_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan's examples in the manifest come from the part first in path order, not the chunk first done."""
    text = sandbox.builtin_recipes()["ecommerce"].read_text().replace("chunk_rows: 250000", "chunk_rows: 2000")
    recipe = tmp_path / "shop.yaml"
    recipe.write_text(text)
    sandbox.build(recipe, tmp_path / "planned", rows=6_000, seed=3)
    monkeypatch.setenv("SANDBOX_TEST_CHUNK_ORDER", "reverse")
    sandbox.build(recipe, tmp_path / "reversed", rows=6_000, seed=3)
    for name in ("manifest.json", "README.md"):
        assert (tmp_path / "planned" / name).read_bytes() == (tmp_path / "reversed" / name).read_bytes(), name


def test_the_runtime_pins_one_blas_thread_unless_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(runtime.SWITCH, raising=False)
    assert runtime.worker_env()["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.setenv(runtime.SWITCH, "off")
    assert runtime.worker_env() == {}
    monkeypatch.setenv(runtime.SWITCH, "off:heap")
    assert runtime.worker_env() == runtime.ONE_THREAD
    for bad in ("sometimes", "off:heap,turbo"):
        monkeypatch.setenv(runtime.SWITCH, bad)
        with pytest.raises(UsageError, match="SANDBOX_RUNTIME: expected on, off, or off: and some of threads,"):
            runtime.enabled("heap")
    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "recipes"],
        env={**os.environ, runtime.SWITCH: "turbo"},
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stderr) == (
        2,
        "error: SANDBOX_RUNTIME: expected on, off, or off: and some of threads,heap,preload,fast-exit, got 'turbo'\n",
    )
    # the console script pins before numpy loads: OpenBLAS then runs one thread whatever the caller asked for
    probe = (
        "import os; from sandbox import runtime; runtime.start(['inspect']); print(os.environ['OPENBLAS_NUM_THREADS'])"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "4"}
    env.pop(runtime.SWITCH, None)
    assert subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True).stdout == "1\n"


@pytest.mark.slow
def test_the_determinism_matrix_holds_for_every_builtin_recipe_at_its_default_size() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "determinism.py"), "--json"], capture_output=True, text=True
    )
    results = json.loads(done.stdout)
    assert set(results) == {"ecommerce", "iot", "ledger", "starter"}
    assert {name: r["differing"] for name, r in results.items()} == {name: {} for name in results}
    assert done.returncode == 0


def test_single_draws_in_the_tails_are_floats() -> None:
    """A single draw (n=None) in a tail once failed: 'numpy.float64' object does not support item assignment."""
    rng = np.random.default_rng(0)
    draws = [float(exact.normal(rng, 0, 15)) for _ in range(400)]
    assert max(abs(d) for d in draws) > 15 * 1.44  # some landed in the tails (|z| > 1.44 has p = 15%)
    assert np.shape(exact.normal_quantile(np.full((2, 3), 0.001))) == (2, 3)


def test_a_few_values_take_the_python_float_path_and_get_the_same_bits() -> None:
    rng = np.random.default_rng(9)
    special = [0.0, -0.0, 709.78, 709.79, -745.1, -746.0, math.nan, math.inf, -math.inf, 5e-324, 1.0]
    x = np.concatenate([rng.uniform(-750, 750, 50_000), rng.uniform(-3, 3, 50_000), special])
    assert np.array_equal(exact.exp(x), exact._small(x, exact._exp_one), equal_nan=True)
    y = np.concatenate([np.exp(rng.uniform(-740, 700, 50_000)), [0.0, -1.0, math.inf, math.nan, 5e-324, 2.0]])
    assert np.array_equal(exact.log(y), exact._small(y, exact._log_one), equal_nan=True)
    assert all(exact.exp(v).tolist() == exact.exp(np.full(40, v))[0] for v in x[:300].tolist())
