"""The optional reference detector: scikit-learn's IsolationForest (the `detect` extra), one forest per sensor
kind over the sampled sensors, on each reading's robust z-score and its first difference (both scale-free, so
sensors of one kind share a forest). Seeded from the build's seed and single-threaded: the same alarms on any
machine with the same scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.core.seeding import stream
from sandbox.domains.iot.series import THRESHOLD, WINDOW

#: The share of readings the forest flags: about the plant's rate of point anomalies (spikes), ten times over.
CONTAMINATION = 0.005


def available() -> bool:
    try:
        import sklearn.ensemble  # noqa: F401
    except ImportError:
        return False
    return True


def features(values: pd.Series) -> np.ndarray:
    """Per reading of one sensor: its robust z-score against a centred rolling window, and its first difference
    in the same units."""
    least = WINDOW // 2 + 1
    median = values.rolling(WINDOW, center=True, min_periods=least).median()
    mad = (values - median).abs().rolling(WINDOW, center=True, min_periods=least).median()
    scale = (1.4826 * mad).replace(0, np.nan)
    z = ((values - median) / scale).fillna(0).clip(-10 * THRESHOLD, 10 * THRESHOLD)
    step = (values.diff() / scale).fillna(0).clip(-10 * THRESHOLD, 10 * THRESHOLD)
    return np.column_stack([z.to_numpy(), step.to_numpy()])


def flags(readings: pd.DataFrame, kind_of: dict[int, str], seed: int) -> np.ndarray:
    """Which of the readings (sorted by sensor and ts) the forests flag."""
    from sklearn.ensemble import IsolationForest

    out = np.zeros(len(readings), bool)
    sensor = readings["sensor_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, sensor[1:] != sensor[:-1]])
    bounds = list(zip(starts.tolist(), [*starts[1:].tolist(), len(sensor)], strict=True))
    blocks = {int(sensor[a]): (a, b, features(readings["value"].iloc[a:b].reset_index(drop=True))) for a, b in bounds}
    for i, kind in enumerate(sorted(set(kind_of.values()))):
        mine = [s for s in blocks if kind_of[s] == kind]
        if not mine:
            continue
        x = np.concatenate([blocks[s][2] for s in mine])
        state = int(stream(seed, "benchmark", i, "isolation_forest").integers(0, 2**31 - 1))
        forest = IsolationForest(n_estimators=100, contamination=CONTAMINATION, random_state=state, n_jobs=1)
        flagged = forest.fit(x).predict(x) == -1
        at = 0
        for s in mine:
            a, b, _ = blocks[s]
            out[a:b] = flagged[at : at + b - a]
            at += b - a
    return out
