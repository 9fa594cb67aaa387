"""`sandbox init --from`: a recipe drafted from a schema (a real PostgreSQL's, or a .sql file) builds data that the
same schema accepts through `sandbox load --into-existing` (issue #29)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from sandbox.cli import cli

SCHEMAS = Path(__file__).parent / "data" / "schemas"
SAMPLES = ["music_store", "film_rental", "shop"]
#: Reserved for documentation and testing (RFC 2606, RFC 6761): no real mailbox has one.
RESERVED_MAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+\.)*(example(\.(com|net|org))?|test|invalid|localhost)$")

pytestmark = pytest.mark.usefixtures("sandbox_postgres")


def psql(url: str, *args: str, schema: str | None = None) -> str:
    env = {"PATH": "/usr/bin:/bin", **({"PGOPTIONS": f"-c search_path={schema}"} if schema else {})}
    done = subprocess.run(
        ["psql", url, "-Atq", "-v", "ON_ERROR_STOP=1", *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def create(url: str, name: str, schema: str) -> None:
    psql(url, "-c", f"CREATE SCHEMA {schema}")
    psql(url, "-f", str(SCHEMAS / f"{name}.sql"), schema=schema)


def invoke(*args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(cli, list(args))
    return done.exit_code, done.stdout, done.stderr


def made(kind: str, folder: Path, name: str) -> Path:
    """A DuckDB or SQLite file with the sample schema `name`'s tables, empty."""
    database = folder / f"{name}.{kind}"
    ddl = (SCHEMAS / f"{name}.sql").read_text()
    if kind == "duckdb":
        duckdb.connect(str(database)).execute(ddl).close()
    else:
        sqlite3.connect(database).executescript(ddl)
    return database


def build_and_load(recipe: str, folder: Path, url: str, schema: str) -> Path:
    path = folder / f"{schema}.yaml"
    path.write_text(recipe)
    code, _, err = invoke("build", str(path), "--out", str(folder / schema), "-q")
    assert code == 0, err
    code, out, err = invoke("load", str(folder / schema), url, "--schema", schema, "--into-existing")
    assert code == 0, err
    assert "the database's own constraints accepted every row" in out
    return folder / schema


def emails(url: str, schema: str) -> list[str]:
    columns = psql(
        url,
        "-c",
        f"select table_name, column_name from information_schema.columns where table_schema = '{schema}' "
        "and column_name like '%email%'",
    ).split()
    values = []
    for line in columns:
        table, column = line.split("|")
        values += psql(url, "-c", f"select {column} from {schema}.{table} where {column} is not null").split()
    return values


@pytest.mark.parametrize("name", SAMPLES)
def test_a_draft_from_postgresql_builds_rows_the_same_schema_accepts(
    name: str, sandbox_postgres: str, tmp_path: Path
) -> None:
    url, schema = sandbox_postgres, f"db_{name}"
    create(url, name, schema)
    code, recipe, err = invoke("init", "--from", url, "--schema", schema, "--rows", "2000")
    assert code == 0, err
    assert "password" not in err and url.split(":")[2].split("@")[0] not in recipe + err  # never the password
    build_and_load(recipe, tmp_path, url, schema)
    counts = psql(url, "-c", f"select relname, n_live_tup from pg_stat_user_tables where schemaname = '{schema}'")
    tables = psql(url, "-c", f"select count(*) from information_schema.tables where table_schema = '{schema}'")
    for table in psql(
        url, "-c", f"select table_name from information_schema.tables where table_schema = '{schema}'"
    ).split():
        assert int(psql(url, "-c", f"select count(*) from {schema}.{table}")) > 0, (table, counts)
    assert int(tables) == len(re.findall(r"(?im)^create table", (SCHEMAS / f"{name}.sql").read_text()))
    found = emails(url, schema)
    assert found and all(RESERVED_MAIL.match(e) for e in found), [e for e in found if not RESERVED_MAIL.match(e)][:5]


