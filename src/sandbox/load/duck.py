"""Loading into a DuckDB file natively, in one transaction: the old schema dropped (`--replace`), the new one
created with its keys (DuckDB declares them only at creation), filled straight from the Parquet files by
DuckDB's own reader, parents first, then committed. A load that fails or is killed leaves the file as it was."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sandbox.load import ddl
from sandbox.load.plan import LoadPlan, check_existing, duckdb_connection, parquet_scan

CATALOG = "sandbox_load_target"


def connect(path: Path) -> Any:
    duckdb_connection()  # the install hint, if DuckDB is missing
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect()
    # attached under a name of our own: a file called like its schema (kept.duckdb, schema kept) is ambiguous
    conn.execute(f"ATTACH {ddl.literal(str(path))} AS {ddl.quoted(CATALOG)}")
    return conn


def existing(conn: Any, names: list[str]) -> list[str]:
    found = conn.execute("select schema_name from information_schema.schemata where catalog_name = ?", [CATALOG])
    return [n for n in names if n in {row[0] for row in found.fetchall()}]


def write(
    conn: Any, plan: LoadPlan, schemas: Mapping[str, str], replace: bool, progress: Callable[[str, int], None]
) -> None:
    catalog = CATALOG
    conn.execute("BEGIN TRANSACTION")
    try:
        for role in {t.role for t in plan.tables}:
            name = f"{ddl.quoted(catalog)}.{ddl.quoted(schemas[role])}"
            if replace:
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            conn.execute(f"CREATE SCHEMA {name}")
        for table in plan.tables:
            schema = schemas[table.role]
            conn.execute(ddl.create_table(table, schema, "duckdb", inline_keys=True, catalog=catalog))
            if table.files:
                columns = ", ".join(ddl.quoted(c) for c in table.schema.names)
                conn.execute(
                    f"INSERT INTO {ddl.qualified(schema, table.name, catalog)} ({columns}) "
                    f"SELECT {columns} FROM {parquet_scan(table.files)}"
                )
            progress(table.name, table.rows)
            for statement in ddl.indexes(table, schema, catalog, partial=False) + ddl.comments(table, schema, catalog):
                conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def write_existing(conn: Any, plan: LoadPlan, schema: str, replace: bool, progress: Callable[[str, int], None]) -> None:
    """Every table of `plan` appended to the existing table of `schema`, parents first, in one transaction
    (`replace`: emptied first, children first); DuckDB casts each column to the table's type."""
    found: dict[str, dict[str, str]] = {}
    for table, column, kind in conn.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ?",
        [CATALOG, schema],
    ).fetchall():
        found.setdefault(table, {})[column] = kind
    check_existing(plan, schema, found)
    conn.execute("BEGIN TRANSACTION")
    try:
        if replace:
            for table in reversed(plan.tables):
                conn.execute(f"DELETE FROM {ddl.qualified(schema, table.name, CATALOG)}")
        for table in plan.tables:
            columns = ", ".join(ddl.quoted(c) for c in table.schema.names)
            if table.files:
                conn.execute(
                    f"INSERT INTO {ddl.qualified(schema, table.name, CATALOG)} ({columns}) "
                    f"SELECT {columns} FROM {parquet_scan(table.files)}"
                )
            progress(table.name, table.rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
