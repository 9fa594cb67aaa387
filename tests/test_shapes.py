"""A domain's tables shaped to a team's names: renamed, trimmed, extended, and referenced by recipe tables
(issue #29); read back with DuckDB and checked with `sandbox check`."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from sandbox.cli import cli

RECIPE = """\
version: 1
name: clients_shop
seed: 3
domain:
  generator: clickstream
  rows: 4000
  tables:
    customers:
      as: clients
      drop: [segment]
      columns:
        tier: {choice: [bronze, silver, gold], weights: [0.7, 0.2, 0.1], description: Loyalty tier.}
        home_store: {ref: stores.store_id}
tables:
  stores:
    rows: 12
    columns:
      store_id: {sequence: 100}
      city: {faker: city, pool: 50}
  loyalty:
    rows: 600
    description: Loyalty cards of enrolled clients.
    columns:
      card_id: {sequence: 1}
      client_id: {ref: clients.customer_id}
      points: {poisson: 250}
"""


def invoke(*args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(cli, list(args))
    return done.exit_code, done.stdout, done.stderr


@pytest.fixture(scope="module")
def shaped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shaped")
    (folder / "clients.yaml").write_text(RECIPE)
    code, _, err = invoke("build", str(folder / "clients.yaml"), "--out", str(folder / "box"), "-q")
    assert code == 0, err
    return folder / "box"


def test_a_renamed_trimmed_extended_table_and_a_table_referencing_it_build_and_resolve(shaped: Path) -> None:
    con = duckdb.connect()
    for table in ("clients", "loyalty", "sessions", "orders", "stores"):
        con.execute(f"create view {table} as select * from '{shaped}/tables/{table}/**/*.parquet'")
    columns = [r[0] for r in con.execute("describe clients").fetchall()]
    assert "segment" not in columns and columns[-2:] == ["tier", "home_store"] and "customer_id" in columns
    assert not (shaped / "tables" / "customers").exists()
    for child, column in (("loyalty", "client_id"), ("sessions", "customer_id"), ("orders", "customer_id")):
        orphans = con.execute(
            f"select count(*) from {child} where {column} is not null "
            f"and {column} not in (select customer_id from clients)"
        ).fetchone()
        assert orphans == (0,), child
    assert con.execute("select count(distinct client_id) > 100 from loyalty").fetchone() == (True,)
    stores = "select count(*) from clients where home_store not in (select store_id from stores)"
    assert con.execute(stores).fetchone() == (0,)  # an added column may reference a recipe table
    tiers = dict(con.execute("select tier, count(*) / sum(count(*)) over () from clients group by 1").fetchall())
    assert abs(tiers["bronze"] - 0.7) < 0.08
    manifest = json.loads((shaped / "manifest.json").read_text())
    assert manifest["tables"]["sessions"]["references"] == {"customer_id": "clients.customer_id"}
    assert manifest["tables"]["loyalty"]["references"] == {"client_id": "clients.customer_id"}
    assert manifest["tables"]["clients"]["references"] == {"home_store": "stores.store_id"}
    assert {f["table"] for f in manifest["faults"]} <= set(manifest["tables"])


def test_the_data_card_and_check_use_the_new_names_and_the_domain_is_unchanged(shaped: Path, tmp_path: Path) -> None:
    card = (shaped / "README.md").read_text()
    assert "### clients" in card and "### loyalty" in card and "### customers" not in card
    assert "Loyalty tier." in card
    code, shaped_check, _ = invoke("check", str(shaped))
    assert code == 0 and "23 of 23 knobs within tolerance" in shaped_check
    plain = tmp_path / "plain.yaml"
    plain.write_text(RECIPE.split("  tables:\n    customers:")[0] + "\n")
    assert invoke("build", str(plain), "--out", str(tmp_path / "plain"), "-q")[0] == 0
    _, plain_check, _ = invoke("check", str(tmp_path / "plain"))

    def domain_lines(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("domain.")]

    assert domain_lines(shaped_check) == domain_lines(plain_check) != []  # the domain realised the same figures


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (
            "    customer: {as: clients}\n",
            "bad-ref: domain.tables.customer: expected a table of domain clickstream, got 'customer' "
            "(did you mean `customers`?)",
        ),
        (
            "    customers: {drop: [customer_id]}\n",
            "bad-choice: domain.tables.customers.drop[0]: expected a column the domain's keys, references and "
            "arrival times do not need, got 'customer_id'",
        ),
        (
            "    customers: {drop: [segmnt]}\n",
            "bad-ref: domain.tables.customers.drop[0]: expected a column of customers, got 'segmnt' "
            "(did you mean `segment`?)",
        ),
        (
            "    customers: {as: loyalty}\n",
            "bad-choice: domain.tables.customers.as: expected a name no other table has, got 'loyalty'",
        ),
        (
            "    customers: {columns: {n: {sequence: 1}}}\n",
            "bad-choice: domain.tables.customers.columns.n: expected a generator that needs no row numbers on a "
            "domain table (not sequence, not unique)",
        ),
        (
            "    customers: {columns: {bank_account: {faker: iban}}}\n",
            "pii-unhandled: domain.tables.customers.columns.bank_account: expected a policy for iban PII",
        ),
    ],
)
def test_a_bad_shape_is_a_located_error(shape: str, expected: str, tmp_path: Path) -> None:
    recipe = tmp_path / "bad.yaml"
    head, _, tail = RECIPE.partition("  tables:\n    customers:")
    body = tail.split("tables:\n", 1)[1]
    recipe.write_text(
        head + "  tables:\n" + shape + "tables:\n" + body.replace("clients.customer_id", "customers.customer_id")
    )
    code, _, err = invoke("validate", str(recipe))
    assert code == 2
    assert f"{recipe}:8:" in err and expected in err, err
