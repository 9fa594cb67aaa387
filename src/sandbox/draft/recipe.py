"""A schema as a commented recipe: row counts by each table's depth in the foreign keys, a generator per column
(`columns`), `ref`s for foreign keys, `key` for composite keys; the text is checked by the recipe validator
before it is printed, so a draft always builds.

Row counts: a table that nothing references (an invoice line, a rental) gets `rows`; each step up the
foreign keys divides by `FANOUT` (a parent has about that many children), never below `MIN_ROWS`. A join
table (a key of two references) gets at most a quarter of its parents' combinations.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sandbox.draft.columns import NULL_REFERENCE, draft_column
from sandbox.draft.schema import Schema, Table

FANOUT = 4
MIN_ROWS = 10
_PLAIN = re.compile(r"^[A-Za-z_][\w .@{}:/+-]*$")
_RESERVED_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "~"}


def sizes(schema: Schema, rows: int) -> dict[str, int]:
    """Each table's rows (see the module's text)."""
    height: dict[str, int] = {}

    def up(table: Table, seen: tuple[str, ...]) -> int:
        """How many references lead down from `table` to a table nothing references."""
        if table.name in height:
            return height[table.name]
        children = [
            t for t in schema.tables if t.name not in seen and any(fk.parent == table.name for fk in t.foreign_keys)
        ]
        children = [t for t in children if t.name != table.name]
        height[table.name] = 1 + max((up(c, (*seen, table.name)) for c in children), default=-1)
        return height[table.name]

    out = {t.name: max(MIN_ROWS, rows // FANOUT ** up(t, ())) for t in schema.tables}
    for table in schema.tables:
        if len(table.primary_key) > 1 and all(
            any(fk.column == k for fk in table.foreign_keys) for k in table.primary_key
        ):
            combinations = 1
            for key in table.primary_key:
                combinations *= out[next(fk.parent for fk in table.foreign_keys if fk.column == key)]
            out[table.name] = max(1, min(out[table.name], combinations // 4))
    return out


def flow(value: Any) -> str:
    """A value as YAML flow text (`{faker: city, pool: 5000}`)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        dt.date.fromisoformat(text)
        return text
    if _PLAIN.match(text) and text.lower() not in _RESERVED_WORDS and ": " not in text and not text.endswith(":"):
        if not re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?", text, re.IGNORECASE) and "{" not in text:
            return text
    return json.dumps(text, ensure_ascii=False)


def _columns(schema: Schema, table: Table, rows: dict[str, int]) -> list[str]:
    lines = []
    references = {fk.column: fk for fk in table.foreign_keys}
    for column in table.columns:
        fk = references.get(column.name)
        if fk is not None:
            spec: dict[str, Any] = {"ref": f"{fk.parent}.{fk.parent_column}"}
            note = f"foreign key to {fk.parent}"
            if fk.parent == table.name:
                note += " (the same table)"
            elif len(table.primary_key) < 2:
                spec["skew"] = 1.1
                note += ", Zipf-skewed: some parents have many children"
            if not column.not_null and column.name not in table.primary_key:
                spec["null_rate"] = NULL_REFERENCE
        else:
            drafted = draft_column(table, column, rows[table.name])
            spec, note = drafted.spec, drafted.note
        lines.append(
            f"      {column.name}: {flow(spec)}  # {column.declared}{' NOT NULL' if column.not_null else ''}: {note}"
        )
    return lines


def to_recipe(schema: Schema, name: str, rows: int, seed: int = 0) -> str:
    """The draft recipe's text."""
    counted = sizes(schema, rows)
    primary = max(schema.tables, key=lambda t: (counted[t.name], -schema.tables.index(t))).name
    out = [
        f"# Drafted by `sandbox init --from {schema.source}`: {len(schema.tables)} tables. Review every line:",
        "# each column's comment gives its declared type and why this generator; lengths, NOT NULL, keys,",
        "# foreign keys and CHECK lists are kept, e-mails and phones come from reserved space.",
        f"# Rows: {rows:,} for tables nothing references, / {FANOUT} per step up the foreign keys.",
        "version: 1",
        f"name: {name}",
        f"description: {flow(f'Drafted from {schema.source}.')}",
        f"seed: {seed}",
        f"primary: {primary}",
        "",
        "tables:",
    ]
    for table in schema.tables:
        out.append(f"  {table.name}:")
        out.append(f"    rows: {counted[table.name]}")
        if len(table.primary_key) > 1:
            out.append(f"    key: {flow(list(table.primary_key))}")
        elif not table.primary_key:
            out.append("    # no primary key declared")
        out.append("    columns:")
        out.extend(_columns(schema, table, counted))
        out.append("")
    return "\n".join(out)
