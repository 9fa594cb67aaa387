"""Builds: output read back by DuckDB and Polars, determinism, atomic folders, the manifest."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import jsonschema
import polars as pl
import pyarrow.parquet as pq
import pytest

import sandbox
from sandbox.errors import UsageError
from sandbox.output.manifest_schema import manifest_schema
from tests.conftest import SMALL, part_hashes, run


@pytest.fixture
def small(write_recipe: Callable[..., Path]) -> Path:
    return write_recipe(SMALL)


def test_tables_read_back_in_duckdb_and_polars_with_manifest_counts(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = sandbox.build(small, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest == result.manifest
    con = duckdb.connect()
    for name, table in manifest["tables"].items():
        folder = out / ("tables" if table["role"] == "data" else "truth") / name
        duck = con.execute(f"select count(*) from read_parquet('{folder}/*.parquet')").fetchall()[0][0]
        polars = pl.scan_parquet(f"{folder}/*.parquet").select(pl.len()).collect().item()
        assert duck == polars == table["rows"] == sum(f["rows"] for f in table["files"])
    assert manifest["tables"]["customers"]["rows"] == 500
    assert manifest["tables"]["orders"]["rows"] > 3000  # plus duplicated rows


def test_foreign_keys_resolve_and_ids_are_unique(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    sandbox.build(small, out)
    con = duckdb.connect()
    orders, customers = f"'{out}/tables/orders/*.parquet'", f"'{out}/tables/customers/*.parquet'"
    orphans = con.execute(f"select count(*) from {orders} o anti join {customers} c using (customer_id)").fetchall()
    assert orphans == [(0,)]
    dup = con.execute(f"select count(*) - count(distinct customer_id) from {customers}").fetchall()
    assert dup == [(0,)]


def test_types_follow_the_conventions(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    sandbox.build(small, out)
    schema = pq.read_schema(next((out / "tables/orders").glob("*.parquet")))
    assert str(schema.field("at").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("amount").type) == "decimal128(10, 2)"
    assert str(schema.field("order_id").type) == "int64"
    assert schema.field("amount").metadata[b"description"].startswith(b"lognormal")


def test_same_seed_same_bytes_any_workers_other_seed_differs(small: Path, tmp_path: Path) -> None:
    sandbox.build(small, tmp_path / "a")
    sandbox.build(small, tmp_path / "b", workers=2)
    sandbox.build(small, tmp_path / "c")
    sandbox.build(small, tmp_path / "d", seed=4)
    a = part_hashes(tmp_path / "a")
    assert len(a) > 8
    assert a == part_hashes(tmp_path / "b") == part_hashes(tmp_path / "c")
    d = part_hashes(tmp_path / "d")
    assert all(d[name] != digest for name, digest in a.items() if name in d)


def test_adding_a_table_leaves_other_tables_bytes_unchanged(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    extra = SMALL + "  notes:\n    rows: 50\n    columns:\n      note_id: {sequence: 1}\n      x: {uniform: [0, 1]}\n"
    sandbox.build(write_recipe(SMALL, "a.yaml"), tmp_path / "a")
    sandbox.build(write_recipe(extra, "b.yaml"), tmp_path / "b")
    a, b = part_hashes(tmp_path / "a"), part_hashes(tmp_path / "b")
    assert {k: v for k, v in b.items() if "notes" not in k} == a


def test_rows_and_scale_size_tables(small: Path, tmp_path: Path) -> None:
    by_rows = sandbox.build(small, tmp_path / "r", rows=6000).manifest["tables"]
    assert by_rows["customers"]["rows"] == 1000
    by_scale = sandbox.build(small, tmp_path / "s", scale=0.1).manifest["tables"]
    assert by_scale["customers"]["rows"] == 50
    with pytest.raises(UsageError, match="--rows or --scale"):
        sandbox.build(small, tmp_path / "x", rows=1, scale=1.0)


def test_manifest_matches_its_schema_and_files(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = sandbox.build(small, out).manifest
    jsonschema.validate(manifest, manifest_schema())
    assert manifest["recipe"]["text"] == small.read_text()
    assert set(manifest["lock"]) >= {"python", "numpy", "pyarrow", "faker", "pandas"}
    listed = {f["path"] for t in manifest["tables"].values() for f in t["files"]}
    assert listed == {str(p.relative_to(out)) for p in out.rglob("*.parquet")}
    assert manifest["tables"]["defects"]["role"] == "truth"
    assert all(f["path"].startswith("truth/") for f in manifest["tables"]["defects"]["files"])


def test_existing_out_is_refused_without_overwrite(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    sandbox.build(small, out)
    with pytest.raises(UsageError, match="exists; pass --overwrite"):
        sandbox.build(small, out)
    sandbox.build(small, out, overwrite=True, seed=9)
    assert json.loads((out / "manifest.json").read_text())["seed"] == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "recipe.yaml"]


def test_overwrite_refuses_a_folder_that_is_not_a_sandbox(small: Path, tmp_path: Path) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(UsageError, match="not a sandbox"):
        sandbox.build(small, precious, overwrite=True)
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_failed_build_leaves_nothing(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    recipe = write_recipe(SMALL.replace("pool: 300}", "pool: 50, unique: true}", 1).replace("rows: 500", "rows: 40"))
    sandbox.build(recipe, tmp_path / "ok")  # 40 rows from 50 values: fine
    unique_booleans = "{faker: boolean, pool: 600, unique: true}"
    bad = write_recipe(SMALL.replace("{choice: [a, b, c], weights: [0.5, 0.3, 0.2]}", unique_booleans), "bad.yaml")
    with pytest.raises(UsageError, match="distinct values for a unique column"):
        sandbox.build(bad, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bad")]


def test_inspect_reports_rows_and_null_rates(small: Path, tmp_path: Path) -> None:
    sandbox.build(small, tmp_path / "out")
    info = sandbox.inspect(tmp_path / "out")
    orders = info["tables"]["orders"]
    paid = next(c for c in orders["columns"] if c["name"] == "paid")
    assert 0.07 < paid["null_rate"] < 0.13
    assert info["tables"]["customers"]["rows"] == 500


def test_every_builtin_recipe_builds_at_tiny_scale(tmp_path: Path) -> None:
    for name in sandbox.builtin_recipes():
        result = sandbox.build(name, tmp_path / name, scale=0.01)
        assert result.rows > 0


def test_a_dictionary_with_repeated_values_encodes_the_same_every_time() -> None:
    """Noise appends each corrected value to the dictionary (500 times 'DELIVERED'); such a dictionary once
    made the Parquet writer give other bytes on every call, and builds with 1 and 2 workers differ."""
    import hashlib

    import numpy as np
    import pyarrow as pa

    from sandbox.noise.corruptions import replace_rows
    from sandbox.output.writer import encode

    rng = np.random.default_rng(0)
    status = pa.DictionaryArray.from_arrays(
        pa.array(rng.integers(0, 4, 50_000).astype(np.int32)),
        pa.array(["delivered", "shipped", "cancelled", "returned"]),
    )
    rows = np.sort(rng.choice(50_000, 500, replace=False))
    noisy = replace_rows(status, rows, pa.array(["DELIVERED"] * 500))
    table = pa.table({"status": noisy, "n": pa.array(np.arange(50_000))})
    digests = {hashlib.sha256(memoryview(encode(table))).hexdigest() for _ in range(4)}
    assert len(digests) == 1
    written = pq.read_table(pa.BufferReader(encode(table))).column("status").combine_chunks()
    assert written.dictionary_decode().equals(noisy.dictionary_decode())


@pytest.mark.parametrize("few_midnights", [0, 4, 100])
@pytest.mark.parametrize("shuffled", [False, True])
def test_rows_split_by_utc_day_keep_their_order_and_skip_empty_days(
    few_midnights: int, shuffled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`by_day` compares against each midnight when there are few, divides when there are many; either way
    the same partitions (rows in day order are sliced; others filtered, their order kept)."""
    import numpy as np
    import pyarrow as pa

    from sandbox.engine import partition as task

    monkeypatch.setattr(task, "_FEW_MIDNIGHTS", few_midnights)
    day = 86_400_000_000
    ts = np.array([-day - 1, -5, 3, 7, day, 5 * day + 2, 5 * day + 1], np.int64)  # two days have no rows
    order = np.array([5, 0, 3, 6, 1, 4, 2]) if shuffled else np.arange(len(ts))
    data = pa.table({"ts": pa.array(ts[order], pa.timestamp("us", "UTC")), "n": order})
    split = task.by_day(data, "ts")
    assert [name for name, _ in split] == [
        "day=1969-12-30",
        "day=1969-12-31",
        "day=1970-01-01",
        "day=1970-01-02",
        "day=1970-01-06",
    ]
    expected = [[0], [1], [2, 3], [4], [5, 6]]
    got = [piece["n"].to_pylist() for _, piece in split]
    assert got == ([[n for n in order.tolist() if n in e] for e in expected] if shuffled else expected)


