"""How hard the plant's faults are to find: trivial baselines and reference detectors, scored in time (range F1,
as `sandbox score` does it) against truth/defects on a sample of devices, for the data card.

- `whole_period`: one window per sensor and kind over the whole period, on every sampled sensor;
- `random`: per kind, as many windows as the truth has, of the truth's lengths, on random sensors and times
  (a detector at the base rate that knows nothing);
- `robust_z`: the rolling robust z-score (`series.robust_z_flags`), each flagged reading a point predicted as
  every kind (the detector cannot tell kinds apart);
- `isolation_forest` (knob `isolation_forest`, the `detect` extra): scikit-learn's IsolationForest
  (`forest`), its alarms as the robust z-score's.

Predicting nothing scores 0. The sample is up to `SAMPLE_DEVICES` devices spread over the first chunk's device
group, so only that group's parts are read: the cost stays flat as the plant grows. Windows are frames of
(sensor, kind, start, end) in microseconds; `as_predictions` turns one into `sandbox score`'s form.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.seeding import stream
from sandbox.domains.checks import TableReader
from sandbox.domains.iot import forest
from sandbox.domains.iot.plant import KINDS
from sandbox.domains.iot.series import robust_z_flags
from sandbox.scoring.ranges import Tally, tally

SAMPLE_DEVICES = 8
WINDOW = ["sensor", "kind", "start", "end"]


def sampled_sensors(devices: int) -> np.ndarray:
    """The sensor ids of up to SAMPLE_DEVICES evenly spaced devices among the first `devices`."""
    picked = np.unique(np.linspace(0, devices - 1, min(devices, SAMPLE_DEVICES)).round().astype(np.int64))
    return (picked[:, None] * len(KINDS) + np.arange(1, len(KINDS) + 1)).ravel()


def _parts(reader: TableReader, table: str, chunks: Container[int], columns: list[str]) -> list[pa.Table]:
    """The parts of `table` written by the given chunks (a part's number is its chunk's)."""
    out = []
    for file in reader.manifest["tables"][table]["files"]:
        number = re.search(r"(\d+)\.parquet$", file["path"])
        if number and int(number.group(1)) in chunks:
            out.append(next(reader.parts(table, columns, paths=[file["path"]])))
    return out


def sampled_truth(reader: TableReader, sensors: np.ndarray, chunks: Container[int]) -> pd.DataFrame:
    """The windowed faults of the sampled sensors."""
    frames = []
    for part in _parts(reader, "defects", chunks, ["row_key", "kind", "start_ts", "end_ts"]):
        found = pc.extract_regex(part["row_key"], r'"sensor_id":(?P<s>\d+)')
        sensor = pc.cast(pc.struct_field(found, [0]), pa.int64())
        keep = pc.and_(pc.is_in(sensor, pa.array(sensors)), pc.is_valid(part["start_ts"]))
        frames.append(
            pa.table(
                {
                    "sensor": sensor.filter(keep),
                    "kind": part["kind"].filter(keep),
                    "start": part["start_ts"].filter(keep).cast(pa.int64()),
                    "end": part["end_ts"].filter(keep).cast(pa.int64()),
                }
            ).to_pandas()
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=WINDOW)


def sampled_readings(reader: TableReader, sensors: np.ndarray, chunks: Container[int]) -> pd.DataFrame:
    """The sampled sensors' non-null readings in (sensor, ts) order, ts in microseconds."""
    parts = [
        part.filter(pc.is_in(part["sensor_id"], pa.array(sensors))).drop_null()
        for part in _parts(reader, "readings", chunks, ["sensor_id", "ts", "value"])
    ]
    table = pa.concat_tables(parts).sort_by([("sensor_id", "ascending"), ("ts", "ascending")])
    return pd.DataFrame(
        {
            "sensor_id": table["sensor_id"].to_numpy(),
            "ts": table["ts"].cast(pa.int64()).to_numpy(),
            "value": table["value"].to_numpy(),
        }
    )


def whole_period(sensors: np.ndarray, kinds: list[str], lo: int, hi: int) -> pd.DataFrame:
    n = len(sensors) * len(kinds)
    return pd.DataFrame(
        {"sensor": np.repeat(sensors, len(kinds)), "kind": kinds * len(sensors), "start": [lo] * n, "end": [hi] * n}
    )


