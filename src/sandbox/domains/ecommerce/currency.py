"""Orders in the customer's own currency: a daily euro rate per currency, and prices converted at it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sandbox.columns.arrays import decimal_from_unscaled
from sandbox.core import exact
from sandbox.core.seeding import stream
from sandbox.domains.common import labels

US_PER_DAY = 86_400_000_000
#: The currency each shipping country pays in.
CURRENCY = {"DE": "EUR", "FR": "EUR", "NL": "EUR", "GB": "GBP", "US": "USD"}
#: Units per euro the rates wander around: the ECB's euro reference rates, 2024 annual averages.
BASE = {"EUR": 1.0, "GBP": 0.84662, "USD": 1.0824}
#: The daily change of a rate's log (a random walk): about what EUR/USD and EUR/GBP move in a day.
DAILY_SD = 0.004
#: Rates run this many days past the range: a session that starts on its last evening can order after midnight.
SPARE_DAYS = 2
MICRO = 1_000_000


@dataclass(frozen=True)
class Rates:
    """Units of each currency per euro (x 1e6, whole numbers), per day from `first_day` (days since 1970)."""

    currencies: tuple[str, ...]
    micro: np.ndarray  # [currency, day]
    first_day: int
    table: pa.Table

    def convert(self, euro_cents: np.ndarray, currency: np.ndarray, at_us: np.ndarray) -> np.ndarray:
        """Euro cents in each row's currency at its day's rate, rounded half up to the cent."""
        day = np.clip(at_us // US_PER_DAY - self.first_day, 0, self.micro.shape[1] - 1)
        return (euro_cents * self.micro[currency, day] + MICRO // 2) // MICRO


@functools.lru_cache(maxsize=4)
def fx_rates(seed: int, start_us: int, days: int) -> Rates:
    """The daily rates of every currency over the range (EUR at 1): a pure function of seed and range."""
    codes = tuple(dict.fromkeys(CURRENCY.values()))
    span = days + SPARE_DAYS
    steps = exact.normal(stream(seed, "fx_rates", 0, "walk"), 0.0, DAILY_SD, (len(codes), span))
    steps[codes.index("EUR")] = 0.0
    walk = np.cumsum(steps, axis=1)  # along each row, in order: no reduction whose order could vary
    base = np.array([BASE[c] for c in codes])[:, None]
    micro = np.rint(base * exact.exp(walk) * MICRO).astype(np.int64)
    first = start_us // US_PER_DAY
    table = pa.table(
        {
            "date": pa.array(np.tile(np.arange(first, first + span, dtype=np.int32), len(codes)), pa.date32()),
            "currency": labels(list(codes), np.repeat(np.arange(len(codes)), span)),
            "rate": decimal_from_unscaled(micro.ravel(), 12, 6),
        }
    )
    return Rates(codes, micro, first, table)
