"""The `sensors` domain: sites, devices, sensors and their readings, failing the way real sensors fail.

Chunks are (group of devices, one UTC day); readings are written partitioned by day (hive `day=YYYY-MM-DD`).
Every fault is a row of truth/defects with the sensor as row_key and its window in the device's clock;
failures, each with its mode's precursor rising before it, are in truth/failures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.columns.registry import Finding
from sandbox.columns.temporal import parse_instant
from sandbox.domains.checks import Faults, KnobCheck, TableReader, poisson_se, ratio, run_lengths_se, share
from sandbox.domains.interface import Domain, DomainContext, TableInfo
from sandbox.domains.iot import forest
from sandbox.domains.iot.benchmark import difficulty
from sandbox.domains.iot.knobs import KNOBS
from sandbox.domains.iot.logs import failures_table, maintenance_table, operations_table
from sandbox.domains.iot.plant import KINDS, US_PER_DAY, device_plan, layout, vocabulary
from sandbox.domains.iot.signals import SPIKE_SPREAD, Day
from sandbox.errors import install_command
from sandbox.privacy.columns import redacted_text


class Sensors(Domain):
    name = "sensors"
    description = "An industrial plant: sites, devices, sensors and readings with dropouts, drift and failures."
    unit = "devices"
    views_module = "sandbox.domains.iot.views"
    knobs = KNOBS

    def tables(self, knobs: Mapping[str, Any]) -> list[TableInfo]:
        return [
            TableInfo(
                "devices",
                "One row per device (5 sensors each).",
                key=("device_id",),
                references={"site_id": "sites.site_id"},
            ),
            TableInfo("sites", "Plants, with their time zone and climate.", key=("site_id",)),
            TableInfo(
                "sensors", "One row per sensor.", key=("sensor_id",), references={"device_id": "devices.device_id"}
            ),
            TableInfo(
                "readings",
                "Readings as received; ts in the device's clock, UTC.",
                key=("sensor_id", "ts"),
                partition="ts",
                references={"sensor_id": "sensors.sensor_id"},
                arrival="received_at",
            ),
            TableInfo(
                "maintenance",
                "Calibrations, repairs and replacements.",
                key=("event_id",),
                privacy={"technician_note": redacted_text()},
                references={"device_id": "devices.device_id"},
                arrival="ts",
            ),
            TableInfo(
                "operations",
                "The operating timeline per device: load regimes and planned shutdowns, as the plant logs them.",
                key=("device_id", "start_ts"),
                references={"device_id": "devices.device_id"},
            ),
            TableInfo(
                "failures",
                "Device failures, and planned shutdowns marked `planned` (answer key for predictive maintenance).",
                role="truth",
                key=("device_id", "failed_at"),
            ),
        ]

    def plan(self, knobs: Mapping[str, Any], rows: int, chunk_rows: int) -> list[dict[str, Any]]:
        per_device_day = sum(86_400 // k["interval_s"] for k in vocabulary()["kinds"].values())
        group = max(1, chunk_rows // per_device_day)
        return [
            {"first_device": first, "devices": min(group, rows - first), "day": day, "total": rows}
            for first in range(0, rows, group)
            for day in range(int(knobs["days"]))
        ]

    def period(self, knobs: Mapping[str, Any]) -> tuple[str, int]:
        return str(knobs["start"])[:10], int(knobs["days"])

    def chunk_day(self, payload: Mapping[str, Any]) -> int:
        return int(payload["day"])

    def conformance(self, knobs: Mapping[str, Any], rows: int, reader: TableReader, faults: Faults) -> list[KnobCheck]:
        days = int(knobs["days"])
        intervals = reader.read("sensors", ["sample_interval_s"])["sample_interval_s"].to_numpy()
        scheduled = int(np.sum(days * 86400 // intervals))
        sensor_days, device_years = len(intervals) * days, reader.rows("devices") * days / 365
        lost, runs = _dropouts(reader)
        delivered = reader.rows("readings") - faults.get(("readings", None, "duplicate_reading"), 0)
        rate, k = float(knobs["dropout_rate"]), "domain.knobs."
        stuck, drift = float(knobs["stuck_per_sensor_day"]), float(knobs["drift_per_sensor_month"])
        failure = float(knobs["failure_rate"])
        return [
            KnobCheck("domain.rows", rows, reader.rows("devices"), 0.0, "devices"),
            share(k + "dropout_rate", rate, lost, scheduled, "scheduled readings", run_lengths_se(rate, runs)),
            KnobCheck(
                k + "mean_gap_samples",
                float(knobs["mean_gap_samples"]),
                ratio(lost, runs),
                run_lengths_se(float(knobs["mean_gap_samples"]), runs),
                "dropouts",
            ),
            share(
                k + "spike_rate",
                knobs["spike_rate"],
                faults.get(("readings", "value", "spike"), 0),
                scheduled,
                "scheduled readings",
            ),
            _spike_sizes(knobs, reader),
            share(
                k + "duplicate_rate",
                knobs["duplicate_rate"],
                faults.get(("readings", None, "duplicate_reading"), 0),
                delivered,
                "delivered readings",
            ),
            KnobCheck(
                k + "stuck_per_sensor_day",
                stuck,
                ratio(faults.get(("readings", "value", "stuck"), 0), sensor_days),
                poisson_se(stuck, sensor_days),
                "sensor-days",
            ),
            KnobCheck(
                k + "drift_per_sensor_month",
                drift,
                ratio(faults.get(("readings", "value", "drift"), 0), sensor_days / 30),
                poisson_se(drift, sensor_days / 30),
                "sensor-months",
            ),
            KnobCheck(
                k + "failure_rate",
                failure,
                ratio(_unplanned(reader), device_years),
                poisson_se(failure, device_years),
                "device-years",
            ),
            _outage_rate(knobs, faults, reader.rows("devices") * days / 30),
        ]

    def benchmark(self, knobs: Mapping[str, Any], reader: TableReader, seed: int) -> dict[str, Any]:
        """On devices of the first chunks' group: only their parts are read."""
        payloads = self.plan(knobs, reader.rows("devices"), int(reader.manifest["chunk_rows"]))
        if not payloads:
            return {}
        chunks = {i for i, p in enumerate(payloads) if p["first_device"] == 0}
        return difficulty(reader, seed, payloads[0]["devices"], chunks, bool(knobs["isolation_forest"]))

    def check(self, knobs: Mapping[str, Any]) -> Iterable[Finding]:
        try:
            parse_instant(knobs["start"])
        except ValueError:
            yield ("bad-type", ("start",), f"expected an ISO date like 2025-01-01, got {knobs['start']!r}", None)
        if knobs.get("isolation_forest") and not forest.available():
            message = f"true needs the optional extra 'detect' (scikit-learn): {install_command('detect')}"
            yield ("missing-extra", ("isolation_forest",), message, None)

    def produce(self, knobs: Mapping[str, Any], payload: Mapping[str, Any], ctx: DomainContext) -> dict[str, pa.Table]:
        start = parse_instant(knobs["start"])
        plant = layout(ctx.seed, int(payload["total"]), start)
        devices = np.arange(payload["first_device"], payload["first_device"] + payload["devices"])
        key = tuple(sorted((k, v) for k, v in knobs.items()))
        plans = [device_plan(ctx.seed, int(d), int(payload["total"]), key, start) for d in devices]
        day = int(payload["day"])
        readings_day = Day(ctx.seed, day, start, knobs, plant, devices, plans, ctx.rng("readings"), ctx.log)
        for kind in range(len(KINDS)):
            readings_day.kind(kind)
        first_chunk_of_group = day == 0
        sensor_rows = slice(int(devices[0]) * len(KINDS), (int(devices[-1]) + 1) * len(KINDS))
        return {
            "devices": plant.devices.slice(int(devices[0]), len(devices) if first_chunk_of_group else 0),
            "sites": plant.sites if first_chunk_of_group and devices[0] == 0 else plant.sites.slice(0, 0),
            "sensors": plant.sensors.slice(
                sensor_rows.start, (sensor_rows.stop - sensor_rows.start) if first_chunk_of_group else 0
            ),
            "readings": readings_day.table(),
            "maintenance": maintenance_table(ctx.rng("maintenance"), devices, plans, start + day * US_PER_DAY),
            "operations": operations_table(devices, plans, start + day * US_PER_DAY),
            "failures": failures_table(devices, plans, start + day * US_PER_DAY),
        }


