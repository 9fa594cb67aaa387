"""The interface a domain implements: the tables it writes, its chunk plan, and each chunk's rows.

A domain (clickstream, sensors, ledger, or your own) produces several related tables per chunk. It
declares its knobs once as `Param`s; the recipe schema, validation, `sandbox recipes --knobs` and the
data card are generated from them. Chunks are planned up front (`plan`) as small picklable payloads,
so any process can produce any chunk from (recipe, seed, payload) alone.
"""

from __future__ import annotations

import functools
import importlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pyarrow as pa

from sandbox.columns.registry import Finding
from sandbox.core.params import Param
from sandbox.core.seeding import stream
from sandbox.noise.defects import DefectLog

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sandbox.domains.checks import Faults, KnobCheck, TableReader
    from sandbox.output.opened import Sandbox


@dataclass(frozen=True)
class TableInfo:
    """A table a domain writes: under tables/ (role data) or truth/ (answer keys)."""

    name: str
    description: str
    role: Literal["data", "truth"] = "data"
    key: tuple[str, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    #: Column -> its PII class and policy (sandbox.privacy.columns.ColumnPrivacy); others are not PII.
    privacy: Mapping[str, Any] = field(default_factory=dict)
    #: A timestamp column to partition the files by UTC day (hive style `day=YYYY-MM-DD`).
    partition: str | None = None
    #: The folder under tables/ or truth/, when it differs from the name (truth/invoices beside tables/invoices).
    directory: str | None = None
    #: Column -> the `table.column` it holds ids of (a foreign key, as `sandbox load` declares it).
    references: Mapping[str, str] = field(default_factory=dict)
    #: The timestamp column rows arrive by, as a live system would receive them (`sandbox replay`'s order).
    arrival: str | None = None


@dataclass
class DomainContext:
    """Seeded streams and the defect log for one chunk of a domain."""

    seed: int
    domain: str
    chunk: int
    log: DefectLog

    def rng(self, purpose: str) -> np.random.Generator:
        return stream(self.seed, self.domain, self.chunk, purpose)


class Domain(ABC):
    """Subclass, declare `name`, `description`, `knobs`, `unit`, then implement `tables`, `plan` and `produce`.

    The engine runs every chunk of a domain through the same stages as a recipe table's: `produce`, `corrupt`,
    then the privacy policies of `tables()`, the scan and the Parquet writer (`sandbox.engine.pipeline`).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    knobs: ClassVar[tuple[Param, ...]] = ()
    #: What the recipe's `domain.rows` counts (e.g. "sessions").
    unit: ClassVar[str] = "rows"
    #: A module with `views(sandbox) -> [(title, figure)]`: the domain's own plots in `sandbox report`.
    views_module: ClassVar[str | None] = None
    #: What each measured statistic of `conformance` that is not a knob is (domain.measured.*), for the card.
    measures: ClassVar[Mapping[str, str]] = {}

    @abstractmethod
    def tables(self, knobs: Mapping[str, Any]) -> list[TableInfo]:
        """Every table this domain writes, data and truth, in a fixed order."""

    @abstractmethod
    def plan(self, knobs: Mapping[str, Any], rows: int, chunk_rows: int) -> list[dict[str, Any]]:
        """Chunk payloads, small and picklable; chunk i is payload i."""

    @abstractmethod
    def produce(self, knobs: Mapping[str, Any], payload: Mapping[str, Any], ctx: DomainContext) -> dict[str, pa.Table]:
        """The rows of every table for one chunk; faults the world makes as it goes go to `ctx.log`."""

    def corrupt(
        self, knobs: Mapping[str, Any], payload: Mapping[str, Any], tables: dict[str, pa.Table], ctx: DomainContext
    ) -> dict[str, pa.Table]:
        """Faults laid over a chunk's produced tables (each logged to `ctx.log`); none by default."""
        return tables

    def period(self, knobs: Mapping[str, Any]) -> tuple[str, int] | None:
        """(first day as an ISO date, number of days) when every chunk is one day of the recipe's period, so a
        build can make a window of days (`sandbox build --from/--until`) and a replay can follow on in time;
        None (the default) when chunks are not by day."""
        return None

    def chunk_day(self, payload: Mapping[str, Any]) -> int:
        """The day of the period (0 first) a chunk's payload makes; only asked of a domain with a `period`."""
        raise NotImplementedError

    def keys(self, knobs: Mapping[str, Any], rows: int) -> dict[str, tuple[str, int]]:
        """Tables whose ids are 1..n, known before a row is made: {table: (id column, n)}, so a recipe's own
        tables can `ref:` them; none by default."""
        return {}

    def check(self, knobs: Mapping[str, Any]) -> Iterable[Finding]:
        """Cross-knob checks beyond each knob's own range; paths are below `domain.knobs`."""
        return ()

    def conformance(self, knobs: Mapping[str, Any], rows: int, reader: TableReader, faults: Faults) -> list[KnobCheck]:
        """`rows` and each rate knob beside the value the sandbox realised (`sandbox check`); none by default."""
        return []

    def benchmark(self, knobs: Mapping[str, Any], reader: TableReader, seed: int) -> dict[str, Any]:
        """How hard the built sandbox's faults are to find (baselines' scores per kind, for the manifest and the
        card); nothing by default."""
        return {}

    def views(self, sandbox: Sandbox) -> list[tuple[str, Figure]]:
        """Titled matplotlib figures for `sandbox report`, from `views_module` (imported only for a report)."""
        if self.views_module is None:
            return []
        return list(importlib.import_module(self.views_module).views(sandbox))

    def column_docs(self) -> dict[str, dict[str, str]]:
        """Column descriptions per table, from `columns.json` beside the domain's module (else TableInfo.columns)."""
        return _package_json(type(self).__module__, "columns.json")


def _package(module: str) -> str:
    return module.rpartition(".")[0] or module


@functools.cache
def _package_json(module: str, name: str) -> dict[str, Any]:
    found = resources.files(_package(module)).joinpath(name)
    if not found.is_file():
        return {}
    return {k: v for k, v in json.loads(found.read_text("utf-8")).items() if not k.startswith("_")}


def package_data(module: str, name: str) -> dict[str, Any]:
    """A JSON file beside `module` (a domain's vocabulary and published figures)."""
    return dict(json.loads(resources.files(_package(module)).joinpath(name).read_text("utf-8")))
