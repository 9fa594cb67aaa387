"""What a domain's `conformance` works with: knob checks and their tolerance, and a reader of the built tables.

The tolerance is max(10% of the knob, 4 standard errors of the realised value), the project's one rule for
"landed on its knob" (`sandbox check`); a measured statistic with a published bound (Benford's MAD) uses the bound.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.output.location import Location
from sandbox.output.manifest import Manifest

T = TypeVar("T")

#: Count of truth/defects rows per (table, column, kind).
Faults = dict[tuple[str, str | None, str], int]


@dataclass(frozen=True)
class KnobCheck:
    knob: str  # where the recipe sets it, e.g. domain.knobs.conversion_rate or tables.orders.columns.x.null_rate
    target: float
    realised: float
    #: Standard error of the realised value (0 for exact counts).
    se: float
    #: What the realised value was measured over, e.g. "human sessions".
    over: str = ""
    #: A published or set bound instead of the statistical tolerance: ok within |limit - target| of the target
    #: (a Benford MAD of at most 0.012 is target 0, limit 0.012).
    limit: float | None = None

    @property
    def tolerance(self) -> float:
        if self.limit is not None:
            return abs(self.limit - self.target)
        return max(0.1 * abs(self.target), 4 * self.se)

    @property
    def ok(self) -> bool:
        return abs(self.realised - self.target) <= self.tolerance + 1e-12

    def to_dict(self) -> dict[str, Any]:
        return {
            "knob": self.knob,
            "target": self.target,
            "realised": round(self.realised, 6),
            "tolerance": round(self.tolerance, 6) if math.isfinite(self.tolerance) else None,  # None: no data
            "ok": self.ok,
            "over": self.over,
        }


def ratio(hits: float, n: float) -> float:
    """hits / n, and 0 where there is nothing to measure over (an empty build)."""
    return hits / n if n else 0.0


def share(knob: str, target: float, hits: float, n: float, over: str, se: float | None = None) -> KnobCheck:
    """A rate knob realised as hits / n; a binomial standard error unless given."""
    realised = ratio(hits, n)
    if se is None:
        se = math.sqrt(max(target * (1 - target), 0.0) / n) if n else math.inf
    return KnobCheck(knob, float(target), realised, se, over)


#: Keep the rows whose `column` holds one of the values.
Where = tuple[str, Sequence[str]]


def matches(column: pa.Array, values: Sequence[str]) -> pa.Array:
    """Which rows of a (dictionary-encoded) text column hold one of `values`; a dictionary's entries are
    looked up once, not decoded row by row."""
    if isinstance(column, pa.DictionaryArray):
        hit = np.flatnonzero(matches(column.dictionary, values).to_numpy(zero_copy_only=False))
        codes = column.indices.to_numpy(zero_copy_only=False)
        found = codes == hit[0] if len(hit) == 1 else np.isin(codes, hit)
        return pa.array(found & column.is_valid().to_numpy(zero_copy_only=False))
    return pc.fill_null(pc.is_in(column, value_set=pa.array(values, column.type)), False)


def holds(column: pa.ChunkedArray, value: str) -> np.ndarray:
    """Which rows of a (dictionary-encoded) text column hold `value`, as a numpy mask (`matches`, chunk by chunk)."""
    masks = [matches(chunk, [value]).to_numpy(zero_copy_only=False) for chunk in column.chunks]
    return np.concatenate(masks) if masks else np.zeros(0, bool)


class IdSet:
    """Non-negative integer ids to count others among: a table of flags where they are dense (25x `np.isin`'s
    sort for a 1M-invoice ledger's 2.5M lines, at a byte per id up to the largest), else `np.isin`."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = ids
        top = int(ids.max()) if len(ids) else -1
        dense = not len(ids) or (int(ids.min()) >= 0 and top < 64 * len(ids) + 65_536)
        self.flags = np.zeros(top + 1, bool) if dense else None
        if self.flags is not None:
            self.flags[ids] = True

    def count(self, values: np.ndarray) -> int:
        """How many of `values` are among the ids."""
        if self.flags is None:
            return int(np.isin(values, self.ids).sum())
        inside = values[(values >= 0) & (values < len(self.flags))]
        return int(self.flags[inside].sum())


class TableReader:
    """Reads columns of a sandbox's tables straight from the files its manifest lists, file by file.

    Plain Parquet readers, a part at a time: cheaper than pyarrow.dataset's scanner on parts this small
    (bench/RESULTS.md, "Notes from the code")."""

    def __init__(self, folder: Path | str, manifest: Manifest) -> None:
        self.manifest = manifest
        self.filesystem, self.root = Location(str(folder)).pyarrow_filesystem()
        #: A domain's name for a table -> the sandbox's (a recipe's `domain.tables.NAME.as`).
        self.aliases: dict[str, str] = {}

    def aliased(self, aliases: Mapping[str, str]) -> TableReader:
        """The same reader, reading a domain's tables by the domain's own names."""
        out = copy.copy(self)
        out.aliases = dict(aliases)
        return out

    def rows(self, name: str) -> int:
        """Rows of a table, from the manifest."""
        table = self.manifest["tables"].get(self.aliases.get(name, name))
        return int(table["rows"]) if table else 0

    def read(self, name: str, columns: Sequence[str], where: Where | None = None) -> pa.Table:
        """Columns of a (small) table, optionally filtered; hive partition keys are not columns here."""
        parts = self.each(name, columns, lambda part: part, where)
        if not parts:
            return pa.table({c: pa.array([], pa.null()) for c in columns})
        return pa.concat_tables(parts)

    def each(
        self, name: str, columns: Sequence[str], reduce: Callable[[pa.Table], T], where: Where | None = None
    ) -> list[T]:
        """`reduce` of each file's columns, in file order; the files are read and reduced in parallel threads
        (reading and numpy release the GIL), a file's columns on one thread."""
        table = self.manifest["tables"].get(self.aliases.get(name, name))
        paths = [file["path"] for file in table["files"]] if table else []
        with ThreadPoolExecutor(max_workers=max(1, min(len(paths), os.cpu_count() or 1))) as pool:
            return list(pool.map(lambda path: reduce(self._part(path, columns, where, (), threads=False)), paths))

    def batches(
        self, name: str, columns: Sequence[str], where: Where | None = None, dictionary: Sequence[str] = ()
    ) -> Iterator[pa.RecordBatch]:
        """Columns of a table batch by batch, for tables that grow with the build (flat memory)."""
        for part in self.parts(name, columns, where, dictionary):
            yield from part.to_batches()

    def parts(
        self,
        name: str,
        columns: Sequence[str],
        where: Where | None = None,
        dictionary: Sequence[str] = (),
        paths: Sequence[str] | None = None,
    ) -> Iterator[pa.Table]:
        """Columns of a table file by file (a part holds at most a chunk's rows), or of the files at `paths`;
        `dictionary` columns are read dictionary-encoded."""
        table = self.manifest["tables"].get(self.aliases.get(name, name))
        for file in table["files"] if table else []:
            if paths is None or file["path"] in paths:
                yield self._part(file["path"], columns, where, dictionary, threads=True)

    def _part(
        self, path: str, columns: Sequence[str], where: Where | None, dictionary: Sequence[str], threads: bool
    ) -> pa.Table:
        """One file's columns; `threads` decodes its columns in parallel (`read` reads whole files in parallel)."""
        wanted = list(columns) + ([where[0]] if where and where[0] not in columns else [])
        with self.open(path) as source, pq.ParquetFile(source, read_dictionary=dictionary) as parquet:
            part = parquet.read(columns=wanted, use_threads=threads)
        if where:
            part = part.filter(matches(part.column(where[0]).combine_chunks(), where[1]))
        return part.select(list(columns))

    def open(self, path: str) -> pa.NativeFile:
        """A file of the sandbox (a manifest path), for reading."""
        full = f"{self.root}/{path}"
        return pa.OSFile(full) if self.filesystem is None else self.filesystem.open(full, "rb")

    def defects(self) -> Faults:
        """Count of truth/defects rows per (table, column, kind), counted on dictionary codes."""
        out: Faults = {}
        names = ["table", "column", "kind"]
        for batch in self.batches("defects", names, dictionary=names):
            key, labels = np.zeros(batch.num_rows, np.int64), []
            for column in batch.columns:  # code 0 for null, else 1 + the dictionary entry
                values = [None, *column.dictionary.to_pylist()]
                key = key * len(values) + pc.fill_null(column.indices, -1).to_numpy() + 1
                labels.append(values)
            found, counts = np.unique(key, return_counts=True)
            for combined, count in zip(found.tolist(), counts.tolist(), strict=True):
                codes = []
                for values in reversed(labels):
                    combined, code = divmod(combined, len(values))
                    codes.append(values[code])
                table, column_name, kind = reversed(codes)
                out[(table, column_name, kind)] = out.get((table, column_name, kind), 0) + count
        return out


def run_lengths_se(target: float, runs: int) -> float:
    """Faults that come in runs (dropouts): the standard error scales with the number of runs, not samples."""
    return target / math.sqrt(runs) if runs else math.inf


def poisson_se(rate: float, exposure: float) -> float:
    """Standard error of an event rate (events per unit) observed over `exposure` units."""
    return math.sqrt(rate / exposure) if exposure > 0 else math.inf
