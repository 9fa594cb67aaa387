"""Engines and targets: local (1 and 2 workers) and Dask give the same bytes; fsspec URLs; worker deaths."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import fsspec
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

import sandbox
from sandbox.cli import cli
from sandbox.engine.dask import KILL_ENV
from tests.conftest import ROOT, SMALL, part_hashes


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("recipe") / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.mark.parametrize(("recipe", "rows"), [("small", None), ("iot", 6), ("ecommerce", 60_000)])
def test_local_1_local_2_and_dask_give_identical_parts(
    small: Path, tmp_path: Path, recipe: str, rows: int | None
) -> None:
    source = small if recipe == "small" else recipe
    one = sandbox.build(source, tmp_path / "one", rows=rows, workers=1)
    two = sandbox.build(source, tmp_path / "two", rows=rows, workers=2)
    dask = sandbox.build(source, tmp_path / "dask", rows=rows, workers=2, engine="dask")
    hashes = part_hashes(tmp_path / "one")
    assert len(hashes) >= 3 and one.stats["chunks"] >= 2
    assert part_hashes(tmp_path / "two") == hashes
    assert part_hashes(tmp_path / "dask") == hashes
    assert dask.manifest["tables"] == one.manifest["tables"] == two.manifest["tables"]
    assert dask.stats["retried_chunks"] == {} and dask.stats["dask_workers"] == 2


def test_a_worker_killed_mid_chunk_is_retried_and_the_bytes_do_not_change(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.build(small, tmp_path / "local")
    marker = tmp_path / "killed"
    monkeypatch.setenv(KILL_ENV, f"orders chunk 2:{marker}")
    result = sandbox.build(small, tmp_path / "dask", engine="dask", workers=2)
    assert marker.exists() and int(marker.read_text()) > 0  # the first attempt did die
    # the chunk is retried (and any chunk queued on the same worker went elsewhere too)
    assert result.stats["retried_chunks"]["orders chunk 2"] == 1
    assert part_hashes(tmp_path / "dask") == part_hashes(tmp_path / "local")


def test_a_memory_url_gets_a_complete_sandbox_with_the_manifest_last(small: Path) -> None:
    url = "memory://sandbox-test/shop"
    result = sandbox.build(small, url)
    assert result.out == url
    fs = fsspec.filesystem("memory")
    manifest = json.loads(fs.cat("/sandbox-test/shop/manifest.json"))
    assert fs.exists("/sandbox-test/shop/README.md")
    orders = manifest["tables"]["orders"]
    files = [f"/sandbox-test/shop/{f['path']}" for f in orders["files"]]
    assert ds.dataset(files, filesystem=fs).count_rows() == orders["rows"]
    code = CliRunner().invoke(cli, ["build", str(small), "--out", url])
    assert code.exit_code == 2 and f"{url} exists; pass --overwrite to replace it" in code.stderr
    assert CliRunner().invoke(cli, ["build", str(small), "--out", url, "--overwrite", "-q"]).exit_code == 0
    fs.rm("/sandbox-test", recursive=True)


def test_a_failed_build_on_a_url_leaves_nothing(small: Path, write_recipe) -> None:  # type: ignore[no-untyped-def]
    leaky = write_recipe(
        SMALL.replace('code: {template: "ORD-{order_id:06d}"', 'code: {template: "x{order_id:06d}@gmail.com"')
    )
    url = "memory://sandbox-fail/shop"
    code = CliRunner().invoke(cli, ["build", str(leaky), "--out", url])
    assert code.exit_code == 1, code.stderr
    # every order's code is an e-mail address: the finding counts (nearly) every order, whatever the seed
    found = re.search(r"^  orders\.code: email \(([\d,]+) distinct values", code.stderr, re.MULTILINE)
    orders = next(t.rows for t in sandbox.load_recipe(leaky).tables if t.name == "orders")
    assert found and 0.9 * orders <= int(found.group(1).replace(",", "")) <= orders, code.stderr
    assert not fsspec.filesystem("memory").exists("/sandbox-fail/shop")


def test_scheduler_needs_the_dask_engine(small: Path, tmp_path: Path) -> None:
    code = CliRunner().invoke(cli, ["build", str(small), "--out", str(tmp_path / "x"), "--scheduler", "tcp://h:1"])
    assert code.exit_code == 2 and "--scheduler needs --engine dask" in code.stderr


def test_dask_engine_without_the_extra_says_how_to_install(small: Path, tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['distributed'] = None\n"
        "from sandbox.cli import main\n"
        "sys.argv = ['sandbox', 'build', sys.argv[1], '--out', sys.argv[2], '--engine', 'dask']; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(small), str(tmp_path / "x")], capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    assert f"pip install -e '{ROOT}[dask]'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("recipe", "rows"), [("starter", 2_000), ("ecommerce", 3_000), ("iot", 3), ("ledger", 300)])
def test_a_console_build_writes_the_bytes_of_a_build_in_this_process(tmp_path: Path, recipe: str, rows: int) -> None:
    """The console script settles its own process and its workers (sandbox.runtime: heap, threads, a preloaded
    fork server); this process is as pytest left it."""
    sandbox.build(recipe, tmp_path / "here", rows=rows, seed=3)
    for workers in ("1", "2"):
        argv = ["build", recipe, "--out", str(tmp_path / workers), "--rows", str(rows), "--seed", "3", "-q"]
        subprocess.run([sys.executable, "-m", "sandbox", *argv, "--workers", workers], check=True)
        assert part_hashes(tmp_path / workers) == part_hashes(tmp_path / "here")
