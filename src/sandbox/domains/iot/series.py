"""Statistics of one sensor's series, the same for a sandbox and for a public benchmark (numenta/NAB), so the
two can be compared side by side (`examples/compare_nab.py`, docs/iot-vs-nab.md) and the tests can hold the
sandbox to them: the reference robust z-score detector, the share of within-day variance that hour of day
explains, and the gaps.
"""

from __future__ import annotations

import pandas as pd

#: The issue's reference detector: a centred window of 61 samples, |x - median| / (1.4826 MAD) above 6.
WINDOW, THRESHOLD = 61, 6.0


def robust_z_flags(values: pd.Series, window: int = WINDOW, threshold: float = THRESHOLD) -> pd.Series:
    """Which samples of one series (in time order) the rolling robust z-score flags."""
    least = window // 2 + 1
    median = values.rolling(window, center=True, min_periods=least).median()
    deviation = (values - median).abs()
    mad = deviation.rolling(window, center=True, min_periods=least).median()
    return deviation / (1.4826 * mad) > threshold


def hour_of_day_share(ts: pd.Series, values: pd.Series) -> float:
    """The share of the series' within-day variance (each value less its day's mean) that the means per hour of
    day explain: near 1 for a signal that follows the clock, near 0 for one that does not."""
    frame = pd.DataFrame({"day": ts.dt.floor("D"), "hour": ts.dt.hour, "value": values.to_numpy()})
    frame["within"] = frame["value"] - frame.groupby("day")["value"].transform("mean")
    total = float((frame["within"] ** 2).mean())
    by_hour = frame.groupby("hour")["within"].agg(["mean", "size"])
    explained = float((by_hour["size"] * by_hour["mean"] ** 2).sum() / len(frame))
    return explained / total if total else 0.0


def gaps_hours(ts: pd.Series) -> pd.Series:
    """The gaps between samples longer than twice the usual interval, in hours."""
    steps = ts.sort_values().diff().dropna()
    usual = steps.median()
    return steps[steps > 2 * usual].dt.total_seconds() / 3600
