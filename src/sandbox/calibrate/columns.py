"""One column of an export fitted to a recipe column generator, with the evidence for a reviewer.

Numbers: a few distinct values become a `choice` with their frequencies; otherwise normal, lognormal,
exponential and uniform are fitted by maximum likelihood and the one with the highest log-likelihood per
value is kept (the comment gives each family's), clipped to the range seen and rounded as the values are.
Text: categories seen fewer than `k` times are merged into `other`; text with too many categories to list
gets a template (ids like `SKU-000123`) or Faker sentences of its length. Instants and dates keep their range
and their hour and weekday profiles. Personal columns (by the policy) get a born-safe generator of their
class: never a value of the export.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Categories seen fewer times than this are merged into `other` (never listed: they could single someone out).
K_MIN = 10
#: A text column with more kept categories than this is not a category.
MAX_CATEGORIES = 200
#: Numbers with at most this many distinct values keep their exact frequencies.
FEW_VALUES = 20

#: A personal class -> the born-safe generator that stands in for it.
BORN_SAFE: dict[str, dict[str, Any]] = {
    "email": {"safe": "email"},
    "phone": {"safe": "phone"},
    "ip_address": {"safe": "ipv4"},
    "credit_card": {"safe": "credit_card"},
    "iban": {"safe": "iban"},
    "national_id": {"safe": "ssn"},
    "online_identifier": {"safe": "advertising_id"},
    "person_name": {"faker": "name", "pii": {"class": "person_name", "policy": "keep"}},
    "location": {"faker": "city", "pii": {"class": "location", "policy": "keep"}},
    "free_text": {"faker": "sentence"},
}


@dataclass
class Fitted:
    """A recipe column spec and the comment that says where its numbers came from."""

    spec: dict[str, Any]
    note: str
    extra: dict[str, Any] = field(default_factory=dict)


def _null_rate(values: pa.ChunkedArray) -> float:
    return round(values.null_count / len(values), 4) if len(values) else 0.0


def _with_nulls(fitted: Fitted, values: pa.ChunkedArray) -> Fitted:
    rate = _null_rate(values)
    if rate:
        fitted.spec["null_rate"] = rate
    return fitted


def personal(cls: str, values: pa.ChunkedArray) -> Fitted:
    spec = dict(BORN_SAFE.get(cls) or {"faker": "word", "pii": {"class": cls, "policy": "keep"}})
    note = f"personal ({cls} by the policy): born-safe values of its class, none of the export's"
    return _with_nulls(Fitted(spec, note), values)


def fit(values: pa.ChunkedArray, key: str | None = None) -> Fitted:
    """The generator for a non-personal, non-key column (`key`: the table's own id column, for templates)."""
    kind = values.type
    present = pc.drop_null(values)
    if len(present) == 0:
        return Fitted({"constant": "", "null_rate": 1.0}, "every value is null")
    if pa.types.is_boolean(kind):
        share = float(pc.mean(present.cast(pa.int8())).as_py())
        return _with_nulls(Fitted({"bool": round(share, 4)}, f"true in {share:.1%} of {len(present):,}"), values)
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return _with_nulls(_instants(present, pa.types.is_date(kind)), values)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return _with_nulls(_numbers(present, kind), values)
    return _with_nulls(_text(present.cast(pa.string()), key), values)


def _categories(present: pa.ChunkedArray | pa.Array) -> tuple[list[Any], list[int], int]:
    """Values seen at least K_MIN times (most frequent first), their counts, and the count of the rest."""
    counted = pc.value_counts(present)
    counts = counted.field("counts").to_numpy(zero_copy_only=False)
    order = np.argsort(-counts, kind="stable")
    values = counted.field("values").to_pylist()
    kept = [int(i) for i in order if counts[i] >= K_MIN]
    rest = int(counts.sum() - counts[kept].sum()) if kept else int(counts.sum())
    return [values[i] for i in kept], [int(counts[i]) for i in kept], rest


def shares(counts: list[int] | np.ndarray, places: int = 4) -> list[float]:
    """Counts as shares to `places` decimals that sum to exactly 1 (largest remainders round up)."""
    scaled = np.asarray(counts, float) / float(np.sum(counts)) * 10**places
    units = np.floor(scaled).astype(np.int64)
    short = 10**places - int(units.sum())
    units[np.argsort(-(scaled - units), kind="stable")[:short]] += 1
    return [round(int(u) / 10**places, places) for u in units]


def _choice(values: list[Any], counts: list[int], rest: int, what: str) -> Fitted:
    total = sum(counts) + rest
    note = f"{len(values)} {what} seen at least {K_MIN} times in {total:,} values"
    if rest:
        values, counts = [*values, "other"], [*counts, rest]
        note += f"; {rest:,} rarer values merged into 'other'"
    return Fitted({"choice": values, "weights": shares(counts)}, note)


def _text(present: pa.ChunkedArray, key: str | None) -> Fitted:
    values, counts, rest = _categories(present)
    if values and len(values) <= MAX_CATEGORIES and rest <= 0.2 * (sum(counts) + rest):
        return _choice(values, counts, rest, "categories")
    sample = present.combine_chunks().slice(0, 2000).to_pylist()
    shapes = {re.sub(r"\d", "9", s) for s in sample}
    match = re.fullmatch(r"([A-Za-z_-]*)(9+)", next(iter(shapes))) if len(shapes) == 1 else None
    if match and key:
        prefix, digits = match.group(1), len(match.group(2))
        return Fitted({"template": f"{prefix}{{{key}:0{digits}d}}"}, f"ids shaped {prefix}{'9' * digits}")
    words = np.median([len(s.split()) for s in sample]) if sample else 1
    note = f"free text, median {words:g} words ({len(sample):,} looked at): Faker sentences"
    return Fitted({"faker": "sentence", "pool": 5000}, note)


def _instants(present: pa.ChunkedArray, is_date: bool) -> Fitted:
    us = present.cast(pa.date32()).cast(pa.int32()).to_numpy().astype(np.int64) * 86_400 * 10**6 if is_date else None
    if us is None:
        us = present.cast(pa.timestamp("us", "UTC") if present.type.tz else pa.timestamp("us")).cast(pa.int64())
        us = us.to_numpy()
    lo, hi = int(us.min()), int(us.max())
    day = 86_400 * 10**6
    weekdays = np.bincount(((us // day) + 3) % 7, minlength=7)
    spec: dict[str, Any] = {}
    start, end = _iso(lo, is_date), _iso(hi + (day if is_date else 10**6), is_date)
    spec["date" if is_date else "timestamp"] = {"start": start, "end": end}
    spec["weekday_weights"] = _profile(weekdays)
    if not is_date:
        spec["hour_weights"] = _profile(np.bincount((us % day) // (3600 * 10**6), minlength=24))
    note = f"{len(us):,} values from {start} to {end}; weekday{'' if is_date else ' and hour'} profile as seen"
    return Fitted(spec, note)


def _iso(us: int, is_date: bool) -> str:
    text = str(np.datetime64(us, "us").astype("datetime64[D]" if is_date else "datetime64[s]"))
    return text if is_date else text.replace("T", " ")


def _profile(counts: np.ndarray) -> list[float]:
    """Counts as weights summing to ~1, with a little smoothing so no slot is impossible."""
    return shares(counts.astype(float) + 0.5)


def _numbers(present: pa.ChunkedArray, kind: pa.DataType) -> Fitted:
    x = present.cast(pa.float64()).to_numpy()
    integral = pa.types.is_integer(kind)
    typed: dict[str, Any] = {"type": "int"} if integral else {}
    if pa.types.is_decimal(kind):
        typed = {"type": f"decimal({kind.precision},{kind.scale})"}
    values, counts, rest = _categories(present)
    if len(np.unique(x)) <= FEW_VALUES and values:
        # a few values: their frequencies; those seen fewer than K_MIN times are left out (they could single
        # someone out), their rows shared among the rest
        fitted = _choice([_plain(v) for v in values], counts, 0, "distinct values")
        if rest:
            fitted.note += f"; {rest:,} rows of rarer values spread over them"
        fitted.spec.update(typed)
        return fitted
    if len(x) < 2 or float(x.std()) == 0.0:
        return Fitted({"constant": _plain(x[0])}, f"one value in {len(x):,}")
    family, params, scores = _best_family(x)
    spec: dict[str, Any] = {family: params, "clip": [_plain(x.min()), _plain(x.max())], **typed}
    decimals = _decimals(x)
    if not integral and decimals is not None and "type" not in typed:
        spec["round"] = decimals
    ranked = ", ".join(f"{name} {score:.3f}" for name, score in sorted(scores.items(), key=lambda kv: -kv[1]))
    return Fitted(spec, f"{len(x):,} values; log-likelihood per value: {ranked}")


def _best_family(x: np.ndarray) -> tuple[str, Any, dict[str, float]]:
    """Normal, lognormal, exponential and uniform by maximum likelihood; the best by mean log-likelihood."""
    fits: dict[str, tuple[Any, float]] = {}
    mean, sd = float(x.mean()), float(x.std())
    fits["normal"] = ({"mean": _round(mean), "sd": _round(sd)}, -math.log(sd * math.sqrt(2 * math.pi)) - 0.5)
    lo, hi = float(x.min()), float(x.max())
    fits["uniform"] = ([_round(lo), _round(hi)], -math.log(hi - lo))
    if lo > 0:
        logs = np.log(x)
        mu, sigma = float(logs.mean()), float(logs.std())
        if sigma > 0:
            ll = -mu - math.log(sigma * math.sqrt(2 * math.pi)) - 0.5
            fits["lognormal"] = ({"mean": _round(mu), "sigma": _round(sigma)}, ll)
    if lo >= 0 and mean > 0:
        fits["exponential"] = (_round(mean), -math.log(mean) - 1)
    best = max(fits, key=lambda name: fits[name][1])
    return best, fits[best][0], {name: ll for name, (_, ll) in fits.items()}


def _decimals(x: np.ndarray) -> int | None:
    """How many decimals the values carry (up to 6), or None when they look continuous."""
    for places in range(7):
        if np.allclose(x, np.round(x, places), rtol=0, atol=10 ** -(places + 3)):
            return places
    return None


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def _plain(value: Any) -> Any:
    """A number as YAML writes it: ints as ints, floats to 6 significant digits."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    number = float(value)
    return int(number) if number.is_integer() and abs(number) < 2**53 else _round(number)
