"""The shop's entities: its product catalogue and its customers, vectorised over pools and vocabularies."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.columns.arrays import decimal_from_unscaled
from sandbox.columns.safe import safe_pool
from sandbox.columns.temporal import TIMESTAMP, parse_instant
from sandbox.core import exact
from sandbox.core.pools import faker_pool
from sandbox.core.seeding import stream
from sandbox.domains.common import labels, weighted
from sandbox.domains.interface import package_data

US_PER_DAY = 86_400_000_000
POOL = 2_000


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    return package_data(__name__, "data.json")


@dataclass(frozen=True)
class Catalogue:
    """The products as arrays every chunk needs (category, price), plus the table itself."""

    table: pa.Table
    category: np.ndarray
    price_cents: np.ndarray
    by_category: tuple[np.ndarray, ...]
    categories: tuple[str, ...]


@functools.lru_cache(maxsize=4)
def catalogue(seed: int, products: int, start: str, endings: tuple[tuple[str, float], ...] = ()) -> Catalogue:
    """The product table: a pure function of (seed, size, start date, price endings), rebuilt in any process
    that needs it."""
    vocab = vocabulary()
    rng = stream(seed, "products", 0, "catalogue")
    cats = vocab["categories"]
    names, category = weighted(rng, {k: v["weight"] for k, v in cats.items()}, products)
    log_mean = np.asarray([cats[k]["price_log_mean"] for k in names])[category]
    price_cents = np.rint(np.clip(exact.lognormal(rng, log_mean, 0.6, len(log_mean)), 1.0, 5000.0) * 100).astype(
        np.int64
    )
    price_cents = price_endings(rng, price_cents, endings)
    titles = []
    noun_pick, adj_pick = rng.integers(0, 1 << 30, products), rng.integers(0, 1 << 30, products)
    brand_pick = rng.integers(0, len(vocab["brands"]), products)
    for i in range(products):  # one string per product, on a table of a few thousand rows
        spec = cats[names[category[i]]]
        titles.append(
            f"{vocab['brands'][brand_pick[i]]} {spec['adjectives'][adj_pick[i] % len(spec['adjectives'])]} "
            f"{spec['nouns'][noun_pick[i] % len(spec['nouns'])]}"
        )
    ids = np.arange(1, products + 1, dtype=np.int64)
    begin = parse_instant(start)
    launched = begin - rng.integers(0, 3 * 365, products) * US_PER_DAY - rng.integers(0, US_PER_DAY, products)
    table = pa.table(
        {
            "product_id": ids,
            "sku": pa.array([f"SKU-{i:06d}" for i in ids]),
            "title": pa.array(titles),
            "category": labels(names, category),
            "brand": labels(vocab["brands"], brand_pick),
            "price": decimal_from_unscaled(price_cents, 12, 2),
            "currency": labels(["EUR"], np.zeros(products, dtype=np.int32)),
            "launched_at": pa.array(launched, TIMESTAMP),
        }
    )
    by_category = tuple(np.flatnonzero(category == c) for c in range(len(names)))
    return Catalogue(table, category, price_cents, by_category, tuple(names))


def price_endings(rng: np.random.Generator, cents: np.ndarray, endings: tuple[tuple[str, float], ...]) -> np.ndarray:
    """Prices moved to the endings' shares (e.g. ("99", 0.15): 15% end in .99); the rest keep their own cents,
    moved off the listed endings so that each ending's share is the one asked for."""
    listed = [int(ending) for ending, _ in endings]
    shares = [share for _, share in endings]
    pick = rng.choice(len(listed) + 1, len(cents), p=[*shares, max(0.0, 1 - math.fsum(shares))])
    euros, own = np.maximum(cents // 100, 1), cents % 100
    spare = next((c % 100 for c in range(49, 149) if c % 100 not in listed), 49)
    own = np.where(np.isin(own, listed), spare, own)
    return euros * 100 + np.append(np.array(listed, np.int64), 0)[pick] + np.where(pick == len(listed), own, 0)


def _by_locale(kind: str, locales: list[str], pick: np.ndarray, rng: np.random.Generator) -> pa.DictionaryArray:
    """A Faker value from the pool of each row's own locale (name, city, street address...)."""
    pools = [faker_pool(kind, (loc,), POOL) for loc in locales]
    offsets = np.cumsum([0] + [len(p) for p in pools])
    sizes = np.asarray([len(p) for p in pools])
    index = offsets[pick] + (rng.random(len(pick)) * sizes[pick]).astype(np.int64)
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pa.concat_arrays(pools))


def customer_countries(seed: int, chunk: int, count: int) -> np.ndarray:
    """Each customer's country (index into the vocabulary's countries), drawn before their sessions."""
    countries = vocabulary()["countries"]
    return weighted(stream(seed, "customers", chunk, "country"), {k: v[1] for k, v in countries.items()}, count)[1]


def customers(seed: int, chunk: int, first_id: int, country: np.ndarray, first_seen: np.ndarray) -> pa.Table:
    """Customers from id `first_id`, one per country entry; `first_seen` (us) is each one's first session."""
    vocab = vocabulary()
    count = len(country)
    rng = stream(seed, "customers", chunk, "entities")
    countries = vocab["countries"]
    codes = list(countries)
    locales = [countries[c][0] for c in codes]

    segments, segment = weighted(rng, {"new": 0.55, "regular": 0.35, "vip": 0.1}, count)
    signup = first_seen - (exact.exponential(rng, 90, count) * US_PER_DAY).astype(np.int64)
    birth_days = (parse_instant("1945-01-01") // US_PER_DAY + rng.integers(0, 60 * 365, count)).astype(np.int32)
    email_pool = safe_pool("email", ("US", "GB"), 10_000)
    phone_pool = safe_pool("phone", ("US", "GB", "DE", "FR"), 5_000)
    return pa.table(
        {
            "customer_id": np.arange(first_id, first_id + count, dtype=np.int64),
            "name": _by_locale("name", locales, country, rng),
            "email": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, len(email_pool), count, dtype=np.int32)), email_pool
            ),
            "phone": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, len(phone_pool), count, dtype=np.int32)), phone_pool
            ),
            "street_address": _by_locale("street_address", locales, country, rng),
            "postcode": _by_locale("postcode", locales, country, rng),
            "city": _by_locale("city", locales, country, rng),
            "country": labels(codes, country),
            "signup_at": pa.array(signup, TIMESTAMP),
            "birth_date": pa.array(birth_days, pa.date32()),
            "segment": labels(segments, segment),
            "marketing_opt_in": pa.array(rng.random(count) < 0.4),
        }
    )
