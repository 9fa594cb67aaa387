"""Days of an iot recipe's period built apart (`sandbox build --from/--until`) and streamed on from a sandbox's
last day (`sandbox replay --follow`): the same bytes as one build of the whole period, read back with DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest


#: The built-in iot recipe over 3 days, 3 devices in chunks of 2 (two chunks a day), its own faults and all.
def _recipe(folder: Path) -> Path:
    text = (Path(__file__).parents[1] / "recipes/iot.yaml").read_text(encoding="utf-8")
    text = text.replace("chunk_rows: 500000", "chunk_rows: 30000").replace("  rows: 40", "  rows: 3")
    path = folder / "plant.yaml"
    path.write_text(text.replace("    days: 7", "    days: 3"), encoding="utf-8")
    return path


def _sandbox(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sandbox", *args], capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("days")
    recipe = _recipe(root)
    out = {"recipe": recipe, "whole": root / "whole", "first": root / "first", "rest": root / "rest"}
    _sandbox("build", str(recipe), "--out", str(out["whole"]), "-q")
    _sandbox("build", str(recipe), "--out", str(out["first"]), "--until", "2025-03-02", "-q")
    _sandbox("build", str(recipe), "--out", str(out["rest"]), "--from", "2025-03-02", "--workers", "2", "-q")
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for d in ("tables", "truth") for p in root.glob(f"{d}/**/*.parquet")
    }


def test_days_built_apart_are_the_files_of_one_build_of_the_period(built: dict[str, Path]) -> None:
    whole, first, rest = (_files(built[k]) for k in ("whole", "first", "rest"))
    assert set(first) | set(rest) == set(whole) and not set(first) & set(rest)
    assert all(first[p] == whole[p] for p in first) and all(rest[p] == whole[p] for p in rest)
    manifest = json.loads((built["rest"] / "manifest.json").read_text())
    assert manifest["window"] == {
        "from": "2025-03-02", "until": "2025-03-04", "first_day": 1, "days": 2,
        "period": {"start": "2025-03-01", "days": 3},
    }  # fmt: skip
    assert "devices" not in manifest["tables"] and manifest["tables"]["readings"]["references"] == {}
    assert "conformance" not in manifest
    con = duckdb.connect()
    counts = [
        con.execute(f"select count(*) from '{built[k]}/tables/readings/*/*.parquet'").fetchone()[0]
        for k in ("whole", "first", "rest")
    ]
    assert counts[0] == counts[1] + counts[2] > 100_000
    verified = _sandbox("verify", str(built["rest"]), "--rebuild")
    assert "rebuilt byte for byte" in verified.stdout
    checked = _sandbox("check", str(built["rest"]))
    assert "only the days from 2025-03-02 up to 2025-03-04 of its recipe's 3-day period" in checked.stdout


@pytest.mark.parametrize(
    "cut", [(), ("--limit", "50000"), ("--until", "2025-03-02T12:00:00Z"), ("--start", "2025-03-01T20:00:00Z")]
)
def test_follow_streams_on_as_a_replay_of_the_whole_period(built: dict[str, Path], cut: tuple[str, ...]) -> None:
    whole = _sandbox("replay", str(built["whole"]), "-t", "readings", "--speed", "0", *cut)
    followed = _sandbox("replay", str(built["first"]), "-t", "readings", "--speed", "0", "--follow", *cut)
    assert followed.stdout == whole.stdout
    rows = whole.stdout.count("\n")
    assert rows == (50_000 if "--limit" in cut else rows) and rows > 40_000
    assert f"replayed {rows:,} rows of readings" in followed.stderr


def test_the_rest_of_a_window_follows_on_too(built: dict[str, Path], tmp_path: Path) -> None:
    """Days 2 and 3, then a replay of day 1 alone followed on: the whole period's maintenance log, by its ts."""
    one = tmp_path / "one"
    _sandbox("build", str(built["recipe"]), "--out", str(one), "--from", "2025-03-01", "--until", "2025-03-02", "-q")
    for table in ("maintenance", "operations"):
        args = (
            ("-t", table, "--speed", "0", "--by", "start_ts")
            if table == "operations"
            else ("-t", table, "--speed", "0")
        )
        assert (
            _sandbox("replay", str(one), *args, "--follow").stdout
            == _sandbox("replay", str(built["whole"]), *args).stdout
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("build", "{recipe}", "--out", "{tmp}/x", "--from", "2025-02-01"),
            "error: --from 2025-02-01: expected a day of the recipe's period, 2025-03-01 to 2025-03-03 (3 days)\n",
        ),
        (
            ("build", "{recipe}", "--out", "{tmp}/x", "--until", "2025-03-05"),
            "error: --until 2025-03-05: expected a day of the recipe's period, 2025-03-01 to 2025-03-03 (3 days), "
            "or 2025-03-04 (the day after its last)\n",
        ),
        (
            ("build", "{recipe}", "--out", "{tmp}/x", "--from", "2025-03-02", "--until", "2025-03-02"),
            "error: --until 2025-03-02: expected a day after --from 2025-03-02\n",
        ),
        (
            ("build", "{recipe}", "--out", "{tmp}/x", "--until", "3/2/2025"),
            "error: --until: expected a date such as 2025-03-01, got '3/2/2025'\n",
        ),
        (
            ("build", "starter", "--out", "{tmp}/x", "--rows", "10", "--until", "2025-03-02"),
            "error: --from/--until: expected a recipe whose chunks are days of a period (the iot domain's `start` "
            "and `days`); this recipe's chunks are not by day\n",
        ),
        (
            ("replay", "{whole}", "-t", "readings", "--follow"),
            "error: --follow: {whole} already holds the last day of its recipe's period, 2025-03-01 to 2025-03-03 "
            "(3 days): build the first days with `sandbox build RECIPE --until DATE` and follow from there "
            "(domain.knobs.days sets how far the period goes, up to 3650)\n",
        ),
    ],
)
def test_what_cannot_be_windowed_or_followed_is_refused(
    built: dict[str, Path], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    where = {"recipe": str(built["recipe"]), "tmp": str(tmp_path), "whole": str(built["whole"])}
    done = _sandbox(*(a.format(**where) for a in args), check=False)
    assert (done.returncode, done.stderr) == (2, message.format(**where))
    assert not (tmp_path / "x").exists()


def test_increments_load_into_the_tables_the_first_days_made(built: dict[str, Path], tmp_path: Path) -> None:
    """Day 1 loaded into DuckDB, then days 2-3 appended with `load --into-existing`: the whole build's rows."""
    url = f"duckdb:///{tmp_path}/plant.duckdb"
    _sandbox("load", str(built["first"]), url, "-q")
    _sandbox("load", str(built["rest"]), url, "--into-existing", "--schema", "iot", "-q")
    con = duckdb.connect(str(tmp_path / "plant.duckdb"))
    for table, columns in (("readings", "sensor_id, ts, received_at, value, quality"), ("operations", "*")):
        whole = f"read_parquet('{built['whole']}/tables/{table}/**/*.parquet', hive_partitioning = false)"
        loaded = f"iot.{table}"
        assert (
            con.execute(f"select count(*) from {loaded}").fetchone()
            == con.execute(f"select count(*) from {whole}").fetchone()
        )
        for a, b in ((whole, loaded), (loaded, whole)):
            assert con.execute(f"select {columns} from {a} except all select {columns} from {b}").fetchall() == []


def test_follow_feeds_postgresql_past_the_sandboxs_end(built: dict[str, Path], sandbox_postgres: str) -> None:
    """Day 1 and half of day 2 (made by --follow) inserted into PostgreSQL: the whole build's rows of that time."""
    from sandbox.replay import Window, replay

    until = datetime(2025, 3, 2, 12, tzinfo=UTC)
    options = {"schema": "followed"}
    done = replay(built["first"], "readings", sandbox_postgres, speed=0, window=Window(until=until), options=options,
                  follow=True)  # fmt: skip
    query = "select count(*), min(received_at), max(received_at) from followed.readings"
    out = subprocess.run(["psql", sandbox_postgres, "-Atc", query], capture_output=True, text=True, check=True)
    count, first, last = out.stdout.strip().split("|")
    whole = duckdb.connect()
    whole.execute("set TimeZone = 'UTC'")
    expected = whole.execute(
        "select count(*), min(received_at), max(received_at) from "
        f"read_parquet('{built['whole']}/tables/readings/*/*.parquet', hive_partitioning = false) "
        "where received_at < ?",
        [until],
    ).fetchone()
    assert int(count) == done.delivered == expected[0] > 50_000
    assert datetime.fromisoformat(last) == expected[2] and datetime.fromisoformat(last) > datetime(
        2025, 3, 2, tzinfo=UTC
    )
    assert datetime.fromisoformat(first) == expected[1]
