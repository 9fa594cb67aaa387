"""The validated recipe as frozen dataclasses: what planning and generation read."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sandbox.columns.registry import ColumnSpec
from sandbox.errors import UsageError
from sandbox.recipe.schema import MAX_ROWS


@dataclass(frozen=True)
class TableSpec:
    name: str
    rows: int
    columns: tuple[ColumnSpec, ...]
    #: Column names in generation order (templates after the columns they read).
    order: tuple[str, ...]
    key: tuple[str, ...] = ()
    noise: tuple[Mapping[str, Any], ...] = ()
    description: str | None = None
    #: (columns, matrix): rank correlations imposed on each chunk (`sandbox.columns.correlated`).
    correlations: tuple[tuple[str, ...], tuple[tuple[float, ...], ...]] | None = None

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class TableShape:
    """A domain table shaped to the recipe's names (`sandbox.recipe.shapes`)."""

    table: str
    name: str
    drop: tuple[str, ...] = ()
    columns: tuple[ColumnSpec, ...] = ()
    order: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainSpec:
    generator: str
    #: "module:Class", so worker processes can import the domain.
    reference: str
    rows: int
    knobs: Mapping[str, Any]
    shapes: tuple[TableShape, ...] = ()

    def renamed(self) -> dict[str, str]:
        """Domain table -> its name in the sandbox."""
        return {s.table: s.name for s in self.shapes if s.name != s.table}

    def keys(self) -> dict[str, tuple[str, int]]:
        """Table (as named in the sandbox) -> (its id column, rows): ids 1..rows, which a recipe `ref:` may use."""
        from sandbox.domains.registry import find_domain

        names = self.renamed()
        found = find_domain(self.reference).keys(self.knobs, self.rows)
        return {names.get(t, t): key for t, key in found.items()}


@dataclass(frozen=True)
class Recipe:
    name: str
    seed: int
    chunk_rows: int
    tables: tuple[TableSpec, ...]
    domain: DomainSpec | None
    primary: str | None
    file: str
    text: str
    sha256: str
    description: str = ""
    #: How the sizes were set: {"scale": x} or {"rows": n}, recorded in the manifest for rebuilds.
    sizing: Mapping[str, Any] | None = None
    #: privacy.defaults: a policy per PII class.
    privacy_defaults: Mapping[str, str] | None = None

    def table(self, name: str) -> TableSpec:
        return next(t for t in self.tables if t.name == name)

    def column_specs(self) -> dict[str, ColumnSpec]:
        """Every column a generator may read, by "table.column": the recipe's tables', the domain's added
        ones, and the domain's id columns as the sequences they are."""
        out = {f"{t.name}.{c.name}": c for t in self.tables for c in t.columns}
        if self.domain:
            for table, (column, _) in self.domain.keys().items():
                out[f"{table}.{column}"] = ColumnSpec(column, "sequence", 1, {"step": 1})
            out.update({f"{s.name}.{c.name}": c for s in self.domain.shapes for c in s.columns})
        return out

    def table_rows(self) -> dict[str, int]:
        """Rows of every table a `ref:` may point at: the recipe's, and the domain's with known ids."""
        keyed = {t: n for t, (_, n) in self.domain.keys().items()} if self.domain else {}
        return {**keyed, **{t.name: t.rows for t in self.tables}}

    def primary_name(self) -> str | None:
        """The declared primary table, else the domain, else the largest table."""
        if self.primary:
            return self.primary
        if self.domain:
            return "domain"
        return max(self.tables, key=lambda t: t.rows).name if self.tables else None

    def sized(self, *, rows: int | None = None, scale: float | None = None, seed: int | None = None) -> Recipe:
        """A copy with `--rows` (primary table, others in proportion) or `--scale` and `--seed` applied."""
        out = self if seed is None else replace(self, seed=seed)
        if rows is None and scale is None:
            return out
        if rows is not None:
            primary = self.primary_name()
            base = self.domain.rows if primary == "domain" and self.domain else self.table(str(primary)).rows
            factor = rows / base if base else 0.0
            sizing: dict[str, Any] = {"rows": rows}
        else:
            factor = float(scale or 0.0)
            sizing = {"scale": scale}

        def size(n: int) -> int:
            return max(1, math.floor(n * factor + 0.5)) if n and factor > 0 else 0

        tables = tuple(replace(t, rows=size(t.rows)) for t in self.tables)
        domain = replace(self.domain, rows=size(self.domain.rows)) if self.domain else None
        if rows is not None and self.primary_name() == "domain" and domain:
            domain = replace(domain, rows=rows)
        elif rows is not None:
            tables = tuple(replace(t, rows=rows) if t.name == self.primary_name() else t for t in tables)
        largest = max([t.rows for t in tables] + [domain.rows if domain else 0])
        if largest > MAX_ROWS:
            raise UsageError(f"--rows/--scale: expected at most {MAX_ROWS:,} rows in a table, got {largest:,}")
        return replace(out, tables=tables, domain=domain, sizing=sizing)
