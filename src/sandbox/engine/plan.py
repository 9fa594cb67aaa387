"""The fixed chunk plan: a recipe's producers (each table, then its domain) and every chunk of each.

Chunk size comes from the recipe, never from the machine, so the plan - and the output bytes - are the
same for one process, a process pool or a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.engine.contract import Chunk, Producer
from sandbox.engine.domain import DomainProducer
from sandbox.engine.tables import TableProducer
from sandbox.recipe.model import Recipe

#: The answer key's table (truth/defects), one part per chunk of a producer that injects faults.
DEFECTS = "defects"


def producers(recipe: Recipe) -> list[Producer]:
    """What makes the recipe's rows: its tables in order, then its domain."""
    found: list[Producer] = [TableProducer(recipe, table.name) for table in recipe.tables]
    if recipe.domain:
        found.append(DomainProducer(recipe))
    return found


@dataclass(frozen=True)
class Job:
    """One chunk task as a worker receives it: pure in (producer, chunk), written under `root`."""

    producer: Producer
    chunk: Chunk
    root: str
    #: The pseudonymisation key: held in memory, never written.
    key: bytes

    def __repr__(self) -> str:
        return f"Job({self.chunk.label!r})"


def plan(found: list[Producer], root: str, key: bytes) -> list[Job]:
    return [Job(producer, chunk, root, key) for producer in found for chunk in producer.plan()]


def table_infos(recipe: Recipe, found: list[Producer]) -> dict[str, dict[str, Any]]:
    """Role, description, key, primary flag and column descriptions of every table the producers write, in
    order, and truth/defects when any of them may inject faults."""
    primary = recipe.primary_name()
    out: dict[str, dict[str, Any]] = {}
    for producer in found:
        for i, info in enumerate(producer.tables()):
            out[info.name] = {
                "role": info.role,
                "description": info.description,
                "key": info.key,
                "primary": primary == producer.source and i == 0,
                "columns": dict(info.columns),
                "references": dict(info.references),
                "arrival": info.arrival,
            }
    if any(p.always_defects for p in found):
        out[DEFECTS] = {
            "role": "truth",
            "description": "One row per injected fault (the answer key).",
            "key": ("defect_id",),
        }
    return out


def column_privacy(found: list[Producer]) -> dict[str, dict[str, Any]]:
    """Every table's resolved column classes and policies."""
    return {info.name: dict(info.privacy) for producer in found for info in producer.tables()}
