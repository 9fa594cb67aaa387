"""The rows of a table in the order they would have arrived, as Arrow batches: by the table's arrival column
(the manifest's `arrival`: `received_at` for readings, so late deliveries and duplicates come when they came;
event time for events and orders; `--by` for any other), ties broken by the table's key and then by every
other column, so the order is a pure function of the data. DuckDB sorts (out of core for big tables) and
streams the result; `--start`, `--until` and `--limit` cut it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from sandbox.errors import UsageError
from sandbox.load.plan import duckdb_connection, parquet_scan
from sandbox.output.opened import Sandbox


@dataclass(frozen=True)
class Window:
    start: datetime | None = None
    until: datetime | None = None
    limit: int | None = None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def arrival_column(box: Sandbox, table: str, by: str | None) -> str:
    """The column the table's rows arrive by: `by`, else the manifest's, else its only timestamp column."""
    entry = box.manifest["tables"][table]
    columns = {c["name"]: c["type"] for c in entry["columns"]}
    if by is not None:
        if by not in columns:
            raise UsageError(f"--by: expected a column of {table} ({', '.join(columns)}), got {by!r}")
        if not columns[by].startswith(("timestamp", "date")):
            raise UsageError(f"--by: expected a timestamp column, got {by} ({columns[by]})")
        return by
    if entry.get("arrival"):
        return str(entry["arrival"])
    stamps = [c for c, kind in columns.items() if kind.startswith("timestamp")]
    if len(stamps) == 1:
        return stamps[0]
    raise UsageError(
        f"{table}: expected --by COLUMN, the timestamp its rows arrive by "
        f"({'one of ' + ', '.join(stamps) if stamps else 'it has none'})"
    )


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _instant(text: str, where: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{where}: expected an ISO 8601 instant such as 2025-03-01T06:00:00Z, got {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def window_of(
    box: Sandbox, table: str, arrival: str, start: str | None, until: str | None, limit: int | None
) -> Window:
    """--start TS, --until TS or +DURATION (2h, 30m, 1d, 90s: after --start, else after the first row), --limit."""
    begin = _instant(start, "--start") if start else None
    end = None
    if until and until.startswith("+"):
        match = re.fullmatch(r"\+(\d+(?:\.\d+)?)([smhd])", until)
        if not match:
            raise UsageError(f"--until: expected an instant or +DURATION such as +2h, +30m, +1d, got {until!r}")
        if begin is None:
            con = connection()
            files = [str(p) for p in box.files(table)]
            try:
                first = con.execute(f"select min({_quoted(arrival)}) from {parquet_scan(files)}").fetchone()[0]
            finally:
                con.close()
            begin_at = first if first is None or first.tzinfo else first.replace(tzinfo=UTC)
        else:
            begin_at = begin
        end = None if begin_at is None else begin_at + timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    elif until:
        end = _instant(until, "--until")
    if limit is not None and limit < 0:
        raise UsageError(f"--limit: expected 0 or more rows, got {limit}")
    return Window(begin, end, limit)


def connection() -> Any:
    """An in-memory DuckDB that reads and shows instants in UTC."""
    con = duckdb_connection("replay")
    con.execute("set TimeZone = 'UTC'")
    return con


def ordered(box: Sandbox, table: str, arrival: str, window: Window, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The table's rows in arrival order, within `window`, `batch_rows` at a time."""
    con = connection()
    try:
        yield from sorted_batches(con, box, table, arrival, [str(p) for p in box.files(table)], window, batch_rows)
    finally:
        con.close()


def sorted_batches(
    con: Any,
    box: Sandbox,
    table: str,
    arrival: str,
    files: list[str],
    window: Window,
    batch_rows: int,
    held: str | None = None,
) -> Iterator[pa.RecordBatch]:
    """The rows of the Parquet `files` (and of the relation `held` of `con`, when given), in arrival order and
    within `window`, by DuckDB on the connection `con` (its TimeZone UTC)."""
    entry = box.manifest["tables"][table]
    columns = [c["name"] for c in entry["columns"]]
    key = [c for c in entry.get("key") or [] if c != arrival]
    rest = [c for c in columns if c != arrival and c not in key]
    order = ", ".join(_quoted(c) for c in [arrival, *key, *rest])
    where, params = [], []
    if window.start is not None:
        where.append(f"{_quoted(arrival)} >= ?")
        params.append(window.start)
    if window.until is not None:
        where.append(f"{_quoted(arrival)} < ?")
        params.append(window.until)
    listed = ", ".join(_quoted(c) for c in columns)
    sources = ([parquet_scan(files)] if files else []) + ([held] if held else [])
    sql = f"select {listed} from (" + " union all ".join(f"select {listed} from {s}" for s in sources) + ")"
    sql += (" where " + " and ".join(where) if where else "") + f" order by {order} nulls last"
    sql += f" limit {int(window.limit)}" if window.limit is not None else ""
    relation = con.sql(sql, params=params)
    # DuckDB 2 names it to_arrow_reader; 1.x fetch_record_batch
    reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
    yield from reader(batch_rows)