def random_windows(truth: pd.DataFrame, sensors: np.ndarray, lo: int, hi: int, seed: int) -> pd.DataFrame:
    """Per kind, the truth's count and lengths of windows, each on a random sensor at a random time."""
    rng = stream(seed, "benchmark", 0, "random")
    length = (truth["end"] - truth["start"]).to_numpy(np.int64)
    start = lo + (rng.random(len(truth)) * np.maximum(hi - lo - length, 1)).astype(np.int64)
    sensor = sensors[rng.integers(0, len(sensors), len(truth))]
    return pd.DataFrame({"sensor": sensor, "kind": truth["kind"].to_numpy(), "start": start, "end": start + length})


def alarms(readings: pd.DataFrame, flagged: np.ndarray, kinds: list[str]) -> pd.DataFrame:
    """The flagged readings as point predictions, each of every kind (a detector that cannot tell kinds apart)."""
    hit = readings[flagged]
    ts = np.repeat(hit["ts"].to_numpy(), len(kinds))
    return pd.DataFrame(
        {"sensor": np.repeat(hit["sensor_id"].to_numpy(), len(kinds)), "kind": kinds * len(hit), "start": ts, "end": ts}
    )


def as_predictions(windows: pd.DataFrame) -> pd.DataFrame:
    """Windows as `sandbox score` reads predictions: table, row_key, kind, start_ts, end_ts."""
    return pd.DataFrame(
        {
            "table": "readings",
            "row_key": [f'{{"sensor_id":{s}}}' for s in windows["sensor"].tolist()],
            "kind": windows["kind"].to_numpy(),
            "start_ts": pd.to_datetime(windows["start"].to_numpy(np.int64), unit="us", utc=True),
            "end_ts": pd.to_datetime(windows["end"].to_numpy(np.int64), unit="us", utc=True),
        }
    )


def range_f1(truth: pd.DataFrame, found: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Per kind of the truth, each detector's range F1 (3 decimals), summed over sensors as `sandbox score`
    does."""
    columns = [truth[c].to_numpy(np.int64) if c != "kind" else truth[c].to_numpy() for c in WINDOW]
    out: dict[str, dict[str, float]] = {}
    for name, predicted in found.items():
        guess = [predicted[c].to_numpy(np.int64) if c != "kind" else predicted[c].to_numpy() for c in WINDOW]
        for kind in sorted(set(columns[1])):
            mine, theirs = columns[1] == kind, guess[1] == kind
            total = Tally()
            for sensor in np.union1d(columns[0][mine], guess[0][theirs]).tolist():
                t, p = mine & (columns[0] == sensor), theirs & (guess[0] == sensor)
                total += tally(columns[2][t], columns[3][t], guess[2][p], guess[3][p])
            out.setdefault(kind, {})[name] = round(total.scores()["range"]["f1"], 3)
    return out


def difficulty(
    reader: TableReader, seed: int, devices: int, chunks: Container[int], isolation_forest: bool = False
) -> dict[str, Any]:
    """Range F1 per fault kind of each baseline, on devices sampled from the first `devices` (whose parts are
    those of `chunks`)."""
    sensors = sampled_sensors(devices)
    truth = sampled_truth(reader, sensors, chunks)
    kinds = sorted(set(truth["kind"]))
    if not kinds:
        return {}
    lo, hi = int(truth["start"].min()), int(truth["end"].max())
    readings = sampled_readings(reader, sensors, chunks)
    flagged = readings.groupby("sensor_id", group_keys=False)["value"].apply(robust_z_flags).to_numpy(bool)
    found = {
        "whole_period": whole_period(sensors, kinds, lo, hi),
        "random": random_windows(truth, sensors, lo, hi, seed),
        "robust_z": alarms(readings, flagged, kinds),
    }
    if isolation_forest:
        kind_of = {int(s): KINDS[(int(s) - 1) % len(KINDS)] for s in sensors}
        found["isolation_forest"] = alarms(readings, forest.flags(readings, kind_of, seed), kinds)
    return {
        "devices": len(sensors) // len(KINDS),
        "windows": {kind: int((truth["kind"] == kind).sum()) for kind in kinds},
        "range_f1": range_f1(truth, found),
    }