@pytest.mark.parametrize("name", SAMPLES)
def test_a_draft_from_the_sql_file_alone_loads_into_that_schema_too(
    name: str, sandbox_postgres: str, tmp_path: Path
) -> None:
    code, recipe, err = invoke("init", "--from", str(SCHEMAS / f"{name}.sql"), "--rows", "2000")
    assert code == 0, err
    create(sandbox_postgres, name, f"file_{name}")
    build_and_load(recipe, tmp_path, sandbox_postgres, f"file_{name}")


def test_self_references_composite_keys_lengths_and_checks_hold_in_the_built_rows(tmp_path: Path) -> None:
    """Read back by DuckDB: the shop's join table never repeats a pair, managers are employees, no text exceeds
    its varchar, every status is one of the CHECK's."""
    _, recipe, _ = invoke("init", "--from", str(SCHEMAS / "shop.sql"), "--rows", "2000")
    (tmp_path / "shop.yaml").write_text(recipe)
    assert invoke("build", str(tmp_path / "shop.yaml"), "--out", str(tmp_path / "box"), "-q")[0] == 0
    con = duckdb.connect()
    for table in ("employees", "orders", "order_details", "suppliers"):
        con.execute(f"create view {table} as select * from '{tmp_path}/box/tables/{table}/*.parquet'")
    assert con.execute("select count(*) = count(distinct (order_id, product_id)) from order_details").fetchone()[0]
    assert con.execute("select count(*) from order_details").fetchone()[0] > 1000
    orphans = (
        "select count(*) from employees e where manager_id is not null "
        "and manager_id not in (select employee_id from employees)"
    )
    assert con.execute(orphans).fetchone()[0] == 0
    assert con.execute("select count(manager_id) < count(*), count(manager_id) > 0 from employees").fetchone() == (
        True,
        True,
    )
    assert con.execute(
        "select max(length(first_name)) <= 10, max(length(country)) <= 15 from employees, suppliers"
    ).fetchone() == (True, True)
    statuses = {r[0] for r in con.execute("select distinct status from orders").fetchall()}
    assert statuses == {"placed", "shipped", "delivered", "cancelled"}


def test_a_syntax_error_names_the_file_and_line_and_prints_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text(
        "CREATE TABLE a (id integer PRIMARY KEY);\n\n"
        "CREATE TABLE b (id integer PRIMARY KEY\n  name varchar(20) NOT NULL\n);\n"
    )
    code, out, err = invoke("init", "--from", str(bad))
    assert code == 2 and out == ""
    assert err == f"error: {bad}:4: expected valid SQL DDL: Expecting ) (at column 6, near `name`)\n"


def test_an_unknown_type_is_named_with_the_fallback_used(tmp_path: Path) -> None:
    ddl = tmp_path / "geo.sql"
    ddl.write_text("CREATE TABLE place (\n  place_id integer PRIMARY KEY,\n  shape geometry NOT NULL\n);\n")
    code, out, err = invoke("init", "--from", str(ddl))
    assert code == 0
    assert f"warning: {ddl}:3: place.shape: unknown type geometry, drafted as words (edit the column)" in err
    assert re.search(r"shape: \{faker: word, .*# geometry NOT NULL: UNKNOWN TYPE geometry", out)


def test_a_foreign_key_to_a_missing_table_is_exit_2(tmp_path: Path) -> None:
    ddl = tmp_path / "orphan.sql"
    ddl.write_text(
        "CREATE TABLE a (id integer PRIMARY KEY);\nCREATE TABLE b (\n  id integer PRIMARY KEY,\n"
        "  c_id integer REFERENCES c (id)\n);\n"
    )
    code, out, err = invoke("init", "--from", str(ddl))
    assert code == 2 and out == ""
    assert err == f"error: {ddl}:2: table b: foreign key c_id: expected a table of the schema (a, b), got c\n"


def test_an_unreachable_database_is_a_clear_error_with_the_password_masked() -> None:
    code, out, err = invoke("init", "--from", "postgresql://me:hunter2@127.0.0.1:1/db")
    assert code in (2, 3) and out == ""
    assert "hunter2" not in err and "postgresql://me:***@127.0.0.1:1/db" in err
    assert err.startswith("error: ") and "Traceback" not in err


