"""The column generator registry: one declaration per generator, shared by schema, validation and help."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from sandbox.core.params import Param
from sandbox.core.seeding import stream

#: The chunk number reserved for streams that every chunk of a table shares.
WHOLE_TABLE = 2**32


@dataclass(frozen=True)
class ColumnSpec:
    """One validated column: its generator, the generator key's value and every parameter."""

    name: str
    gen: str
    head: Any
    params: Mapping[str, Any]
    null_rate: float = 0.0
    unique: bool = False
    #: Text is cut to this many characters (a varchar(N)'s N).
    max_length: int | None = None
    description: str | None = None
    pii: Mapping[str, Any] | None = None
    noise: tuple[Mapping[str, Any], ...] = ()
    #: The resolved class and policy (sandbox.privacy.columns.ColumnPrivacy).
    privacy: Any = None


@dataclass
class ChunkContext:
    """What a generator may know about the chunk it fills: never global state."""

    seed: int
    table: str
    chunk: int
    start: int
    n: int
    table_rows: Mapping[str, int]
    #: Other columns of the recipe, by "table.column", for refs and templates.
    specs: Mapping[str, ColumnSpec]
    columns: dict[str, pa.Array] = field(default_factory=dict)

    def rng(self, purpose: str) -> np.random.Generator:
        return stream(self.seed, self.table, self.chunk, purpose)

    def table_rng(self, purpose: str, table: str | None = None) -> np.random.Generator:
        """A stream shared by every chunk of a table (e.g. a permutation), independent of the chunk."""
        return stream(self.seed, table or self.table, WHOLE_TABLE, purpose)

    @property
    def index(self) -> np.ndarray:
        return np.arange(self.start, self.start + self.n, dtype=np.int64)


#: A semantic finding: (code, path below the column, message, did-you-mean hint).
Finding = tuple[str, tuple[str | int, ...], str, str | None]


@dataclass(frozen=True)
class RecipeView:
    """What a generator's semantic check may look at: every table's columns and sizes."""

    columns: Mapping[str, Mapping[str, Mapping[str, Any]]]
    rows: Mapping[str, int]


@dataclass(frozen=True)
class ColumnGenerator:
    name: str
    summary: str
    head: Param
    params: tuple[Param, ...]
    make: Callable[[ColumnSpec, ChunkContext], pa.Array]
    check: Callable[[str, str, Mapping[str, Any], RecipeView], Iterable[Finding]] | None = None
    unique: Literal["always", "pool", "never"] = "never"
    #: Names of same-table columns this column reads (templates).
    depends: Callable[[Mapping[str, Any]], list[str]] | None = None
    example: str = ""


GENERATORS: dict[str, ColumnGenerator] = {}


def register(generator: ColumnGenerator) -> ColumnGenerator:
    GENERATORS[generator.name] = generator
    return generator
