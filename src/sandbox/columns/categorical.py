"""Categorical generators: weighted choice and booleans."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.columns.arrays import finish_numeric
from sandbox.columns.numeric import TYPE, type_findings
from sandbox.columns.registry import ChunkContext, ColumnGenerator, ColumnSpec, Finding, RecipeView, register
from sandbox.core.params import Param, number, numbers

WEIGHT_TOLERANCE = 1e-6


def _choice(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    values = list(spec.head)
    weights = spec.params.get("weights")
    rng = ctx.rng(spec.name)
    if weights is None:
        index = rng.integers(0, len(values), ctx.n, dtype=np.int32)
    else:
        p = np.asarray(weights, dtype=np.float64)
        index = rng.choice(len(values), size=ctx.n, p=p / p.sum()).astype(np.int32)
    if all(isinstance(v, str) for v in values):
        return pa.DictionaryArray.from_arrays(pa.array(index), pa.array(values, pa.string()))
    if spec.params.get("type"):
        return finish_numeric(np.asarray(values, dtype=np.float64)[index], dict(spec.params))
    return pa.array(values).take(pa.array(index))


def _check_choice(table: str, column: str, spec: Mapping[str, Any], view: RecipeView) -> Iterable[Finding]:
    values = spec["choice"]
    if len(set(map(repr, values))) != len(values):
        yield ("bad-choice", ("choice",), "expected distinct values, got repeats", None)
    if len({type(v) for v in values}) > 1 and not all(isinstance(v, int | float) for v in values):
        yield ("bad-type", ("choice",), "expected values of one type, got a mix", None)
    if spec.get("type") and not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        yield ("bad-type", ("type",), "expected numeric values for a typed choice, got text or booleans", None)
    yield from type_findings(spec)
    weights = spec.get("weights")
    if weights is None:
        return
    if len(weights) != len(values):
        yield ("bad-range", ("weights",), f"expected {len(values)} weights (one per value), got {len(weights)}", None)
    elif abs(sum(weights) - 1.0) > WEIGHT_TOLERANCE:
        yield ("bad-range", ("weights",), f"expected weights summing to 1, got {sum(weights):g}", None)


register(
    ColumnGenerator(
        "choice",
        "One of the listed values, uniformly or with weights that sum to 1.",
        Param(
            "choice",
            {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}},
            "The values.",
            label="list of values",
        ),
        (
            numbers("weights", "Probability of each value, in order; they sum to 1.", None, ge=0),
            Param("type", TYPE.schema, "For numeric values: float, int or decimal(P,S).", None, TYPE.label),
        ),
        _choice,
        _check_choice,
        example="{choice: [mobile, desktop, tablet], weights: [0.6, 0.3, 0.1]}",
    )
)


def _bool(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    return pa.array(ctx.rng(spec.name).random(ctx.n) < float(spec.head))


register(
    ColumnGenerator(
        "bool",
        "True with probability p.",
        number("bool", "Probability of true.", ge=0, le=1),
        (),
        _bool,
        example="{bool: 0.3}",
    )
)
