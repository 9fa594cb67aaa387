"""A recipe's domain as a producer: the domain's own plan, produce and corrupt, bound to the recipe's knobs."""

from __future__ import annotations

import dataclasses
import functools

import pyarrow as pa

from sandbox.domains.interface import Domain, DomainContext, TableInfo
from sandbox.domains.registry import find_domain
from sandbox.engine.contract import Chunk, Producer
from sandbox.noise.defects import DefectLog
from sandbox.recipe.model import Recipe

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

    @functools.cached_property
    def domain(self) -> Domain:
        return find_domain(self.reference)

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "domain"}

    def tables(self) -> list[TableInfo]:
        """The domain's tables, their columns described from its `columns.json` where it does not itself."""
        docs = self.domain.column_docs()
        return [
            info if info.columns else dataclasses.replace(info, columns=docs.get(info.name, {}))
            for info in self.domain.tables(self.knobs)
        ]

    def plan(self) -> list[Chunk]:
        payloads = self.domain.plan(self.knobs, self.rows, self.chunk_rows)
        return [Chunk(self.source, i, payload=p) for i, p in enumerate(payloads)]

    def _context(self, chunk: Chunk, log: DefectLog) -> DomainContext:
        return DomainContext(self.seed, self.name, chunk.index, log)

    def produce(self, chunk: Chunk, log: DefectLog) -> dict[str, pa.Table]:
        return self.domain.produce(self.knobs, chunk.payload, self._context(chunk, log))

    def corrupt(self, tables: dict[str, pa.Table], chunk: Chunk, log: DefectLog) -> dict[str, pa.Table]:
        return self.domain.corrupt(self.knobs, chunk.payload, tables, self._context(chunk, log))