def _web_app(folder: Path) -> Path:
    """A folder that merely has a file named manifest.json (a web app's), and work beside it."""
    (folder / "src").mkdir(parents=True)
    (folder / "manifest.json").write_text('{"name": "pwa", "tables": {}}')
    (folder / "src" / "main.js").write_text("x")
    return folder


def test_overwrite_refuses_a_folder_whose_manifest_json_sandbox_did_not_write(small: Path, tmp_path: Path) -> None:
    """Data loss once: --overwrite deleted any folder with a file named manifest.json (build, unpack, anonymise)."""
    shop = tmp_path / "shop"
    sandbox.build(small, shop)
    archive = tmp_path / "shop.zip"
    assert run("pack", str(shop), "-o", str(archive))[0] == 0
    export = tmp_path / "export.csv"
    export.write_text("order_id,total\n1,9.99\n2,5.00\n")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\ncolumns:\n  order_id: {class: none, policy: keep}\n  total: {class: none, policy: keep}\n"
    )
    commands = {
        "build": ["build", str(small), "--out"],
        "unpack": ["unpack", str(archive), "--out"],
        "anonymise": ["anonymise", str(export), "--policy", str(policy), "--out"],
    }
    for name, argv in commands.items():
        app = _web_app(tmp_path / f"app-{name}")
        code, _, err = run(*argv, str(app), "--overwrite")
        assert code == 2, (name, err)
        assert err == (
            f"error: refusing to replace {app}: it is not a sandbox (it has no manifest.json written by sandbox)\n"
        )
        assert (app / "src" / "main.js").read_text() == "x" and sorted(p.name for p in app.iterdir()) == [
            "manifest.json",
            "src",
        ]
    # a sandbox is still replaced
    assert run("build", str(small), "--out", str(shop), "--overwrite", "--seed", "9")[0] == 0


def test_progress_reports_rows_and_bytes_written_and_the_estimate(small: Path, tmp_path: Path) -> None:
    seen: list[sandbox.BuildProgress] = []
    result = sandbox.build(small, tmp_path / "out", progress=seen.append, workers=2)
    assert [p.done for p in seen] == list(range(1, result.stats["chunks"] + 1))
    assert seen[-1].bytes == result.bytes and seen[-1].estimated_bytes == result.bytes
    data = sum(t["rows"] for t in result.manifest["tables"].values() if t["role"] == "data")
    assert seen[-1].rows == seen[-1].estimated_rows == data
    assert all(a.bytes < b.bytes for a, b in itertools.pairwise(seen))
