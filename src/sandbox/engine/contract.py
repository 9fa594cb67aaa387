"""The one chunk contract: what the engine runs, for a recipe's tables and for a domain alike.

A producer names the tables it writes (`tables`), plans its chunks up front (`plan`: small, picklable, sized by
the recipe and never by the machine), and makes one chunk's rows (`produce`) and then its faults (`corrupt`),
logging every fault it injects to the chunk's DefectLog. Everything after that (privacy policies, the scan,
the Parquet parts) is the same for every producer and runs in one place, `sandbox.engine.pipeline`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from sandbox.domains.interface import TableInfo
from sandbox.noise.defects import DefectLog


@dataclass(frozen=True)
class Chunk:
    """One chunk of one producer: rows [start, start + n) of a recipe table, or one payload of a domain."""

    source: str
    index: int
    start: int = 0
    n: int = 0
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.source} chunk {self.index}"


class Producer(ABC):
    """Makes the rows of some tables, chunk by chunk; pure in (recipe, seed, chunk)."""

    #: The name the chunks' faults are numbered under in truth/defects (a table's, or the domain generator's).
    name: str
    #: What the chunks are of: a table's name, or "domain" (the recipe's `primary` names one of these).
    source: str
    #: Whether every chunk writes a truth/defects part, even an empty one.
    always_defects: bool

    @abstractmethod
    def tables(self) -> list[TableInfo]:
        """Every table it writes, data and truth, in a fixed order."""

    @abstractmethod
    def plan(self) -> list[Chunk]:
        """Every chunk, in order."""

    def prepare(self) -> None:
        """Once per build, in the build's own process, before any chunk: caches the workers then only read."""
        return None

    @abstractmethod
    def produce(self, chunk: Chunk, log: DefectLog) -> dict[str, pa.Table]:
        """The chunk's rows of every table (faults the world makes as it goes go to `log`)."""

    def corrupt(self, tables: dict[str, pa.Table], chunk: Chunk, log: DefectLog) -> dict[str, pa.Table]:
        """The faults laid over the produced rows, each logged to `log`; none by default."""
        return tables

    def period(self) -> tuple[str, int] | None:
        """(first day, days) when every chunk is one day of a period (`sandbox.engine.days`); None by default."""
        return None

    def day(self, chunk: Chunk) -> int | None:
        """The day of the period the chunk makes; None for chunks that are not of a day (a recipe table's)."""
        return None

    def defects_part(self, chunk: Chunk) -> str:
        return f"part-{self.name}-{chunk.index:05d}.parquet"
