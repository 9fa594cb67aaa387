"""Time-aware scoring (`sandbox score` with start_ts/end_ts): range-based, event-wise and point-adjusted
precision and recall, checked against hand-worked windows, then on a plant where a lazy detector (one window per
sensor and kind over the whole period) scores perfectly by key and poorly in time."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import sandbox
from sandbox.cli import cli
from sandbox.domains.iot.benchmark import as_predictions, random_windows, range_f1, whole_period
from sandbox.output.manifest import read_manifest
from sandbox.scoring.ranges import tally
from sandbox.scoring.score import score, scored, truth_defects


def scores(true: list[tuple[int, int]], pred: list[tuple[int, int]]) -> dict[str, dict[str, float]]:
    t, p = np.array(true or np.zeros((0, 2)), np.int64), np.array(pred or np.zeros((0, 2)), np.int64)
    return tally(t[:, 0], t[:, 1], p[:, 0], p[:, 1]).scores()


def test_a_window_across_two_faults() -> None:
    """Faults [10, 20] and [40, 50], one prediction [15, 45]: each fault touched (0.5) and half covered
    (0.25): recall 0.75; 10 of the prediction's 30 inside faults: precision 1/3. Event-wise both touched and
    the prediction touches one: 1 and 1. Point-adjusted: the 20 of both faults detected, 20 predicted
    outside: precision 0.5."""
    got = scores([(10, 20), (40, 50)], [(15, 45)])
    assert got["range"]["recall"] == pytest.approx(0.75)
    assert got["range"]["precision"] == pytest.approx(1 / 3)
    assert got["event"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert got["point_adjusted"]["precision"] == pytest.approx(0.5)
    assert got["point_adjusted"]["recall"] == 1.0


def test_a_window_over_the_whole_period_is_precise_only_as_far_as_the_faults_go() -> None:
    got = scores([(100, 110)], [(0, 1000)])
    assert got["range"]["precision"] == pytest.approx(0.01)
    assert got["range"]["f1"] < 0.03
    assert got["event"]["f1"] == 1.0  # event-wise cannot tell


def test_points_and_windows() -> None:
    """A point inside a fault is fully precise; a fault that is a point is found when a window contains it."""
    assert scores([(10, 20)], [(15, 15)])["range"]["precision"] == 1.0
    got = scores([(5, 5), (30, 30)], [(0, 10), (7, 7)])
    assert got["range"]["recall"] == pytest.approx(0.5)  # the first point touched and covered, the second not
    assert got["event"]["precision"] == pytest.approx(0.5)  # the window touches a fault, the point at 7 not


def test_nothing_predicted_and_nothing_true() -> None:
    assert scores([(1, 2)], [])["range"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert scores([], [(1, 2)])["range"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_overlapping_predictions_count_their_union() -> None:
    got = scores([(0, 100)], [(0, 60), (40, 100)])
    assert got["range"]["recall"] == 1.0
    assert got["point_adjusted"]["precision"] == 1.0


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four devices for a week, with clock skews and outages frequent enough that each occurs."""
    root = tmp_path_factory.mktemp("plant")
    text = sandbox.builtin_recipes()["iot"].read_text()
    recipe = root / "plant.yaml"
    recipe.write_text(text + "    clock_skews_per_device_month: 8\n    outages_per_device_month: 4\n")
    sandbox.build(recipe, root / "plant", rows=4, seed=4)
    return root / "plant"


def _windows(plant: Path, lazy: bool) -> pd.DataFrame:
    """Every windowed fault as a prediction: keyed per sensor, over its own window or the whole period."""
    con = duckdb.connect()
    truth = con.execute(f"""select "table", kind, "column", row_key, start_ts, end_ts
                            from '{plant}/truth/defects/*.parquet' where start_ts is not null""").df()
    truth["row_key"] = [json.dumps({"sensor_id": json.loads(k)["sensor_id"]}) for k in truth["row_key"]]
    if lazy:
        lo, hi = con.execute(f"select min(ts), max(ts) from '{plant}/tables/readings/**/*.parquet'").fetchone()
        truth = truth.drop_duplicates(["table", "kind", "column", "row_key"]).assign(start_ts=lo, end_ts=hi)
    return truth