def test_into_existing_names_a_missing_table_and_leaves_the_target_as_it_was(
    sandbox_postgres: str, tmp_path: Path
) -> None:
    psql(
        sandbox_postgres, "-c", "CREATE SCHEMA partial; CREATE TABLE partial.employees (employee_id bigint PRIMARY KEY)"
    )
    _, recipe, _ = invoke("init", "--from", str(SCHEMAS / "shop.sql"), "--rows", "200")
    (tmp_path / "shop.yaml").write_text(recipe)
    assert invoke("build", str(tmp_path / "shop.yaml"), "--out", str(tmp_path / "box"), "-q")[0] == 0
    code, _, err = invoke("load", str(tmp_path / "box"), sandbox_postgres, "--schema", "partial", "--into-existing")
    missing = "categories, customers, orders, suppliers, products, order_details (it has: employees)"
    assert code == 2 and f"--into-existing: schema partial has no table {missing}" in err
    assert psql(sandbox_postgres, "-c", "select count(*) from partial.employees").strip() == "0"
    code, _, err = invoke("load", str(tmp_path / "box"), sandbox_postgres, "--schema", "nowhere", "--into-existing")
    assert code == 2 and "expected schema nowhere to exist" in err


def test_a_join_table_cannot_have_more_rows_than_combinations_of_its_parents(tmp_path: Path) -> None:
    recipe = tmp_path / "join.yaml"
    recipe.write_text(
        "version: 1\nname: join\ntables:\n  a:\n    rows: 3\n    columns:\n      a_id: {sequence: 1}\n"
        "  b:\n    rows: 4\n    columns:\n      b_id: {sequence: 1}\n"
        "  ab:\n    rows: 13\n    key: [a_id, b_id]\n    columns:\n"
        "      a_id: {ref: a.a_id}\n      b_id: {ref: b.b_id}\n"
    )
    code, _, err = invoke("validate", str(recipe))
    assert code == 2
    assert "tables.ab.rows: expected at most 12 rows (each combination of a, b once, the key a_id, b_id), got 13" in err
    recipe.write_text(recipe.read_text().replace("rows: 13", "rows: 12"))
    assert invoke("build", str(recipe), "--out", str(tmp_path / "box"), "-q")[0] == 0
    pairs = duckdb.connect().execute(f"select count(distinct (a_id, b_id)) from '{tmp_path}/box/tables/ab/*.parquet'")
    assert pairs.fetchone()[0] == 12  # every combination, once


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_into_existing_duckdb_and_sqlite_tables(kind: str, tmp_path: Path) -> None:
    database = made(kind, tmp_path, "film_rental")
    _, recipe, _ = invoke("init", "--from", str(SCHEMAS / "film_rental.sql"), "--rows", "500")
    (tmp_path / "film.yaml").write_text(recipe)
    assert invoke("build", str(tmp_path / "film.yaml"), "--out", str(tmp_path / "box"), "-q")[0] == 0
    code, out, err = invoke("load", str(tmp_path / "box"), f"{kind}:///{database}", "--into-existing")
    assert code == 0, err
    assert out.startswith("loaded 11 tables, ")
    count = "select count(*) from rental r join customer c using (customer_id)"
    con = duckdb.connect(str(database)) if kind == "duckdb" else sqlite3.connect(database)
    joined = con.execute(count).fetchone()
    assert joined == (125,)  # every rental joins its customer (rentals are a step up from payments: 500 / 4)


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_a_draft_from_a_duckdb_or_sqlite_file_reads_its_keys_and_checks(kind: str, tmp_path: Path) -> None:
    database = made(kind, tmp_path, "shop")
    code, recipe, err = invoke("init", "--from", f"{kind}:///{database}")
    assert code == 0, err
    assert "manager_id: {ref: employees.employee_id, null_rate: 0.1}" in recipe  # a nullable self-reference
    assert "key: [order_id, product_id]" in recipe and "email: {safe: email" in recipe
    assert "status: {choice: [placed, shipped, delivered, cancelled]" in recipe
    assert "quantity: {zipf: 2.2, clip: [1, 50]}" in recipe  # CHECK (quantity > 0)
