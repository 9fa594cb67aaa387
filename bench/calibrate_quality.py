"""`sandbox calibrate` against SDV's GaussianCopula on the same tables, in the same run (issue #26).

For each table: calibrate (the whole export at once, so keys resolve), build the recipe, and score the sandbox's
table against the export with SDMetrics' single-table QualityReport (column shapes and column pair trends,
id columns left out); then fit GaussianCopula on the same table, sample as many rows, and score that. Times:
calibrate + build against GaussianCopula's fit. The tables: the five-table shop export of
`tests/test_calibrate.py` (made with numpy) and three datasets that ship inside scikit-learn (wine, breast
cancer, diabetes: no downloads); and the shop again under `--epsilon` 10 and 1, calibrate's quality beside its
exact run.

    python bench/calibrate_quality.py            # prints a Markdown table
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

import sandbox
from sandbox.calibrate import calibrate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: The shop export's columns its policy classes as personal (tests/test_calibrate.py POLICY).
PERSONAL = ("full_name", "email", "phone", "city", "body")


def _sklearn_exports(root: Path) -> list[tuple[str, list[Path]]]:
    from sklearn import datasets

    out = []
    for name in ("wine", "breast_cancer", "diabetes"):
        frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
        frame.columns = [str(c).replace(" ", "_").replace("(", "").replace(")", "").replace("/", "_") for c in frame]
        folder = root / name
        folder.mkdir()
        frame.insert(0, "row_id", range(1, len(frame) + 1))
        frame.to_csv(folder / f"{name}.csv", index=False)
        (folder / "policy.yaml").write_text("version: 1\n")
        out.append((name, [folder / f"{name}.csv"]))
    return out


def _quality(real: pd.DataFrame, synthetic: pd.DataFrame, ids: set[str]) -> float:
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    real, synthetic = real.drop(columns=[c for c in ids if c in real]), synthetic[[c for c in real if c not in ids]]
    meta = Metadata.detect_from_dataframes({"table": real}).to_dict()["tables"]["table"]
    report = QualityReport()
    report.generate(real, synthetic[real.columns], meta, verbose=False)
    return float(report.get_score())


def _copula(real: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, float]:
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    model = GaussianCopulaSynthesizer(Metadata.detect_from_dataframes({"table": real}))
    started = time.perf_counter()
    model.fit({"table": real})
    seconds = time.perf_counter() - started
    sampled = model.sample(len(real))
    return (sampled["table"] if isinstance(sampled, dict) else sampled), seconds


def compare(
    name: str, inputs: list[Path], policy: Path, work: Path, epsilon: float | None = None
) -> list[dict[str, object]]:
    """Per table of the export: calibrate's and GaussianCopula's quality, and their times; with `epsilon`,
    calibrate's quality alone, under that budget."""
    started = time.perf_counter()
    text = calibrate(inputs, policy, seed=1, epsilon=epsilon)
    label = f"{name}-{epsilon or 'exact'}"
    (work / f"{label}.yaml").write_text(text)
    sandbox.build(work / f"{label}.yaml", work / label)
    ours = time.perf_counter() - started
    box = sandbox.open_sandbox(work / label)
    rows = []
    for path in inputs:
        table = path.stem
        real = pd.read_csv(path)
        for column in real:
            if real[column].dtype == object:
                parsed = pd.to_datetime(real[column], errors="coerce", format="ISO8601")
                if parsed.notna().all():
                    real[column] = parsed
        # ids, and the columns the policy replaces with born-safe values, are left out of both scores
        ids = {c for c in real if c.endswith("_id") or c == "id"} | set(PERSONAL)
        synthetic = box.to_pandas(table)
        for column in real:
            if pd.api.types.is_datetime64_any_dtype(real[column]):
                real[column] = real[column].astype("datetime64[ns]")
                synthetic[column] = pd.to_datetime(synthetic[column]).dt.tz_localize(None).astype("datetime64[ns]")
        row: dict[str, object] = {"export": name, "table": table, "rows": len(real), "epsilon": epsilon}
        row["calibrate"] = _quality(real, synthetic, ids)
        if epsilon is None:
            sampled, fit_seconds = _copula(real.drop(columns=[c for c in ids if c in real]))
            row["gaussian_copula"] = _quality(real.drop(columns=[c for c in ids if c in real]), sampled, set())
            row |= {"calibrate_s": ours / len(inputs), "copula_fit_s": fit_seconds}
        rows.append(row)
    return rows


def run() -> list[dict[str, object]]:
    from tests.test_calibrate import make_export

    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_export(root / "shop")
        shop = sorted((root / "shop").glob("*.csv"))
        rows = compare("shop", shop, root / "shop" / "policy.yaml", root)
        private = [r for eps in (1.0, 10.0) for r in compare("shop", shop, root / "shop" / "policy.yaml", root, eps)]
        (root / "sklearn").mkdir()
        for name, inputs in _sklearn_exports(root / "sklearn"):
            rows += compare(name, inputs, inputs[0].parent / "policy.yaml", root)
    return rows + private


HEADER = (
    "| export | table | rows | calibrate quality | GaussianCopula quality |\n| --- | --- | ---: | ---: | ---: |",
    "| export | calibrate + build (s) | GaussianCopula fit, every table (s) |\n| --- | ---: | ---: |",
)


if __name__ == "__main__":
    everything = run()
    results = [r for r in everything if r["epsilon"] is None]
    print(HEADER[0])
    for r in results:
        print(f"| {r['export']} | {r['table']} | {r['rows']:,} | {r['calibrate']:.3f} | {r['gaussian_copula']:.3f} |")
    print("\n" + HEADER[1])
    for export in dict.fromkeys(r["export"] for r in results):
        mine = [r for r in results if r["export"] == export]
        ours = sum(float(r["calibrate_s"]) for r in mine)  # type: ignore[arg-type]
        theirs = sum(float(r["copula_fit_s"]) for r in mine)  # type: ignore[arg-type]
        print(f"| {export} | {ours:.2f} | {theirs:.2f} |")
    print("\n| table | exact | epsilon 10 | epsilon 1 |\n| --- | ---: | ---: | ---: |")
    for r in (r for r in results if r["export"] == "shop"):
        dp = {x["epsilon"]: x["calibrate"] for x in everything if x["table"] == r["table"] and x["epsilon"]}
        print(f"| {r['table']} | {r['calibrate']:.3f} | {dp[10.0]:.3f} | {dp[1.0]:.3f} |")