def test_the_faults_own_windows_score_one_in_every_family(plant: Path) -> None:
    for s in score(plant, _windows(plant, lazy=False)):
        if s.windows:
            assert {family: values["f1"] for family, values in s.windows.items()} == pytest.approx(
                {"range": 1.0, "event": 1.0, "point_adjusted": 1.0}
            ), s.kind


def test_a_lazy_detector_scores_by_key_but_not_by_range(plant: Path) -> None:
    """One window over the whole period on each sensor that has the kind: key F1 1.0 on dropouts, range F1
    low (the stricter lazy detector: it knows which sensors have which faults)."""
    got = {s.kind: s for s in score(plant, _windows(plant, lazy=True))}
    assert got["dropout"].f1 == 1.0
    assert got["dropout"].windows is not None and got["dropout"].windows["range"]["f1"] < 0.2
    assert got["stuck"].windows is not None and got["stuck"].windows["range"]["f1"] < 0.2
    # a unit mix-up is an episode (a day or so), no longer the whole period: 0.35 here, it was 1.0
    assert got["unit_mixup"].windows is not None and got["unit_mixup"].windows["range"]["f1"] < 0.5


def baselines(plant: Path, seed: int = 0, fast: bool = False) -> dict[str, dict[str, float]]:
    """Range F1 per kind of the issue's trivial detectors on every sensor: one window per sensor and kind over
    the whole period, random windows at the base rate (the truth's count and lengths), and nothing; scored by
    `sandbox score` (or, `fast`, by the benchmark's own tally)."""
    manifest = read_manifest(plant)
    truth = truth_defects(plant)
    truth = truth[truth["start_ts"].notna()].astype({"start_ts": "int64", "end_ts": "int64"})
    windows = pd.DataFrame(
        {
            "sensor": [json.loads(k)["sensor_id"] for k in truth["row_key"]],
            "kind": truth["kind"].to_numpy(),
            "start": truth["start_ts"].to_numpy(),
            "end": truth["end_ts"].to_numpy(),
        }
    )
    sensors = np.arange(1, manifest["tables"]["sensors"]["rows"] + 1)
    kinds = sorted(set(windows["kind"]))
    lo, hi = int(windows["start"].min()), int(windows["end"].max())
    found = {
        "whole_period": whole_period(sensors, kinds, lo, hi),
        "random": random_windows(windows, sensors, lo, hi, seed),
        "nothing": whole_period(sensors[:0], kinds, lo, hi),
    }
    if fast:
        return range_f1(windows, found)
    out: dict[str, dict[str, float]] = {kind: {} for kind in kinds}
    for name, predicted in found.items():
        got = {r.kind: r.windows for r in scored(manifest, truth, as_predictions(predicted), name)}
        for kind in kinds:
            out[kind][name] = round((got.get(kind) or {}).get("range", {}).get("f1", 0.0), 3)
    return out


def test_the_benchmark_s_own_tally_agrees_with_sandbox_score(plant: Path) -> None:
    assert baselines(plant, fast=True) == baselines(plant)


def test_trivial_detectors_on_every_sensor_score_low_in_time(plant: Path) -> None:
    """At the default rates (this plant has eight times the clock skews and four times the outages, so those two
    are left out here; the slow suite checks every kind on the default plant over 5 seeds)."""
    got = baselines(plant)
    assert {"dropout", "clock_skew", "stuck", "outage", "spike"} <= set(got)
    usual = [s for k, s in got.items() if k not in ("clock_skew", "outage")]
    assert max(s["whole_period"] for s in usual) <= 0.2, got
    assert max(s["random"] for s in usual) <= 0.1, got
    assert max(s["nothing"] for s in got.values()) == 0.0


