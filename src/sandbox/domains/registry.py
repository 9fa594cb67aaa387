"""The domain registry and the interface a domain implements.

A domain (clickstream, sensors, ledger, or your own) produces several related tables per chunk. It
declares its knobs once as `Param`s; the recipe schema, validation, `sandbox recipes --knobs` and the
data card are generated from them. Chunks are planned up front (`plan`) as small picklable payloads,
so any process can generate any chunk from (recipe, seed, payload) alone.
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
from sandbox.engines import lean
from sandbox.noise.defects import DefectLog
from sandbox.params import Param
from sandbox.seeding import stream

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sandbox.conformance import Faults, KnobCheck, TableReader
    from sandbox.opened import Sandbox


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
    """Subclass, declare `name`, `description`, `knobs`, `unit`, then implement the three methods."""

    name: ClassVar[str]
    description: ClassVar[str]
    knobs: ClassVar[tuple[Param, ...]] = ()
    #: What the recipe's `domain.rows` counts (e.g. "sessions").
    unit: ClassVar[str] = "rows"
    #: A module with `views(sandbox) -> [(title, figure)]`: the domain's own plots in `sandbox report`.
    views_module: ClassVar[str | None] = None

    @abstractmethod
    def tables(self, knobs: Mapping[str, Any]) -> list[TableInfo]:
        """Every table this domain writes, data and truth, in a fixed order."""

    @abstractmethod
    def plan(self, knobs: Mapping[str, Any], rows: int, chunk_rows: int) -> list[dict[str, Any]]:
        """Chunk payloads, small and picklable; chunk i is payload i."""

    @abstractmethod
    def generate(self, knobs: Mapping[str, Any], payload: Mapping[str, Any], ctx: DomainContext) -> dict[str, pa.Table]:
        """The rows of every table for one chunk (faults go to `ctx.log`)."""

    def check(self, knobs: Mapping[str, Any]) -> Iterable[Finding]:
        """Cross-knob checks beyond each knob's own range; paths are below `domain.knobs`."""
        return ()

    def conformance(self, knobs: Mapping[str, Any], rows: int, reader: TableReader, faults: Faults) -> list[KnobCheck]:
        """`rows` and each rate knob beside the value the sandbox realised (`sandbox check`); none by default."""
        return []

    def views(self, sandbox: Sandbox) -> list[tuple[str, Figure]]:
        """Titled matplotlib figures for `sandbox report`, from `views_module` (imported only for a report)."""
        if self.views_module is None:
            return []
        return list(importlib.import_module(self.views_module).views(sandbox))


#: name -> "module:ClassName"; built-ins are imported only when used.
_REGISTRY: dict[str, str] = {
    "clickstream": "sandbox.domains.clickstream:Clickstream",
    "sensors": "sandbox.domains.sensors:Sensors",
    "ledger": "sandbox.domains.ledger:Ledger",
    "learned": "sandbox.domains.learned:Learned",
}


def register_domain(cls: type[Domain]) -> type[Domain]:
    """Register a domain class by its `name` (usable as a decorator)."""
    _REGISTRY[cls.name] = f"{cls.__module__}:{cls.__qualname__}"
    return cls


def unregister_domain(name: str) -> None:
    """Forget a registered domain (plugins and tests that register one for a while)."""
    _REGISTRY.pop(name, None)


def domain_names() -> list[str]:
    return sorted(_REGISTRY)


def resolve(reference: str) -> Domain:
    """A domain instance from a registered name or a "module:Class" reference (workers use these)."""
    target = _REGISTRY.get(reference, reference)
    module, _, qualname = target.partition(":")
    if not qualname:
        raise KeyError(reference)
    if not module.startswith("sandbox."):
        lean.allow()  # a domain of your own may use pandas; the built-in ones never do
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj()


def get_domain(name: str) -> Domain:
    return resolve(name)


def reference(name: str) -> str:
    """The "module:Class" a worker process imports to find this domain."""
    return _REGISTRY[name]


@functools.cache
def _docs() -> dict[str, Any]:
    return dict(json.loads(resources.files("sandbox.data").joinpath("columns.json").read_text("utf-8")))


def column_docs(domain: str) -> dict[str, dict[str, str]]:
    """Column descriptions of a built-in domain's tables (`data/columns.json`); others set TableInfo.columns."""
    return dict(_docs().get(domain, {}))
