"""SQL for `sandbox load`: each Arrow type as the target's exact type, and the statements that create a table,
its keys, the indexes on its foreign keys and its comments, for PostgreSQL, DuckDB and SQLite.

| Arrow | PostgreSQL | DuckDB | SQLite |
| --- | --- | --- | --- |
| int8 / int16 / int32 / int64 | smallint / smallint / integer / bigint | TINYINT ... BIGINT | INTEGER |
| float32 / float64 | real / double precision | REAL / DOUBLE | REAL |
| decimal128(p, s) | numeric(p, s) | DECIMAL(p, s) | NUMERIC(p, s) (SQLite keeps it as REAL) |
| timestamp with a zone / without | timestamptz / timestamp | TIMESTAMPTZ / TIMESTAMP | TEXT, ISO 8601 |
| date32 | date | DATE | TEXT, YYYY-MM-DD |
| string, dictionary of strings | text | VARCHAR | TEXT |
| bool | boolean | BOOLEAN | INTEGER 0 / 1 |
"""

from __future__ import annotations

import pyarrow as pa

from sandbox.errors import UsageError
from sandbox.load.plan import TablePlan

_INTS = {
    "postgresql": {8: "smallint", 16: "smallint", 32: "integer", 64: "bigint"},
    "duckdb": {8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT"},
}
_UINTS = {
    "postgresql": {8: "smallint", 16: "integer", 32: "bigint", 64: "numeric(20, 0)"},
    "duckdb": {8: "UTINYINT", 16: "USMALLINT", 32: "UINTEGER", 64: "UBIGINT"},
}
_SIMPLE = {
    "postgresql": {"float": "real", "double": "double precision", "bool": "boolean", "string": "text",
                   "date": "date", "binary": "bytea", "time": "time", "duration": "interval"},
    "duckdb": {"float": "REAL", "double": "DOUBLE", "bool": "BOOLEAN", "string": "VARCHAR", "date": "DATE",
               "binary": "BLOB", "time": "TIME", "duration": "INTERVAL"},
    "sqlite": {"float": "REAL", "double": "REAL", "bool": "INTEGER", "string": "TEXT", "date": "TEXT",
               "binary": "BLOB", "time": "TEXT", "duration": "INTEGER"},
}  # fmt: skip


def _family(kind: pa.DataType) -> str | None:
    checks = [
        ("float", pa.types.is_float32),
        ("float", pa.types.is_float16),
        ("double", pa.types.is_float64),
        ("bool", pa.types.is_boolean),
        ("string", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)),
        ("date", pa.types.is_date),
        ("binary", lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t)),
        ("time", pa.types.is_time),
        ("duration", pa.types.is_duration),
    ]
    return next((name for name, check in checks if check(kind)), None)


def sql_type(kind: pa.DataType, dialect: str, where: str) -> str:
    """The target's type for an Arrow type, or exit 2 naming the column."""
    if pa.types.is_dictionary(kind):
        return sql_type(kind.value_type, dialect, where)
    if pa.types.is_integer(kind):
        if dialect == "sqlite":
            return "INTEGER"
        table = _INTS if pa.types.is_signed_integer(kind) else _UINTS
        return table[dialect][kind.bit_width]
    if pa.types.is_decimal(kind):
        return f"{'numeric' if dialect == 'postgresql' else 'NUMERIC' if dialect == 'sqlite' else 'DECIMAL'}" + (
            f"({kind.precision}, {kind.scale})"
        )
    if pa.types.is_timestamp(kind):
        if dialect == "sqlite":
            return "TEXT"
        zoned = kind.tz is not None
        return (
            ("timestamptz" if zoned else "timestamp")
            if dialect == "postgresql"
            else ("TIMESTAMPTZ" if zoned else "TIMESTAMP")
        )
    family = _family(kind)
    if family is None:
        raise UsageError(f"{where}: expected a column type a database holds, got {kind}")
    return _SIMPLE[dialect][family]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_table(
    table: TablePlan, schema: str | None, dialect: str, inline_keys: bool, catalog: str | None = None
) -> str:
    """CREATE TABLE with the exact types; with `inline_keys` (DuckDB, SQLite: keys only at creation), the
    primary and foreign keys too, the parents named in the same schema."""
    name = qualified(schema, table.name, catalog)
    lines = [f"  {quoted(f.name)} {sql_type(f.type, dialect, f'{table.name}.{f.name}')}" for f in table.schema]
    if inline_keys and table.primary_key:
        lines.append(f"  PRIMARY KEY ({', '.join(quoted(c) for c in table.primary_key)})")
    if inline_keys:
        lines += [
            f"  FOREIGN KEY ({quoted(fk.column)}) "
            f"REFERENCES {qualified(schema, fk.parent, catalog)} ({quoted(fk.parent_column)})"
            for fk in table.foreign_keys
        ]
    return f"CREATE TABLE {name} (\n" + ",\n".join(lines) + "\n)"


def qualified(schema: str | None, table: str, catalog: str | None = None) -> str:
    """A table's name in SQL; with `catalog` (DuckDB: a file named like the schema is ambiguous), three parts."""
    name = f"{quoted(schema)}.{quoted(table)}" if schema else quoted(table)
    return f"{quoted(catalog)}.{name}" if catalog else name


def keys_after(table: TablePlan, schema: str, validate: bool = False) -> list[str]:
    """PostgreSQL: the primary key, foreign keys and their indexes, added after the data is in. A foreign key
    is declared NOT VALID (enforced on every later write, the loaded rows not re-scanned: `plan` has checked
    them with DuckDB) unless `validate`, when PostgreSQL checks every row too."""
    name = qualified(schema, table.name)
    out = []
    if table.primary_key:
        out.append(f"ALTER TABLE {name} ADD PRIMARY KEY ({', '.join(quoted(c) for c in table.primary_key)})")
    for fk in table.foreign_keys:
        out.append(
            f"ALTER TABLE {name} ADD FOREIGN KEY ({quoted(fk.column)}) "
            f"REFERENCES {qualified(schema, fk.parent)} ({quoted(fk.parent_column)})"
            + ("" if validate else " NOT VALID")
        )
    return out + indexes(table, schema)


def indexes(table: TablePlan, schema: str | None, catalog: str | None = None, partial: bool = True) -> list[str]:
    """An index on each foreign key column (a join's other side is the parent's primary key). Where the column
    has nulls (an anonymous session's customer, a page view's product) the index is partial, `WHERE ... IS NOT
    NULL`: a join or the parent's delete check (`col = x`) can use it, and it skips the rows that point nowhere
    (70% of events have no product). DuckDB has no partial indexes: `partial=False`."""
    on = qualified(schema, table.name, catalog)
    out = []
    for fk in table.foreign_keys:
        column = quoted(fk.column)
        where = f" WHERE {column} IS NOT NULL" if partial and table.nulls.get(fk.column) else ""
        out.append(f"CREATE INDEX {quoted(f'{table.name}_{fk.column}_idx')} ON {on} ({column}){where}")
    return out


def comments(table: TablePlan, schema: str, catalog: str | None = None) -> list[str]:
    """COMMENT ON the table and each described column (PostgreSQL, DuckDB)."""
    name = qualified(schema, table.name, catalog)
    out = [f"COMMENT ON TABLE {name} IS {literal(table.description)}"] if table.description else []
    return out + [
        f"COMMENT ON COLUMN {name}.{quoted(column)} IS {literal(text)}"
        for column, text in table.descriptions.items()
        if text and column in table.schema.names
    ]