def test_a_clock_skew_offsets_ts_only_inside_its_episode(plant: Path) -> None:
    """received_at is the true time plus a latency of about 1.5 s; ts is the device clock: inside an episode
    ts - received_at is the offset, outside it about -1.5 s."""
    con = duckdb.connect()
    con.execute(f"""create view episodes as select json_extract(row_key, '$.sensor_id')::bigint sensor_id,
                    start_ts, end_ts, json_extract(params, '$.offset_seconds')::double offset_s
                    from '{plant}/truth/defects/*.parquet' where kind = 'clock_skew'""")
    con.execute(f"""create view lag as select sensor_id, ts, epoch(ts) - epoch(received_at) lag
                    from '{plant}/tables/readings/**/*.parquet'""")
    episodes = con.execute("select sensor_id, start_ts, end_ts, offset_s from episodes").fetchall()
    assert len(episodes) >= 5
    for sensor, begin, end, offset in episodes:
        inside = con.execute(
            "select median(lag) from lag where sensor_id = ? and ts between ? and ?", [sensor, begin, end]
        ).fetchone()[0]
        assert inside == pytest.approx(offset - 1.5, abs=2), (sensor, offset, inside)
    outside = con.execute("""select sensor_id, median(lag) from lag l where not exists (select 1 from episodes e
                             where e.sensor_id = l.sensor_id and l.ts between e.start_ts - interval 10 minute
                             and e.end_ts + interval 10 minute) group by 1""").fetchall()
    assert len(outside) == 20
    for sensor, lag in outside:
        assert abs(lag) < 3, (sensor, lag)


def test_the_cli_shows_the_time_families_and_parses_iso_text(plant: Path, tmp_path: Path) -> None:
    frame = _windows(plant, lazy=False)
    frame["start_ts"] = [t.isoformat() for t in frame["start_ts"]]
    frame["end_ts"] = ""  # a point where end_ts is left out... and for the windows below, their own end
    frame.loc[frame["kind"] != "spike", "end_ts"] = [
        t.isoformat() for t in _windows(plant, lazy=False).loc[frame["kind"] != "spike", "end_ts"]
    ]
    path = tmp_path / "alarms.csv"
    frame.to_csv(path, index=False)
    done = CliRunner().invoke(cli, ["score", str(plant), "-p", str(path), "--json"])
    assert done.exit_code == 0, done.output
    kinds = {k["kind"]: k for k in json.loads(done.output)["kinds"]}
    assert kinds["spike"]["range"]["f1"] == 1.0 and kinds["dropout"]["event"]["recall"] == 1.0
    table = CliRunner().invoke(cli, ["score", str(plant), "-p", str(path)])
    assert "range f1" in table.output and "PA f1" in table.output


