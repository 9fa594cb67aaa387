"""Learning from real data with SDV (the `learn` extra): quality, privacy, determinism, multi-table keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests import export_data
from tests.conftest import ROOT, part_hashes, run


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    export_data.write(folder, rows=20_000, with_orders=True)
    return folder


@pytest.fixture(scope="module")
def model(export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "customers"
    code, text, err = run(
        "learn", str(export / "customers.csv"), "--policy", str(export / "policy.yaml"), "--out", str(out)
    )
    assert code == 0, err
    assert text.splitlines()[-1].startswith(f"learned gaussian_copula into {out} in ")
    return out


def test_learn_without_the_extra_prints_the_install_command(tmp_path: Path) -> None:
    export_data.write(tmp_path, rows=50)
    script = (
        "import sys; sys.modules['sdv'] = None\n"
        "from sandbox.cli import main; sys.argv = ['sandbox', *sys.argv[1:]]; main()"
    )
    argv = [
        "learn",
        str(tmp_path / "customers.csv"),
        "--policy",
        str(tmp_path / "policy.yaml"),
        "-o",
        str(tmp_path / "m"),
    ]
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"error: this needs the optional extra 'learn' (sdv is not installed): pip install -e '{ROOT}[learn]' "
        "(the CPU build of torch first: see the README's Install)\n"
    )
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_quality_privacy_and_no_fatal_pii(model: Path, export: Path, tmp_path: Path) -> None:
    import json

    reports = json.loads((model / "reports.json").read_text())
    assert reports["quality"]["score"] >= 0.8, reports
    assert reports["privacy"]["dcr_passed"], reports
    assert reports["privacy"]["exact_copies_with_high_cardinality_column"] == 0
    assert set(reports["privacy"]["high_cardinality_columns"]) >= {"income", "monthly_spend"}
    described = json.loads((model / "model.json").read_text())
    assert described["training"]["customers"]["rows"] == 16_000  # a fifth held back
    assert "person" not in (model / "model.json").read_text() + (model / "metadata.yaml").read_text()
    code, _, err = run("sample", str(model), "--rows", "30000", "--seed", "5", "--out", str(tmp_path / "s"))
    assert code == 0, err
    assert run("scan", str(tmp_path / "s"))[0] == 0
    assert run("verify", str(tmp_path / "s"))[0] == 0  # a sampled sandbox is a regular one
    assert "# Sandbox: sampled from a learned gaussian_copula model" in (tmp_path / "s" / "README.md").read_text()
    synthetic = pd.read_parquet(tmp_path / "s" / "tables" / "customers")
    assert len(synthetic) == 30_000 and synthetic["customer_id"].is_unique
    real = export_data.customers(20_000)
    assert synthetic["region"].value_counts(normalize=True)["north"] == pytest.approx(0.4, abs=0.03)
    assert synthetic[["age", "income"]].corr().iloc[0, 1] > 0.5  # the planted correlation survives
    assert not synthetic["email"].str.contains("@").any()  # pseudonymised before learning, generated after
    assert real.merge(synthetic.drop(columns=["customer_id", "email"]), how="inner").empty


@pytest.mark.slow
def test_same_model_and_seed_give_the_same_bytes(model: Path, tmp_path: Path) -> None:
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        assert run("sample", str(model), "--rows", "120000", "--seed", seed, "--out", str(tmp_path / name))[0] == 0
    first = part_hashes(tmp_path / "a")
    assert len(first) == 3  # batches of 50,000
    assert part_hashes(tmp_path / "b") == first
    assert part_hashes(tmp_path / "c") != first
    code, out, _ = run("sample", str(model), "--rows", "1000", "--seed", "7", "--out", str(tmp_path / "d"), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["rows"] == 1000 and summary["out"] == str(tmp_path / "d")
    assert sum(t["rows"] for t in summary["tables"].values()) == 1000


@pytest.mark.slow
def test_a_changed_model_file_is_refused_before_loading(model: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    with (copy / "synthesizer.pkl").open("ab") as fh:
        fh.write(b"\0")
    code, _, err = run("sample", str(copy), "--rows", "10", "--out", str(tmp_path / "s"))
    assert code == 2
    assert err == (
        f"error: {copy / 'synthesizer.pkl'}: changed since `sandbox learn`; refusing to load this model (a pickle "
        "runs code when loaded: load only models you made or trust)\n"
    )
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_a_column_with_personal_data_and_no_policy_is_refused(export: Path, tmp_path: Path) -> None:
    code, _, err = run("learn", str(export / "customers.csv"), "--out", str(tmp_path / "m"))
    assert code == 2 and "pii-unhandled" in err and "email" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_hma_keeps_foreign_keys(tmp_path: Path) -> None:
    small = tmp_path / "export"
    paths = export_data.write(small, rows=1_500, with_orders=True)  # HMA fits one model per parent row
    code, _, err = run("learn", *map(str, paths), "--policy", str(small / "policy.yaml"), "--out", str(tmp_path / "m"))
    assert code == 0, err
    code, _, err = run("sample", str(tmp_path / "m"), "--rows", "2000", "--seed", "1", "--out", str(tmp_path / "s"))
    assert code == 0, err
    customers = pd.read_parquet(tmp_path / "s" / "tables" / "customers")
    orders = pd.read_parquet(tmp_path / "s" / "tables" / "orders")
    assert len(customers) == 2000 and len(orders) > 1000
    assert orders["customer_id"].isin(customers["customer_id"]).all()
    assert customers["customer_id"].is_unique and orders["order_id"].is_unique


@pytest.mark.slow
def test_a_recipe_mixes_a_learned_table_with_noise(model: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "learned.yaml"
    recipe.write_text(
        f"""version: 1
