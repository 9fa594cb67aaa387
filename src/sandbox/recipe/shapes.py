"""A domain's tables shaped to a team's names: `domain.tables.NAME` renames a table (`as:`), drops columns
(`drop:`) and adds columns from the column generators (`columns:`), and a recipe table can `ref:` a domain
table's id (the domain's `keys`: ids 1..n, known before a row is made).

    domain:
      generator: ecommerce
      rows: 20000
      tables:
        customers: {as: clients, drop: [segment], columns: {tier: {choice: [bronze, gold]}}}
    tables:
      loyalty:
        rows: 5000
        columns:
          loyalty_id: {sequence: 1}
          client_id: {ref: clients.customer_id}

Added columns are drawn per chunk from seeded streams (no row numbers: not `sequence`, not `unique`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from sandbox.core.suggest import did_you_mean
from sandbox.domains.interface import Domain, TableInfo
from sandbox.errors import Issue
from sandbox.recipe.loader import Source

#: Generators an added column may not use: they number rows, and a domain's chunks are not numbered so.
NUMBERED = ("sequence",)


def shapes_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "The domain's tables shaped to your names: rename (as), drop columns, add columns.",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "as": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_-]{0,63}$", "description": "New name."},
                "drop": {
                    "type": "array",
                    "items": {"type": "string"},
                    "uniqueItems": True,
                    "description": "Columns to leave out.",
                },
                "columns": {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/$defs/column"},
                    "description": "Columns to add, from the column generators.",
                },
            },
        },
    }


def described(domain: Domain, knobs: Mapping[str, Any]) -> list[TableInfo]:
    """The domain's tables, each with its columns (from its `columns.json` where the table does not list them)."""
    docs = domain.column_docs()
    return [i if i.columns else dataclasses.replace(i, columns=docs.get(i.name, {})) for i in domain.tables(knobs)]


def renamed(spec: Mapping[str, Any]) -> dict[str, str]:
    """Domain table -> its name in the sandbox, for the tables `spec` (a recipe's `domain:`) renames."""
    return {t: s["as"] for t, s in (spec.get("tables") or {}).items() if isinstance(s, dict) and s.get("as")}


def key_columns(
    domain: Domain, knobs: Mapping[str, Any], rows: int, spec: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """What a recipe's `ref:` sees of the domain: {table (as renamed): {column: a column spec}}, the id
    columns as the sequence they are (1..n), every other column as an opaque one."""
    names = renamed(spec)
    keys = domain.keys(knobs, rows)
    out: dict[str, dict[str, Any]] = {}
    for info in described(domain, knobs):
        if info.role != "data":
            continue
        columns: dict[str, Any] = {c: {"constant": None} for c in info.columns}
        if info.name in keys:
            columns[keys[info.name][0]] = {"sequence": 1}
        out[names.get(info.name, info.name)] = columns
    return out


def key_rows(domain: Domain, knobs: Mapping[str, Any], rows: int, spec: Mapping[str, Any]) -> dict[str, int]:
    names = renamed(spec)
    return {names.get(t, t): n for t, (_, n) in domain.keys(knobs, rows).items()}


def shape_issues(
    source: Source, spec: Mapping[str, Any], infos: list[TableInfo], tables: Mapping[str, Any]
) -> Iterator[Issue]:
    """Each shaped table is the domain's, a new name clashes with nothing, a dropped column exists and is no
    key, reference or arrival time, an added column is new and needs no row numbers."""
    by_name = {i.name: i for i in infos}
    taken = set(tables) | set(by_name)
    for name, shape in (spec.get("tables") or {}).items():
        here = ("domain", "tables", name)
        info = by_name.get(name)
        if info is None:
            yield source.issue(
                "bad-ref",
                here,
                f"expected a table of domain {spec['generator']}, got {name!r}",
                did_you_mean(name, by_name),
                key=True,
            )
            continue
        new = shape.get("as")
        if new and new != name and new in taken:
            yield source.issue("bad-choice", (*here, "as"), f"expected a name no other table has, got {new!r}")
        protected = {*info.key, *info.references, *([info.arrival] if info.arrival else []), *keyed_by(infos, name)}
        for i, column in enumerate(shape.get("drop") or []):
            if column not in info.columns:
                yield source.issue(
                    "bad-ref",
                    (*here, "drop", i),
                    f"expected a column of {name}, got {column!r}",
                    did_you_mean(column, info.columns),
                )
            elif column in protected:
                yield source.issue(
                    "bad-choice",
                    (*here, "drop", i),
                    f"expected a column the domain's keys, references and arrival times do not need, got {column!r}",
                )
        for column, col in (shape.get("columns") or {}).items():
            where = (*here, "columns", column)
            if column in info.columns:
                yield source.issue(
                    "bad-choice", where, f"expected a new column, got {column!r} ({name} has it)", key=True
                )
            elif isinstance(col, dict) and (any(g in col for g in NUMBERED) or col.get("unique")):
                yield source.issue(
                    "bad-choice",
                    where,
                    "expected a generator that needs no row numbers on a domain table (not sequence, not unique)",
                )


def keyed_by(infos: list[TableInfo], table: str) -> set[str]:
    """Columns of `table` that other tables of the domain reference."""
    return {t.split(".", 1)[1] for i in infos for t in i.references.values() if t.split(".", 1)[0] == table}
