"""One week of one device's sensors with their faults shaded, from an iot sandbox (needs matplotlib).

sandbox build iot --out plant/
python examples/iot_week.py plant/ docs/iot-week.png [DEVICE_ID]
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {
    "dropout": "#d62728",
    "stuck": "#9467bd",
    "drift": "#ff7f0e",
    "late_delivery": "#17becf",
    "heat_death": "#7f7f7f",
}


def main(plant: Path, out: Path, device: int | None = None) -> None:
    con = duckdb.connect()
    con.execute(
        f"create view readings as select * from read_parquet('{plant}/tables/readings/*/*.parquet', "
        "hive_partitioning = true)"
    )
    con.execute(f"create view sensors as select * from '{plant}/tables/sensors/*.parquet'")
    con.execute(
        f"create view faults as select *, cast(json_extract(row_key, '$.sensor_id') as bigint) sensor_id "
        f"from '{plant}/truth/defects/*.parquet'"
    )
    con.execute(f"create view failures as select * from '{plant}/truth/failures/*.parquet'")
    if device is None:  # the device with a failure and the most faults
        device = con.execute("""select s.device_id from faults f join sensors s using (sensor_id)
                                where s.device_id in (select device_id from failures)
                                group by 1 order by count(*) desc limit 1""").fetchall()[0][0]
    sensors = con.execute(
        "select sensor_id, kind, unit from sensors where device_id = ? order by sensor_id", [device]
    ).fetchall()
    fig, axes = plt.subplots(len(sensors), 1, figsize=(10, 8), sharex=True)
    for ax, (sensor, kind, unit) in zip(axes, sensors, strict=True):
        ts, values = zip(
            *con.execute("select ts, value from readings where sensor_id = ? order by ts", [sensor]).fetchall(),
            strict=True,
        )
        ax.plot(ts, values, linewidth=0.4, color="#1f4e79")
        ax.set_ylabel(f"{kind}\n[{unit}]", fontsize=8)
        for kind_, start, end in con.execute(
            """select kind, start_ts, end_ts from faults
                                               where sensor_id = ? and kind in ('dropout', 'stuck', 'drift',
                                               'late_delivery', 'heat_death')""",
            [sensor],
        ).fetchall():
            ax.axvspan(start, end, color=COLOURS[kind_], alpha=0.25, linewidth=0)
        spikes = con.execute(
            """select r.ts, r.value from faults f join readings r
                                on r.sensor_id = f.sensor_id and r.ts = cast(json_extract_string(f.row_key, '$.ts')
                                as timestamptz) where f.kind = 'spike' and f.sensor_id = ?""",
            [sensor],
        ).fetchall()
        if spikes:
            ax.scatter(*zip(*spikes, strict=True), color="#d62728", s=12, zorder=3)
        for (when,) in con.execute(
            """select start_ts from faults where sensor_id = ? and kind = 'calibration_step'""", [sensor]
        ).fetchall():
            ax.axvline(when, color="#2ca02c", linestyle="--", linewidth=1)
        for (failed,) in con.execute("select failed_at from failures where device_id = ?", [device]).fetchall():
            ax.axvline(failed, color="black", linewidth=1.2)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.4) for c in COLOURS.values()]
    handles += [
        plt.Line2D([], [], color="#2ca02c", linestyle="--"),
        plt.Line2D([], [], color="black"),
        plt.Line2D([], [], marker="o", color="#d62728", linestyle=""),
    ]
    fig.legend(handles, [*COLOURS, "calibration step", "failure", "spike"], loc="upper center", ncol=8, fontsize=8)
    axes[0].set_title(f"Device {device}: one week of readings, faults from truth/defects", fontsize=10, pad=24)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
