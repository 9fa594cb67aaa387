"""A recipe's domain as a producer: the domain's own plan, produce and corrupt, bound to the recipe's knobs."""

from __future__ import annotations

import functools

import pyarrow as pa

from sandbox.columns import ChunkContext
from sandbox.domains.interface import Domain, DomainContext, TableInfo
from sandbox.domains.registry import find_domain
from sandbox.engine.contract import Chunk, Producer
from sandbox.engine.shaped import shaped_infos, shaped_tables
from sandbox.noise.defects import DefectLog
from sandbox.recipe.model import Recipe
from sandbox.recipe.shapes import described

#: The chunks' source for a recipe's domain.
DOMAIN = "domain"


class DomainProducer(Producer):
    """The recipe's `domain:` section. Pickled as the domain's reference, found again in each worker."""

    always_defects = True
    source = DOMAIN

    def __init__(self, recipe: Recipe) -> None:
        assert recipe.domain is not None
        self.seed, self.reference = recipe.seed, recipe.domain.reference
        self.name, self.knobs = recipe.domain.generator, recipe.domain.knobs
        self.rows, self.chunk_rows = recipe.domain.rows, recipe.chunk_rows
        self.shapes = recipe.domain.shapes
        #: What the shapes' added columns may read (a `ref:` to a recipe table or a domain id).
        self.table_rows, self.specs = (recipe.table_rows(), recipe.column_specs()) if self.shapes else ({}, {})

    @functools.cached_property
    def domain(self) -> Domain:
        return find_domain(self.reference)

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "domain"}

    def tables(self) -> list[TableInfo]:
        """The domain's tables, their columns described from its `columns.json` where it does not itself."""
        infos = described(self.domain, self.knobs)
        return shaped_infos(infos, self.shapes) if self.shapes else infos

    def plan(self) -> list[Chunk]:
        payloads = self.domain.plan(self.knobs, self.rows, self.chunk_rows)
        return [Chunk(self.source, i, payload=p) for i, p in enumerate(payloads)]

    def period(self) -> tuple[str, int] | None:
        return self.domain.period(self.knobs)

    def day(self, chunk: Chunk) -> int | None:
        return self.domain.chunk_day(chunk.payload) if self.period() else None

    def _context(self, chunk: Chunk, log: DefectLog) -> DomainContext:
        return DomainContext(self.seed, self.name, chunk.index, log)

    def produce(self, chunk: Chunk, log: DefectLog) -> dict[str, pa.Table]:
        return self.domain.produce(self.knobs, chunk.payload, self._context(chunk, log))

    def corrupt(self, tables: dict[str, pa.Table], chunk: Chunk, log: DefectLog) -> dict[str, pa.Table]:
        tables = self.domain.corrupt(self.knobs, chunk.payload, tables, self._context(chunk, log))
        if not self.shapes:
            return tables
        context = ChunkContext(self.seed, self.name, chunk.index, 0, 0, self.table_rows, self.specs)
        return shaped_tables(tables, self.shapes, context, log)
