"""A live database's tables as DDL text, for `schema.parse`: PostgreSQL's catalog rebuilt as CREATE TABLE
statements (`format_type` for each column, `pg_get_constraintdef` for each key and check), DuckDB's and
SQLite's own stored CREATE statements. Read-only: nothing is written to the database."""

from __future__ import annotations

from typing import Any

from sandbox.errors import UsageError
from sandbox.load import postgres
from sandbox.load.ddl import literal, quoted
from sandbox.load.plan import duckdb_connection
from sandbox.load.targets import Target

_COLUMNS = """
select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
where n.nspname = {schema} and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
order by c.oid, a.attnum"""
_CONSTRAINTS = """
select c.relname, pg_get_constraintdef(k.oid)
from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
where n.nspname = {schema} and k.contype in ('p', 'u', 'f', 'c')
order by c.oid, k.contype desc, k.conname"""


def _postgres(target: Target, schema: str) -> str:
    conn = postgres.connect(target.url)
    try:
        with conn.cursor() as cur:
            cur.execute(_COLUMNS.format(schema=literal(schema)))
            columns = cur.fetchall()
            cur.execute(_CONSTRAINTS.format(schema=literal(schema)))
            constraints = cur.fetchall()
        conn.rollback()
    finally:
        conn.close()
    if not columns:
        raise UsageError(f"{target.shown}: expected tables in schema {schema}, found none")
    body: dict[str, list[str]] = {}
    for table, column, kind, not_null in columns:
        body.setdefault(table, []).append(f"{quoted(column)} {kind}{' NOT NULL' if not_null else ''}")
    for table, definition in constraints:
        body[table].append(str(definition).replace(f"{quoted(schema)}.", "").replace(f"{schema}.", ""))
    return "\n".join(f"CREATE TABLE {quoted(t)} (\n  " + ",\n  ".join(lines) + "\n);" for t, lines in body.items())


def _duckdb(target: Target, schema: str) -> str:
    con = duckdb_connection("load")
    try:
        con.execute(f"ATTACH {literal(str(target.path))} AS source (READ_ONLY)")
        rows = con.execute(
            f"select sql from duckdb_tables() where database_name = 'source' and schema_name = {literal(schema)}"
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise UsageError(f"{target.shown}: expected tables in schema {schema}, found none")
    return "\n".join(str(r[0]).rstrip(";") + ";" for r in rows)


def _sqlite(target: Target) -> str:
    import sqlite3

    con = sqlite3.connect(f"file:{target.path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "select sql from sqlite_master where type = 'table' and name not like 'sqlite_%' order by rowid"
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise UsageError(f"{target.shown}: expected tables, found none")
    return "\n".join(str(r[0]).rstrip(";") + ";" for r in rows)


def ddl_of(target: Target, schema: str | None) -> tuple[str, str]:
    """(DDL text, the sqlglot dialect to read it with) of the database at `target`."""
    readers: dict[str, Any] = {
        "postgresql": lambda: (_postgres(target, schema or "public"), "postgres"),
        "duckdb": lambda: (_duckdb(target, schema or "main"), "duckdb"),
        "sqlite": lambda: (_sqlite(target), "sqlite"),
    }
    if target.kind == "sqlite" and schema:
        raise UsageError("--schema: SQLite has no schemas")
    if target.path is not None and not target.path.exists():
        raise UsageError(f"{target.shown}: expected an existing database file, found none")
    return readers[target.kind]()
