"""Foreign keys: a parent row index drawn per child row, uniform or Zipf-skewed, then the parent's id.

Parent ids are a pure function of the parent row index (they come from `sequence` columns), so a child
chunk needs nothing from the parent's chunks: no shared state, any process, same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.columns.registry import ChunkContext, ColumnGenerator, ColumnSpec, Finding, RecipeView, register
from sandbox.core import exact
from sandbox.core.params import Param, number
from sandbox.core.suggest import did_you_mean


def zipf_ranks(rng: np.random.Generator, n: int, size: int, s: float) -> np.ndarray:
    """Ranks in [0, size) with P(rank r) ~ (r+1)^-s, by inverting the continuous power-law CDF."""
    u = rng.random(n)
    if abs(s - 1.0) < 1e-9:
        x = exact.power(size + 1.0, u)
    else:
        top = float(exact.power(size + 1.0, 1.0 - s))
        x = exact.power((top - 1.0) * u + 1.0, 1.0 / (1.0 - s))
    return np.minimum(np.floor(x).astype(np.int64) - 1, size - 1)


def popularity(ctx: ChunkContext, parent: str, size: int) -> tuple[int, int]:
    """A fixed bijection rank -> parent row, so popular parents are spread over the id range."""
    rng = ctx.table_rng("popularity", table=parent)
    a = int(rng.integers(1, max(size, 2)))
    while math.gcd(a, size) != 1:
        a += 1
    return a, int(rng.integers(0, size))


def _parent(ctx: ChunkContext, head: str) -> tuple[int, ColumnSpec]:
    parent, column = head.split(".", 1)
    return int(ctx.table_rows[parent]), ctx.specs[f"{parent}.{column}"]


def _together(spec: ColumnSpec, ctx: ChunkContext) -> np.ndarray:
    """This column's parent rows when the table's key is several references (a join table): row i takes
    combination (a*i + b) mod P of the P = product of the parents' sizes, so no combination repeats."""
    group = list(spec.params["together"])
    sizes = [_parent(ctx, str(ctx.specs[f"{ctx.table}.{c}"].head))[0] for c in group]
    total = math.prod(sizes)
    rng = ctx.table_rng("together:" + "+".join(group))
    a = int(rng.integers(1, max(2, min(total, 2**20))))
    while math.gcd(a, total) != 1:
        a += 1
    combination = (ctx.index * a + int(rng.integers(0, total))) % total
    k = group.index(spec.name)
    return (combination // math.prod(sizes[k + 1 :])) % sizes[k]


def _ref(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    size, target = _parent(ctx, str(spec.head))
    if size == 0:
        return pa.nulls(ctx.n, pa.int64())
    if spec.params.get("together"):
        return pa.array(int(target.head) + int(target.params["step"]) * _together(spec, ctx))
    rng = ctx.rng(spec.name)
    skew = float(spec.params.get("skew") or 0.0)
    if skew > 0:
        a, b = popularity(ctx, str(spec.head).split(".", 1)[0], size)
        rows = (zipf_ranks(rng, ctx.n, size, skew) * a + b) % size
    else:
        rows = rng.integers(0, size, ctx.n)
    return pa.array(int(target.head) + int(target.params["step"]) * rows)


def _check_ref(table: str, column: str, spec: Mapping[str, Any], view: RecipeView) -> Iterable[Finding]:
    parent, _, target = str(spec["ref"]).partition(".")
    if parent not in view.columns:
        yield (
            "bad-ref",
            ("ref",),
            f"expected table.column of an existing table, got {spec['ref']!r}",
            did_you_mean(parent, view.columns),
        )
    elif target not in view.columns[parent]:
        yield (
            "bad-ref",
            ("ref",),
            f"expected a column of table {parent}, got {target!r}",
            did_you_mean(target, view.columns[parent]),
        )
    elif "sequence" not in view.columns[parent][target]:
        yield (
            "bad-ref",
            ("ref",),
            f"expected a sequence column to point at, got {spec['ref']} "
            "(foreign keys are computed from the parent's row index)",
            None,
        )


register(
    ColumnGenerator(
        "ref",
        "A foreign key to a sequence column of another table: uniform, or Zipf-skewed parents.",
        Param(
            "ref",
            {"type": "string", "pattern": r"^[A-Za-z_][\w-]*\.[A-Za-z_]\w*$", "x-expected": "table.column"},
            "The parent column, as table.column.",
            label="table.column",
        ),
        (number("skew", "Zipf exponent of parent popularity: 0 is uniform, 1.1 is typical.", 0.0, ge=0),),
        _ref,
        _check_ref,
        example="{ref: customers.customer_id, skew: 1.1}",
    )
)
