"""Noise: every defect row replays - its truth is the clean value, its observed value what the table shows."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import sandbox
from sandbox.noise import corruptions
from tests.conftest import SMALL

CLEAN = re.sub(r",\s*noise: \[[^\]]*\]", "", SMALL).replace("    noise: [{kind: duplicate, rate: 0.01}]\n", "")


def as_text(table: pa.Table, column: str) -> list[str | None]:
    values = table.column(column).combine_chunks()
    if isinstance(values, pa.DictionaryArray):
        values = values.dictionary_decode()
    return pc.cast(values, pa.string()).to_pylist()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("noise")
    (root / "noisy.yaml").write_text(SMALL)
    (root / "clean.yaml").write_text(CLEAN)
    sandbox.build(root / "noisy.yaml", root / "noisy", rows=20_000)
    sandbox.build(root / "clean.yaml", root / "clean", rows=20_000)
    return root / "noisy", root / "clean"


def test_defects_replay_from_clean_truth_to_observed(built: tuple[Path, Path]) -> None:
    noisy, clean = built
    defects = pq.read_table(noisy / "truth/defects").to_pylist()
    chains: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for d in sorted(defects, key=lambda d: d["defect_id"]):
        if d["column"] is not None:
            chains[(d["table"], d["row_key"], d["column"])].append(d)
    assert len(chains) > 500
    for table_name in ("customers", "orders"):
        clean_t = pq.read_table(clean / "tables" / table_name)
        noisy_t = pq.read_table(noisy / "tables" / table_name)
        key = "customer_id" if table_name == "customers" else "order_id"
        for column in clean_t.column_names:
            if column == key:
                continue
            truth = dict(zip(clean_t.column(key).to_pylist(), as_text(clean_t, column), strict=True))
            seen = dict(zip(noisy_t.column(key).to_pylist(), as_text(noisy_t, column), strict=True))
            for (t, row_key, c), chain in chains.items():
                if t != table_name or c != column:
                    continue
                k = json.loads(row_key)[key]
                assert chain[0]["truth_value"] == truth[k]
                for before, after in zip(chain, chain[1:], strict=False):
                    assert after["truth_value"] == before["observed_value"]
                assert chain[-1]["observed_value"] == seen[k]
                assert chain[-1]["observed_value"] != chain[0]["truth_value"]


def test_fields_without_defects_equal_the_clean_build(built: tuple[Path, Path]) -> None:
    noisy, clean = built
    con = duckdb.connect()
    changed = con.execute(f"""
        select count(*) from read_parquet('{noisy}/tables/customers/*.parquet') n
        join read_parquet('{clean}/tables/customers/*.parquet') c using (customer_id)
        where n.name is distinct from c.name
          and customer_id not in (select cast(json_extract(row_key, '$.customer_id') as bigint)
                                  from read_parquet('{noisy}/truth/defects/*.parquet') where "column" = 'name')
    """).fetchall()
    assert changed == [(0,)]


def test_realised_rates_land_on_their_knobs(built: tuple[Path, Path]) -> None:
    noisy, _ = built
    con = duckdb.connect()
    rows = dict(
        con.execute(f"""
        select kind, count(*) from read_parquet('{noisy}/truth/defects/*.parquet') group by kind
    """).fetchall()
    )
    orders = 20_000
    for kind, rate in {"ocr": 0.05, "spike": 0.02, "delay": 0.03, "duplicate": 0.01}.items():
        se = np.sqrt(rate * (1 - rate) / orders)
        assert abs(rows[kind] / orders - rate) <= max(0.1 * rate, 4 * se), kind
    duplicated = con.execute(f"""
        select count(*) from (select order_id from read_parquet('{noisy}/tables/orders/*.parquet')
                              group by order_id having count(*) = 2)
    """).fetchall()[0][0]
    assert duplicated == rows["duplicate"]


@pytest.mark.parametrize(
    ("edit", "value", "allowed"),
    [
        (corruptions.ocr, "SO10", {"S010", "5O10", "SOl0", "SOI0", "SO1O", "SOlO"}),
        (corruptions.transpose, "ab", {"ba"}),
        (corruptions.upper, "abc", {"ABC"}),
    ],
)
def test_edits(edit: Callable, value: str, allowed: set[str]) -> None:
    rng = np.random.default_rng(0)
    outs = {edit(value, rng) for _ in range(50)}
    assert outs <= allowed and outs


def test_typo_uses_a_neighbouring_key() -> None:
    rng = np.random.default_rng(1)
    out = corruptions.typo("g", rng)
    assert out in set("ftyhbv")
