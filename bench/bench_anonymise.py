"""Benchmark `sandbox anonymise` on a 1M-row, 20-column CSV export (issue #7): MB/s, rows/s, peak RSS.

    python bench/bench_anonymise.py [--rows N]

The export is made here with numpy (not with the project's generators): ids, real-looking emails and phones
from pools, names, free-text notes that mention them, amounts, dates, codes. The policy is the one
`--suggest-policy` drafts for it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from measure import measure

PY = sys.executable
FIRST = ["Anna", "Lukas", "Marie", "Jonas", "Emma", "Paul", "Sophie", "Felix", "Lea", "Noah", "Julia", "Ben"]
LAST = ["Schmidt", "Dupont", "Yamada", "Jones", "Garcia", "Rossi", "Novak", "Larsen", "Costa", "Meyer"]


def export(path: Path, rows: int) -> None:
    rng = np.random.default_rng(7)
    people = 50_000
    user = rng.integers(0, people, rows)
    first = np.array(FIRST)[user % len(FIRST)]
    last = np.array(LAST)[(user // len(FIRST)) % len(LAST)]
    domains = np.array(["gmail.com", "web.de", "orange.fr", "yahoo.co.jp", "outlook.com"])
    email = pc.binary_join_element_wise(
        pa.array(np.char.lower(first)),
        ".",
        pa.array(np.char.lower(last)),
        pc.cast(pa.array(user), pa.string()),
        "@",
        pa.array(domains[user % 5]),
        "",
    )
    phone = pc.binary_join_element_wise(
        "+49 30 ", pc.cast(pa.array(2_000_000 + user * 37 % 9_000_000), pa.string()), ""
    )
    columns = {
        "order_id": pa.array(np.arange(rows)),
        "customer_id": pa.array(user),
        "email": email,
        "phone": phone,
        "first_name": pa.array(first),
        "last_name": pa.array(last),
        "zip": pc.utf8_lpad(pc.cast(pa.array(rng.integers(1000, 99999, rows)), pa.string()), 5, padding="0"),
        "city": pa.array(np.array(["Berlin", "Paris", "Osaka", "Leeds"])[rng.integers(0, 4, rows)]),
        "ordered_on": pa.array(rng.integers(19000, 20000, rows).astype("int32"), pa.date32()),
        "amount": pa.array(np.round(rng.lognormal(3, 1, rows), 2)),
        "currency": pa.array(np.array(["EUR", "GBP"])[rng.integers(0, 2, rows)]),
        "status": pa.array(np.array(["paid", "open", "refunded"])[rng.integers(0, 3, rows)]),
        "items": pa.array(rng.integers(1, 9, rows)),
        "channel": pa.array(np.array(["web", "app"])[rng.integers(0, 2, rows)]),
        "sku": pc.binary_join_element_wise("SKU-", pc.cast(pa.array(rng.integers(0, 5000, rows)), pa.string()), ""),
        "discount": pa.array(np.round(rng.random(rows) * 10, 2)),
        "warehouse": pa.array(rng.integers(1, 12, rows)),
        "carrier": pa.array(np.array(["DHL", "UPS", "GLS"])[rng.integers(0, 3, rows)]),
        "rating": pa.array(rng.integers(1, 6, rows)),
        "note": pc.binary_join_element_wise(
            "Customer ", pa.array(first), " ", pa.array(last), " asked for a call back on ", phone, "."
        ),
    }
    pacsv.write_csv(pa.table(columns), path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sandbox-anon-"))
    try:
        csv_path = work / "orders.csv"
        export(csv_path, args.rows)
        size = csv_path.stat().st_size
        draft = measure([PY, "-m", "sandbox", "anonymise", str(csv_path), "--suggest-policy"])
        (work / "policy.yaml").write_text(draft.stdout)
        runs = {}
        for workers in (1, 2):
            runs[workers] = measure(
                [
                    PY,
                    "-m",
                    "sandbox",
                    "anonymise",
                    str(csv_path),
                    "--policy",
                    str(work / "policy.yaml"),
                    "--out",
                    str(work / f"clean{workers}"),
                    "--json",
                    "--workers",
                    str(workers),
                ]
            )
        rows = json.loads(runs[2].stdout)["rows"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"export: {args.rows:,} rows x 20 columns, {size / 1e6:,.1f} MB CSV")
    print(f"suggest-policy: {draft.seconds:.2f} s")
    for workers, run in runs.items():
        print(
            f"anonymise --workers {workers}: {run.seconds:.2f} s, {size / 1e6 / run.seconds:,.1f} MB/s, "
            f"{rows / run.seconds:,.0f} rows/s, peak RSS {run.peak_rss / 1e6:,.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
