"""Text generators: Faker values drawn from pools, and templates over other columns of the row."""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.columns.arrays import as_strings
from sandbox.columns.registry import ChunkContext, ColumnGenerator, ColumnSpec, Finding, RecipeView, register
from sandbox.core.params import Param, integer
from sandbox.core.params import string as string_param
from sandbox.core.pools import faker_for, faker_pool
from sandbox.core.suggest import did_you_mean

DEFAULT_POOL = 10_000
MAX_POOL = 5_000_000
_SCALAR = (str, int, float, bool)


def locales_of(params: Mapping[str, Any]) -> tuple[str, ...]:
    locale = params.get("locale") or "en_US"
    return (locale,) if isinstance(locale, str) else tuple(locale)


def bijection(ctx: ChunkContext, column: str, size: int) -> tuple[int, int]:
    """(a, b) with gcd(a, size) == 1, so i -> (a*i + b) % size visits every value once; per table."""
    rng = ctx.table_rng(column + ":permutation")
    a = int(rng.integers(1, max(size, 2)))
    while math.gcd(a, size) != 1:
        a += 1
    return a, int(rng.integers(0, size))


def _faker(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    pool = faker_pool(str(spec.head), locales_of(spec.params), int(spec.params["pool"]))
    if spec.unique:
        a, b = bijection(ctx, spec.name, len(pool))
        index = (ctx.index * a + b) % len(pool)
    else:
        index = ctx.rng(spec.name).integers(0, len(pool), ctx.n)
    index = pa.array(index.astype(np.int32))
    if pa.types.is_string(pool.type):
        return pa.DictionaryArray.from_arrays(index, pool)
    return pool.take(index)


@functools.lru_cache(maxsize=1)
def _locales() -> tuple[str, ...]:
    from faker.config import AVAILABLE_LOCALES

    return tuple(AVAILABLE_LOCALES)


def _check_faker(table: str, column: str, spec: Mapping[str, Any], view: RecipeView) -> Iterable[Finding]:
    locales = locales_of(spec)
    for i, locale in enumerate(locales):
        if locale not in _locales():
            path: tuple[str | int, ...] = ("locale",) if isinstance(spec.get("locale"), str) else ("locale", i)
            yield ("bad-choice", path, f"expected a Faker locale, got {locale!r}", did_you_mean(locale, _locales()))
            return
    provider = spec["faker"]
    fake = faker_for(locales[0])
    method = getattr(fake, provider, None) if not provider.startswith("_") else None
    if not callable(method):
        names = [n for n in dir(fake) if not n.startswith("_")]
        yield ("bad-choice", ("faker",), f"expected a Faker provider, got {provider!r}", did_you_mean(provider, names))
        return
    sample = method()
    if not isinstance(sample, _SCALAR) and not hasattr(sample, "isoformat") and not hasattr(sample, "as_tuple"):
        yield ("bad-type", ("faker",), f"expected a provider that returns one value, got {type(sample).__name__}", None)
    rows = view.rows.get(table, 0)
    if spec.get("unique") and spec.get("pool", DEFAULT_POOL) < rows:
        yield (
            "bad-range",
            ("pool",),
            f"expected a pool of at least {rows} values for a unique column "
            f"of {rows} rows, got {spec.get('pool', DEFAULT_POOL)}",
            None,
        )


register(
    ColumnGenerator(
        "faker",
        "Values of a Faker provider (name, email, city, ...), drawn from a seeded, cached pool.",
        string_param("faker", "The Faker provider, e.g. name, email, city, user_agent."),
        (
            Param(
                "locale",
                {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
                "Faker locale or list of locales, e.g. en_US or [de_DE, fr_FR].",
                "en_US",
                "locale(s)",
            ),
            integer(
                "pool",
                "How many values to draw once and sample from (distinct values); at most 5,000,000: Faker draws "
                "one value at a time (~15 us each), so a pool of a billion would run for hours.",
                DEFAULT_POOL,
                ge=1,
                le=MAX_POOL,
            ),
        ),
        _faker,
        _check_faker,
        unique="pool",
        example="{faker: name, locale: [en_US, de_DE]}",
    )
)

_PAD = re.compile(r"^0?(\d+)d$")


def template_fields(template: str) -> list[tuple[str, str | None, str]]:
    """[(literal, field or None, format spec)] parsed with `string.Formatter`."""
    return [(lit, name, spec or "") for lit, name, spec, _ in string.Formatter().parse(template)]


def _template_depends(spec: Mapping[str, Any]) -> list[str]:
    try:
        return [name for _, name, _ in template_fields(str(spec["template"])) if name]
    except ValueError:
        return []


def _template(spec: ColumnSpec, ctx: ChunkContext) -> pa.Array:
    parts: list[pa.Array | str] = []
    for literal, name, fmt in template_fields(str(spec.head)):
        if literal:
            parts.append(literal)
        if name is None:
            continue
        values = as_strings(ctx.columns[name])
        pad = _PAD.match(fmt)
        if pad:
            values = pc.utf8_lpad(values, int(pad.group(1)), padding="0" if fmt.startswith("0") else " ")
        parts.append(values)
    if not any(isinstance(p, pa.Array) for p in parts):
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(ctx.n, np.int32)), pa.array(["".join(parts)]))
    return pc.binary_join_element_wise(*parts, "")


def _check_template(table: str, column: str, spec: Mapping[str, Any], view: RecipeView) -> Iterable[Finding]:
    try:
        fields = template_fields(str(spec["template"]))
    except ValueError as exc:
        yield ("bad-type", ("template",), f"expected a format string like 'ORD-{{order_id:08d}}', got {exc}", None)
        return
    names = [c for c in view.columns[table] if c != column]
    for _, name, fmt in fields:
        if name is None:
            continue
        if name not in view.columns[table] or name == column:
            yield (
                "bad-ref",
                ("template",),
                f"expected a column of table {table}, got {{{name}}}",
                did_you_mean(name, names),
            )
        elif fmt and not _PAD.match(fmt):
            yield ("bad-type", ("template",), f"expected no format or a width like :08d, got :{fmt}", None)


register(
    ColumnGenerator(
        "template",
        "Text built from other columns of the same row, e.g. 'ORD-{order_id:08d}'.",
        string_param("template", "A format string naming other columns, e.g. '{first}.{last}'."),
        (),
        _template,
        _check_template,
        depends=_template_depends,
        example="{template: 'ORD-{order_id:08d}'}",
    )
)
