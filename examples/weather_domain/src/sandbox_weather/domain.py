"""The `weather` domain: stations, and one observation per station and day, some temperatures lost in transit.

It shows the whole contract a domain implements: knobs declared once, the tables it writes, a chunk plan of
small payloads, `produce` (the rows as they happened) and `corrupt` (the faults, each logged), and
`conformance` (each knob beside what the sandbox realised, for `sandbox check`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.core import exact
from sandbox.core.params import integer, number
from sandbox.domains import Domain, DomainContext, TableInfo
from sandbox.domains.checks import Faults, KnobCheck, TableReader, share
from sandbox.noise.defects import row_keys

FIRST_DAY = date(2025, 1, 1).toordinal() - date(1970, 1, 1).toordinal()


class Weather(Domain):
    name = "weather"
    description = "Weather stations and their daily observations, some temperatures lost in transit."
    unit = "stations"
    knobs = (
        integer("days", "Days observed, from 2025-01-01.", 365, ge=1, le=3_650),
        number("missing_rate", "Share of temperature readings lost in transit, labelled as faults.", 0.02, ge=0, le=1),
    )

    def tables(self, knobs: Mapping[str, Any]) -> list[TableInfo]:
        return [
            TableInfo("stations", "One row per weather station.", key=("station_id",)),
            TableInfo("observations", "One row per station and day.", key=("station_id", "day")),
        ]

    def plan(self, knobs: Mapping[str, Any], rows: int, chunk_rows: int) -> list[dict[str, Any]]:
        per_chunk = max(1, chunk_rows // int(knobs["days"]))
        return [{"first": i, "count": min(per_chunk, rows - i)} for i in range(0, max(rows, 1), per_chunk)]

    def produce(self, knobs: Mapping[str, Any], payload: Mapping[str, Any], ctx: DomainContext) -> dict[str, pa.Table]:
        first, count, days = int(payload["first"]), int(payload["count"]), int(knobs["days"])
        ids = np.arange(first, first + count, dtype=np.int64) + 1
        elevation = ctx.rng("elevation").integers(0, 2_000, count)
        stations = pa.table(
            {"station_id": ids, "code": pa.array([f"WX-{i:04d}" for i in ids]), "elevation_m": elevation}
        )
        # sandbox.core.exact: the same bits on any CPU (numpy's sin and exp dispatch to SIMD kernels that differ)
        season = 10 * exact.sin(2 * np.pi * (np.arange(days) - 100) / 365)
        base = 12 - elevation / 150
        temperature = base[:, None] + season[None, :] + exact.normal(ctx.rng("temperature"), 0, 3, (count, days))
        wet = ctx.rng("wet").random((count, days)) < 0.3
        rain = np.where(wet, exact.exponential(ctx.rng("rain"), 6, (count, days)), 0)
        observations = pa.table(
            {
                "station_id": np.repeat(ids, days),
                "day": pa.array(np.tile(np.arange(FIRST_DAY, FIRST_DAY + days, dtype=np.int32), count), pa.date32()),
                "temperature_c": np.round(temperature.ravel(), 1),
                "rain_mm": np.round(rain.ravel(), 1),
            }
        )
        return {"stations": stations, "observations": observations}

    def corrupt(
        self, knobs: Mapping[str, Any], payload: Mapping[str, Any], tables: dict[str, pa.Table], ctx: DomainContext
    ) -> dict[str, pa.Table]:
        observations = tables["observations"]
        lost = np.flatnonzero(ctx.rng("lost").random(len(observations)) < float(knobs["missing_rate"]))
        temperature = observations.column("temperature_c").combine_chunks()
        ctx.log.add(
            "observations",
            row_keys(observations, ["station_id", "day"], lost),
            "missing",
            "temperature_c",
            truth=temperature.take(pa.array(lost)),
        )
        mask = np.zeros(len(observations), dtype=bool)
        mask[lost] = True
        blanked = pa.array(temperature.to_numpy(zero_copy_only=False), mask=mask)
        index = observations.column_names.index("temperature_c")
        return {**tables, "observations": observations.set_column(index, "temperature_c", blanked)}

    def conformance(self, knobs: Mapping[str, Any], rows: int, reader: TableReader, faults: Faults) -> list[KnobCheck]:
        readings = rows * int(knobs["days"])
        lost = faults.get(("observations", "temperature_c", "missing"), 0)
        return [
            KnobCheck("domain.rows", rows, reader.rows("stations"), 0.0, "stations"),
            share("domain.knobs.missing_rate", float(knobs["missing_rate"]), lost, readings, "temperature readings"),
        ]
