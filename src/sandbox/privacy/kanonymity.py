"""k-anonymity over quasi-identifiers: class sizes across all batches, and the rows to suppress."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.privacy import policies

_SEPARATOR = "\x1f"  # a unit separator: never part of a value worth grouping on


def class_keys(table: pa.Table, columns: Sequence[str]) -> pa.Array:
    """One text key per row: its quasi-identifier values joined (nulls count as a value of their own)."""
    parts = [pc.fill_null(pc.cast(table.column(c), pa.string()), "\x00") for c in columns]
    return pc.binary_join_element_wise(*parts, _SEPARATOR) if len(parts) > 1 else parts[0]


def generalised(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """The quasi-identifiers one step coarser (dates to months, postcodes to a prefix, numbers to bins)."""
    for column in columns:
        index = table.schema.get_field_index(column)
        values = policies.generalise(table.column(index).combine_chunks(), None)
        table = table.set_column(index, pa.field(column, values.type), values)
    return table


@dataclass
class Classes:
    """Equivalence-class sizes over a whole table, counted batch by batch."""

    columns: Sequence[str]
    k: int
    sizes: Counter[str] = field(default_factory=Counter)

    def add(self, table: pa.Table) -> None:
        counted = pc.value_counts(class_keys(table, self.columns))
        values = counted.field("values").to_pylist()
        for key, count in zip(values, counted.field("counts").to_pylist(), strict=True):
            self.sizes[key] += count

    @property
    def smallest(self) -> int:
        return min(self.sizes.values(), default=0)

    @property
    def rows_below_k(self) -> int:
        return sum(n for n in self.sizes.values() if n < self.k)

    def small(self) -> pa.Array:
        return pa.array([key for key, n in self.sizes.items() if n < self.k], pa.string())


def suppress(table: pa.Table, columns: Sequence[str], small: pa.Array) -> tuple[pa.Table, int]:
    """Drop the rows whose class is below k; returns the table and how many rows went."""
    if not len(small):
        return table, 0
    below = pc.is_in(class_keys(table, columns), value_set=small)
    kept = table.filter(pc.invert(below))
    return kept, len(table) - len(kept)


def count(tables: Iterable[pa.Table], columns: Sequence[str], k: int) -> Classes:
    classes = Classes(columns, k)
    for table in tables:
        classes.add(table)
    return classes
