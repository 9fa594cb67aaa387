"""Promotion codes: a few that run all year, seasonal ones around the calendar's events, and which orders use
them (`discount_share`). A percent code takes its share of the subtotal, a fixed one its amount (converted from
euros, at most the subtotal), a free-shipping one the shipping."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sandbox.columns.arrays import decimal_from_unscaled
from sandbox.columns.temporal import TIMESTAMP
from sandbox.domains.common import labels
from sandbox.domains.ecommerce.calendar import black_friday

US_PER_DAY = 86_400_000_000
KINDS = ["percent", "fixed", "free_shipping"]
PERCENT, FIXED, FREE_SHIPPING = range(3)
#: (code, kind, value: percent or euro cents): valid over the whole range.
EVERGREEN = [("WELCOME10", PERCENT, 10), ("SAVE5", FIXED, 500), ("FREESHIP", FREE_SHIPPING, 0)]
#: (code prefix, kind, value, first day (month, day) or None for Black Friday, days it runs).
SEASONAL = [
    ("NEWYEAR", PERCENT, 15, (1, 2), 7),
    ("SPRING", FIXED, 1000, (3, 20), 14),
    ("SUMMER", PERCENT, 20, (7, 1), 31),
    ("BLACKFRIDAY", PERCENT, 25, None, 4),  # Black Friday to Cyber Monday
    ("XMAS", PERCENT, 10, (12, 1), 23),
]
#: How often an order placed while a seasonal code runs uses it (rather than one of the all-year codes).
SEASONAL_PREFERENCE = 0.7
#: All-year codes run this many days past the range (orders placed after its last midnight).
SPARE_DAYS = 2


@dataclass(frozen=True)
class Promotions:
    code: list[str]
    kind: np.ndarray
    value: np.ndarray
    starts_us: np.ndarray
    ends_us: np.ndarray
    seasonal: np.ndarray  # bool per code
    table: pa.Table

    def codes(self, pick: np.ndarray) -> pa.DictionaryArray:
        """The code of each pick (index into the codes), null where it is -1."""
        index = pa.array(np.maximum(pick, 0).astype(np.int32), mask=pick < 0)
        return pa.DictionaryArray.from_arrays(index, pa.array(self.code, pa.string()))


@functools.lru_cache(maxsize=4)
def promotions(start_us: int, days: int) -> Promotions:
    """Every code that runs within the range, all-year ones first."""
    end_us = start_us + (days + SPARE_DAYS) * US_PER_DAY
    rows = [(code, kind, value, start_us, end_us, False) for code, kind, value in EVERGREEN]
    first = dt.date(1970, 1, 1) + dt.timedelta(days=start_us // US_PER_DAY)
    last = first + dt.timedelta(days=days)
    for year in range(first.year, last.year + 1):
        for prefix, kind, value, opens, length in SEASONAL:
            day = black_friday(year) if opens is None else dt.date(year, *opens)
            begins = (day - dt.date(1970, 1, 1)).days * US_PER_DAY
            ends = begins + length * US_PER_DAY
            if begins < start_us + days * US_PER_DAY and ends > start_us:
                rows.append((f"{prefix}{year % 100:02d}", kind, value, begins, ends, True))
    codes, kinds, values, starts, stops, seasonal = (np.array(column) for column in zip(*rows, strict=True))
    table = pa.table(
        {
            "promotion_code": pa.array(codes.tolist(), pa.string()),
            "kind": labels(KINDS, kinds),
            "value": decimal_from_unscaled(np.where(kinds == PERCENT, 100, 1) * values, 12, 2),
            "starts_at": pa.array(starts, TIMESTAMP),
            "ends_at": pa.array(stops, TIMESTAMP),
        }
    )
    return Promotions(codes.tolist(), kinds, values, starts, stops, seasonal, table)


def choose(rng: np.random.Generator, promos: Promotions, at_us: np.ndarray, share: float) -> np.ndarray:
    """Each order's promotion (index into the codes, -1 for none): `share` of the orders use one, a seasonal
    code while one runs (SEASONAL_PREFERENCE of them), else an all-year code."""
    n = len(at_us)
    used = rng.random(n) < share
    evergreen = np.flatnonzero(~promos.seasonal)
    pick = np.where(used, evergreen[rng.integers(0, len(evergreen), n)], -1)
    prefers = used & (rng.random(n) < SEASONAL_PREFERENCE)
    for p in np.flatnonzero(promos.seasonal):
        running = prefers & (at_us >= promos.starts_us[p]) & (at_us < promos.ends_us[p])
        pick[running] = p
        prefers &= ~running
    return pick
