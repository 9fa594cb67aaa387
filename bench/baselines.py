"""What users would otherwise run, on the benchmark's 10-column schema (run as a script, measured apart).

python bench/baselines.py naive ROWS OUT.parquet     # a Faker loop of dicts -> pandas -> Parquet
python bench/baselines.py ceiling SANDBOX OUT_DIR    # pyarrow alone rewriting a sandbox's rows
"""

from __future__ import annotations

import json
import sys
import time
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path


def naive(rows: int, out: Path) -> None:
    """Faker for every field, one dict per row: the loop most people write first."""
    import pandas as pd
    from faker import Faker

    fake = Faker()
    Faker.seed(1)  # the baseline as users write it (the project itself never seeds Faker globally)
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)
    kinds = OrderedDict([("page_view", 0.6), ("product_view", 0.3), ("add_to_cart", 0.08), ("purchase", 0.02)])
    records = [
        {
            "event_id": i + 1,
            "score": fake.pyfloat(min_value=-4, max_value=4, right_digits=4),
            "ratio": fake.pyfloat(min_value=0, max_value=1, right_digits=4),
            "price": fake.pydecimal(left_digits=4, right_digits=2, positive=True),
            "event_type": fake.random_element(kinds),
            "ts": fake.date_time_between(start, end, tzinfo=UTC),
            "name": fake.name(),
            "email": fake.email(),
            "active": fake.pybool(),
            "product_id": fake.random_int(1, 10_000),
        }
        for i in range(rows)
    ]
    pd.DataFrame(records).to_parquet(out, compression="zstd")


def ceiling(sandbox: Path, out: Path) -> None:
    """Read every part into memory first, then time only writing them again, one thread, same settings."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from sandbox.output.writer import write_options

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    parts = [(p, pq.read_table(p)) for p in sorted(sandbox.rglob("*.parquet"))]
    started = time.perf_counter()
    for i, (_, table) in enumerate(parts):
        pq.write_table(table, out / f"part-{i:05d}.parquet", **write_options(table))

    print(json.dumps({"write_seconds": time.perf_counter() - started, "rows": sum(len(t) for _, t in parts)}))


if __name__ == "__main__":
    what, arg, target = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if what == "naive":
        naive(int(arg), target)
    else:
        target.mkdir(parents=True, exist_ok=True)
        ceiling(Path(arg), target)
