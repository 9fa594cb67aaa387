"""The fixed chunk plan: which rows (or which domain payload) each chunk task produces.

Chunk size comes from the recipe, never from the machine, so the plan - and the output bytes - are the
same for one process, a process pool or a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.domains.registry import resolve
from sandbox.recipe.model import Recipe

DOMAIN = "domain"


@dataclass(frozen=True)
class Task:
    """One chunk: rows [start, start + n) of a table, or one payload of the recipe's domain."""

    source: str
    chunk: int
    start: int = 0
    n: int = 0
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.source} chunk {self.chunk}"


def plan(recipe: Recipe) -> list[Task]:
    tasks: list[Task] = []
    for table in recipe.tables:
        count = max(1, -(-table.rows // recipe.chunk_rows))
        for chunk in range(count):
            start = chunk * recipe.chunk_rows
            tasks.append(Task(table.name, chunk, start, min(recipe.chunk_rows, table.rows - start)))
    if recipe.domain:
        domain = resolve(recipe.domain.reference)
        payloads = domain.plan(recipe.domain.knobs, recipe.domain.rows, recipe.chunk_rows)
        tasks += [Task(DOMAIN, i, payload=p) for i, p in enumerate(payloads)]
    return tasks
