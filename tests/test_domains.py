"""The domain interface, proved with a toy domain registered by the tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import sandbox
from sandbox.cli import cli
from sandbox.domains import register_domain, unregister_domain
from sandbox.errors import RecipeError
from sandbox.explain.catalogue import describe_domains
from sandbox.recipe.schema import recipe_schema
from sandbox.recipe.validate import load
from tests.conftest import part_hashes
from tests.pandas_domain import PandasCounters
from tests.toy_domain import Counters

RECIPE = """\
version: 1
name: toy
seed: 5
chunk_rows: 1000
domain:
  generator: counters
  rows: 300
  knobs: {readings_per_meter: 48, drop_rate: 0.1}
"""


@pytest.fixture(autouse=True, scope="module")
def _counters() -> Iterator[None]:
    register_domain(Counters)
    yield
    unregister_domain(Counters.name)


def test_knobs_feed_schema_help_and_validation() -> None:
    branches = recipe_schema()["$defs"]["domain"]["allOf"]
    mine = next(b for b in branches if b["if"]["properties"]["generator"]["const"] == "counters")
    knobs = mine["then"]["properties"]["knobs"]

    assert knobs["properties"]["drop_rate"]["maximum"] == 1
    assert "drop_rate (number in [0, 1], default 0.05): Share of readings lost" in describe_domains()
    with pytest.raises(RecipeError) as caught:
        load(RECIPE.replace("drop_rate: 0.1", "drop_rat: 0.1"), "toy.yaml")
    assert caught.value.issues[0].format() == (
        "toy.yaml:8:35: unknown-key: domain.knobs.drop_rat: expected one of: readings_per_meter, drop_rate; "
        "got `drop_rat` (did you mean `drop_rate`?)"
    )
    with pytest.raises(RecipeError) as caught:
        load(RECIPE.replace("drop_rate: 0.1", "drop_rate: 1"), "toy.yaml")
    assert caught.value.issues[0].format() == (
        "toy.yaml:8:46: bad-range: domain.knobs.drop_rate: expected some readings to arrive, got drop_rate 1"
    )


def test_domain_builds_related_tables_with_truth(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    recipe = write_recipe(RECIPE)
    manifest = sandbox.build(recipe, tmp_path / "a").manifest
    assert manifest["tables"]["meters"]["rows"] == 300
    assert manifest["tables"]["true_readings"]["role"] == "truth"
    assert manifest["tables"]["meters"]["primary"] is True
    con = duckdb.connect()
    base = tmp_path / "a"
    lost = con.execute(f"""
        select count(*) from read_parquet('{base}/truth/true_readings/*.parquet') t
        anti join read_parquet('{base}/tables/readings/*.parquet') r using (meter_id, seq)
    """).fetchall()[0][0]
    logged = con.execute(f"select count(*) from read_parquet('{base}/truth/defects/*.parquet')").fetchall()[0][0]
    assert lost == logged and 0.08 < lost / (300 * 48) < 0.12


def test_domain_output_is_the_same_on_a_process_pool(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    recipe = write_recipe(RECIPE)
    sandbox.build(recipe, tmp_path / "a")
    sandbox.build(recipe, tmp_path / "b", workers=2)
    assert part_hashes(tmp_path / "a") == part_hashes(tmp_path / "b")
    assert len(part_hashes(tmp_path / "a")) >= 4 * 15


def test_a_domain_of_your_own_may_use_pandas_in_the_workers(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    register_domain(PandasCounters)
    try:
        sandbox.build(write_recipe(RECIPE.replace("counters", "pandas_counters")), tmp_path / "p", workers=2)
    finally:
        unregister_domain(PandasCounters.name)
    # the worker's pyarrow converted the categorical as pandas' (a dictionary), not as plain values
    kind = pq.read_schema(next((tmp_path / "p" / "tables" / "meters").glob("*.parquet"))).field("kind").type
    assert pa.types.is_dictionary(kind)


def test_rows_sets_the_domain_size(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["build", str(write_recipe(RECIPE)), "--out", str(tmp_path / "o"), "--rows", "40", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"meters": {\n      "role": "data",\n      "rows": 40' in result.stdout
