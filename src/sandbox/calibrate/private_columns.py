"""A column fitted under `--epsilon`: the same generators as `columns`, each from differentially private
statistics only (`private.Budget`). A tenth of a column's share buys its null count, the rest its shape:

- booleans: the noisy count of trues;
- categories (text, and integers whose noisy value counts cover 80% of the rows): a noisy histogram of the
  values seen, released where a value's noisy count clears K_MIN and the delta threshold;
- other numbers: five private quantiles (2%, 25%, 50%, 75%, 98%) on a fixed grid; normal or lognormal by which
  makes the quartiles more symmetric, clipped to the 2% and 98% quantiles;
- instants and dates: the 0.1% and 99.9% quantiles on a grid of days, and noisy weekday and hour histograms;
- any other text: Faker sentences (an id template's shape comes from the data, so it is not released).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.calibrate.columns import K_MIN, Fitted, _choice, _iso, _plain, _profile, _round, shares
from sandbox.calibrate.private import DAY_US, DAYS, Budget


@dataclass(frozen=True)
class Spend:
    budget: Budget
    what: str
    epsilon: float
    rows: int  # the table's noisy row count


#: The share of a column's epsilon its null count gets; its shape gets the rest.
NULLS = 0.1


def fit_private(values: pa.ChunkedArray, spend: Spend) -> Fitted:
    nulls = spend.budget.count(spend.what, values.null_count, spend.epsilon * NULLS, "null count")
    half = spend.epsilon * (1 - NULLS)
    present = pc.drop_null(values)
    kind = values.type
    if len(present) == 0:
        fitted = Fitted({"constant": ""}, "no values to fit")
    elif pa.types.is_boolean(kind):
        trues = spend.budget.count(spend.what, int(pc.sum(present.cast(pa.int8())).as_py()), half, "count of true")
        share = min(trues / max(spend.rows - nulls, 1), 1.0)
        fitted = Fitted({"bool": round(share, 4)}, f"true in {share:.1%} (noisy)")
    elif pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        fitted = _instants(present, pa.types.is_date(kind), Spend(spend.budget, spend.what, half, spend.rows))
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        fitted = _numbers(present, kind, Spend(spend.budget, spend.what, half, spend.rows))
    else:
        found = _categories(present.cast(pa.string()), Spend(spend.budget, spend.what, half, spend.rows))
        fitted = found or Fitted({"faker": "sentence", "pool": 5000}, "free text: Faker sentences")
    rate = round(min(nulls / max(spend.rows, 1), 1.0), 4)
    if rate:
        fitted.spec["null_rate"] = rate
    fitted.note += f"; epsilon {spend.epsilon:.3g}"
    return fitted


def _categories(present: pa.ChunkedArray, spend: Spend, cover: float = 0.8) -> Fitted | None:
    counted = pc.value_counts(present)
    noisy = spend.budget.histogram(spend.what, counted.field("counts").to_pylist(), spend.epsilon)
    bar = max(K_MIN, spend.budget.threshold(spend.epsilon))
    values = counted.field("values").to_pylist()
    kept = sorted((i for i, c in enumerate(noisy) if c >= bar), key=lambda i: -noisy[i])
    total = sum(noisy)
    if not kept or sum(noisy[i] for i in kept) < cover * total:
        return None
    rest = total - sum(noisy[i] for i in kept)
    return _choice([values[i] for i in kept], [noisy[i] for i in kept], rest, "categories (noisy counts)")


def _numbers(present: pa.ChunkedArray, kind: pa.DataType, spend: Spend) -> Fitted:
    typed: dict[str, Any] = {"type": "int"} if pa.types.is_integer(kind) else {}
    if pa.types.is_decimal(kind):
        typed = {"type": f"decimal({kind.precision},{kind.scale})"}
    half = Spend(spend.budget, spend.what, spend.epsilon / 2, spend.rows)
    if pa.types.is_integer(kind):
        few = _categories(present, half, cover=0.8)
        if few is not None:
            listed = [v for v in few.spec["choice"] if v != "other"]  # rarer values' rows go to the rest
            few.spec["weights"] = shares(few.spec["weights"][: len(listed)])
            few.spec["choice"] = [_plain(v) for v in listed]
            few.spec.update(typed)
            return few
    x = present.cast(pa.float64()).to_numpy()
    released = spend.budget.quantiles(spend.what, x, [0.02, 0.25, 0.5, 0.75, 0.98], half.epsilon)
    q01, q25, q50, q75, q99 = sorted(released)  # noisy quantiles may cross: sorting them is free
    spec: dict[str, Any]
    if q99 <= q01:
        return Fitted({"constant": _plain(q50), **typed}, "private quantiles all equal")
    linear = abs((q75 - q50) - (q50 - q25)) / max(q75 - q25, 1e-12)
    logged = math.inf
    if q01 > 0 and q25 > 0:
        l25, l50, l75 = math.log(q25), math.log(q50), math.log(q75)
        logged = abs((l75 - l50) - (l50 - l25)) / max(l75 - l25, 1e-12)
    if logged < linear and q75 > q25:
        sigma = (math.log(q75) - math.log(q25)) / 1.349
        spec = {"lognormal": {"mean": _round(math.log(q50)), "sigma": _round(max(sigma, 1e-3))}}
    elif q75 > q25:
        spec = {"normal": {"mean": _round(q50), "sd": _round((q75 - q25) / 1.349)}}
    else:
        spec = {"uniform": [_plain(q01), _plain(q99)]}
    spec |= {"clip": [_plain(q01), _plain(q99)], **typed}
    return Fitted(spec, f"private quantiles 2%/25%/50%/75%/98%: {q01:g}/{q25:g}/{q50:g}/{q75:g}/{q99:g}")


def _instants(present: pa.ChunkedArray, is_date: bool, spend: Spend) -> Fitted:
    if is_date:
        us = present.cast(pa.date32()).cast(pa.int32()).to_numpy().astype(np.int64) * DAY_US
    else:
        unit = pa.timestamp("us", "UTC") if present.type.tz else pa.timestamp("us")
        us = present.cast(unit).cast(pa.int64()).to_numpy()
    third = spend.epsilon / 3
    lo, hi = sorted(spend.budget.quantiles(spend.what, us.astype(float), [0.001, 0.999], third, DAYS))
    hi = max(hi, lo) + DAY_US
    weekdays = spend.budget.histogram(spend.what, np.bincount((us // DAY_US + 3) % 7, minlength=7).tolist(), third)
    start, end = _iso(int(lo), is_date), _iso(int(hi), is_date)
    spec: dict[str, Any] = {"date" if is_date else "timestamp": {"start": start, "end": end}}
    spec["weekday_weights"] = _profile(np.asarray(weekdays))
    if not is_date:
        hours = np.bincount((us % DAY_US) // (3600 * 10**6), minlength=24).tolist()
        spec["hour_weights"] = _profile(np.asarray(spend.budget.histogram(spend.what, hours, third)))
    return Fitted(spec, f"private range {start} to {end}; noisy weekday{'' if is_date else ' and hour'} profile")
