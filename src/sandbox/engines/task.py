"""Run one chunk task: generate its tables, apply privacy policies, scan, write. Pure in (recipe, task)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sandbox.columns.temporal import US_PER_DAY
from sandbox.domains.registry import DomainContext, resolve
from sandbox.generate import has_noise, table_chunk
from sandbox.noise.defects import DefectLog
from sandbox.output.writer import Part, write_part
from sandbox.plan import DOMAIN, Task
from sandbox.privacy.columns import ColumnPrivacy
from sandbox.privacy.protect import exempt_values, protect
from sandbox.privacy.scan import scan_tables
from sandbox.recipe.model import Recipe

DEFECTS = "defects"
#: Up to this many midnights among a table's rows, `by_day` compares against each instead of dividing.
_FEW_MIDNIGHTS = 4


@dataclass(frozen=True)
class Job:
    recipe: Recipe
    task: Task
    root: str
    #: The pseudonymisation key: held in memory, never written.
    key: bytes

    def __repr__(self) -> str:
        return f"Job({self.recipe.name!r}, {self.task.label!r})"


def by_day(data: pa.Table, column: str) -> list[tuple[str, pa.Table]]:
    """Rows split by the UTC day of a timestamp column, as hive partitions `day=YYYY-MM-DD` (order kept).
    Rows already in day order (as generators write them) are sliced, not copied. Rows spanning a few days are
    split with one comparison per midnight, not a day number per row (5x faster on a chunk of readings)."""
    ts = data[column].combine_chunks().cast(pa.int64()).to_numpy()
    first, last = int(ts.min()) // US_PER_DAY, int(ts.max()) // US_PER_DAY
    if last - first <= _FEW_MIDNIGHTS:
        before = [ts < (day + 1) * US_PER_DAY for day in range(first, last)]
        ends = [int(np.count_nonzero(b)) for b in before]
        in_order = all(b[:end].all() for b, end in zip(before, ends, strict=True))
    else:
        days = ts // US_PER_DAY
        in_order = bool((np.diff(days) >= 0).all())
        ends = np.searchsorted(days, np.arange(first + 1, last + 1)).tolist()
    if in_order:
        bounds = [0, *ends, len(ts)]
        pieces = [(first + i, data.slice(s, e - s)) for i, (s, e) in enumerate(itertools.pairwise(bounds)) if e > s]
    else:
        days = ts // US_PER_DAY
        pieces = [(int(day), data.filter(pa.array(days == day))) for day in np.unique(days)]
    return [(f"day={(np.datetime64(0, 'D') + day).astype(str)}", piece) for day, piece in pieces]


def _keep(chunk: int, table: pa.Table) -> bool:
    """Empty parts are written only for chunk 0, so every table has a schema on disk."""
    return len(table) > 0 or chunk == 0


@dataclass(frozen=True)
class Outcome:
    """What a chunk task sends back: its parts' descriptions and where its time went (never the rows)."""

    parts: list[Part]
    seconds: float
    scan_seconds: float


def execute(job: Job) -> Outcome:
    started = time.perf_counter()
    recipe, task, root = job.recipe, job.task, job.root
    name = f"part-{task.chunk:05d}.parquet"
    if task.source == DOMAIN:
        assert recipe.domain is not None
        domain = resolve(recipe.domain.reference)
        log = DefectLog(recipe.domain.generator, task.chunk)
        tables = domain.generate(
            recipe.domain.knobs, task.payload, DomainContext(recipe.seed, recipe.domain.generator, task.chunk, log)
        )
        infos = domain.tables(recipe.domain.knobs)
        roles = {info.name: info.role for info in infos}
        partitions = {info.name: info.partition for info in infos if info.partition}
        directories = {info.name: info.directory for info in infos if info.directory}
        privacy: dict[str, Mapping[str, ColumnPrivacy]] = {info.name: info.privacy for info in infos}
        defects_name, always_defects = f"part-{recipe.domain.generator}-{task.chunk:05d}.parquet", True
    else:
        partitions, directories = {}, {}
        spec = recipe.table(task.source)
        data, log = table_chunk(recipe, spec, task.chunk, task.start, task.n)
        tables, roles = {spec.name: data}, {spec.name: "data"}
        privacy = {spec.name: {c.name: c.privacy for c in spec.columns if c.privacy is not None}}
        defects_name, always_defects = f"part-{spec.name}-{task.chunk:05d}.parquet", has_noise(spec)
    defects = log.table()
    for table_name in list(tables):
        tables[table_name], defects = protect(tables[table_name], defects, table_name, privacy[table_name], job.key)
    to_write = []
    for table_name, data in tables.items():
        if table_name in partitions and len(data):
            to_write += [
                (table_name, roles[table_name], f"{day}/{name}", rows)
                for day, rows in by_day(data, partitions[table_name])
            ]
        else:
            to_write.append((table_name, roles[table_name], name, data))

    if always_defects:
        to_write.append((DEFECTS, "truth", defects_name, defects))
    to_write = [entry for entry in to_write if _keep(task.chunk, entry[3])]
    scan_started = time.perf_counter()
    scans = scan_tables([data for *_, data in to_write], exempt_values(defects))
    scan_seconds = time.perf_counter() - scan_started
    parts = [
        write_part(root, table_name, role, part_name, data, scan, directories.get(table_name))
        for (table_name, role, part_name, data), scan in zip(to_write, scans, strict=True)
    ]
    return Outcome(parts, time.perf_counter() - started, scan_seconds)
