"""Loading into a SQLite file through ADBC, in one transaction. SQLite has no schemas: the tables keep their
names (truth tables are already named apart in the manifest). The old tables are dropped (`--replace`), the new
ones created with their keys, filled, their foreign keys checked with `PRAGMA foreign_key_check`, then
committed. A load that fails or is killed leaves the file as it was."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sandbox.errors import MissingExtra
from sandbox.load import ddl
from sandbox.load.batches import reader
from sandbox.load.plan import LoadPlan, check_existing


class ForeignKeyViolation(RuntimeError):
    pass


def connect(path: Path) -> Any:
    try:
        import adbc_driver_sqlite.dbapi as sq
    except ImportError:
        raise MissingExtra("load", "adbc-driver-sqlite") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    return sq.connect(str(path))


def existing(conn: Any, names: list[str]) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("select name from sqlite_master where type = 'table'")
        found = {row[0] for row in cur.fetchall()}
    return [n for n in names if n in found]


def write(
    conn: Any, plan: LoadPlan, schemas: Mapping[str, str], replace: bool, progress: Callable[[str, int], None]
) -> None:
    with conn.cursor() as cur:
        if replace:
            for table in reversed(plan.tables):
                cur.execute(f"DROP TABLE IF EXISTS {ddl.quoted(table.name)}")
        for table in plan.tables:
            cur.execute(ddl.create_table(table, None, "sqlite", inline_keys=True))
            cur.adbc_ingest(table.name, reader(table, "sqlite", functools.partial(progress, table.name)), mode="append")
            for statement in ddl.indexes(table, None):
                cur.execute(statement)
        cur.execute("PRAGMA foreign_key_check")
        broken = cur.fetchall()
        if broken:
            raise ForeignKeyViolation(f"{len(broken)} rows break a foreign key, e.g. {broken[0]}")
    conn.commit()


def write_existing(conn: Any, plan: LoadPlan, schema: str, replace: bool, progress: Callable[[str, int], None]) -> None:
    """Every table of `plan` appended to the existing table, parents first, in one transaction (`replace`:
    emptied first, children first), then SQLite's foreign_key_check."""
    with conn.cursor() as cur:
        found: dict[str, dict[str, str]] = {}
        for table in plan.tables:
            cur.execute(f"select name, type from pragma_table_info({ddl.literal(table.name)})")
            rows = cur.fetchall()
            if rows:
                found[table.name] = {str(n): str(k) for n, k in rows}
        check_existing(plan, schema, found)
        if replace:
            for table in reversed(plan.tables):
                cur.execute(f"DELETE FROM {ddl.quoted(table.name)}")
        for table in plan.tables:
            cur.adbc_ingest(table.name, reader(table, "sqlite", functools.partial(progress, table.name)), mode="append")
        cur.execute("PRAGMA foreign_key_check")
        broken = cur.fetchall()
        if broken:
            raise ForeignKeyViolation(f"{len(broken)} rows break a foreign key, e.g. {broken[0]}")
    conn.commit()
