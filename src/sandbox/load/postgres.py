"""Loading into PostgreSQL through ADBC (Arrow-native COPY), in one transaction: the tables are created in a
staging schema, filled, given their keys, indexes and comments, and only then renamed into place (the old
schema dropped with `--replace`) and committed. A load that fails or is killed leaves the target as it was.

Foreign keys are declared NOT VALID unless `validate`: DuckDB has proven every reference over the Parquet
files (`plan`), and PostgreSQL's own re-scan of the loaded rows (VALIDATE) is a fifth of a 7M-row load
(3.1 of 17 s, `bench/bench_load.py`). A NOT VALID key is enforced on every later insert and update."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.errors import MissingExtra
from sandbox.load import ddl
from sandbox.load.batches import reader
from sandbox.load.plan import LoadPlan


def connect(url: str) -> Any:
    try:
        import adbc_driver_postgresql.dbapi as pg
    except ImportError:
        raise MissingExtra("load", "adbc-driver-postgresql") from None
    return pg.connect(url)


def existing(conn: Any, names: list[str]) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("select nspname from pg_namespace")
        found = {row[0] for row in cur.fetchall()}
    conn.rollback()
    return [n for n in names if n in found]


def write(
    conn: Any,
    plan: LoadPlan,
    schemas: Mapping[str, str],
    replace: bool,
    progress: Callable[[str, int], None],
    validate: bool = False,
) -> None:
    """Every table of `plan` into `schemas[role]` (see the module's text)."""
    staging = {role: f"{name[:40]}__loading_{os.getpid()}" for role, name in schemas.items()}
    with conn.cursor() as cur:
        for role in {t.role for t in plan.tables}:
            cur.execute(f"CREATE SCHEMA {ddl.quoted(staging[role])}")
        for table in plan.tables:
            cur.execute(ddl.create_table(table, staging[table.role], "postgresql", inline_keys=False))
        for table in plan.tables:
            stream = reader(table, "postgresql", functools.partial(progress, table.name))
            cur.adbc_ingest(table.name, stream, mode="append", db_schema_name=staging[table.role])
        for table in plan.tables:  # parents first: a foreign key needs its parent's primary key
            for statement in ddl.keys_after(table, staging[table.role], validate) + ddl.comments(
                table, staging[table.role]
            ):
                cur.execute(statement)
        for role in {t.role for t in plan.tables}:
            if replace:
                cur.execute(f"DROP SCHEMA IF EXISTS {ddl.quoted(schemas[role])} CASCADE")
            cur.execute(f"ALTER SCHEMA {ddl.quoted(staging[role])} RENAME TO {ddl.quoted(schemas[role])}")
    conn.commit()