def _unplanned(reader: TableReader) -> int:
    """Failures in truth/failures, not counting the planned shutdowns."""
    planned = reader.read("failures", ["planned"])["planned"]
    return len(planned) - int(pc.sum(planned).as_py() or 0) if len(planned) else 0


def _outage_rate(knobs: Mapping[str, Any], faults: Faults, device_months: float) -> KnobCheck:
    """Outages per device-month, from truth/defects (one row per sensor of the device)."""
    rate = float(knobs["outages_per_device_month"])
    outages = faults.get(("readings", "value", "outage"), 0) / len(KINDS)
    return KnobCheck(
        "domain.knobs.outages_per_device_month",
        rate,
        ratio(outages, device_months),
        poisson_se(rate, device_months),
        "device-months",
    )


def _dropouts(reader: TableReader) -> tuple[int, int]:
    """Samples lost to dropouts, and how many dropouts, from truth/defects."""
    lost = runs = 0
    for batch in reader.batches("defects", ["params"], ("kind", ["dropout"])):
        samples = pc.extract_regex(batch.column(0), r'"samples": (?P<n>\d+)').field("n")
        lost += pc.sum(pc.cast(samples, pa.int64())).as_py() or 0
        runs += batch.num_rows
    return lost, runs


def _spike_sizes(knobs: Mapping[str, Any], reader: TableReader) -> KnobCheck:
    """The median spike size, |observed - truth| over the sensor's vendor noise, from truth/defects."""
    sensors = reader.read("sensors", ["sensor_id", "vendor_noise_sd"])
    noise = dict(zip(sensors["sensor_id"].to_pylist(), sensors["vendor_noise_sd"].to_pylist(), strict=True))
    sizes = []
    for batch in reader.batches("defects", ["row_key", "truth_value", "observed_value"], ("kind", ["spike"])):
        sensor = pc.cast(pc.extract_regex(batch.column(0), r'"sensor_id":(?P<id>\d+)').field("id"), pa.int64())
        jump = pc.abs(pc.subtract(pc.cast(batch.column(2), pa.float64()), pc.cast(batch.column(1), pa.float64())))
        sd = np.array([noise.get(s, np.nan) for s in sensor.to_pylist()])
        sizes.append(jump.to_numpy(zero_copy_only=False) / sd)
    found = np.concatenate(sizes) if sizes else np.zeros(0)
    target = float(knobs["spike_sigma"])
    # the standard error of a sample median of lognormal sizes: sqrt(pi / 2) x spread x median / sqrt(n)
    se = 1.2533 * SPIKE_SPREAD * target / math.sqrt(len(found)) if len(found) else math.inf
    realised = float(np.median(found)) if len(found) else 0.0
    return KnobCheck("domain.knobs.spike_sigma", target, realised, se, "spikes, in multiples of the vendor's noise")
