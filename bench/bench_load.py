"""Benchmark `sandbox load` into PostgreSQL against PostgreSQL's own `COPY FROM` of the same rows as CSV files,
in the same run, on the same throwaway server (issue #27).

    python bench/bench_load.py [--sessions N] [--check]

The ecommerce recipe is built at N sessions (1,000,000 by default). The baseline gets every data table as a
CSV file (written by DuckDB, untimed) and the same empty tables (untimed), then one `COPY ... FROM 'file'
CSV HEADER` per table, server-side, timed; then the baseline is dropped. Each timed step starts on a server
at rest (a checkpoint, no autovacuum worker running). The load is timed whole: DuckDB's key checks over the
Parquet files, the COPY through ADBC, primary and foreign keys, their indexes and comments, the swap; then
again with `--validate` (PostgreSQL re-checks each foreign key too), reported. `--check` exits 1 when the
default load takes more than 1.5 times the COPY.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

import sandbox
from sandbox.load import load
from sandbox.load.ddl import create_table, quoted
from sandbox.load.plan import plan
from sandbox.load.server import throwaway_postgres
from sandbox.output.opened import open_sandbox

BAR = 1.5


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", url, "-Atqc", sql], check=True, capture_output=True, text=True).stdout


def quiet(url: str) -> None:
    """A server at rest before a timed step: every dirty page written, no autovacuum worker running (one
    vacuums the baseline's 7M fresh rows for seconds, on the same two cores as the next step)."""
    psql(url, "CHECKPOINT")
    for _ in range(600):
        if psql(url, "select count(*) from pg_stat_activity where backend_type = 'autovacuum worker'").strip() == "0":
            return
        time.sleep(0.1)


def copy_baseline(box: Path, url: str, folder: Path) -> tuple[float, int]:
    """Seconds for PostgreSQL's COPY FROM of every data table's CSV into fresh tables, and the rows copied."""
    laid = plan(open_sandbox(box), truth=False)
    con = duckdb.connect()
    psql(url, "DROP SCHEMA IF EXISTS baseline CASCADE; CREATE SCHEMA baseline")
    files = {}
    for table in laid.tables:
        csv = folder / f"{table.name}.csv"
        listed = ", ".join(f"'{f}'" for f in table.files)
        con.execute(f"COPY (SELECT * FROM read_parquet([{listed}], hive_partitioning = false)) TO '{csv}' (HEADER)")
        os.chmod(csv, 0o644)
        psql(url, create_table(table, "baseline", "postgresql", inline_keys=False))
        files[table.name] = csv
    quiet(url)
    started = time.perf_counter()
    for name, csv in files.items():
        psql(url, f"COPY baseline.{quoted(name)} FROM '{csv}' WITH (FORMAT csv, HEADER true)")
    took = time.perf_counter() - started
    psql(url, "DROP SCHEMA baseline CASCADE")
    quiet(url)
    return took, sum(t.rows for t in laid.tables)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if the load takes over {BAR}x the COPY")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    os.chmod(folder, 0o755)  # the server (user postgres) reads the baseline's CSV files here
    try:
        box = folder / "shop"
        started = time.perf_counter()
        sandbox.build("ecommerce", box, rows=args.sessions, seed=1, workers=2)
        took = time.perf_counter() - started
        print(f"built ecommerce at {args.sessions:,} sessions in {took:.1f} s", file=sys.stderr)
        with throwaway_postgres() as url:
            copy_s, rows = copy_baseline(box, url, folder)
            done = load(box, url, schema="shop", replace=True)
            quiet(url)
            checked = load(box, url, schema="checked", validate=True)
        ratio = done.seconds / copy_s
        print("| case | rows | sandbox load | COPY FROM csv | ratio |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for what, run in ((f"{len(done.rows)} tables", done), ("the same, `--validate`", checked)):
            print(
                f"| ecommerce {args.sessions:,} sessions, {what} | {rows:,} | {run.seconds:.2f} s "
                f"({rows / run.seconds:,.0f} rows/s) | {copy_s:.2f} s ({rows / copy_s:,.0f} rows/s) "
                f"| {run.seconds / copy_s:.2f}x |"
            )
        print(f"keys: {done.primary_keys} primary, {done.foreign_keys} foreign; not declared: {done.withheld}")
        return 1 if args.check and ratio > BAR else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
