"""The orders and order lines of a chunk: one order per purchase, totals exact in cents."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sandbox.columns.arrays import decimal_from_unscaled
from sandbox.columns.temporal import TIMESTAMP
from sandbox.domains.common import labels, weighted
from sandbox.domains.ecommerce.events import ADD, PURCHASE, REMOVE
from sandbox.domains.ecommerce.shop import Catalogue, vocabulary


def order_tables(
    rng: np.random.Generator,
    s: dict,
    session_id: np.ndarray,
    customer_id: np.ndarray,
    customer_country: np.ndarray,
    ev_session: np.ndarray,
    etype: np.ndarray,
    product: np.ndarray,
    ts: np.ndarray,
    shop: Catalogue,
) -> tuple[pa.Table, pa.Table]:
    """One order per purchase: its lines are the cart's adds (less a removed one); totals exact in cents."""
    vocab = vocabulary()
    purchase_events, order_session, lines, line_order = _cart(s["purchase"], ev_session, etype)
    quantity = 1 + rng.poisson(0.3, len(lines))
    unit = shop.price_cents[product[lines]]
    line_total = quantity * unit
    first = np.r_[True, line_order[1:] != line_order[:-1]] if len(lines) else np.zeros(0, bool)
    line_no = np.arange(len(lines)) - np.maximum.accumulate(np.where(first, np.arange(len(lines)), 0)) + 1
    subtotal = np.zeros(len(order_session), dtype=np.int64)
    np.add.at(subtotal, line_order, line_total)
    shipping = np.where(subtotal >= 5_000, 0, 490).astype(np.int64)
    codes = list(vocab["countries"])
    country = customer_country[order_session]
    basis_points = np.array([round(vocab["vat"][c] * 10_000) for c in codes])[country]
    tax = (subtotal * basis_points + 5_000) // 10_000
    statuses, status = weighted(rng, vocab["order_status"], len(order_session))
    methods, method = weighted(rng, vocab["payment_methods"], len(order_session))
    ids = session_id[order_session]
    orders = pa.table(
        {
            "order_id": ids,
            "session_id": ids,
            "customer_id": customer_id[order_session],
            "ordered_at": pa.array(ts[purchase_events], TIMESTAMP),
            "status": labels(statuses, status),
            "payment_method": labels(methods, method),
            "shipping_country": labels(codes, country),
            "currency": labels(["EUR"], np.zeros(len(ids), dtype=np.int32)),
            "subtotal": money(subtotal),
            "shipping": money(shipping),
            "tax": money(tax),
            "total": money(subtotal + shipping + tax),
        }
    )
    items = pa.table(
        {
            "order_id": ids[line_order] if len(lines) else np.zeros(0, np.int64),
            "line_no": line_no.astype(np.int64),
            "product_id": product[lines] + 1,
            "quantity": quantity.astype(np.int64),
            "unit_price": money(unit),
            "line_total": money(line_total),
        }
    )
    return orders, items


def _cart(buying: np.ndarray, ev_session: np.ndarray, etype: np.ndarray) -> tuple[np.ndarray, ...]:
    """The purchase events, each order's session, the events that are order lines and each line's order."""
    purchase_events = np.flatnonzero(etype == PURCHASE)
    order_session = ev_session[purchase_events]
    order_pos = np.full(len(buying), -1)
    order_pos[order_session] = np.arange(len(order_session))
    adds = (etype == ADD) & buying[ev_session]
    removed = np.flatnonzero((etype == REMOVE) & buying[ev_session]) - 1
    adds[removed] = False
    lines = np.flatnonzero(adds)
    return purchase_events, order_session, lines, order_pos[ev_session[lines]]


def money(cents: np.ndarray) -> pa.Array:
    """Cents as decimal(12, 2)."""
    return decimal_from_unscaled(cents.astype(np.int64), 12, 2)
