"""The orders of a chunk and what follows them: order lines, payments and returns, every amount exact in cents.

Rules every row keeps (tests/test_clickstream.py proves them with DuckDB):
- a line's unit price is its product's euro price at the order day's rate (`fx_rates`), rounded to the cent;
- total = subtotal - discount + shipping + tax, with tax on the goods after a percent or fixed discount;
- the payments of an order that is not cancelled sum to its total; a cancelled order has none;
- a return comes after its order's delivery, and refunds its units at what they cost after the discount, so
  no refund exceeds its line's total and an order's refunds never exceed what was paid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.columns.arrays import decimal_from_unscaled
from sandbox.columns.temporal import TIMESTAMP
from sandbox.domains.common import labels, weighted
from sandbox.domains.ecommerce.currency import CURRENCY, Rates
from sandbox.domains.ecommerce.events import ADD, PURCHASE, REMOVE
from sandbox.domains.ecommerce.promotions import FIXED, FREE_SHIPPING, PERCENT, Promotions, choose
from sandbox.domains.ecommerce.shop import Catalogue, vocabulary
from sandbox.domains.ecommerce.stock import Stockouts

US_PER_DAY = 86_400_000_000
STATUSES = ["delivered", "shipped", "cancelled", "returned"]
DELIVERED, SHIPPED, CANCELLED, RETURNED = range(4)
#: Shares of orders still on their way and cancelled; the rest are delivered (and some of those returned).
IN_TRANSIT, CANCELLED_SHARE = 0.05, 0.03
#: Instalment counts of the payments spread over more than one (Olist's payments: 2, 3, 4 and 10 lead).
INSTALMENTS = {2: 0.27, 3: 0.23, 4: 0.16, 5: 0.1, 6: 0.08, 8: 0.05, 10: 0.11}
REASONS = {
    "wrong_size": 0.3,
    "changed_mind": 0.22,
    "not_as_described": 0.2,
    "damaged": 0.12,
    "arrived_late": 0.06,
    "other": 0.1,
}
FREE_SHIPPING_FROM, SHIPPING = 5_000, 490  # euro cents


@dataclass(frozen=True)
class Market:
    """What every chunk's sessions and orders share: the catalogue, its stock-outs, the rates, the codes."""

    shop: Catalogue
    stock: Stockouts
    rates: Rates
    promotions: Promotions


