"""`calibrate --map`: the names a domain's shape reads, mapped onto an export's own table and column names.

A pair `DOMAIN=EXPORT` maps a table (`sessions=visits`) or a column of a mapped table
(`sessions.started_at=visit_start`, the export column of the table that stands for `sessions`). The shapes are
then tried on the export under the domain's names; the tables a shape does not read keep the export's names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import ModuleType

import pyarrow as pa

from sandbox.errors import UsageError

_EXAMPLE = "such as sessions=visits or sessions.started_at=visit_start"


def parse(pairs: Iterable[str]) -> dict[str, str]:
    """`DOMAIN=EXPORT` pairs as a mapping (a name given twice is an error)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        left, sep, right = pair.partition("=")
        left, right = left.strip(), right.strip()
        if not sep or not left or not right or left.count(".") > 1 or "." in right:
            raise UsageError(f"--map: expected DOMAIN=EXPORT {_EXAMPLE}, got {pair!r}")
        if left in mapping:
            raise UsageError(f"--map: {left} is mapped twice ({mapping[left]} and {right})")
        mapping[left] = right
    return mapping


def renamed(tables: Mapping[str, pa.Table], mapping: Mapping[str, str]) -> dict[str, pa.Table]:
    """The export under the domain's names: each mapped table and column renamed (a column of the domain's
    name that a mapped column replaces is left out)."""
    names = {k: v for k, v in mapping.items() if "." not in k}
    for domain, export in names.items():
        if export not in tables:
            raise UsageError(f"--map {domain}={export}: the export has no table {export} (it has {', '.join(tables)})")
    source = {names.get(t, t): t for t in tables if t not in names.values()} | {d: e for d, e in names.items()}
    view = {domain: tables[export] for domain, export in source.items()}
    for key, column in mapping.items():
        if "." not in key:
            continue
        table, target = key.split(".")
        if table not in view:
            raise UsageError(f"--map {key}={column}: the export has no table {table} (map the table first)")
        found = view[table]
        if column not in found.column_names:
            raise UsageError(
                f"--map {key}={column}: table {source[table]} has no column {column} "
                f"(it has {', '.join(found.column_names)})"
            )
        kept = [c for c in found.column_names if c != target]
        view[table] = pa.table({(target if c == column else c): found[c] for c in kept})
    return view


def export_name(domain_table: str, mapping: Mapping[str, str]) -> str:
    """The export's name of a table the shapes know by the domain's name."""
    return mapping.get(domain_table, domain_table)


def missing(tables: Mapping[str, pa.Table], shape: ModuleType) -> list[str]:
    """The `table.column`s a shape reads that the (mapped) export lacks."""
    out = []
    for table, columns in shape.NEEDS.items():
        have = set(tables[table].column_names) if table in tables else set()
        out += [f"{table}.{c}" for c in columns if c not in have]
    return out


def shaped(tables: Mapping[str, pa.Table], shape: ModuleType) -> bool:
    """Whether the (mapped) export has every table and column the shape reads."""
    return not missing(tables, shape)


def writes(shape: ModuleType) -> frozenset[str]:
    """The tables the shape's domain writes itself (an export's copies of them are not fitted column by column)."""
    from sandbox.domains.registry import find_domain

    domain = find_domain(shape.GENERATOR)
    return frozenset(t.name for t in domain.tables({p.name: p.default for p in domain.knobs}))


def header(mapping: Mapping[str, str]) -> list[str]:
    """The recipe's comment lines recording the mapping a reviewer checks."""
    if not mapping:
        return []
    return ["# Mapped onto the domain's names (--map): " + ", ".join(f"{k} = {v}" for k, v in mapping.items())]
