"""A sandbox explains itself: the data card, recipe conformance (`sandbox check`) and the HTML report."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pyarrow.parquet as pq
import pytest

import sandbox
from sandbox.explain.card import COLUMN_HEADER, personal_columns
from sandbox.explain.report import HEADLESS_CHROMIUM
from tests.conftest import ROOT, run

RECIPES = sorted(sandbox.builtin_recipes())
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def card_columns(card: str) -> dict[str, list[list[str]]]:
    """The column table of every `### table` section, as lists of cells."""
    out: dict[str, list[list[str]]] = {}
    for section in re.split(r"^### ", card, flags=re.M)[1:]:
        name, _, body = section.partition("\n")
        lines = body.split("\n")
        start = lines.index(COLUMN_HEADER) + 2
        rows = []
        for line in lines[start:]:
            if not line.startswith("|"):
                break
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
        out[name.strip()] = rows
    return out


@pytest.mark.parametrize("recipe", RECIPES)
def test_the_data_card_matches_the_manifest(builtins: dict[str, Path], recipe: str) -> None:
    folder = builtins[recipe]
    manifest = json.loads((folder / "manifest.json").read_text())
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert card.startswith(f"# Sandbox: {recipe}\n") and f"with seed {manifest['seed']}" in card
    tables = card_columns(card)
    assert sorted(tables) == sorted(manifest["tables"])
    personal = personal_columns(manifest)
    for name, table in manifest["tables"].items():
        rows = tables[name]
        assert [r[0] for r in rows] == [c["name"] for c in table["columns"]]
        assert [r[1].strip("`") for r in rows] == [c["type"] for c in table["columns"]]
        for row, column in zip(rows, table["columns"], strict=True):
            assert row[5] == f"{column['nulls'] / table['rows']:.2%}"
            privacy = manifest["privacy"]["tables"].get(name, {}).get(column["name"], {})
            assert row[3] == (privacy.get("class") or "") and row[4] == (privacy.get("policy") or "")
            if column["name"] in personal.get(name, set()):
                assert row[6] == "(withheld)"
        assert all(r[2] for r in rows), f"{name}: a column without a description"
    for snippet in ("pd.read_parquet(", "pl.scan_parquet(", "CREATE VIEW", "spark.read.parquet("):
        assert snippet in card
    assert manifest["privacy"]["key"]["fingerprint"] in card


def test_the_card_loads_as_it_says_with_duckdb(builtins: dict[str, Path]) -> None:
    duckdb = pytest.importorskip("duckdb")
    folder = builtins["iot"]
    card = (folder / "README.md").read_text(encoding="utf-8")
    views = [line for line in card.splitlines() if line.startswith("CREATE VIEW")]
    con = duckdb.connect()
    for view in views:
        con.execute(view.replace("read_parquet('", f"read_parquet('{folder}/"))
    manifest = json.loads((folder / "manifest.json").read_text())
    for name, table in manifest["tables"].items():
        assert con.execute(f"SELECT count(*) FROM {name}").fetchone() == (table["rows"],)


@pytest.mark.parametrize("recipe", RECIPES)
def test_check_passes_on_every_builtin_recipe(builtins: dict[str, Path], recipe: str) -> None:
    code, out, _ = run("check", str(builtins[recipe]))
    assert code == 0, out
    last = out.splitlines()[-1]
    assert re.fullmatch(rf"{re.escape(str(builtins[recipe]))}: (\d+) of \1 knobs within tolerance", last), last
    stored = json.loads((builtins[recipe] / "manifest.json").read_text())["conformance"]
    assert len(stored) >= 7 and all(c["ok"] for c in stored)


@pytest.mark.parametrize("recipe", RECIPES)
def test_check_fails_naming_the_knob_when_half_the_defects_are_dropped(
    builtins: dict[str, Path], recipe: str, tmp_path: Path
) -> None:
    copy = tmp_path / recipe
    shutil.copytree(builtins[recipe], copy)
    for part in (copy / "truth" / "defects").glob("*.parquet"):
        table = pq.read_table(part)
        pq.write_table(table.take(np.arange(0, len(table), 2)), part)
    code, out, _ = run("check", str(copy), "--json")
    assert code == 1
    outside = [k["knob"] for k in json.loads(out)["knobs"] if not k["ok"]]
    expected = {
        "starter": "tables.orders.columns.order_no.noise.ocr",
        "ecommerce": "domain.knobs.bot_share",
        "iot": "domain.knobs.spike_rate",
        "ledger": "domain.knobs.typo_rate",
    }[recipe]
    assert expected in outside, outside
    code, out, _ = run("check", str(copy))
    assert code == 1 and f"outside: {', '.join(outside)}" in out.splitlines()[-1]


def test_check_on_an_anonymised_sandbox_has_no_knobs(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("id,amount\n1,3.5\n2,4.0\n", encoding="utf-8")
    (tmp_path / "policy.yaml").write_text("version: 1\ncolumns:\n  id: {policy: keep}\n", encoding="utf-8")
    code, _, err = run(
        "anonymise",
        str(tmp_path / "in.csv"),
        "--policy",
        str(tmp_path / "policy.yaml"),
        "--out",
        str(tmp_path / "clean"),
    )
    assert code == 0, err
    assert (tmp_path / "clean" / "README.md").read_text().startswith("# Sandbox: an anonymised export")
    assert run("check", str(tmp_path / "clean")) == (
        0,
        f"{tmp_path / 'clean'}: 0 of 0 knobs within tolerance (no recipe: made by anonymise or sample)\n",
        "",
    )


def data_images(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


@pytest.fixture(scope="module")
def reports(builtins: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reports")
    return {name: sandbox_report(folder, root / f"{name}.html") for name, folder in builtins.items()}


def sandbox_report(folder: Path, out: Path) -> Path:
    code, text, err = run("report", str(folder), "--out", str(out))
    assert code == 0, err
    assert text.startswith(f"wrote {out} (")
    return out


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_report_image_is_a_png_that_decodes(reports: dict[str, Path], recipe: str) -> None:
    page = reports[recipe].read_text(encoding="utf-8")
    images = data_images(page)
    assert len(images) >= 3 and page.count("<img ") == len(images)
    for data in images:
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = mpimg.imread(io.BytesIO(data), format="png")
        assert pixels.shape[0] > 50 and pixels.shape[1] > 50 and pixels.std() > 0
    assert "Recipe conformance" in page and "Null rates" in page
    domain_view = {
        "starter": None,
        "ecommerce": "Purchase funnel",
        "iot": "one week of readings",
        "ledger": "by clerk and kind",
    }[recipe]
    assert domain_view is None or domain_view in page


def test_report_without_matplotlib_says_how_to_install(builtins: dict[str, Path], tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from sandbox.cli import main; sys.argv = ['sandbox', 'report', sys.argv[1]]; main()"
    )
    done = subprocess.run([sys.executable, "-c", script, str(builtins["starter"])], capture_output=True, text=True)
    assert done.returncode == 2
    assert f"pip install -e '{ROOT}[report]'" in done.stderr and "Traceback" not in done.stderr


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM
    return subprocess.run([CHROMIUM, *HEADLESS_CHROMIUM, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("recipe", RECIPES)
def test_headless_chromium_shows_every_image(reports: dict[str, Path], recipe: str, tmp_path: Path) -> None:
    page = reports[recipe]
    dom = chromium(f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri())
    images = len(data_images(page.read_text(encoding="utf-8")))
    assert f'data-images="{images}" data-broken="0"' in dom.stdout, dom.stderr[-2000:]
    shot = tmp_path / "shot.png"
    chromium(
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1300,2400", f"--screenshot={shot}", page.as_uri()
    )
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (2400, 1300) and pixels.std() > 0.05


@pytest.mark.parametrize("recipe", RECIPES)
def test_an_empty_build_still_builds_checks_and_reports(recipe: str, tmp_path: Path) -> None:
    result = sandbox.build(recipe, tmp_path / "empty", rows=0)
    assert result.rows == sum(t["rows"] for t in result.manifest["tables"].values())
    assert run("check", str(tmp_path / "empty"))[0] == 0
    assert all(c["tolerance"] is None or c["ok"] for c in result.manifest["conformance"])
    assert run("report", str(tmp_path / "empty"))[0] == 0
    assert (tmp_path / "empty" / "README.md").read_text(encoding="utf-8").startswith(f"# Sandbox: {recipe}")
