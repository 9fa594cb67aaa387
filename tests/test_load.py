"""`sandbox load` into a real PostgreSQL (a throwaway cluster this run starts with initdb), DuckDB and SQLite,
read back with each database's own client (psql, duckdb, sqlite3), never with the code that loaded it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import sandbox
from sandbox.cli import cli
from sandbox.load import load

SIZES = {"ecommerce": 2000, "iot": 2, "ledger": 2000, "starter": 1000}


def psql(url: str, sql: str) -> list[list[str]]:
    """Rows as PostgreSQL's own client prints them (unaligned, tab-separated)."""
    out = subprocess.run(
        ["psql", url, "-AtF", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return [line.split("\t") for line in out.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("built")
    for recipe, rows in SIZES.items():
        sandbox.build(recipe, root / recipe, rows=rows, seed=3)
    return {r: root / r for r in SIZES}


def _manifest_rows(box: Path) -> dict[str, int]:
    tables = json.loads((box / "manifest.json").read_text())["tables"]
    return {name: entry["rows"] for name, entry in tables.items()}


@pytest.mark.parametrize("recipe", list(SIZES))
def test_every_builtin_recipe_loads_into_postgresql_duckdb_and_sqlite(
    recipe: str, built: dict[str, Path], sandbox_postgres: str, tmp_path: Path
) -> None:
    """Row counts equal the manifest's in each database, truth in its own schema; PostgreSQL's catalogue holds
    the primary and foreign keys load declared, and SQLite's foreign keys check clean."""
    box, expected = built[recipe], _manifest_rows(built[recipe])
    done = load(box, sandbox_postgres, schema=recipe, replace=True, truth=True)
    schemas = {name: "data" if entry["role"] == "data" else "truth" for name, entry in
               json.loads((box / "manifest.json").read_text())["tables"].items()}  # fmt: skip
    counted = {}
    for name, role in schemas.items():
        schema = recipe if role == "data" else f"{recipe}_truth"
        counted[name] = int(psql(sandbox_postgres, f'select count(*) from "{schema}"."{name}"')[0][0])
    assert counted == expected
    keys = psql(
        sandbox_postgres,
        f"""select constraint_type, count(*) from information_schema.table_constraints
        where table_schema in ('{recipe}', '{recipe}_truth') and constraint_type in ('PRIMARY KEY', 'FOREIGN KEY')
        group by 1""",
    )
    assert dict((k, int(n)) for k, n in keys) == {"PRIMARY KEY": done.primary_keys, "FOREIGN KEY": done.foreign_keys}
    assert done.primary_keys >= 3 and done.foreign_keys >= 1

    load(box, f"duckdb:///{tmp_path}/box.duckdb", schema=recipe, truth=True)
    con = duckdb.connect(str(tmp_path / "box.duckdb"), read_only=True)
    in_duck = {n: con.execute(f'select count(*) from "{recipe}{"" if r == "data" else "_truth"}"."{n}"').fetchone()[0]
               for n, r in schemas.items()}  # fmt: skip
    assert in_duck == expected

    load(box, f"sqlite:///{tmp_path}/box.db", truth=True)
    lite = sqlite3.connect(tmp_path / "box.db")
    assert {n: lite.execute(f'select count(*) from "{n}"').fetchone()[0] for n in schemas} == expected
    assert lite.execute("pragma foreign_key_check").fetchall() == []


def test_postgresql_gets_exact_types_keys_and_comments_and_joins_like_duckdb_over_parquet(
    built: dict[str, Path], sandbox_postgres: str
) -> None:
    box = built["ecommerce"]
    done = load(box, sandbox_postgres, schema="shop_types", replace=True)
    columns = dict(
        ((t, c), kind)
        for t, c, kind in psql(
            sandbox_postgres,
            """select table_name, column_name,
            case when data_type = 'numeric' then format('numeric(%s,%s)', numeric_precision, numeric_scale)
            else data_type end from information_schema.columns where table_schema = 'shop_types'""",
        )
    )
    assert columns["orders", "total"] == "numeric(12,2)" and columns["order_items", "unit_price"] == "numeric(12,2)"
    assert columns["orders", "ordered_at"] == "timestamp with time zone"
    assert columns["customers", "birth_date"] == "date" and columns["orders", "order_id"] == "bigint"
    assert columns["customers", "segment"] == "text" and columns["customers", "marketing_opt_in"] == "boolean"
    fks = psql(
        sandbox_postgres,
        """select tc.table_name, kcu.column_name, ccu.table_name
        from information_schema.table_constraints tc
        join information_schema.key_column_usage kcu using (constraint_schema, constraint_name)
        join information_schema.constraint_column_usage ccu using (constraint_schema, constraint_name)
        where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = 'shop_types'""",
    )
    assert ["orders", "customer_id", "customers"] in fks and ["order_items", "order_id", "orders"] in fks
    # the duplicated events are faults the sandbox keeps: their key is reported, not declared
    assert any(w.startswith("events (event_id): no primary key:") for w in done.withheld)
    indexed = psql(sandbox_postgres, "select indexname from pg_indexes where schemaname = 'shop_types'")
    assert ["orders_customer_id_idx"] in indexed
    comment = psql(sandbox_postgres, "select obj_description('shop_types.orders'::regclass)")
    assert comment == [["One order per purchase."]]

    join = """select c.country, count(*), sum(o.total) from {o} o join {c} c using (customer_id)
              group by 1 order by 1"""
    in_pg = psql(sandbox_postgres, join.format(o="shop_types.orders", c="shop_types.customers"))
    parquet = duckdb.connect().execute(
        join.format(o=f"'{box}/tables/orders/*.parquet'", c=f"'{box}/tables/customers/*.parquet'")
    )
    assert in_pg == [[str(country), str(n), f"{total:.2f}"] for country, n, total in parquet.fetchall()]


def test_foreign_keys_are_not_valid_but_enforced_unless_validate_and_a_nullable_ones_index_is_partial(
    built: dict[str, Path], sandbox_postgres: str
) -> None:
    """DuckDB has checked the references, so PostgreSQL declares them NOT VALID (no second scan) and still
    refuses a write that breaks one; `--validate` has PostgreSQL check every row. An index on a column with
    nulls skips them, and a lookup by value uses it."""
    box = built["ecommerce"]
    valid = "select bool_and(convalidated) from pg_constraint where contype = 'f' and connamespace = '{}'::regnamespace"
    load(box, sandbox_postgres, schema="shop_fast", replace=True)
    assert psql(sandbox_postgres, valid.format("shop_fast")) == [["f"]]
    broken = subprocess.run(
        [
            "psql",
            sandbox_postgres,
            "-Atqc",
            "update shop_fast.orders set customer_id = -5 where order_id = "
            "(select min(order_id) from shop_fast.orders)",
        ],
        capture_output=True,
        text=True,
    )
    assert broken.returncode != 0 and "violates foreign key constraint" in broken.stderr
    ran = CliRunner().invoke(cli, ["load", str(box), sandbox_postgres, "--schema", "shop_checked", "--validate", "-q"])
    assert ran.exit_code == 0, ran.output
    assert psql(sandbox_postgres, valid.format("shop_checked")) == [["t"]]
    index = psql(
        sandbox_postgres,
        "select indexdef from pg_indexes where indexname = 'events_product_id_idx' and schemaname = 'shop_fast'",
    )
    assert index[0][0].endswith("WHERE (product_id IS NOT NULL)")
    plan = psql(
        sandbox_postgres, "set enable_seqscan = off; explain select * from shop_fast.events where product_id = 3"
    )
    assert any("events_product_id_idx" in line[0] for line in plan)


def test_an_existing_schema_needs_replace_and_a_password_is_never_shown(
    built: dict[str, Path], sandbox_postgres: str
) -> None:
    box = str(built["starter"])
    first = CliRunner().invoke(cli, ["load", box, sandbox_postgres, "--schema", "again", "--replace", "-q"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("loaded ") and "primary keys" in first.output
    password = sandbox_postgres.split("://", 1)[1].split("@")[0].split(":")[1]
    assert password not in first.output
    second = CliRunner().invoke(cli, ["load", box, sandbox_postgres, "--schema", "again"])
    assert second.exit_code == 2 and "schema again exists (pass --replace to replace it)" in second.output
    wrong = sandbox_postgres.replace(f":{password}@", ":not-the-password@")
    refused = CliRunner().invoke(cli, ["load", box, wrong, "--schema", "other"])
    assert refused.exit_code == 2 and "refused the login" in refused.output, refused.output
    assert "not-the-password" not in refused.output and "sandbox:***@127.0.0.1" in refused.output
    gone = CliRunner().invoke(cli, ["load", box, "postgresql://me:hunter2@127.0.0.1:9/db"])
    assert gone.exit_code == 3 and "could not connect" in gone.output and "hunter2" not in gone.output
    assert "postgresql://me:***@127.0.0.1:9/db" in gone.output
    lite = CliRunner().invoke(cli, ["load", box, "sqlite:///x.db", "--schema", "s"])
    assert lite.exit_code == 2 and "SQLite has no schemas" in lite.output


def _sigkill_mid_load(args: list[str], under_way: Callable[[], bool]) -> None:
    """Run `sandbox load ARGS` and SIGKILL it as soon as `under_way()` says it is writing rows."""
    log = open(Path(args[0]).parent / "load.log", "w+")  # noqa: SIM115  (read back below)
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "load", *args], stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not under_way():
        time.sleep(0.01)
    ended = proc.poll()
    if ended is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    log.seek(0)
    output = log.read()
    log.close()
    assert ended is None, f"the load ended (exit {ended}) before it could be killed: {output}"


def test_a_killed_load_leaves_the_target_as_it_was(
    built: dict[str, Path], sandbox_postgres: str, tmp_path: Path
) -> None:
    """A --replace load of a bigger sandbox, SIGKILLed while copying rows: the old schema's rows are all still
    there, alone, in PostgreSQL and in DuckDB."""
    small = built["ecommerce"]
    big = tmp_path / "big"
    sandbox.build("ecommerce", big, rows=60_000, seed=3)
    before = _manifest_rows(small)
    load(small, sandbox_postgres, schema="kept", replace=True)
    copying = "select count(*) from pg_stat_activity where query ilike 'copy%'"

    def copying_rows() -> bool:
        return psql(sandbox_postgres, copying)[0][0] != "0"

    _sigkill_mid_load([str(big), sandbox_postgres, "--schema", "kept", "--replace"], copying_rows)
    for _ in range(100):  # the server notices the dead client and rolls its transaction back
        if not copying_rows():
            break
        time.sleep(0.1)
    after = {n: int(psql(sandbox_postgres, f'select count(*) from kept."{n}"')[0][0]) for n in before if n != "defects"}
    assert after == {n: r for n, r in before.items() if n != "defects"}
    assert psql(sandbox_postgres, "select nspname from pg_namespace where nspname like 'kept%'") == [["kept"]]

    file = tmp_path / "kept.duckdb"
    load(small, f"duckdb:///{file}", schema="kept")
    size = file.stat().st_size

    def writing_rows() -> bool:  # DuckDB writes a big insert's blocks to the file before it commits
        return file.stat().st_size > size + 1_000_000 or Path(f"{file}.wal").exists()

    _sigkill_mid_load([str(big), f"duckdb:///{file}", "--schema", "kept", "--replace"], writing_rows)
    con = duckdb.connect()
    con.execute(f"attach '{file}' as target (read_only)")  # the file's own name, kept, is its schema's too
    assert {n: con.execute(f'select count(*) from target.kept."{n}"').fetchone()[0] for n in after} == after


def test_the_password_may_come_from_pgpassword_as_libpq_reads_it(
    built: dict[str, Path], sandbox_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A URL without a password: libpq's usual environment supplies it, and `--only` loads just those tables
    (a reference to a table left out is no foreign key)."""
    user, rest = sandbox_postgres.split("://", 1)[1].split("@")
    name, password = user.split(":")
    monkeypatch.setenv("PGPASSWORD", password)
    done = load(built["ecommerce"], f"postgresql://{name}@{rest}", schema="from_env", only=["orders", "customers"])
    assert sorted(done.rows) == ["customers", "orders"] and done.foreign_keys == 1  # orders.customer_id
    assert psql(sandbox_postgres, "select count(*) from from_env.orders") == [[str(done.rows["orders"])]]
