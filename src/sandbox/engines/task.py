"""Run one chunk task: generate its tables, write their parts. Pure in (recipe, task), any process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from sandbox.domains.registry import DomainContext, resolve
from sandbox.generate import has_noise, table_chunk
from sandbox.noise.defects import DefectLog
from sandbox.output.writer import Part, write_part
from sandbox.plan import DOMAIN, Task
from sandbox.recipe.model import Recipe

DEFECTS = "defects"


@dataclass(frozen=True)
class Job:
    recipe: Recipe
    task: Task
    root: str


def _keep(chunk: int, table: pa.Table) -> bool:
    """Empty parts are written only for chunk 0, so every table has a schema on disk."""
    return len(table) > 0 or chunk == 0


def execute(job: Job) -> list[Part]:
    recipe, task, root = job.recipe, job.task, Path(job.root)
    name = f"part-{task.chunk:05d}.parquet"
    parts = []
    if task.source == DOMAIN:
        assert recipe.domain is not None
        domain = resolve(recipe.domain.reference)
        log = DefectLog(recipe.domain.generator, task.chunk)
        ctx = DomainContext(recipe.seed, recipe.domain.generator, task.chunk, log)
        tables = domain.generate(recipe.domain.knobs, task.payload, ctx)
        for info in domain.tables(recipe.domain.knobs):
            if _keep(task.chunk, tables[info.name]):
                parts.append(write_part(root, info.name, info.role, name, tables[info.name]))
        defects_name = f"part-{recipe.domain.generator}-{task.chunk:05d}.parquet"
    else:
        spec = recipe.table(task.source)
        data, log = table_chunk(recipe, spec, task.chunk, task.start, task.n)
        parts.append(write_part(root, spec.name, "data", name, data))
        if not has_noise(spec):
            return parts
        defects_name = f"part-{spec.name}-{task.chunk:05d}.parquet"
    defects = log.table()
    if _keep(task.chunk, defects):
        parts.append(write_part(root, DEFECTS, "truth", defects_name, defects))
    return parts