def order_tables(
    rng: np.random.Generator,
    knobs: Mapping[str, Any],
    s: dict,
    session_id: np.ndarray,
    customer_id: np.ndarray,
    customer_country: np.ndarray,
    ev_session: np.ndarray,
    etype: np.ndarray,
    product: np.ndarray,
    ts: np.ndarray,
    market: Market,
) -> dict[str, pa.Table]:
    """One order per purchase: its lines are the cart's adds (less a removed one), its payments and returns."""
    vocab = vocabulary()
    purchase_events, order_session, lines, line_order = _cart(s["purchase"], ev_session, etype)
    n = len(order_session)
    quantity = _quantities(rng, s["single"][order_session], line_order)
    ordered_at = ts[purchase_events]
    codes = list(vocab["countries"])
    country = customer_country[order_session]
    money_codes = market.rates.currencies
    currency = np.array([money_codes.index(CURRENCY[c]) for c in codes])[country]
    line_no = _line_numbers(line_order, n)
    m = _amounts(rng, knobs, market, country, currency, ordered_at, product[lines], quantity, line_order)
    status = rng.choice(3, n, p=[1 - IN_TRANSIT - CANCELLED_SHARE, IN_TRANSIT, CANCELLED_SHARE])
    delivered_at = ordered_at + (1 + rng.poisson(2.5, n)) * US_PER_DAY + rng.integers(0, US_PER_DAY // 2, n)
    methods, method = weighted(rng, vocab["payment_methods"], n)
    ids = session_id[order_session]
    delivered = status == DELIVERED
    returns, returned = _returns(rng, knobs, ids, delivered, delivered_at, m, line_order, line_no, quantity)
    status[returned] = RETURNED
    orders = pa.table(
        {
            "order_id": ids,
            "session_id": ids,
            "customer_id": customer_id[order_session],
            "ordered_at": pa.array(ordered_at, TIMESTAMP),
            "status": labels(STATUSES, status),
            "payment_method": labels(methods, method),
            "shipping_country": labels(codes, country),
            "currency": labels(list(money_codes), currency),
            "promotion_code": market.promotions.codes(m["promo"]),
            **{name: money(m[name]) for name in ("subtotal", "discount", "shipping", "tax", "total")},
            "delivered_at": pa.array(delivered_at, TIMESTAMP, mask=~np.isin(status, [DELIVERED, RETURNED])),
        }
    )
    items = pa.table(
        {
            "order_id": ids[line_order],
            "line_no": line_no.astype(np.int64),
            "product_id": product[lines] + 1,
            "quantity": quantity.astype(np.int64),
            "unit_price": money(m["unit"]),
            "line_total": money(m["line_total"]),
        }
    )
    paid = status != CANCELLED
    payments = _payments(rng, knobs, ids[paid], ordered_at[paid], methods, method[paid], m["total"][paid])
    return {"orders": orders, "order_items": items, "payments": payments, "returns": returns}


def _line_numbers(line_order: np.ndarray, orders: int) -> np.ndarray:
    """1, 2, ... within each order (lines are grouped by order)."""
    per_order = np.bincount(line_order, minlength=orders)
    return np.arange(len(line_order)) - (np.cumsum(per_order) - per_order)[line_order] + 1


def _quantities(rng: np.random.Generator, single: np.ndarray, line_order: np.ndarray) -> np.ndarray:
    """Units per line: one for a single-item order; a one-line order that is not single has two or more."""
    lines_per_order = np.bincount(line_order, minlength=len(single))
    quantity = 1 + rng.poisson(0.3, len(line_order))
    quantity[single[line_order]] = 1
    lonely = ~single[line_order] & (lines_per_order[line_order] == 1)
    quantity[lonely] = np.maximum(quantity[lonely], 2)
    return quantity


def _amounts(
    rng: np.random.Generator,
    knobs: Mapping[str, Any],
    market: Market,
    country: np.ndarray,
    currency: np.ndarray,
    ordered_at: np.ndarray,
    products: np.ndarray,
    quantity: np.ndarray,
    line_order: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every amount of the orders and their lines, in the orders' currencies' cents."""
    vocab = vocabulary()
    codes = list(vocab["countries"])
    n = len(country)
    unit = market.rates.convert(market.shop.price_cents[products], currency[line_order], ordered_at[line_order])
    line_total = quantity * unit
    subtotal = np.zeros(n, dtype=np.int64)
    np.add.at(subtotal, line_order, line_total)
    euro_goods = np.zeros(n, dtype=np.int64)
    np.add.at(euro_goods, line_order, quantity * market.shop.price_cents[products])
    euro_shipping = np.where(euro_goods >= FREE_SHIPPING_FROM, 0, SHIPPING).astype(np.int64)
    shipping = market.rates.convert(euro_shipping, currency, ordered_at)

    promos = market.promotions
    promo = choose(rng, promos, ordered_at, float(knobs["discount_share"]))
    free_already = (promo >= 0) & (promos.kind[np.maximum(promo, 0)] == FREE_SHIPPING) & (shipping == 0)
    promo[free_already] = 0  # free shipping on an order that ships free: the first all-year code instead
    kind = np.where(promo >= 0, promos.kind[np.maximum(promo, 0)], -1)
    value = np.where(promo >= 0, promos.value[np.maximum(promo, 0)], 0)
    goods_off = np.where(kind == PERCENT, subtotal * value // 100, 0)
    fixed = market.rates.convert(value, currency, ordered_at)
    goods_off = np.where(kind == FIXED, np.minimum(fixed, subtotal), goods_off)
    discount = np.where(kind == FREE_SHIPPING, shipping, goods_off)
    basis_points = np.array([round(vocab["vat"][c] * 10_000) for c in codes])[country]
    tax = ((subtotal - goods_off) * basis_points + 5_000) // 10_000
    total = subtotal - discount + shipping + tax

    return {
        "unit": unit,
        "line_total": line_total,
        "subtotal": subtotal,
        "discount": discount,
        "goods_off": goods_off,
        "shipping": shipping,
        "tax": tax,
        "total": total,
        "promo": promo,
    }


def _payments(
    rng: np.random.Generator,
    knobs: Mapping[str, Any],
    order_id: np.ndarray,
    ordered_at: np.ndarray,
    methods: list[str],
    method: np.ndarray,
    total: np.ndarray,
) -> pa.Table:
    """One payment per order that is not cancelled, for its whole total; some in instalments. An invoice is
    paid days later, the rest within two minutes."""
    n = len(order_id)
    spread = rng.random(n) < float(knobs["instalment_share"])
    counts = np.array(list(INSTALMENTS))
    instalments = np.where(spread, counts[rng.choice(len(counts), n, p=list(INSTALMENTS.values()))], 1)
    later = np.where(
        np.array(methods)[method] == "invoice",
        (1 + rng.integers(0, 14, n)) * US_PER_DAY,
        rng.integers(1_000_000, 120_000_000, n),
    )
    return pa.table(
        {
            "payment_id": order_id * 10 + 1,
            "order_id": order_id,
            "method": labels(methods, method),
            "installments": instalments.astype(np.int64),
            "amount": money(total),
            "paid_at": pa.array(ordered_at + later, TIMESTAMP),
        }
    )


def _returns(
    rng: np.random.Generator,
    knobs: Mapping[str, Any],
    order_id: np.ndarray,
    delivered: np.ndarray,
    delivered_at: np.ndarray,
    amounts: dict[str, np.ndarray],
    line_order: np.ndarray,
    line_no: np.ndarray,
    quantity: np.ndarray,
) -> tuple[pa.Table, np.ndarray]:
    """Returns of delivered orders (`return_rate` of all orders have one): one line at least, the others
    each with a chance; the table and which orders have a return."""
    n = len(order_id)
    share = float(knobs["return_rate"]) / (1 - IN_TRANSIT - CANCELLED_SHARE)
    returning = delivered & (rng.random(n) < share)
    lines_per_order = np.bincount(line_order, minlength=n)
    first_line = np.cumsum(lines_per_order) - lines_per_order
    chosen = first_line + (rng.random(n) * lines_per_order).astype(np.int64)
    back = returning[line_order] & (rng.random(len(line_order)) < 0.3)
    back[chosen[returning & (lines_per_order > 0)]] = True
    rows = np.flatnonzero(back)
    order = line_order[rows]
    full = rng.random(len(rows)) < 0.7
    units = np.where(full, quantity[rows], 1 + (rng.random(len(rows)) * quantity[rows]).astype(np.int64))
    # each unit back at what it cost after the order's discount on goods (shipping and tax are not refunded)
    subtotal = amounts["subtotal"][order]
    refund = amounts["unit"][rows] * units * (subtotal - amounts["goods_off"][order]) // np.maximum(subtotal, 1)
    requested = delivered_at[order] + (1 + rng.integers(0, 30, len(rows))) * US_PER_DAY
    requested += rng.integers(0, US_PER_DAY, len(rows))
    refunded = requested + (2 + rng.integers(0, 12, len(rows))) * US_PER_DAY
    reasons, reason = weighted(rng, REASONS, len(rows))
    table = pa.table(
        {
            "return_id": order_id[order] * 1000 + line_no[rows],
            "order_id": order_id[order],
            "line_no": line_no[rows].astype(np.int64),
            "requested_at": pa.array(requested, TIMESTAMP),
            "refunded_at": pa.array(refunded, TIMESTAMP),
            "quantity": units.astype(np.int64),
            "refund_amount": money(refund),
            "reason": labels(reasons, reason),
        }
    )
    return table, returning


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
