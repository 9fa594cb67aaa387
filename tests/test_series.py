"""The per-series statistics the iot tests and docs/iot-vs-nab.md share, on series whose answers are known, and
the comparison script on a NAB-shaped folder made here (NAB's own files are not in this repository)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sandbox.domains.iot.series import gaps_hours, hour_of_day_share, robust_z_flags
from tests.conftest import ROOT

TS = pd.Series(pd.date_range("2025-01-01", periods=14 * 24 * 12, freq="5min"))


def test_a_daily_sine_is_all_hour_of_day_and_noise_is_none_of_it() -> None:
    hours = TS.dt.hour + TS.dt.minute / 60
    assert hour_of_day_share(TS, pd.Series(np.sin(2 * np.pi * hours / 24))) > 0.95
    noise = pd.Series(np.random.default_rng(1).normal(size=len(TS)))
    assert hour_of_day_share(TS, noise) < 0.02


def test_the_robust_z_score_flags_a_big_spike_not_a_small_one() -> None:
    values = pd.Series(np.random.default_rng(2).normal(size=500))
    values[100] += 20
    values[300] += 2
    flags = robust_z_flags(values)
    assert flags[100] and not flags[300]
    assert flags.sum() <= 3


def test_gaps_are_the_steps_longer_than_twice_the_usual() -> None:
    ts = pd.Series(pd.to_datetime(["2025-01-01 00:00", "2025-01-01 00:05", "2025-01-01 00:10", "2025-01-01 06:10"]))
    assert gaps_hours(ts).tolist() == [6.0]


def test_the_nab_comparison_runs_on_a_nab_shaped_folder(tmp_path: Path) -> None:
    nab = tmp_path / "NAB"
    (nab / "data/realKnownCause").mkdir(parents=True)
    (nab / "labels").mkdir()
    windows = {}
    for name in ("machine_temperature_system_failure", "ambient_temperature_system_failure"):
        values = 70 + np.sin(np.arange(len(TS)) / 50)
        pd.DataFrame({"timestamp": TS, "value": values}).to_csv(nab / f"data/realKnownCause/{name}.csv", index=False)
        windows[f"realKnownCause/{name}.csv"] = [["2025-01-03 00:00:00.000000", "2025-01-04 00:00:00.000000"]]
    (nab / "labels/combined_windows.json").write_text(json.dumps(windows))
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples/compare_nab.py"), str(nab)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "| hour of day: share of within-day variance |" in done.stdout
    assert re.search(r"\| labelled windows with a flag \| [01] of 1 \| [01] of 1 \|", done.stdout), done.stdout
