"""Keys across an export's tables: each table's id (a unique, non-null integer column named `id` or `<...>_id`)
and foreign keys (an integer `<...>_id` column whose values lie in another table's id), with how unevenly
children spread over parents (a Zipf exponent fitted to the children per parent, rank by rank)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: A foreign key's values must lie in the parent's ids at least this often (exports have a few orphans).
CONTAINED = 0.99


@dataclass(frozen=True)
class ForeignKey:
    column: str
    parent: str
    parent_key: str
    contained: float
    skew: float


def _idish(name: str) -> bool:
    low = name.lower()
    return low == "id" or low.endswith("_id") or low.endswith("id") and low[:-2].endswith(("_", "-"))


def primary_key(table: pa.Table) -> str | None:
    """The first unique, non-null integer column with an id's name."""
    for name in table.column_names:
        values = table.column(name)
        if _idish(name) and pa.types.is_integer(values.type) and values.null_count == 0 and len(values):
            if pc.count_distinct(values).as_py() == len(values):
                return name
    return None


def foreign_keys(tables: dict[str, pa.Table], keys: dict[str, str | None]) -> dict[str, list[ForeignKey]]:
    """Per table, its columns that reference another table's id, by name and value containment."""
    out: dict[str, list[ForeignKey]] = {}
    for name, table in tables.items():
        for column in table.column_names:
            values = table.column(column)
            if column == keys.get(name) or not _idish(column) or not pa.types.is_integer(values.type):
                continue
            present = pc.drop_null(values)
            best: ForeignKey | None = None
            for parent, key in keys.items():
                if parent == name or key is None or not len(present):
                    continue
                if column.lower() != key.lower() and not column.lower().startswith(parent.lower().rstrip("s")):
                    continue
                inside = pc.mean(pc.is_in(present, value_set=tables[parent].column(key).combine_chunks())).as_py()
                if inside >= CONTAINED and (best is None or inside > best.contained):
                    parents = len(tables[parent])
                    best = ForeignKey(column, parent, key, float(inside), zipf_skew(present, parents))
            if best:
                out.setdefault(name, []).append(best)
    return out


def zipf_skew(children: pa.ChunkedArray | pa.Array, parents: int) -> float:
    """The Zipf exponent of parent popularity: the slope of log(children) on log(rank) over the parents that
    have children, clamped to [0, 3] and rounded to 2 decimals; 0 (evenly spread) when the children per parent
    are no more dispersed than chance makes them (variance under twice the mean, as a Poisson spread has 1)."""
    counts = np.sort(pc.value_counts(children).field("counts").to_numpy(zero_copy_only=False))[::-1]
    every = np.concatenate([counts, np.zeros(max(parents - len(counts), 0))])
    if len(counts) < 3 or counts[0] == counts[-1] or every.var() < 2 * every.mean():
        return 0.0
    ranks = np.log(np.arange(1, len(counts) + 1))
    slope = -float(np.polyfit(ranks, np.log(counts), 1)[0])
    return round(min(max(slope, 0.0), 3.0), 2)
