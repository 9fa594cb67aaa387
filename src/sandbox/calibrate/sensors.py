"""A sensor-shaped export (devices, sensors with their sample interval, readings with the sensors domain's column
names) fitted to the sensors domain's knobs: the period, dropouts (share and mean run, on each sensor's sample
grid), long outages, spikes (the devices flag half of theirs `suspect`) and duplicated deliveries.

On each sensor's grid (ts rounded to its interval: jitter is under a second), a sample is missing when no
reading with a value arrived for it. A device's silences are the runs of `OUTAGE` or more in its fastest
sensor (a dropout that long is all but impossible there): outages, unless a repair in `maintenance` ends them
(a failure's downtime). Every other run of missing samples is a dropout, except those inside a silence and
those that last to the period's end (a dead sensor).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

GENERATOR, UNIT = "sensors", "devices"
NEEDS = {
    "devices": ("device_id",),
    "sensors": ("sensor_id", "device_id", "sample_interval_s"),
    "readings": ("sensor_id", "ts", "value", "quality"),
}
#: A run of missing samples at least this long (seconds) is an outage, not a dropout.
OUTAGE = 3600
US = 1_000_000


def _runs(present: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """(first sample, length) of the runs of missing samples on a grid of `samples`, given the sorted present
    indices."""
    edges = np.concatenate([[-1], present, [samples]])
    gaps = np.diff(edges) - 1
    return edges[:-1][gaps > 0] + 1, gaps[gaps > 0]


def _repairs(tables: dict[str, pa.Table]) -> dict[int, np.ndarray]:
    """Per device, when maintenance logged a repair (a failure's downtime ends there: not an outage)."""
    log = tables.get("maintenance")
    if log is None or not {"device_id", "ts", "kind"} <= set(log.column_names):
        return {}
    repairs = log.filter(pc.equal(log["kind"].cast(pa.string()), "repair"))
    us = repairs["ts"].cast(pa.timestamp("us", "UTC")).cast(pa.int64()).to_numpy()
    out: dict[int, list[int]] = {}
    for d, t in zip(repairs["device_id"].to_pylist(), us.tolist(), strict=True):
        out.setdefault(int(d), []).append(t)
    return {d: np.sort(np.asarray(t)) for d, t in out.items()}


def fit_knobs(tables: dict[str, pa.Table]) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(devices, knobs, a note per knob saying what it was measured from)."""
    readings = tables["readings"]
    ts = readings["ts"].cast(pa.timestamp("us", "UTC") if readings["ts"].type.tz else pa.timestamp("us"))
    us = ts.cast(pa.int64()).to_numpy()
    day = 86_400 * US
    first, last = int(us.min() // day) + 1, int(us.max() // day)  # skewed clocks spill onto the days around
    start, end = first * day, (last + 1) * day
    suspect = int(pc.sum(pc.equal(readings["quality"].cast(pa.string()), "suspect")).as_py() or 0)
    keys = pa.table({"s": readings["sensor_id"], "t": readings["ts"]})
    duplicates = readings.num_rows - keys.group_by(["s", "t"]).aggregate([]).num_rows
    scheduled, dropped, runs, outages = _missing(tables, us, start, end)
    devices = tables["devices"].num_rows
    months = devices * (last - first + 1) / 30
    knobs: dict[str, Any] = {
        "start": str(np.datetime64(first, "D")),
        "days": last - first + 1,
        "dropout_rate": round(dropped / max(scheduled, 1), 4),
        "mean_gap_samples": round(dropped / max(runs, 1), 2),
        "spike_rate": round(2 * suspect / max(scheduled, 1), 6),
        "duplicate_rate": round(duplicates / max(readings.num_rows - duplicates, 1), 5),
        "outages_per_device_month": round(len(outages) / max(months, 1e-9), 3),
    }
    notes = {
        "start": "the first whole day of readings",
        "days": "first to last whole day of readings",
        "dropout_rate": f"{dropped:,} of {scheduled:,} scheduled samples missing, outside the device's silences",
        "mean_gap_samples": f"{runs:,} runs of missing samples",
        "spike_rate": f"twice the {suspect:,} readings the devices flag suspect (they flag half their spikes)",
        "duplicate_rate": f"{duplicates:,} readings delivered again (same sensor and ts)",
        "outages_per_device_month": f"silences of {OUTAGE // 60} min or more in a device's fastest sensor, not ended "
        "by a repair, per 30 days",
    }
    if outages:
        knobs["outage_median_hours"] = round(float(np.median(outages)), 2)
        notes["outage_median_hours"] = f"the median of {len(outages):,} outages"
    return devices, knobs, notes


def _missing(tables: dict[str, pa.Table], us: np.ndarray, start: int, end: int) -> tuple[int, int, int, list[float]]:
    """(scheduled samples, dropped samples, dropout runs, outage lengths in hours) over [start, end)."""
    readings, sensors = tables["readings"], tables["sensors"]
    interval = dict(zip(sensors["sensor_id"].to_pylist(), sensors["sample_interval_s"].to_pylist(), strict=True))
    device = dict(zip(sensors["sensor_id"].to_pylist(), sensors["device_id"].to_pylist(), strict=True))
    sensor = readings["sensor_id"].to_numpy()
    valued = readings["value"].is_valid().to_numpy(zero_copy_only=False)
    order = np.lexsort((us, sensor))
    sensor, us, valued = sensor[order], us[order], valued[order]
    bounds = np.flatnonzero(np.r_[True, sensor[1:] != sensor[:-1], True])
    found: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}  # device -> (step, run begins, run ends)
    scheduled = 0
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        step = int(interval[int(sensor[lo])]) * US
        samples = int((end - start) // step)
        index = np.unique(np.rint((us[lo:hi][valued[lo:hi]] - start) / step).astype(np.int64))
        first_missing, gaps = _runs(index[(index >= 0) & (index < samples)], samples)
        scheduled += samples
        begins = start + first_missing * step
        found.setdefault(device[int(sensor[lo])], []).append((step, begins, begins + gaps * step))
    dropped = runs = 0
    outages: list[float] = []
    repairs = _repairs(tables)
    for owner, series in found.items():
        step, begins, ends = min(series, key=lambda s: s[0])  # the device's fastest sensor shows its silences
        silent = (ends - begins >= OUTAGE * US) & (ends < end)  # not a sensor dead to the period's end
        quiet_from, quiet_to = begins[silent], ends[silent]
        fixed = repairs.get(owner, np.zeros(0, np.int64))
        for b, e in zip(quiet_from.tolist(), quiet_to.tolist(), strict=True):
            if not np.any(np.abs(fixed - e) <= 600 * US):  # a repair ends a failure's downtime: not an outage
                outages.append((e - b) / 3600 / US)
        for step, begins, ends in series:
            inside = np.zeros(len(begins), bool)
            for b, e in zip(quiet_from.tolist(), quiet_to.tolist(), strict=True):
                inside |= (begins < e + step) & (ends > b - step)
            dropout = ~inside & (ends < end)
            dropped += int(((ends - begins)[dropout] // step).sum())
            runs += int(dropout.sum())
    return scheduled, dropped, runs, outages