name: learned
seed: 4
chunk_rows: 5000
domain:
  generator: learned
  rows: 12000
  knobs: {{model: "{model}", missing_rate: 0.01, duplicate_rate: 0.005}}
""",
        encoding="utf-8",
    )
    code, _, err = run("build", str(recipe), "--out", str(tmp_path / "one"), "-q")
    assert code == 0, err
    assert run("build", str(recipe), "--out", str(tmp_path / "two"), "--workers", "2", "-q")[0] == 0
    assert part_hashes(tmp_path / "one") == part_hashes(tmp_path / "two")
    # the console script settles its process first (sandbox.runtime)
    console = [sys.executable, "-m", "sandbox", "build", str(recipe), "-q"]
    subprocess.run([*console, "--out", str(tmp_path / "three")], check=True)
    assert part_hashes(tmp_path / "one") == part_hashes(tmp_path / "three")
    customers = pd.read_parquet(tmp_path / "one" / "tables" / "customers")
    defects = pd.read_parquet(tmp_path / "one" / "truth" / "defects")
    assert set(defects["kind"]) == {"missing", "duplicate"}
    assert len(customers) == 12_000 + (defects["kind"] == "duplicate").sum()
    assert customers["customer_id"].nunique() == 12_000
    code, out, _ = run("check", str(tmp_path / "one"))
    assert code == 0 and out.splitlines()[-1].endswith(": 3 of 3 knobs within tolerance"), out


def test_reports_say_so_when_nothing_is_comparable() -> None:
    """Every column an id or dropped: the privacy merge once failed with IndexError (exit 3, 'internal error')."""
    from sandbox.learn.evaluate import NOTHING_COMPARABLE, privacy, quality

    empty = pd.DataFrame(index=range(5))
    assert privacy(empty, empty, empty) == {"comparable": False, "note": NOTHING_COMPARABLE}
    assert quality({"t": empty}, {"t": empty}, {"tables": {"t": {"columns": {}}}}) == {
        "score": None,
        "properties": {},
        "note": NOTHING_COMPARABLE,
    }
    frame = pd.DataFrame({"total": [1.0, 2.0, 3.0, 4.0]})
    report = privacy(frame, frame.iloc[:2], frame.iloc[2:])
    assert report["comparable"] is True and report["exact_copies"] == 2


@pytest.mark.slow
def test_learn_with_a_drafted_policy_models_clean_columns_and_reports_what_it_can(tmp_path: Path) -> None:
    """A drafted policy writes `class: none` for clean columns: that is not personal data (quality was nan,
    every column an id). A table whose columns are all ids or dropped says there is nothing to compare."""
    rng = np.random.default_rng(3)
    rows = 600
    frame = pd.DataFrame(
        {
            "order_id": np.arange(1, rows + 1),
            "total": np.round(rng.lognormal(3, 0.5, rows), 2),
            "channel": rng.choice(["web", "app", "store"], rows),
            "email": [f"user{i}@example.com" for i in range(rows)],
        }
    )
    frame.to_csv(tmp_path / "orders.csv", index=False)
    code, draft, err = run("anonymise", str(tmp_path / "orders.csv"), "--suggest-policy")
    assert code == 0, err
    assert "total: {class: none" in draft
    (tmp_path / "p.yaml").write_text(draft)
    code, text, err = run(
        "learn", str(tmp_path / "orders.csv"), "--policy", str(tmp_path / "p.yaml"), "-o", str(tmp_path / "m")
    )
    assert code == 0, err
    quality = next(line for line in text.splitlines() if line.startswith("quality"))
    assert "nan" not in quality and float(quality.split()[1]) > 0.5, quality
    frame[["order_id", "email"]].to_csv(tmp_path / "ids.csv", index=False)
    code, draft, err = run("anonymise", str(tmp_path / "ids.csv"), "--suggest-policy")
    (tmp_path / "ids.yaml").write_text(draft)
    code, text, err = run(
        "learn", str(tmp_path / "ids.csv"), "--policy", str(tmp_path / "ids.yaml"), "-o", str(tmp_path / "n")
    )
    assert code == 0, err
    assert "quality: nothing to compare" in text and "privacy: nothing to compare" in text
