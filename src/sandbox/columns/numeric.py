"""Numeric generators: sequence ids, distributions, constants. Every one vectorised over a chunk."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.columns.arrays import finish_numeric
from sandbox.columns.registry import ChunkContext, ColumnGenerator, ColumnSpec, Finding, RecipeView, register
from sandbox.core import exact
from sandbox.core.params import Param, integer, number, numbers

TYPE = Param(
    "type",
    {"type": "string", "pattern": r"^(float|int|decimal\(\d+,\s*\d+\))$", "x-expected": "float, int or decimal(P,S)"},
    "Output type: float, int (rounded) or decimal(P,S) for money (exact, never float).",
    None,
    "float|int|decimal(P,S)",
)
CLIP = numbers("clip", "Clip draws to [min, max].", None, length=2)
ROUND = integer(
    "round", "Round floats to this many decimals (a float64 holds 15-17 significant digits).", None, ge=0, le=15
)
NUMERIC = (TYPE, CLIP, ROUND)


def _mapping(name: str, description: str, *fields: Param) -> Param:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in fields if f.required],
        "properties": {f.name: f.json_schema() for f in fields},
    }
    return Param(name, schema, description, label="{" + ", ".join(f.name for f in fields) + "}")


def _check_numeric(table: str, column: str, spec: Mapping[str, Any], view: RecipeView) -> Iterable[Finding]:
    clip = spec.get("clip")
    if clip is not None and clip[0] > clip[1]:
        yield ("bad-range", ("clip",), f"expected clip [min, max] with min <= max, got {clip}", None)
    yield from type_findings(spec)


def type_findings(spec: Mapping[str, Any]) -> Iterable[Finding]:
    """A `type: decimal(P,S)` Arrow can hold: 1 <= P <= 38 and S <= P (numeric generators and typed choices)."""
    kind = spec.get("type") or ""
    if kind.startswith("decimal"):
        precision, scale = (int(x) for x in kind[8:-1].split(","))
        if not 1 <= precision <= 38 or scale > precision:
            yield ("bad-range", ("type",), f"expected decimal(P,S) with 1 <= P <= 38 and S <= P, got {kind}", None)


def _numeric(
    name: str, summary: str, head: Param, draw: Any, example: str, default_type: str = "float", check: Any = None
) -> None:
    def make(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
        return finish_numeric(draw(spec.head, ctx.rng(spec.name), ctx.n), dict(spec.params), default_type)

    def full_check(table: str, column: str, spec: Mapping[str, Any], view: RecipeView) -> Iterable[Finding]:
        yield from _check_numeric(table, column, spec, view)
        if check:
            yield from check(spec[name])

    register(ColumnGenerator(name, summary, head, NUMERIC, make, full_check, example=example))


def _sequence(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    return pa.array(int(spec.head) + int(spec.params["step"]) * ctx.index)


_INT64 = (-(2**63), 2**63 - 1)


def _sequence_check(table: str, column: str, spec: Mapping[str, Any], view: RecipeView) -> Iterable[Finding]:
    """The last id must fit in int64 (a fuzzed `sequence: 9223372036854775808` once crashed the build)."""
    start, step = int(spec["sequence"]), int(spec.get("step", 1))
    last = start + step * max(view.rows.get(table, 1) - 1, 0)
    if not (_INT64[0] <= start and last <= _INT64[1]):
        yield (
            "bad-range",
            ("sequence",),
            f"expected ids within int64 ({_INT64[0]}..{_INT64[1]}), got up to {last}",
            None,
        )


register(
    ColumnGenerator(
        "sequence",
        "Row-index ids: start, start+step, ... (unique, int64). Foreign keys point at these.",
        integer("sequence", "The first id."),
        (integer("step", "Distance between consecutive ids.", 1, ge=1),),
        _sequence,
        _sequence_check,
        unique="always",
        example="{sequence: 1}",
    )
)


def _uniform_check(head: list[float]) -> Iterable[Finding]:
    if head[0] >= head[1]:
        yield ("bad-range", ("uniform",), f"expected [low, high] with low < high, got {head}", None)


def _uniform(head: list[float], rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(head[0], head[1], n)


_numeric(
    "uniform",
    "Uniform over [low, high).",
    numbers("uniform", "[low, high]", length=2),
    _uniform,
    "{uniform: [0, 100], type: int}",
    check=_uniform_check,
)
_numeric(
    "normal",
    "Normal with mean and sd.",
    _mapping(
        "normal", "Mean and standard deviation.", number("mean", "Mean."), number("sd", "Standard deviation.", gt=0)
    ),
    lambda h, rng, n: exact.normal(rng, h["mean"], h["sd"], n),
    "{normal: {mean: 20, sd: 2}}",
)
_numeric(
    "lognormal",
    "Lognormal: exp of a normal with mean and sigma (typical for prices and durations).",
    _mapping(
        "lognormal",
        "Mean and sigma of the underlying normal.",
        number("mean", "Mean of log."),
        number("sigma", "Sigma of log.", gt=0),
    ),
    lambda h, rng, n: exact.lognormal(rng, h["mean"], h["sigma"], n),
    "{lognormal: {mean: 3.2, sigma: 0.7}, type: 'decimal(12,2)'}",
)
_numeric(
    "exponential",
    "Exponential with the given scale (mean).",
    number("exponential", "Scale (the mean).", gt=0),
    lambda h, rng, n: exact.exponential(rng, h, n),
    "{exponential: 30}",
)
_numeric(
    "poisson",
    "Poisson counts with the given mean.",
    number("poisson", "Mean (lambda).", ge=0),
    lambda h, rng, n: rng.poisson(h, n),
    "{poisson: 3}",
    default_type="int",
)
_numeric(
    "zipf",
    "Zipf counts with exponent a > 1 (heavy tail: clip it).",
    number("zipf", "Exponent a.", gt=1),
    lambda h, rng, n: rng.zipf(h, n),
    "{zipf: 2.0, clip: [1, 50]}",
    default_type="int",
)
_numeric(
    "pareto",
    "Pareto with shape and scale (minimum value).",
    _mapping(
        "pareto", "Shape and scale.", number("shape", "Tail index.", gt=0), number("scale", "Minimum value.", gt=0)
    ),
    lambda h, rng, n: (exact.pareto(rng, h["shape"], n) + 1.0) * h["scale"],
    "{pareto: {shape: 1.5, scale: 10}}",
)


def _constant(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    value = spec.head
    if isinstance(value, str):
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(ctx.n, dtype=np.int32)), pa.array([value]))
    return pa.repeat(pa.scalar(value), ctx.n) if value is not None else pa.nulls(ctx.n)


register(
    ColumnGenerator(
        "constant",
        "The same value on every row.",
        Param("constant", {"type": ["string", "number", "boolean"]}, "The value.", label="scalar"),
        (),
        _constant,
        example="{constant: EUR}",
    )
)
