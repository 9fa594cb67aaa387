"""IoT view: one device's sensors over the sandbox's first week, with the faults from truth/defects shaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.plots import pyplot
from sandbox.output.opened import Sandbox

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SHADED = {
    "dropout": "#d62728",
    "stuck": "#9467bd",
    "drift": "#ff7f0e",
    "late_delivery": "#17becf",
    "heat_death": "#7f7f7f",
    "outage": "#bcbd22",
}
WEEK_US = 7 * 86400 * 10**6


def views(box: Sandbox) -> list[tuple[str, Figure]]:
    sensors = box.to_arrow("sensors").select(["sensor_id", "device_id", "kind", "unit"])
    failures = box.to_arrow("failures")
    device = _busiest_device(box, sensors, failures)
    if device is None:
        return []
    return [
        (f"Device {device}: one week of readings, faults from truth/defects", _week(box, sensors, failures, device))
    ]


def _busiest_device(box: Sandbox, sensors: pa.Table, failures: pa.Table) -> int | None:
    """The device with a failure (if any) whose sensors carry the most faults."""
    keys = box.dataset("defects").to_table(columns=["row_key"], filter=pc.field("table") == "readings")["row_key"]
    found = pc.extract_regex(keys.combine_chunks(), r'"sensor_id":\s*(?P<id>\d+)').field("id")
    hit = pc.cast(found, pa.int64()).to_numpy()
    if not len(sensors):
        return None
    owner = dict(zip(sensors["sensor_id"].to_pylist(), sensors["device_id"].to_pylist(), strict=True))
    per_device = (
        np.bincount(
            [owner[s] for s in np.unique(hit)],
            weights=np.unique(hit, return_counts=True)[1],
            minlength=max(owner.values()) + 1,
        )
        if len(hit)
        else np.zeros(max(owner.values()) + 1)
    )
    failed = set(failures["device_id"].to_pylist())
    order = np.argsort(-per_device, kind="stable")
    return next((int(d) for d in order if d in failed), int(order[0]))


def _week(box: Sandbox, sensors: pa.Table, failures: pa.Table, device: int) -> Figure:
    plt = pyplot()
    mine = sensors.filter(pc.equal(sensors["device_id"], device))
    fig, axes = plt.subplots(len(mine), 1, figsize=(11, 1.7 * len(mine) + 0.8), sharex=True, squeeze=False)
    faults = box.dataset("defects").to_table(
        columns=["row_key", "kind", "start_ts", "end_ts"], filter=pc.field("table") == "readings"
    )
    owner = pc.cast(
        pc.extract_regex(faults["row_key"].combine_chunks(), r'"sensor_id":\s*(?P<id>\d+)').field("id"), pa.int64()
    )
    failed_at = failures.filter(pc.equal(failures["device_id"], device))["failed_at"].to_numpy()
    for ax, sensor, kind, unit in zip(
        axes[:, 0], *(mine[c].to_pylist() for c in ("sensor_id", "kind", "unit")), strict=True
    ):
        readings = box.dataset("readings").to_table(columns=["ts", "value"], filter=pc.field("sensor_id") == sensor)
        readings = readings.sort_by("ts")
        ts = readings["ts"].to_numpy()
        keep = ts < ts[0] + np.timedelta64(WEEK_US, "us") if len(ts) else slice(None)
        ax.plot(ts[keep], readings["value"].to_numpy()[keep], linewidth=0.4, color="#1f4e79")
        ax.set_ylabel(f"{kind}\n[{unit}]", fontsize=8)
        own = faults.filter(pc.equal(owner, sensor))
        for name, start, end in zip(*(own[c].to_pylist() for c in ("kind", "start_ts", "end_ts")), strict=True):
            if name in SHADED and start is not None and end is not None:
                ax.axvspan(start, end, color=SHADED[name], alpha=0.25, linewidth=0)
            elif name == "calibration_step" and start is not None:
                ax.axvline(start, color="#2ca02c", linestyle="--", linewidth=1)
        for when in failed_at:
            ax.axvline(when, color="black", linewidth=1.2)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.4) for c in SHADED.values()]
    handles += [plt.Line2D([], [], color="#2ca02c", linestyle="--"), plt.Line2D([], [], color="black")]
    fig.legend(handles, [*SHADED, "calibration step", "failure"], loc="upper center", ncol=7, fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    return fig
