"""A complete test that uses a sandbox as a fixture (run it with `pytest examples/test_orders_with_a_sandbox.py`).

The `sandbox_fixture` factory comes with `pip install sandbox-data` (a pytest11 plugin). The first run builds
the ecommerce sandbox into pytest's cache folder; later runs with the same recipe, rows, seed and library
versions reuse it (see "sandbox fixtures: 0 built, 1 reused" in the summary).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox import Sandbox


def revenue_by_device(shop: Sandbox) -> dict[str, float]:
    """The code under test: revenue of purchased orders per device, joined through sessions."""
    query = """
        SELECT s.device, sum(o.total)::DOUBLE AS revenue
        FROM orders o JOIN sessions s USING (session_id)
        GROUP BY s.device ORDER BY s.device
    """
    return dict(shop.duckdb().execute(query).fetchall())


def test_every_order_belongs_to_a_session(sandbox_fixture: Callable[..., Sandbox]) -> None:
    shop = sandbox_fixture("ecommerce", rows=2000, seed=7)
    orders, sessions = shop.to_pandas("orders"), shop.to_pandas("sessions")
    assert orders["session_id"].isin(sessions["session_id"]).all()


def test_revenue_by_device_adds_up(sandbox_fixture: Callable[..., Sandbox]) -> None:
    shop = sandbox_fixture("ecommerce", rows=2000, seed=7)  # the same sandbox: built once per session
    by_device = revenue_by_device(shop)
    assert set(by_device) <= {"mobile", "desktop", "tablet"}
    assert sum(by_device.values()) == pytest.approx(float(shop.to_pandas("orders")["total"].sum()))


@pytest.mark.sandbox(rows=500, seed=1)  # a smaller, different sandbox for this test only
def test_a_small_shop_still_has_orders(sandbox_fixture: Callable[..., Sandbox]) -> None:
    shop = sandbox_fixture("ecommerce")
    assert shop.manifest["tables"]["orders"]["rows"] > 0
