"""One chunk of one recipe table: columns in dependency order, legitimate nulls, then noise."""

from __future__ import annotations

import json

import pyarrow as pa

from sandbox.columns import GENERATORS, ChunkContext, ColumnSpec
from sandbox.columns.arrays import with_nulls
from sandbox.noise.defects import DefectLog
from sandbox.noise.kinds import Target, corrupt_column, corrupt_rows
from sandbox.recipe.model import Recipe, TableSpec


def describe(spec: ColumnSpec) -> str:
    """The column's description, or one generated from its generator and parameters."""
    if spec.description:
        return spec.description
    params = {k: v for k, v in spec.params.items() if v is not None}
    text = f"{spec.gen}: {json.dumps(spec.head, default=str)}"
    if params:
        text += " " + json.dumps(params, sort_keys=True, default=str)
    if spec.null_rate:
        text += f"; {spec.null_rate:.1%} null"
    return text


def table_chunk(recipe: Recipe, table: TableSpec, chunk: int, start: int, n: int) -> tuple[pa.Table, DefectLog]:
    """The rows [start, start + n) of `table` as a pipeline would see them, and the faults injected."""
    ctx = ChunkContext(
        seed=recipe.seed,
        table=table.name,
        chunk=chunk,
        start=start,
        n=n,
        table_rows={t.name: t.rows for t in recipe.tables},
        specs=recipe.column_specs(),
    )
    for name in table.order:
        spec = table.column(name)
        array = GENERATORS[spec.gen].make(spec, ctx)
        if spec.null_rate > 0:
            array = with_nulls(array, ctx.rng(f"null:{name}").random(n) < spec.null_rate)
        ctx.columns[name] = array
    fields = [pa.field(c.name, ctx.columns[c.name].type, metadata={"description": describe(c)}) for c in table.columns]
    data = pa.Table.from_arrays([ctx.columns[c.name] for c in table.columns], schema=pa.schema(fields))
    log = DefectLog(table.name, chunk)
    target = Target(recipe.seed, table.name, chunk, start, table.key)
    for spec in table.columns:
        if spec.noise:
            data = corrupt_column(data, spec.name, spec.noise, target, log)
    if table.noise:
        data = corrupt_rows(data, table.noise, target, log)
    return data, log


def has_noise(table: TableSpec) -> bool:
    return bool(table.noise) or any(c.noise for c in table.columns)
