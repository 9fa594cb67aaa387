"""What `sandbox check` measures of the shop's calendar, prices, baskets, payments, returns and stock, beside the
knobs that set them (the funnel's own rates are measured in `domain.py`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.domains.checks import KnobCheck, TableReader, ratio, share
from sandbox.domains.ecommerce.calendar import US_PER_DAY, Calendar

K = "domain.knobs."


def calendar_checks(
    knobs: Mapping[str, Any], cal: Calendar, reader: TableReader, bot_starts: pa.ChunkedArray
) -> list[KnobCheck]:
    """The bounce rate, each peak's multiplier and Saturday against Monday, from the human sessions: all
    sessions less the bots, whose starts (`bot_starts`) are in truth/defects (bots keep no calendar and never
    bounce)."""
    per_day = np.zeros(len(cal.days), np.int64)
    bounced = human = 0
    for batch in reader.batches("sessions", ["started_at", "bounced"]):
        per_day += _days(cal, batch.column(0))
        human += batch.num_rows
        bounced += pc.sum(batch.column(1)).as_py() or 0
    for chunk in bot_starts.chunks:
        per_day -= _days(cal, chunk)
        human -= len(chunk)
    checks = [share(K + "bounce_rate", float(knobs["bounce_rate"]), bounced, human, "human sessions")]
    expected = human * cal.p  # sessions each day would get from the calendar
    dates = (cal.days + 3) % 7  # weekday, Monday 0 (1970-01-01 was a Thursday)
    lift = cal.lift
    for name, factor in cal.peaks.items():
        multiplier = float(knobs["peak_days"][name])
        # a public holiday of only some customers' countries lifts its day by part of the multiplier: left out
        days = np.flatnonzero(np.isclose(factor, multiplier)) if multiplier != 1 else np.zeros(0, np.int64)
        if not len(days):
            continue
        seen = float(per_day[days].sum())
        without = math.fsum((expected[days] / multiplier).tolist())  # what the days would get without it
        checks.append(
            KnobCheck(
                K + f"peak_days.{name}",
                multiplier,
                ratio(seen, without),
                multiplier / math.sqrt(seen) if seen else math.inf,  # nothing to measure in an empty build
                "human sessions on its days over the calendar's expectation without it",
            )
        )
    weights = [float(w) for w in knobs["weekday_profile"]]
    if weights[0] > 0:
        plain = expected / (lift * np.array(weights)[dates])  # each day's share without its weekday or peaks
        rates = []
        for weekday in (5, 0):
            days = np.flatnonzero((dates == weekday) & np.isclose(lift, 1))
            rates.append((float(per_day[days].sum()), math.fsum(plain[days].tolist())))
        (sat, sat_base), (mon, mon_base) = rates
        realised = ratio(ratio(sat, sat_base), ratio(mon, mon_base))
        se = realised * math.sqrt(1 / sat + 1 / mon) if sat and mon else math.inf
        checks.append(
            KnobCheck(K + "weekday_profile", weights[5] / weights[0], realised, se, "Saturday's sessions over Monday's")
        )
    return checks


def _days(cal: Calendar, instants: pa.Array) -> np.ndarray:
    """Sessions per calendar day of these start instants."""
    day = np.clip(instants.cast(pa.int64()).to_numpy() // US_PER_DAY - cal.days[0], 0, len(cal.days) - 1)
    return np.bincount(day, minlength=len(cal.days))


def price_checks(knobs: Mapping[str, Any], reader: TableReader) -> list[KnobCheck]:
    prices = reader.read("products", ["price"])["price"]
    cents = pc.cast(pc.multiply(prices, pa.scalar(100, prices.type)), pa.int64()).to_numpy() % 100
    return [
        share(K + f"price_endings.{ending}", float(target), int(np.sum(cents == int(ending))), len(cents), "products")
        for ending, target in sorted(knobs["price_endings"].items())
    ]


def sales_checks(knobs: Mapping[str, Any], reader: TableReader) -> list[KnobCheck]:
    """Baskets, promotion codes, instalments, returns and stock-outs."""
    items = reader.read("order_items", ["order_id", "quantity"])
    ids, first, lines = np.unique(items["order_id"].to_numpy(), return_index=True, return_counts=True)
    single = int(np.sum((lines == 1) & (items["quantity"].to_numpy()[first] == 1)))
    orders = reader.rows("orders")
    coded = sum(len(b) - b.column(0).null_count for b in reader.batches("orders", ["promotion_code"]))
    payments = reader.read("payments", ["installments"])["installments"].to_numpy()
    returned = len(pc.unique(reader.read("returns", ["order_id"])["order_id"]))
    stock = reader.read("stockouts", ["starts_at", "ends_at"])
    out_us = math.fsum(
        (stock["ends_at"].cast(pa.int64()).to_numpy() - stock["starts_at"].cast(pa.int64()).to_numpy()).tolist()
    )
    exposure = reader.rows("products") * int(knobs["days"]) * US_PER_DAY
    return [
        share(K + "single_item_share", float(knobs["single_item_share"]), single, len(ids), "orders"),
        share(K + "discount_share", float(knobs["discount_share"]), coded, orders, "orders"),
        share(
            K + "instalment_share",
            float(knobs["instalment_share"]),
            int(np.sum(payments > 1)),
            len(payments),
            "payments",
        ),
        share(K + "return_rate", float(knobs["return_rate"]), returned, orders, "orders"),
        share(
            K + "stockout_share",
            float(knobs["stockout_share"]),
            out_us,
            exposure,
            "product-time",
            se=float(knobs["stockout_share"]) / math.sqrt(max(len(stock), 1)),
        ),
    ]
