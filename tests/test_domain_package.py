"""A third-party domain shipped as a package (examples/weather_domain): pip-installed into a virtual environment
of its own, found through the `sandbox.domains` entry point, built, and read back with DuckDB."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, part_hashes

PACKAGE = ROOT / "examples" / "weather_domain"


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment that sees this one's packages (sandbox among them) and has the example
    package pip-installed into its own site-packages."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    interpreter = venv / "bin" / "python"
    own = subprocess.run(
        [interpreter, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = [p for p in site.getsitepackages() if Path(p).is_dir()]
    # a .pth line that imports runs at start-up: this environment's site-packages, with their .pth files (the
    # editable sandbox install), come after the new environment's own
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in outer)
    (Path(own) / "outer.pth").write_text(lines, encoding="utf-8")
    source = tmp_path_factory.mktemp("package") / PACKAGE.name  # a copy: building leaves build/ beside the code
    shutil.copytree(PACKAGE, source)
    install = [interpreter, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", str(source)]
    done = subprocess.run(install, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert list(Path(own).glob("sandbox_weather-*.dist-info")), "installed into the new environment"
    return interpreter


def sandbox(python: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([python, "-m", "sandbox", *argv], capture_output=True, text=True, env=env)


def test_the_installed_domain_is_listed_with_its_recipe(python: Path) -> None:
    listed = json.loads(sandbox(python, "recipes", "--json").stdout)
    weather = next(r for r in listed if r["name"] == "weather")
    assert weather["rows_counts"] == "stations" and weather["path"].endswith("sandbox_weather/recipes/weather.yaml")
    assert "weather" in sandbox(python, "recipes", "--domains").stdout
    # this environment does not have it: nothing here knows the domain
    assert "weather" not in {
        r["name"]
        for r in json.loads(
            subprocess.run(
                [sys.executable, "-m", "sandbox", "recipes", "--json"], capture_output=True, text=True, check=True
            ).stdout
        )
    }


def test_a_recipe_using_the_domain_builds_and_reads_back_with_duckdb(python: Path, tmp_path: Path) -> None:
    out = tmp_path / "wx"
    done = sandbox(python, "build", "weather", "--out", str(out), "--rows", "20", "--seed", "2", "-q")
    assert done.returncode == 0, done.stderr
    con = duckdb.connect()
    stations = con.execute(f"SELECT count(*) FROM '{out}/tables/stations/*.parquet'").fetchone()
    observations, lost = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE temperature_c IS NULL) FROM '{out}/tables/observations/*.parquet'"
    ).fetchone()
    assert stations == (20,) and observations == 20 * 365
    faults = con.execute(
        f"""SELECT count(*) FROM '{out}/truth/defects/*.parquet' d
            JOIN '{out}/tables/observations/*.parquet' o
              ON o.station_id = json_extract(d.row_key, '$.station_id')::BIGINT
             AND o.day = json_extract_string(d.row_key, '$.day')::DATE
            WHERE d.kind = 'missing' AND d.column = 'temperature_c' AND o.temperature_c IS NULL"""
    ).fetchone()
    assert faults == (lost,) and abs(lost / observations - 0.02) <= max(0.002, 4 * (0.02 * 0.98 / observations) ** 0.5)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tables"]["observations"]["columns"][2]["description"].startswith("Mean air temperature")
    checked = sandbox(python, "check", str(out))
    assert checked.returncode == 0 and "missing_rate" in checked.stdout, checked.stdout + checked.stderr


def test_the_domain_gives_the_same_bytes_on_one_worker_and_two(python: Path, tmp_path: Path) -> None:
    for workers in ("1", "2"):
        argv = ["build", "weather", "--out", str(tmp_path / workers), "--rows", "30", "--workers", workers, "-q"]
        assert sandbox(python, *argv).returncode == 0
    assert part_hashes(tmp_path / "1") == part_hashes(tmp_path / "2")
