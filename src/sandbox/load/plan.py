"""What `sandbox load` creates: the tables to load (data, and truth with `--truth`), parents first, each with its
columns' Arrow types and descriptions, and the keys that hold in the data.

A sandbox keeps its faults: duplicated events share an event_id, a late reading may repeat a (sensor, ts). So a
table's key becomes a primary key only where it is unique and has no nulls, and a reference becomes a foreign
key only where its parent's key is a primary key and every non-null value is one of the parent's ids. Both are
checked before anything is written, by DuckDB over the Parquet files (another reader than the one that wrote
them); what does not hold is reported with its count, and the database then checks what is declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.errors import MissingExtra, UsageError
from sandbox.output.opened import Sandbox


@dataclass(frozen=True)
class ForeignKey:
    column: str
    parent: str
    parent_column: str


@dataclass
class TablePlan:
    name: str
    role: str
    description: str
    files: list[str]
    schema: pa.Schema
    rows: int
    descriptions: dict[str, str]
    #: Each column's null count (the manifest's): a foreign key column with nulls gets a partial index.
    nulls: dict[str, int] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[ForeignKey] = field(default_factory=list)


@dataclass
class LoadPlan:
    tables: list[TablePlan]
    #: What was not declared, and why (`events.event_id: not a primary key: 12 duplicated ids`).
    withheld: list[str]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def parquet_scan(files: list[str]) -> str:
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"read_parquet([{listed}], hive_partitioning = false)"


def duckdb_connection(extra: str = "load") -> Any:
    """An in-memory DuckDB (the install hint of `extra` if it is missing)."""
    try:
        import duckdb
    except ImportError:
        raise MissingExtra(extra, "duckdb") from None
    return duckdb.connect()


def _key_problem(con: Any, table: TablePlan) -> str | None:
    key = ", ".join(_quoted(c) for c in table.primary_key)
    nulls = " or ".join(f"{_quoted(c)} is null" for c in table.primary_key)
    row = con.execute(
        f"select (select count(*) from {parquet_scan(table.files)} where {nulls}), "
        f"(select count(*) from (select {key} from {parquet_scan(table.files)} group by all having count(*) > 1))"
    ).fetchone()
    if row[0]:
        return f"{row[0]:,} rows with a null key"
    if row[1]:
        return f"{row[1]:,} key values on more than one row (the sandbox's duplicate faults)"
    return None


def _orphans(con: Any, child: TablePlan, fk: ForeignKey, parent: TablePlan) -> int:
    column, key = _quoted(fk.column), _quoted(fk.parent_column)
    return int(
        con.execute(
            f"select count(*) from {parquet_scan(child.files)} c where c.{column} is not null and not exists "
            f"(select 1 from {parquet_scan(parent.files)} p where p.{key} = c.{column})"
        ).fetchone()[0]
    )


def _ordered(tables: list[TablePlan]) -> list[TablePlan]:
    """Parents before children (a cycle keeps the manifest's order)."""
    done: list[TablePlan] = []
    pending = list(tables)
    while pending:
        names = {t.name for t in done}
        ready = [t for t in pending if all(f.parent in names or f.parent == t.name for f in t.foreign_keys)]
        done.append((ready or pending)[0])
        pending.remove(done[-1])
    return done


def table_plan(box: Sandbox, name: str) -> TablePlan:
    """One table's files, schema, descriptions and declared keys, before any check."""
    entry = box.manifest["tables"][name]
    files = [str(p) for p in box.files(name)]
    schema = pq.read_schema(files[0]) if files else pa.schema([])
    references = entry.get("references") or {}
    return TablePlan(
        name=name,
        role=entry["role"],
        description=entry.get("description", ""),
        files=files,
        schema=schema,
        rows=int(entry["rows"]),
        descriptions={c["name"]: c.get("description", "") for c in entry["columns"]},
        nulls={c["name"]: int(c.get("nulls", 0)) for c in entry["columns"]},
        primary_key=tuple(entry.get("key") or ()),
        foreign_keys=[ForeignKey(c, *target.split(".", 1)) for c, target in sorted(references.items())],
    )


def plan(
    box: Sandbox,
    truth: bool,
    only: Iterable[str] = (),
    progress: Callable[[str], None] | None = None,
    self_references: bool = True,
) -> LoadPlan:
    """The tables `load` writes and the keys it declares (see the module's text); without `self_references`
    (DuckDB checks a key into the same table row by row as it inserts, so a row whose parent comes later
    fails) a reference to the table's own key is checked but not declared."""
    wanted = list(only)
    names = [n for n in box.manifest["tables"] if box.manifest["tables"][n]["role"] == "data" or truth]
    unknown = [n for n in wanted if n not in box.manifest["tables"]]
    if unknown:
        raise UsageError(f"--only: expected tables of {box.path} ({', '.join(names)}), got {', '.join(unknown)}")
    if wanted:
        names = [n for n in names if n in wanted]
    tables = [table_plan(box, n) for n in names]
    by_name = {t.name: t for t in tables}
    withheld: list[str] = []
    con = duckdb_connection()
    if progress:
        progress(f"checking the keys and references of {len(tables)} tables (DuckDB over the Parquet files)")
    for table in tables:
        if table.primary_key and table.files:
            problem = _key_problem(con, table)
            if problem:
                withheld.append(f"{table.name} ({', '.join(table.primary_key)}): no primary key: {problem}")
                table.primary_key = ()
    for table in tables:
        kept = []
        for fk in table.foreign_keys:
            parent = by_name.get(fk.parent)
            where = f"{table.name}.{fk.column} -> {fk.parent}.{fk.parent_column}"
            if parent is None:
                continue  # its parent is not loaded (--only): nothing to point at
            if parent.primary_key != (fk.parent_column,):
                withheld.append(f"{where}: no foreign key: the parent's ids are not a primary key")
                continue
            orphans = _orphans(con, table, fk, parent) if table.files and parent.files else 0
            if orphans:
                withheld.append(f"{where}: no foreign key: {orphans:,} rows point at no {fk.parent} row")
                continue
            if fk.parent == table.name and not self_references:
                withheld.append(
                    f"{where}: no foreign key: every row holds it, but DuckDB checks a key into its own table "
                    "as each row goes in"
                )
                continue
            kept.append(fk)
        table.foreign_keys = kept
    con.close()
    return LoadPlan(_ordered(tables), withheld)


def check_existing(plan: LoadPlan, schema: str, found: dict[str, dict[str, str]]) -> None:
    """Exit 2 unless every table of `plan` exists in `found` (table -> column -> type) with all its columns."""
    missing = [t.name for t in plan.tables if t.name not in found]
    if missing:
        has = ", ".join(sorted(found)) or "none"
        raise UsageError(f"--into-existing: schema {schema} has no table {', '.join(missing)} (it has: {has})")
    for table in plan.tables:
        extra = [c for c in table.schema.names if c not in found[table.name]]
        if extra:
            raise UsageError(
                f"--into-existing: {schema}.{table.name} has no column {', '.join(extra)} "
                f"(it has: {', '.join(found[table.name])})"
            )
