"""Stock-outs: windows in which a product cannot be bought, and the shoppers who pick another product then.

Every product but the most popular of each category runs out now and then: out-of-stock spells with a mean
of `MEAN_DAYS` days, spaced so that a product is out `stockout_share` of the time. A session that would view
a product while it is out views its category's most popular product instead (never out), so no event of a
product lies inside one of its stock-outs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sandbox.columns.temporal import TIMESTAMP, parse_instant
from sandbox.core import exact
from sandbox.core.seeding import stream
from sandbox.domains.ecommerce.events import ADD, PRODUCT, REMOVE
from sandbox.domains.ecommerce.shop import catalogue

MEAN_DAYS = 5.0
_SECOND = 1_000_000
_DAY_SECONDS = 86_400
#: Seconds since the range's start fit in 31 bits for 68 years; a product index goes above them in a key.
_SHIFT = 31


@dataclass(frozen=True)
class Stockouts:
    """The windows, sorted by (product, start), in whole seconds since the range's start; and the table."""

    product: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    substitute: np.ndarray  # per product: the product a shopper takes instead (its category's most popular)
    origin_us: int
    table: pa.Table

    def keys(self, product: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        return (product.astype(np.int64) << _SHIFT) | seconds


@functools.lru_cache(maxsize=4)
def stockouts(
    seed: int, products: int, start: str, endings: tuple[tuple[str, float], ...], days: int, share: float
) -> Stockouts:
    """Each product's out-of-stock windows over `days` days from `start`: a pure function of its inputs (the
    first four are the catalogue's)."""
    shop = catalogue(seed, products, start, endings)
    origin_us = parse_instant(start)
    size = len(shop.category)
    heads = np.array([members[0] for members in shop.by_category if len(members)], dtype=np.int64)
    substitute = np.zeros(size, np.int64)
    for members in shop.by_category:
        if len(members):
            substitute[members] = members[0]
    span = days * _DAY_SECONDS
    empty = np.zeros(0, np.int64)
    if share <= 0 or size == 0:
        return Stockouts(empty, empty, empty, substitute, origin_us, _table(empty, empty, empty, origin_us))
    rng = stream(seed, "products", 0, "stockouts")
    gap_days = MEAN_DAYS * (1 - share) / share
    cycles = math.ceil(days / (MEAN_DAYS + gap_days)) * 2 + 2  # enough spells to run past the range's end
    # alternate in-stock gaps and out-of-stock spells, both exponential; the first gap starts before the range
    gaps = exact.exponential(rng, gap_days * _DAY_SECONDS, (size, cycles))
    spells = exact.exponential(rng, MEAN_DAYS * _DAY_SECONDS, (size, cycles))
    gaps[:, 0] *= rng.random(size)  # a product may be part-way through its first gap when the range opens
    ends = np.cumsum(gaps + spells, axis=1)
    starts = ends - spells
    product = np.repeat(np.arange(size, dtype=np.int64), cycles)
    start_s, end_s = np.rint(starts.ravel()).astype(np.int64), np.rint(ends.ravel()).astype(np.int64)
    keep = (start_s < span) & (end_s > start_s) & ~np.isin(product, heads)
    product, start_s, end_s = product[keep], start_s[keep], np.minimum(end_s[keep], span)
    return Stockouts(product, start_s, end_s, substitute, origin_us, _table(product, start_s, end_s, origin_us))


def _table(product: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, origin_us: int) -> pa.Table:
    return pa.table(
        {
            "product_id": product + 1,
            "starts_at": pa.array(origin_us + start_s * _SECOND, TIMESTAMP),
            "ends_at": pa.array(origin_us + end_s * _SECOND, TIMESTAMP),
        }
    )


def out_of_stock(stock: Stockouts, product: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Whether each (product index, instant) falls inside one of that product's windows (-1: no product)."""
    if not len(stock.product):
        return np.zeros(len(product), bool)
    seconds = np.clip((ts - stock.origin_us) // _SECOND, 0, (1 << _SHIFT) - 1)
    key = stock.keys(np.maximum(product, 0), seconds)
    window = np.searchsorted(stock.keys(stock.product, stock.start_s), key, side="right") - 1
    inside = (window >= 0) & (key < stock.keys(stock.product, stock.end_s)[np.maximum(window, 0)])
    return inside & (product >= 0)


def around_stockouts(stock: Stockouts, product: np.ndarray, etype: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """The events' products with every view, add and removal of an out-of-stock product moved to its
    substitute: a view, the add right after it and a removal of that add move together."""
    out = np.zeros(len(product), bool)
    carried = np.flatnonzero(product >= 0)  # only views, adds and removals carry a product
    out[carried] = out_of_stock(stock, product[carried], ts[carried])
    removes = np.flatnonzero(etype == REMOVE)
    out[removes - 1] |= out[removes]  # a removal takes back the add before it
    adds = np.flatnonzero(etype == ADD)
    out[adds - 1] |= out[adds]  # an add follows the view of its product
    views = np.flatnonzero(out & (etype == PRODUCT))
    product = product.copy()
    product[views] = stock.substitute[product[views]]
    product[adds] = product[adds - 1]
    product[removes] = product[removes - 1]
    return product
