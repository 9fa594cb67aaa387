"""How hard the plant's faults are to find: trivial baselines and a reference detector, scored in time (range F1,
`sandbox score`'s families) against truth/defects on a sample of devices, for the data card.

- `nothing`: no predictions (F1 0 by definition; shown so the table reads as a scale);
- `whole_period`: one window per sensor and kind over the whole period, on every sampled sensor;
- `random`: per kind, as many windows as the truth has, of the truth's lengths, on random sensors and times
  (a detector at the base rate that knows nothing);
- `robust_z`: the rolling robust z-score (`series.robust_z_flags`), each flagged reading a point predicted as
  every kind (the detector cannot tell kinds apart).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.core.seeding import stream
from sandbox.domains.checks import TableReader
from sandbox.domains.iot.plant import KINDS
from sandbox.domains.iot.series import robust_z_flags
from sandbox.output.manifest import Manifest
from sandbox.scoring.score import scored

#: At most this many devices (evenly spaced) are scored: the cost stays flat as the plant grows.
SAMPLE_DEVICES = 8
BASELINES = ("whole_period", "random", "robust_z")


def sampled_sensors(devices: int) -> np.ndarray:
    """The sensor ids of up to SAMPLE_DEVICES evenly spaced devices."""
    picked = np.unique(np.linspace(0, devices - 1, min(devices, SAMPLE_DEVICES)).round().astype(np.int64))
    return (picked[:, None] * len(KINDS) + np.arange(1, len(KINDS) + 1)).ravel()


def sampled_truth(reader: TableReader, sensors: np.ndarray) -> pd.DataFrame:
    """The windowed faults of the sampled sensors, keyed by sensor, in `score`'s form."""
    frames = []
    for part in reader.parts("defects", ["table", "row_key", "kind", "column", "start_ts", "end_ts"]):
        found = pc.extract_regex(part["row_key"], r'"sensor_id":(?P<s>\d+)')
        sensor = pc.cast(pc.struct_field(found, [0]), pa.int64())
        part = part.append_column("sensor", sensor).filter(
            pc.and_(pc.is_in(sensor, pa.array(sensors)), pc.is_valid(part["start_ts"]))
        )
        frames.append(part.drop_columns(["row_key"]).to_pandas())
    truth = pd.concat(frames, ignore_index=True)
    truth["row_key"] = [f'{{"sensor_id":{s}}}' for s in truth.pop("sensor")]
    truth["column"] = truth["column"].fillna("")
    for name in ("start_ts", "end_ts"):
        truth[name] = truth[name].astype("datetime64[us, UTC]").astype("int64")
    return truth


def sampled_readings(reader: TableReader, sensors: np.ndarray) -> pd.DataFrame:
    """The sampled sensors' non-null readings in (sensor, ts) order; parts whose sensor range misses the sample
    are skipped by their statistics, unread."""
    parts, lo, hi = [], int(sensors.min()), int(sensors.max())
    for file in reader.manifest["tables"]["readings"]["files"]:
        with reader.open(file["path"]) as source, pq.ParquetFile(source) as parquet:
            meta = parquet.metadata
            column = parquet.schema_arrow.get_field_index("sensor_id")
            ranges = [meta.row_group(g).column(column).statistics for g in range(meta.num_row_groups)]
            if all(r is not None and r.has_min_max and (r.max < lo or r.min > hi) for r in ranges):
                continue
            part = parquet.read(columns=["sensor_id", "ts", "value"])
        parts.append(part.filter(pc.is_in(part["sensor_id"], pa.array(sensors))).drop_null())
    table = pa.concat_tables(parts).sort_by([("sensor_id", "ascending"), ("ts", "ascending")])
    return table.to_pandas()


def whole_period(sensors: np.ndarray, kinds: list[str], lo: int, hi: int) -> pd.DataFrame:
    pairs = [(s, k) for s in sensors.tolist() for k in kinds]
    return _predictions([s for s, _ in pairs], [k for _, k in pairs], [lo] * len(pairs), [hi] * len(pairs))


def random_windows(truth: pd.DataFrame, sensors: np.ndarray, lo: int, hi: int, seed: int) -> pd.DataFrame:
    """Per kind, the truth's count and lengths of windows, each on a random sensor at a random time."""
    rng = stream(seed, "benchmark", 0, "random")
    length = (truth["end_ts"] - truth["start_ts"]).to_numpy(np.int64)
    start = lo + (rng.random(len(truth)) * np.maximum(hi - lo - length, 1)).astype(np.int64)
    sensor = sensors[rng.integers(0, len(sensors), len(truth))]
    return _predictions(sensor.tolist(), truth["kind"].tolist(), start.tolist(), (start + length).tolist())


def robust_z(readings: pd.DataFrame, kinds: list[str]) -> pd.DataFrame:
    """The readings the rolling robust z-score flags, each predicted as every kind."""
    flags = readings.groupby("sensor_id", group_keys=False)["value"].apply(robust_z_flags)
    alarms = readings[flags.to_numpy(bool)]
    ts = np.repeat(alarms["ts"].astype("datetime64[us, UTC]").astype("int64").to_numpy(), len(kinds)).tolist()
    sensor = np.repeat(alarms["sensor_id"].to_numpy(), len(kinds)).tolist()
    return _predictions(sensor, kinds * len(alarms), ts, ts)


def _predictions(sensor: list[int], kind: list[str], start: list[int], end: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": "readings",
            "row_key": [f'{{"sensor_id":{s}}}' for s in sensor],
            "kind": kind,
            "start_ts": pd.to_datetime(start, unit="us", utc=True),
            "end_ts": pd.to_datetime(end, unit="us", utc=True),
        }
    )


def difficulty(reader: TableReader, seed: int) -> dict[str, Any]:
    """Range F1 per fault kind of each baseline, on the sampled devices."""
    sensors = sampled_sensors(reader.rows("devices"))
    truth = sampled_truth(reader, sensors)
    kinds = sorted(set(truth["kind"]))
    if not kinds:
        return {}
    lo, hi = int(truth["start_ts"].min()), int(truth["end_ts"].max())
    found = {
        "whole_period": whole_period(sensors, kinds, lo, hi),
        "random": random_windows(truth, sensors, lo, hi, seed),
        "robust_z": robust_z(sampled_readings(reader, sensors), kinds),
    }
    return {
        "devices": len(sensors) // len(KINDS),
        "windows": {kind: int((truth["kind"] == kind).sum()) for kind in kinds},
        "range_f1": range_f1(reader.manifest, truth, found),
    }


def range_f1(manifest: Manifest, truth: pd.DataFrame, found: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Per kind of the windowed truth, each predictions' range F1 (3 decimals; 0 for a kind never predicted)."""
    table: dict[str, dict[str, float]] = {kind: {} for kind in sorted(set(truth["kind"]))}
    for name, predictions in found.items():
        got = {r.kind: r.windows for r in scored(manifest, truth, predictions, name)}
        for kind, scores in table.items():
            scores[name] = round((got.get(kind) or {}).get("range", {}).get("f1", 0.0), 3)
    return table
