"""Noise a recipe can ask for on a column or a table, declared once (schema, validation, help)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.core.chunks import whole
from sandbox.core.seeding import stream
from sandbox.noise import corruptions as c
from sandbox.noise.defects import DefectLog, row_keys


@dataclass(frozen=True)
class NoiseKind:
    name: str
    description: str
    #: What the column must hold: string, number, timestamp, any; or "table" for whole-row noise.
    applies_to: str


KINDS = {
    k.name: k
    for k in (
        NoiseKind("missing", "The field is left empty (null), unlike legitimate `null_rate` gaps.", "any"),
        NoiseKind("ocr", "One OCR confusion: 0/O, 1/l/I, 5/S, 8/B, rn/m ...", "string"),
        NoiseKind("typo", "One keyboard-adjacent substitution.", "string"),
        NoiseKind("transpose", "Two neighbouring characters swapped.", "string"),
        NoiseKind("case", "A format change: the value in capitals.", "string"),
        NoiseKind("delay", "The timestamp arrives late by an exponential delay (mean_seconds).", "timestamp"),
        NoiseKind("spike", "The number multiplied or divided by `factor`.", "number"),
        NoiseKind("duplicate", "The row is delivered twice.", "table"),
        NoiseKind("drop", "The row is lost.", "table"),
    )
}
NOISE_ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "rate"],
    "properties": {
        "kind": {"enum": list(KINDS), "description": "The fault; see `sandbox recipes --help-noise`."},
        "rate": {"type": "number", "minimum": 0, "maximum": 1, "description": "Share of rows hit."},
        "mean_seconds": {
            "type": "number",
            "exclusiveMinimum": 0,
            "default": 3600,
            "description": "delay: mean delay in seconds.",
        },
        "factor": {"type": "number", "exclusiveMinimum": 1, "default": 10, "description": "spike: the factor."},
    },
}
_EDITS: dict[str, c.Edit] = {"ocr": c.ocr, "typo": c.typo, "transpose": c.transpose, "case": c.upper}


@dataclass(frozen=True)
class Target:
    """Where noise lands: the table, its key columns, and the chunk (for seeds and row numbers)."""

    seed: int
    table: str
    chunk: int
    start: int
    key: Sequence[str]


def _keys(table: pa.Table, target: Target, rows: np.ndarray) -> pa.Array:
    if target.key:
        return row_keys(table, target.key, rows)
    return row_keys(pa.table({"_row": pa.array(rows + target.start)}), ["_row"], np.arange(len(rows)))


def corrupt_column(
    table: pa.Table, column: str, items: Sequence[Mapping[str, Any]], target: Target, log: DefectLog
) -> pa.Table:
    """Apply a column's noise items in order; each changed field is logged with before and after."""
    index = table.schema.get_field_index(column)
    values = whole(table.column(index))
    for i, item in enumerate(items):
        rng = stream(target.seed, target.table, target.chunk, f"noise:{column}:{i}")
        rows = c.pick(rng, len(values), float(item["rate"]))
        kind = item["kind"]
        params: dict[str, Any] = {}
        if kind == "missing":
            rows = rows[np.asarray(values.is_valid().take(pa.array(rows)), dtype=bool)] if len(rows) else rows
            observed = c.set_missing(values, rows)
        elif kind == "delay":
            params = {"mean_seconds": item.get("mean_seconds", 3600)}
            rows = rows[np.asarray(values.is_valid().take(pa.array(rows)), dtype=bool)] if len(rows) else rows
            observed = c.delay(values, rows, rng, float(params["mean_seconds"]))
        elif kind == "spike":
            params = {"factor": item.get("factor", 10)}
            rows = rows[np.asarray(values.is_valid().take(pa.array(rows)), dtype=bool)] if len(rows) else rows
            observed = c.spike(values, rows, rng, float(params["factor"]))
        else:
            observed, rows = c.edit_strings(values, rows, rng, _EDITS[kind])
        if len(rows):
            taken = pa.array(rows)
            log.add(
                target.table,
                _keys(table, target, rows),
                kind,
                column,
                truth=values.take(taken),
                observed=observed.take(taken),
                params=params or None,
            )
        values = observed
    return table.set_column(index, table.schema.field(index), values)


def corrupt_rows(table: pa.Table, items: Sequence[Mapping[str, Any]], target: Target, log: DefectLog) -> pa.Table:
    """Whole-row noise (duplicates, drops), applied after the column noise."""
    for i, item in enumerate(items):
        rng = stream(target.seed, target.table, target.chunk, f"noise:rows:{i}")
        rows = c.pick(rng, len(table), float(item["rate"]))
        if not len(rows):
            continue
        log.add(
            target.table,
            _keys(table, target, rows),
            "duplicate" if item["kind"] == "duplicate" else "dropped_row",
            params={"copies": 2} if item["kind"] == "duplicate" else None,
        )
        if item["kind"] == "duplicate":
            order = np.sort(np.concatenate([np.arange(len(table)), rows]), kind="stable")
        else:
            keep = np.ones(len(table), dtype=bool)
            keep[rows] = False
            order = np.flatnonzero(keep)
        table = table.take(pa.array(order))
    return table


def value_family(gen: str, spec: Mapping[str, Any]) -> str:
    """Which value family a generator produces, for checking noise against its column."""
    if gen in ("faker", "template", "safe"):
        return "string"
    if gen in ("choice", "constant"):
        values = spec[gen] if gen == "choice" else [spec[gen]]
        return "string" if all(isinstance(v, str) for v in values) else "number"
    if gen in ("timestamp",):
        return "timestamp"
    if gen in ("date", "bool"):
        return gen
    return "number"
