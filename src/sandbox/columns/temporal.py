"""Timestamps (UTC, microseconds) and dates over a range, with hour-of-day and weekday profiles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.columns.registry import ChunkContext, ColumnGenerator, ColumnSpec, Finding, RecipeView, register
from sandbox.core.params import Param, numbers

US_PER_HOUR = 3_600_000_000
US_PER_DAY = 24 * US_PER_HOUR
TIMESTAMP = pa.timestamp("us", tz="UTC")
#: Resampling rounds for draws that fall in the partial first or last day of a range.
_MAX_REDRAWS = 64


def parse_instant(text: Any) -> int:
    """An ISO date or timestamp -> microseconds since the epoch, UTC (naive means UTC)."""
    value = datetime.fromisoformat(str(text))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp()) * 1_000_000 + value.microsecond


def _range(head: Mapping[str, Any]) -> tuple[int, int]:
    return parse_instant(head["start"]), parse_instant(head["end"])


def profiled_instants(start: int, end: int, hours: Any, weekdays: Any, rng: np.random.Generator, n: int) -> np.ndarray:
    days = np.arange(start // US_PER_DAY, (end - 1) // US_PER_DAY + 1, dtype=np.int64)
    # 1970-01-01 was a Thursday; weekday 0 is Monday.
    day_w = np.asarray(weekdays, dtype=np.float64)[(days + 3) % 7] if weekdays else np.ones(len(days))
    hour_w = np.asarray(hours, dtype=np.float64) if hours else np.ones(24)
    out = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    for _ in range(_MAX_REDRAWS):
        k = len(todo)
        draw = (
            rng.choice(days, k, p=day_w / day_w.sum()) * US_PER_DAY
            + rng.choice(24, k, p=hour_w / hour_w.sum()) * US_PER_HOUR
            + rng.integers(0, US_PER_HOUR, k)
        )
        out[todo] = draw
        todo = todo[(draw < start) | (draw >= end)]
        if not len(todo):
            return out
    out[todo] = rng.integers(start, end, len(todo))
    return out


def _timestamp(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    start, end = _range(spec.head)
    rng = ctx.rng(spec.name)
    hours, weekdays = spec.params.get("hour_weights"), spec.params.get("weekday_weights")
    if hours is None and weekdays is None:
        values = rng.integers(start, end, ctx.n)
    else:
        values = profiled_instants(start, end, hours, weekdays, rng, ctx.n)
    return pa.array(values, TIMESTAMP)


def _date(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    start, end = _range(spec.head)
    first, last = start // US_PER_DAY, (end - 1) // US_PER_DAY
    days = np.arange(first, last + 1, dtype=np.int64)
    weekdays = spec.params.get("weekday_weights")
    rng = ctx.rng(spec.name)
    if weekdays is None:
        values = rng.integers(first, last + 1, ctx.n)
    else:
        w = np.asarray(weekdays, dtype=np.float64)[(days + 3) % 7]
        values = rng.choice(days, ctx.n, p=w / w.sum())
    return pa.array(values.astype(np.int32), pa.date32())


def _check_range(table: str, column: str, spec: Mapping[str, Any], view: RecipeView) -> Iterable[Finding]:
    gen = "timestamp" if "timestamp" in spec else "date"
    head = spec[gen]
    bounds = {}
    for key in ("start", "end"):
        try:
            bounds[key] = parse_instant(head[key])
        except ValueError:
            yield (
                "bad-type",
                (gen, key),
                f"expected an ISO date or timestamp like 2024-01-31 or 2024-01-31T08:00:00Z, got {head[key]!r}",
                None,
            )
    if len(bounds) == 2 and bounds["start"] >= bounds["end"]:
        yield ("bad-range", (gen, "end"), f"expected end after start, got {head['start']} .. {head['end']}", None)
    for key in ("hour_weights", "weekday_weights"):
        if spec.get(key) is not None and sum(spec[key]) <= 0:
            yield ("bad-range", (key,), "expected at least one positive weight, got all zero", None)


_RANGE = Param(
    "range",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["start", "end"],
        "properties": {
            "start": {"type": "string", "description": "First instant (ISO, UTC if no zone)."},
            "end": {"type": "string", "description": "End of the range, exclusive."},
        },
    },
    "The range: {start, end}, ISO dates or timestamps.",
    label="{start, end}",
)
HOURS = numbers("hour_weights", "Relative weight of each hour of the day, 0-23 UTC.", None, length=24, ge=0)
WEEKDAYS = numbers("weekday_weights", "Relative weight of each weekday, Monday first.", None, length=7, ge=0)

register(
    ColumnGenerator(
        "timestamp",
        "UTC timestamps (microseconds) in [start, end), optionally shaped by hour and weekday.",
        Param("timestamp", _RANGE.schema, _RANGE.description, label=_RANGE.label),
        (HOURS, WEEKDAYS),
        _timestamp,
        _check_range,
        example="{timestamp: {start: 2025-01-01, end: 2025-07-01}}",
    )
)
register(
    ColumnGenerator(
        "date",
        "Dates in [start, end), optionally shaped by weekday.",
        Param("date", _RANGE.schema, _RANGE.description, label=_RANGE.label),
        (WEEKDAYS,),
        _date,
        _check_range,
        example="{date: {start: 1950-01-01, end: 2006-01-01}}",
    )
)
