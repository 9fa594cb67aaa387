"""Column generators: realised distributions land on their parameters; types and ranges hold."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sandbox.engine.contract import Chunk
from sandbox.engine.tables import TableProducer
from sandbox.noise.defects import DefectLog
from sandbox.recipe.validate import load

N = 20_000


def columns(body: str, rows: int = N, extra: str = "") -> pa.Table:
    text = f"version: 1\nname: t\nseed: 11\ntables:\n{extra}  t:\n    rows: {rows}\n    columns:\n{body}"
    recipe = load(text, "t.yaml")
    producer = TableProducer(recipe, "t")
    chunk = Chunk("t", 0, 0, rows)  # one chunk, whatever the recipe's chunk size
    log = DefectLog("t", 0)
    return producer.corrupt(producer.produce(chunk, log), chunk, log)["t"]


def within(value: float, target: float, n: int, p: float | None = None) -> bool:
    """max(10% of the target, 4 standard errors), the project's tolerance."""
    se = np.sqrt(p * (1 - p) / n) if p is not None else 0.0
    return abs(value - target) <= max(0.1 * abs(target), 4 * se)


def test_sequence_is_row_index_ids() -> None:
    t = columns("      id: {sequence: 100, step: 5}\n", rows=10)
    assert t.column("id").to_pylist() == list(range(100, 150, 5))


def test_choice_weights_are_realised() -> None:
    t = columns("      d: {choice: [mobile, desktop, tablet], weights: [0.6, 0.3, 0.1]}\n")
    counts = pc.value_counts(t.column("d").combine_chunks().dictionary_decode()).to_pylist()
    shares = {c["values"]: c["counts"] / N for c in counts}
    for value, p in {"mobile": 0.6, "desktop": 0.3, "tablet": 0.1}.items():
        assert within(shares[value], p, N, p)


def test_bool_and_null_rate_are_realised() -> None:
    t = columns("      b: {bool: 0.3, null_rate: 0.2}\n")
    b = t.column("b")
    assert within(b.null_count / N, 0.2, N, 0.2)
    assert within(pc.mean(pc.cast(b, pa.float64())).as_py(), 0.3, N, 0.3)


@pytest.mark.parametrize(
    ("spec", "mean"),
    [
        ("{normal: {mean: 20, sd: 2}}", 20),
        ("{lognormal: {mean: 1, sigma: 0.5}}", np.exp(1 + 0.125)),
        ("{exponential: 30}", 30),
        ("{poisson: 3}", 3),
        ("{uniform: [10, 20]}", 15),
        ("{pareto: {shape: 3, scale: 2}}", 3),
    ],
)
def test_distribution_means(spec: str, mean: float) -> None:
    t = columns(f"      x: {spec}\n")
    assert abs(pc.mean(t.column("x")).as_py() - mean) < 0.05 * mean


def test_clip_round_int_and_decimal() -> None:
    t = columns(
        "      a: {normal: {mean: 0, sd: 10}, clip: [-1, 1], round: 1}\n"
        "      b: {uniform: [0, 5], type: int}\n"
        "      c: {lognormal: {mean: 2, sigma: 1}, clip: [0.5, 100], type: 'decimal(12,2)'}\n"
    )
    a = np.asarray(t.column("a"))
    assert a.min() >= -1 and a.max() <= 1 and np.allclose(a, np.round(a, 1))
    assert t.column("b").type == pa.int64() and set(t.column("b").to_pylist()) <= set(range(6))
    c = t.column("c").to_pylist()
    assert t.column("c").type == pa.decimal128(12, 2)
    assert all(Decimal("0.50") <= v <= Decimal("100.00") and v == v.quantize(Decimal("0.01")) for v in c)
    assert sum(c) == sum(Decimal(str(v)) for v in c)  # exact, no float drift


def test_timestamps_are_utc_in_range_and_follow_the_hour_profile() -> None:
    hours = [0] * 24
    hours[9] = hours[17] = 1
    t = columns(
        "      at: {timestamp: {start: 2024-03-01, end: 2024-03-15T12:00:00}, hour_weights: "
        + str(hours)
        + ", weekday_weights: [1, 1, 1, 1, 1, 0, 0]}\n"
    )
    at = t.column("at").combine_chunks()
    assert at.type == pa.timestamp("us", tz="UTC")
    assert pc.min(at).as_py().isoformat() >= "2024-03-01T00:00:00+00:00"
    assert pc.max(at).as_py().isoformat() < "2024-03-15T12:00:00+00:00"
    assert set(pc.hour(at).to_pylist()) == {9, 17}
    assert set(pc.day_of_week(at).to_pylist()) <= {0, 1, 2, 3, 4}


def test_dates_in_range() -> None:
    t = columns("      d: {date: {start: 1990-01-01, end: 1990-02-01}}\n")
    d = t.column("d").combine_chunks()
    assert d.type == pa.date32()
    assert str(pc.min(d)) == "1990-01-01" and str(pc.max(d)) == "1990-01-31"


def test_ref_skew_concentrates_on_few_parents_and_stays_in_range() -> None:
    parent = "  p:\n    rows: 1000\n    columns:\n      pid: {sequence: 1}\n"
    t = columns("      u: {ref: p.pid}\n      z: {ref: p.pid, skew: 1.2}\n", extra=parent)
    for name in ("u", "z"):
        values = np.asarray(t.column(name))
        assert values.min() >= 1 and values.max() <= 1000
    top = lambda name: np.sort(np.bincount(np.asarray(t.column(name))))[-10:].sum() / N  # noqa: E731
    # the ten most popular parents are ranks 0-9 of the power law (rank = floor(x) - 1, x in [1, 1001)):
    # P(x < 11) = (11**(1 - s) - 1) / (1001**(1 - s) - 1); uniform keys give each parent ~1/1000
    s = 1.2
    expected = (11 ** (1 - s) - 1) / (1001 ** (1 - s) - 1)
    assert abs(top("z") - expected) < 0.05 * expected, (top("z"), expected)
    assert top("u") < 3 * 10 / 1000


def test_unique_faker_values_never_repeat() -> None:
    t = columns("      e: {faker: email, pool: 3000, unique: true}\n", rows=2500)
    e = t.column("e").combine_chunks().dictionary_decode()
    assert pc.count_distinct(e).as_py() == 2500


def test_template_formats_other_columns() -> None:
    t = columns(
        "      id: {sequence: 7}\n      code: {template: 'ORD-{id:05d}/{kind}'}\n      kind: {choice: [x]}\n", rows=3
    )
    assert t.column("code").to_pylist() == ["ORD-00007/x", "ORD-00008/x", "ORD-00009/x"]


def test_faker_locales_mix(tmp_path: Path) -> None:
    t = columns("      city: {faker: city, locale: [de_DE, ja_JP], pool: 200}\n", rows=2000)
    values = t.column("city").combine_chunks().dictionary_decode().to_pylist()
    assert any(any("\u3040" <= ch <= "\u9fff" for ch in v) for v in values)
    assert any(v.isascii() for v in values)


def test_a_column_in_one_chunk_is_used_as_it_is_and_more_chunks_are_combined() -> None:
    from sandbox.core.chunks import whole

    one = pa.array(["a", None, "ccc"]).slice(1)
    single = whole(pa.chunked_array([one]))
    assert single.buffers()[2].address == one.buffers()[2].address and single.to_pylist() == [None, "ccc"]
    assert whole(pa.chunked_array([one, pa.array(["d"])])).to_pylist() == [None, "ccc", "d"]
    assert whole(pa.chunked_array([], pa.string())).to_pylist() == []
    assert whole(one) is one
