"""A recipe table's `correlations`: realised rank correlations land on the matrix, every column keeps the values
its generator made (only their rows change), nulls stay put, and a bad matrix is a located exit 2."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import sandbox
from sandbox.errors import RecipeError

TABLE = """\
version: 1
name: corr
seed: 3
tables:
  t:
    rows: 30000
{correlations}    columns:
      id: {{sequence: 1}}
      a: {{normal: {{mean: 10, sd: 2}}}}
      b: {{lognormal: {{mean: 1, sigma: 0.5}}, null_rate: 0.1}}
      c: {{poisson: 3}}
"""
MATRIX = """\
    correlations:
      columns: [a, b, c]
      matrix: [[1, {ab}, -0.5], [{ab}, 1, -0.3], [-0.5, -0.3, 1]]
"""


def build(tmp_path: Path, name: str, correlations: str) -> duckdb.DuckDBPyConnection:
    (tmp_path / f"{name}.yaml").write_text(TABLE.format(correlations=correlations))
    sandbox.build(tmp_path / f"{name}.yaml", tmp_path / name)
    con = duckdb.connect()
    con.execute(f"create view t as select * from '{tmp_path / name}/tables/t/*.parquet'")
    return con


def test_the_rank_correlations_land_and_the_values_do_not_change(tmp_path: Path) -> None:
    plain = build(tmp_path, "plain", "")
    tied = build(tmp_path, "tied", MATRIX.format(ab=0.8))
    got = tied.execute(
        "select corr(rank_a, rank_b), corr(rank_a, rank_c), corr(rank_b, rank_c) from (select "
        "rank() over (order by a) rank_a, rank() over (order by b) rank_b, "
        "rank() over (order by c) rank_c from t where b is not null)"
    ).fetchone()
    assert got == pytest.approx((0.79, -0.48, -0.29), abs=0.04)  # Spearman of the normal scores' targets
    for column in ("a", "b", "c"):
        query = f"select list({column} order by {column}) from t"
        assert plain.execute(query).fetchone() == tied.execute(query).fetchone(), column
    nulls = "select list(id order by id) from t where b is null"
    assert plain.execute(nulls).fetchone() == tied.execute(nulls).fetchone()
    assert abs(plain.execute("select corr(a, b) from t").fetchone()[0]) < 0.03


@pytest.mark.parametrize(
    ("correlations", "message"),
    [
        (MATRIX.format(ab=0.99).replace("-0.5", "0.9"), "expected a positive definite matrix"),
        (MATRIX.format(ab=0.8).replace("[a, b, c]", "[a, b, d]"), "expected a column of t, got 'd'"),
        (MATRIX.format(ab=0.8).replace("[a, b, c]", "[a, b, id]"), "expected a column drawn per row"),
        (MATRIX.format(ab=0.8).replace("[[1, 0.8,", "[[1, 0.7,"), "expected a symmetric matrix"),
        ("    correlations:\n      columns: [a, b]\n      matrix: [[1, 0.5]]\n", "expected 2 rows of 2 numbers"),
    ],
)
def test_a_bad_correlation_is_a_located_error(tmp_path: Path, correlations: str, message: str) -> None:
    (tmp_path / "r.yaml").write_text(TABLE.format(correlations=correlations))
    with pytest.raises(RecipeError) as caught:
        sandbox.build(tmp_path / "r.yaml", tmp_path / "out")
    assert message in str(caught.value) and "r.yaml:" in str(caught.value) and "correlations" in str(caught.value)
    assert not (tmp_path / "out").exists()
