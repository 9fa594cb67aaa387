"""The README's example of the `sandbox_db` fixture: a sandbox loaded once per test session into a PostgreSQL
the test run starts itself (`sandbox_postgres`), then queried the way an application's tests would."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from sandbox.load import Loaded


def test_every_order_belongs_to_a_customer(sandbox_db: Callable[..., Loaded], sandbox_postgres: str) -> None:
    db = sandbox_db("ecommerce", url=sandbox_postgres, rows=1000, seed=7)
    schema = db.schemas["data"]
    query = f"select count(*) from {schema}.orders o left join {schema}.customers c using (customer_id) where c is null"
    orphans = subprocess.run(["psql", sandbox_postgres, "-Atc", query], capture_output=True, text=True, check=True)
    assert orphans.stdout.strip() == "0" and db.rows["orders"] > 0


def test_the_fixture_loads_once_per_session(sandbox_db: Callable[..., Loaded], sandbox_postgres: str) -> None:
    first = sandbox_db("ecommerce", url=sandbox_postgres, rows=1000, seed=7)
    assert sandbox_db("ecommerce", url=sandbox_postgres, rows=1000, seed=7) is first
