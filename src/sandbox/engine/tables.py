"""A recipe table as a producer: columns in dependency order and their legitimate nulls, then its noise."""

from __future__ import annotations

import json

import pyarrow as pa

from sandbox.columns import ChunkContext, ColumnSpec, draw
from sandbox.columns.correlated import correlate
from sandbox.columns.safe import pool_of as safe_pool_of
from sandbox.columns.text import locales_of
from sandbox.core.pools import faker_pool
from sandbox.domains.interface import TableInfo
from sandbox.engine.contract import Chunk, Producer
from sandbox.errors import UsageError
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


def has_noise(table: TableSpec) -> bool:
    return bool(table.noise) or any(c.noise for c in table.columns)


class TableProducer(Producer):
    """One table of a recipe, in chunks of the recipe's `chunk_rows`."""

    def __init__(self, recipe: Recipe, table: str) -> None:
        self.recipe, self.spec = recipe, recipe.table(table)
        self.name = self.source = table
        self.always_defects = has_noise(self.spec)

    def tables(self) -> list[TableInfo]:
        privacy = {c.name: c.privacy for c in self.spec.columns if c.privacy is not None}
        references = {c.name: str(c.head) for c in self.spec.columns if c.gen == "ref"}
        return [
            TableInfo(
                self.name, self.spec.description or "", "data", self.spec.key, privacy=privacy, references=references
            )
        ]

    def prepare(self) -> None:
        """Build or load every Faker pool of the table once, so workers only read the cache."""
        for spec in self.spec.columns:
            if spec.gen not in ("faker", "safe"):
                continue
            if spec.gen == "safe":
                pool = safe_pool_of(spec)
            else:
                pool = faker_pool(str(spec.head), locales_of(spec.params), int(spec.params["pool"]))
            if spec.unique and len(pool) < self.spec.rows:
                raise UsageError(
                    f"{self.recipe.file}: bad-range: tables.{self.name}.columns.{spec.name}.pool: expected at least "
                    f"{self.spec.rows} distinct values for a unique column, got {len(pool)} (Faker repeats "
                    f"'{spec.head}'; raise pool or drop unique)"
                )

    def plan(self) -> list[Chunk]:
        size, rows = self.recipe.chunk_rows, self.spec.rows
        count = max(1, -(-rows // size))
        return [Chunk(self.source, i, i * size, min(size, rows - i * size)) for i in range(count)]

    def produce(self, chunk: Chunk, log: DefectLog) -> dict[str, pa.Table]:
        table, n = self.spec, chunk.n
        ctx = ChunkContext(
            seed=self.recipe.seed,
            table=table.name,
            chunk=chunk.index,
            start=chunk.start,
            n=n,
            table_rows=self.recipe.table_rows(),
            specs=self.recipe.column_specs(),
        )
        for name in table.order:
            ctx.columns[name] = draw(table.column(name), ctx)
        if table.correlations:
            names, matrix = table.correlations
            correlate(ctx.columns, names, matrix, ctx.rng("correlations"))
        fields = [
            pa.field(c.name, ctx.columns[c.name].type, metadata={"description": describe(c)}) for c in table.columns
        ]
        return {
            table.name: pa.Table.from_arrays([ctx.columns[c.name] for c in table.columns], schema=pa.schema(fields))
        }

    def corrupt(self, tables: dict[str, pa.Table], chunk: Chunk, log: DefectLog) -> dict[str, pa.Table]:
        table = self.spec
        data = tables[table.name]
        target = Target(self.recipe.seed, table.name, chunk.index, chunk.start, table.key)
        for spec in table.columns:
            if spec.noise:
                data = corrupt_column(data, spec.name, spec.noise, target, log)
        if table.noise:
            data = corrupt_rows(data, table.noise, target, log)
        return {table.name: data}
