"""Born-safe PII: values from reserved space (documentation, testing, fiction), never a real person's.

`{safe: email}`, `{safe: phone, country: [US, GB]}`, `{safe: ipv4}`, `{safe: credit_card}` ... Pools are
drawn once per (kind, countries, size) from a stream seeded by that identity, like Faker pools.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.columns.registry import ChunkContext, ColumnGenerator, ColumnSpec, Finding, RecipeView, register
from sandbox.columns.text import bijection
from sandbox.core.params import Param, choice, integer
from sandbox.core.pools import faker_pool
from sandbox.core.seeding import stable_hash
from sandbox.privacy import reserved

KINDS = ("email", "phone", *reserved.SIMPLE_POOLS)
#: The PII class each kind of safe value belongs to.
COUNTRIES = (*reserved.PHONE_RANGES, *reserved.MASKED_PHONES)


def _countries(params: Mapping[str, Any]) -> tuple[str, ...]:
    country = params.get("country") or ["US", "GB"]
    return (country,) if isinstance(country, str) else tuple(country)


@functools.lru_cache(maxsize=32)
def safe_pool(kind: str, countries: tuple[str, ...], size: int) -> pa.Array:
    rng = np.random.Generator(np.random.PCG64(stable_hash(f"safe|{kind}|{'+'.join(countries)}|{size}")))
    if kind == "email":
        users = faker_pool("user_name", ("en_US",), size).to_pylist()
        domains = rng.integers(0, len(reserved.EMAIL_DOMAINS), len(users))
        values = [f"{u}@{reserved.EMAIL_DOMAINS[d]}" for u, d in zip(users, domains, strict=True)]
    elif kind == "phone":
        values = reserved.phone_pool(countries, size, rng)
    else:
        values = reserved.SIMPLE_POOLS[kind](rng, size)
    return pc.unique(pa.array(values, pa.string()))


def pool_of(spec: ColumnSpec) -> pa.Array:
    return safe_pool(str(spec.head), _countries(spec.params), int(spec.params["pool"]))


def _safe(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    pool = pool_of(spec)
    if spec.unique:  # each pool value at most once, in an order fixed per table
        a, b = bijection(ctx, spec.name, len(pool))
        index = (ctx.index * a + b) % len(pool)
    else:
        index = ctx.rng(spec.name).integers(0, len(pool), ctx.n)
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pool)


def _check(table: str, column: str, spec: Mapping[str, Any], view: RecipeView) -> Iterable[Finding]:
    countries = _countries(spec)
    for i, country in enumerate(countries):
        if country not in COUNTRIES:
            path: tuple[str | int, ...] = ("country",) if isinstance(spec.get("country"), str) else ("country", i)
            yield ("bad-choice", path, f"expected one of {'|'.join(COUNTRIES)}, got {country!r}", None)
    rows = view.rows.get(table, 0)
    if spec.get("unique") and spec.get("pool", 10_000) < rows:
        yield (
            "bad-range",
            ("pool",),
            f"expected a pool of at least {rows} values for a unique column, got {spec.get('pool', 10_000)}",
            None,
        )
    if spec.get("country") is not None and spec["safe"] != "phone":
        yield ("unknown-key", ("country",), f"expected country only with safe: phone, got safe: {spec['safe']}", None)


register(
    ColumnGenerator(
        "safe",
        "Born-safe PII from reserved space: example.* emails, fictional phones, documentation IPs, test cards...",
        choice("safe", list(KINDS), "The kind of value."),
        (
            Param(
                "country",
                {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
                "Phone countries: US, GB, AU (fictional ranges); DE, FR, JP, ES, IT, NL (masked).",
                None,
                "country code(s)",
            ),
            integer("pool", "Distinct values to draw once and sample from.", 10_000, ge=1, le=1_000_000),
        ),
        _safe,
        _check,
        unique="pool",
        example="{safe: phone, country: [US, GB]}",
    )
)
