"""Integer columns the scan decides as a whole (sandbox.privacy.integers): the shortcuts that spare it strings
and phone parses give exactly the decisions of the plain rules."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from sandbox.privacy import integers
from sandbox.privacy.scan import scan_values


def _exact_packed(values: pa.Array) -> bool:
    ints = np.unique(values.drop_null().to_numpy())
    return len(ints) > 1 and (int(ints[-1]) - int(ints[0])) / len(ints) < integers.DENSE


def _cases() -> list[pa.Array]:
    rng = np.random.default_rng(7)
    block = 1_672_227_001
    keys = block + np.cumsum(rng.integers(1, 1_001, 50_000))
    return [
        pa.array(keys),  # a chunk's event ids counting up
        pa.array(rng.permutation(keys)),  # the same, in session order
        pa.array(block + np.cumsum(rng.integers(900, 1_200, 20_000))),  # about DENSE apart: either side
        pa.array(np.repeat(keys[:300], 200)),  # few distinct values over many rows: not keys
        pa.array(rng.integers(2_000_000_000, 9_999_999_999, 5_000)),  # phones spread over a numbering plan
        pa.array([block] * 10),  # one value
        pa.array([block, None, block + 5, None, block + 9]),
        pa.array(np.concatenate([keys[:1000], keys[:1000]])),  # each key twice
    ]


@pytest.mark.parametrize("values", _cases(), ids=range(len(_cases())))
def test_packed_decides_as_the_distinct_values_do(values: pa.Array) -> None:
    ints = values.drop_null().to_numpy()
    assert integers._packed(values, int(ints.min()), int(ints.max())) == _exact_packed(values)


def test_a_sample_stops_once_it_cannot_be_the_class() -> None:
    seen: list[str] = []

    def check(value: str) -> str | None:
        seen.append(value)
        return value if value.startswith("1") else None

    sample = [f"{i % 10}{i:09d}" for i in range(200)]  # one value in ten passes
    assert integers._sampled(sample, check) is None and len(seen) < 25
    passing = ["1" + s[1:] for s in sample[:185]] + sample[185:]  # 185 of 200 pass: 92.5% >= 90%
    assert integers._sampled(passing, check) == [v if v.startswith("1") else None for v in passing]


def test_keys_from_a_high_block_are_not_phones_and_int64_phones_and_cards_still_are() -> None:
    rng = np.random.default_rng(3)
    keys = pa.chunked_array([pa.array(1_672_227_001 + np.arange(0, 223_000, dtype=np.int64) * 7)])
    assert scan_values(keys).classes == {}
    areas = rng.choice([201, 212, 305, 415, 503, 617, 702, 818, 917], 300)
    phones = pa.array([int(f"1{a}555{n:04d}") for a, n in zip(areas, rng.integers(100, 199, 300), strict=True)])
    assert set(scan_values(phones).classes) == {"phone"}
    with_nulls = pa.array([*phones.to_pylist(), None, None])  # every value large, and nulls among them
    assert scan_values(with_nulls).classes["phone"].rows == len(phones)
    cards = [4_111_111_111_111_111, 5_555_555_555_554_444, 4_012_888_888_881_881, 378_282_246_310_005] * 50
    assert set(scan_values(pa.array(cards)).classes) == {"credit_card"}
