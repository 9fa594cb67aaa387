"""SDV through sandbox vs SDV alone, same data, same run (needs the `learn` extra).

    python bench/bench_learn.py               # 50,000 x 10 fit, 1,000,000 rows sampled

Measures, on the test export's generator (numpy, planted correlations) widened to 10 columns:
- SDV alone: GaussianCopulaSynthesizer fit, then sample(1,000,000);
- our wrapper, without scan or reports: the same fit inside the seed guard, then 20 seeded batches of 50,000
  rows, each converted to Arrow (what `sandbox sample` writes), target <= 1.2x SDV alone;
- the whole commands as users run them: `sandbox learn` (anonymise, detect, fit, quality and privacy
  reports) and `sandbox sample --rows 1000000` (batches, Parquet, scan, manifest, data card).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure import measure  # noqa: E402
from tests.export_data import POLICY, customers  # noqa: E402

FIT_ROWS, SAMPLE_ROWS, BATCH = 50_000, 1_000_000, 50_000


def export(rows: int):  # type: ignore[no-untyped-def]
    frame = customers(rows).drop(columns=["email"])
    rng = np.random.default_rng(3)
    frame["tenure_months"] = rng.integers(1, 120, rows)
    frame["visits"] = rng.poisson(frame["monthly_spend"] / 40)
    frame["days_since_order"] = rng.exponential(20 + 60 * frame["churned"]).round()
    frame["satisfaction"] = np.clip(np.round(4 - 2 * frame["churned"] + rng.normal(0, 0.8, rows)), 1, 5).astype(int)
    frame["email"] = [f"user{i}@mailhost.de" for i in range(rows)]
    return frame  # 11 columns: the customer_id key and 10 to learn (the email is pseudonymised, then dropped)


def direct(frame, meta):  # type: ignore[no-untyped-def]
    from sdv.single_table import GaussianCopulaSynthesizer

    started = time.perf_counter()
    model = GaussianCopulaSynthesizer(meta)
    model.fit({"customers": frame})
    fitted = time.perf_counter()
    rows = len(model.sample(SAMPLE_ROWS)["customers"])
    return fitted - started, time.perf_counter() - fitted, rows


def wrapped(frame, meta):  # type: ignore[no-untyped-def]
    from sandbox.domains.learned.draw import draw, to_arrow
    from sandbox.learn.fit import _fit

    started = time.perf_counter()
    model = _fit("gaussian_copula", meta, {"customers": frame}, 0, None)
    fitted = time.perf_counter()
    rows = 0
    for batch in range(SAMPLE_ROWS // BATCH):
        rows += to_arrow(draw(model, "gaussian_copula", "customers", BATCH, 0, "sample", batch)).num_rows
    return fitted - started, time.perf_counter() - fitted, rows


def main() -> int:
    warnings.filterwarnings("ignore")
    from sdv.metadata import Metadata

    frame = export(FIT_ROWS).drop(columns=["email"])
    meta = Metadata.detect_from_dataframes({"customers": frame})
    print(f"{FIT_ROWS:,} rows x {frame.shape[1] - 1} columns and a key; fit, then sample {SAMPLE_ROWS:,} rows")
    results = {}
    for name, fn in (("SDV alone", direct), ("sandbox wrapper", wrapped), ("SDV alone (again)", direct)):
        fit, sample, rows = fn(frame, meta)
        results[name] = fit + sample
        print(f"{name:18} fit {fit:6.1f} s   sample {sample:6.1f} s ({rows / sample:,.0f} rows/s)")
    alone = min(results["SDV alone"], results["SDV alone (again)"])
    print(
        f"wrapper / SDV alone (fit + sample, best SDV run): {results['sandbox wrapper'] / alone:.2f}x (target <= 1.2x)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-learn-") as tmp:
        csv = Path(tmp) / "customers.csv"
        export(FIT_ROWS).to_csv(csv, index=False)
        (Path(tmp) / "policy.yaml").write_text(POLICY, encoding="utf-8")
        sandbox = str(Path(sys.executable).with_name("sandbox"))
        learn = measure([sandbox, "learn", str(csv), "--policy", f"{tmp}/policy.yaml", "--out", f"{tmp}/m", "--json"])
        quality = json.loads(learn.stdout)["reports"]["quality"]["score"]
        peak = learn.peak_rss / 2**20
        print(f"sandbox learn (anonymise, fit, reports): {learn.seconds:.1f} s, peak RSS {peak:.0f} MB")
        print(f"sandbox learn: quality score {quality}")
        sample = measure([sandbox, "sample", f"{tmp}/m", "--rows", str(SAMPLE_ROWS), "--out", f"{tmp}/s"])
        print(
            f"sandbox sample --rows {SAMPLE_ROWS:,} (Parquet, scan, card): {sample.seconds:.1f} s "
            f"({SAMPLE_ROWS / sample.seconds:,.0f} rows/s), peak RSS {sample.peak_rss / 2**20:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
