"""The plant's logs of one chunk (a device group on one UTC day) as tables: maintenance with the technicians'
notes, the operating timeline, and failures with the planned shutdowns beside them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sandbox.columns.safe import safe_pool
from sandbox.columns.temporal import TIMESTAMP
from sandbox.core.pools import faker_pool
from sandbox.domains.common import labels
from sandbox.domains.iot.operations import REGIMES
from sandbox.domains.iot.plant import KINDS, US_PER_DAY, DevicePlan
from sandbox.domains.iot.vocab import vocabulary

MAINTENANCE = ["calibration", "repair", "replacement", "firmware_update"]


def _today(when: int, day_start: int) -> bool:
    return day_start <= when < day_start + US_PER_DAY


def failures_table(devices: np.ndarray, plans: list[DevicePlan], day_start: int) -> pa.Table:
    """Failures that happen today, and today's planned shutdowns (`planned`: not a failure, no precursor)."""
    rows = [
        (int(d) + 1, int(t), c, m, False)
        for d, p in zip(devices, plans, strict=True)
        for t, c, m in zip(p.failures, p.causes, p.modes, strict=True)
        if _today(int(t), day_start)
    ]
    rows += [
        (int(d) + 1, begin, "planned shutdown", "planned_shutdown", True)
        for d, p in zip(devices, plans, strict=True)
        for begin, _ in p.shutdowns
        if _today(begin, day_start)
    ]
    rows.sort()
    return pa.table(
        {
            "device_id": pa.array([r[0] for r in rows], pa.int64()),
            "failed_at": pa.array([r[1] for r in rows], TIMESTAMP),
            "cause": pa.array([r[2] for r in rows], pa.string()),
            "mode": pa.array([r[3] for r in rows], pa.string()),
            "planned": pa.array([r[4] for r in rows], pa.bool_()),
        }
    )


def operations_table(devices: np.ndarray, plans: list[DevicePlan], day_start: int) -> pa.Table:
    """The operating regimes (low, normal, high load; shutdown) that begin today, as the plant logs them."""
    rows = [
        (int(d) + 1, begin, end, regime)
        for d, p in zip(devices, plans, strict=True)
        for begin, end, regime in p.regimes
        if _today(begin, day_start)
    ]
    return pa.table(
        {
            "device_id": pa.array([r[0] for r in rows], pa.int64()),
            "start_ts": pa.array([r[1] for r in rows], TIMESTAMP),
            "end_ts": pa.array([r[2] for r in rows], TIMESTAMP),
            "regime": labels(list(REGIMES), np.array([r[3] for r in rows], dtype=np.int64)),
        }
    )


def maintenance_table(
    rng: np.random.Generator, devices: np.ndarray, plans: list[DevicePlan], day_start: int
) -> pa.Table:
    """Today's maintenance events and firmware updates, with the technician's free-text note (names and phones:
    redacted later)."""
    vocab = vocabulary()
    names = faker_pool("name", ("de_DE",), 2000).to_pylist() + faker_pool("name", ("en_GB",), 2000).to_pylist()
    phones = safe_pool("phone", ("GB", "US"), 2000).to_pylist()
    rows = []
    for device, plan in zip(devices, plans, strict=True):
        events = [
            (when, kind, {"kind": KINDS[target], "delta": f"{delta:+g}"})
            for when, kind, target, delta in plan.maintenance
        ]
        events += [(when, "firmware_update", {"old": old, "new": new}) for when, old, new in plan.firmware]
        for i, (when, kind, fields) in enumerate(events):
            if not _today(when, day_start):
                continue
            templates = vocab["notes"][kind]
            cause = next((c for t, c in zip(plan.repaired, plan.causes, strict=True) if t == when), "wear")
            note = templates[int(rng.integers(len(templates)))].format(
                **fields,
                cause=cause,
                technician=names[int(rng.integers(len(names)))],
                phone=phones[int(rng.integers(len(phones)))],
            )
            rows.append(((int(device) + 1) * 1000 + i, int(device) + 1, when, kind, note))
    rows.sort(key=lambda r: (r[1], r[2], r[0]))
    return pa.table(
        {
            "event_id": pa.array([r[0] for r in rows], pa.int64()),
            "device_id": pa.array([r[1] for r in rows], pa.int64()),
            "ts": pa.array([r[2] for r in rows], TIMESTAMP),
            "kind": labels(MAINTENANCE, np.array([MAINTENANCE.index(r[3]) for r in rows], dtype=np.int64)),
            "technician_note": pa.array([r[4] for r in rows], pa.string()),
        }
    )
