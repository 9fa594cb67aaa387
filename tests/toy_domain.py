"""A toy domain proving the interface: meters, their readings (with dropouts) and the true readings.

The tests register it for as long as they need it (`register_domain(Counters)`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.columns.registry import Finding
from sandbox.core.params import integer, number
from sandbox.domains import Domain, DomainContext, TableInfo
from sandbox.noise.defects import row_keys


class Counters(Domain):
    name = "counters"
    description = "Toy domain: meters and hourly readings, some dropped."
    unit = "meters"
    knobs = (
        integer("readings_per_meter", "Readings each meter sends.", 24, ge=1, le=10_000),
        number("drop_rate", "Share of readings lost in transit.", 0.05, ge=0, le=1),
    )

    def tables(self, knobs: Mapping[str, Any]) -> list[TableInfo]:
        return [
            TableInfo("meters", "One row per meter.", key=("meter_id",)),
            TableInfo("readings", "Readings as received.", key=("meter_id", "seq")),
            TableInfo("true_readings", "Every reading sent.", role="truth", key=("meter_id", "seq")),
        ]

    def plan(self, knobs: Mapping[str, Any], rows: int, chunk_rows: int) -> list[dict[str, Any]]:
        per_chunk = max(1, chunk_rows // int(knobs["readings_per_meter"]))
        return [{"first": i, "count": min(per_chunk, rows - i)} for i in range(0, rows, per_chunk)]

    def produce(self, knobs: Mapping[str, Any], payload: Mapping[str, Any], ctx: DomainContext) -> dict[str, pa.Table]:
        first, count, k = payload["first"], payload["count"], int(knobs["readings_per_meter"])
        meter_ids = np.arange(first, first + count, dtype=np.int64) + 1
        meters = pa.table({"meter_id": meter_ids, "kind": pa.array(ctx.rng("kind").choice(["gas", "power"], count))})
        truth = pa.table(
            {
                "meter_id": np.repeat(meter_ids, k),
                "seq": np.tile(np.arange(k, dtype=np.int64), count),
                "value": ctx.rng("value").gamma(2.0, 3.0, count * k).round(3),
            }
        )
        lost = np.flatnonzero(ctx.rng("drop").random(len(truth)) < float(knobs["drop_rate"]))
        keep = np.ones(len(truth), dtype=bool)
        keep[lost] = False
        ctx.log.add(
            "readings",
            row_keys(truth, ["meter_id", "seq"], lost),
            "dropout",
            "value",
            truth=truth.column("value").take(pa.array(lost)),
        )
        return {"meters": meters, "readings": truth.filter(pa.array(keep)), "true_readings": truth}

    def check(self, knobs: Mapping[str, Any]) -> Iterable[Finding]:
        if knobs["drop_rate"] == 1 and knobs["readings_per_meter"] > 1:
            yield ("bad-range", ("drop_rate",), "expected some readings to arrive, got drop_rate 1", None)