def test_a_window_that_ends_before_it_starts_is_exit_2(plant: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame(
        {
            "table": ["readings"],
            "row_key": ['{"sensor_id":1}'],
            "kind": ["dropout"],
            "start_ts": ["2025-03-02T00:00:00Z"],
            "end_ts": ["2025-03-01T00:00:00Z"],
        }
    ).to_csv(path, index=False)
    done = CliRunner().invoke(cli, ["score", str(plant), "-p", str(path)])
    assert done.exit_code == 2
    assert done.output.strip() == f"error: {path}: row 1: expected end_ts at or after start_ts"


def test_a_time_that_is_not_iso_is_exit_2_naming_the_row(plant: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        'table,row_key,kind,start_ts\nreadings,"{""sensor_id"":1}",dropout,2025-03-01\n'
        'readings,"{""sensor_id"":1}",dropout,yesterday\n'
    )
    done = CliRunner().invoke(cli, ["score", str(plant), "-p", str(path)])
    assert done.exit_code == 2
    assert done.output.strip() == (
        f"error: {path}: row 2: expected an ISO 8601 time in start_ts (e.g. 2025-03-01T12:00:00Z), got 'yesterday'"
    )


def test_a_unit_mixup_changes_the_readings_only_inside_its_episode(plant: Path) -> None:
    """Inside a mix-up's window the sensor reports in the other unit (degF, psi); outside it, in its own."""
    from sandbox.domains.iot.plant import vocabulary

    scales = {
        unit: (scale, offset)
        for vendor in vocabulary()["vendors"].values()
        for unit, scale, offset in (vendor["unit_mixup"] or {}).values()
    }
    con = duckdb.connect()
    episodes = con.execute(f"""select json_extract(row_key, '$.sensor_id')::bigint, start_ts, end_ts,
                               json_extract_string(params, '$.reported_unit')
                               from '{plant}/truth/defects/*.parquet' where kind = 'unit_mixup'""").fetchall()
    assert episodes
    for sensor, begin, end, unit in episodes:
        inside, outside = con.execute(
            f"""select median(value) filter (where ts between ? and ?), median(value) filter (where ts < ? or ts > ?)
                from '{plant}/tables/readings/**/*.parquet' where sensor_id = ?""",
            [begin, end, begin, end, sensor],
        ).fetchone()
        scale, offset = scales[unit]
        assert inside is not None and outside is not None
        assert abs((inside - offset) / scale - outside) < 0.2 * abs(outside) + 1, (sensor, unit, inside, outside)
        assert abs(inside - outside) > 0.2 * abs(outside), (sensor, unit, inside, outside)


def test_the_data_card_shows_the_benchmark_s_difficulty(plant: Path) -> None:
    """The reference detector beats the trivial ones on spikes, and the card shows every baseline per kind."""
    bench = read_manifest(plant)["benchmark"]
    assert bench["devices"] == 4 and bench["windows"]["spike"] > 50
    spike = bench["range_f1"]["spike"]
    assert spike["robust_z"] > 0.3 > max(spike["whole_period"], spike["random"]), spike
    card = (plant / "README.md").read_text()
    assert "## Benchmark difficulty" in card
    assert "| `spike` |" in card and "`robust_z`" in card and "`whole_period`" in card


def test_an_isolation_forest_joins_the_benchmark_when_asked(tmp_path: Path) -> None:
    """`isolation_forest: true` scores scikit-learn's IsolationForest beside the other baselines (the `detect`
    extra, which `make` installs); it finds spikes, and no lazy baseline does."""
    recipe = tmp_path / "plant.yaml"
    recipe.write_text(sandbox.builtin_recipes()["iot"].read_text() + "    isolation_forest: true\n")
    sandbox.build(recipe, tmp_path / "out", rows=2, seed=4)
    spike = read_manifest(tmp_path / "out")["benchmark"]["range_f1"]["spike"]
    assert spike["isolation_forest"] > 0.1 > spike["whole_period"], spike
    assert "`isolation_forest`" in (tmp_path / "out" / "README.md").read_text()


def test_an_isolation_forest_without_scikit_learn_is_a_located_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox.domains.iot import forest

    monkeypatch.setattr(forest, "available", lambda: False)
    recipe = tmp_path / "plant.yaml"
    recipe.write_text(sandbox.builtin_recipes()["iot"].read_text() + "    isolation_forest: true\n")
    result = CliRunner().invoke(cli, ["build", str(recipe), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "domain.knobs.isolation_forest" in result.output and "optional extra 'detect'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_sandbox_check_shows_the_benchmark_as_built(plant: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(plant)])
    assert "benchmark difficulty, as built: range F1 per fault kind on 4 devices" in result.output
    assert re.search(r"^spike +[\d,]+ +0\.0+ +0\.\d{3} +0\.000$", result.output, re.M), result.output
    found = json.loads(CliRunner().invoke(cli, ["check", str(plant), "--json"]).output)
    assert found["benchmark"]["range_f1"]["spike"]["robust_z"] > 0.3
