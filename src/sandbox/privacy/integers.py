"""Integer columns that hold phone or card numbers stored as numbers (`ref: 4155550132`, an int64 card).

A digit string alone says little: a random 10-digit id is a valid phone number somewhere most of the time, and
one 16-digit id in 25 passes a card brand and Luhn. So the column decides, not the value: when nearly every
large value in a sample is a valid E.164 or North American number, or a card, the column is that class and
all its large values count. Columns whose name says phone, card or id are scanned value by value as text.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.privacy import numbers, reserved
from sandbox.privacy.spot import Spot

#: Smallest integer looked at: a North American number has 10 digits, an E.164 number with its country code
#: 10 or more in nearly every country.
SMALLEST = 10**9
#: Integers packed closer than this on average are keys (`event_id` counting up), not phones or cards: 50,000
#: customers' numbers spread over a national numbering plan sit ~10^4 or more apart.
DENSE = 1_000
#: Distinct large values examined, and the share of them that must be one class.
SAMPLE = 200
SHARE = 0.9


def _phone(digits: str) -> str | None:
    import phonenumbers

    for text, region in (("+" + digits, None), (digits, "US")):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        e164 = f"{number.country_code}{number.national_number}"
        if reserved.reserved_phone(e164) or phonenumbers.is_valid_number(number):
            return e164
    return None


def _card(digits: str) -> str | None:
    return numbers.card(Spot(digits, 0, len(digits)))


_CHECKS = (("credit_card", _card, reserved.reserved_card), ("phone", _phone, reserved.reserved_phone))


def integer_class(strings: pa.Array) -> tuple[str, np.ndarray] | None:
    """The class of a column of large integers (as digit strings), and which of them are reserved; None when
    fewer than `SHARE` of a sample are one class."""
    numbers = pc.cast(strings, pa.int64(), safe=False) if len(strings) else strings
    if len(strings) > 1 and _dense(pc.min(numbers).as_py(), pc.max(numbers).as_py(), len(strings)):
        return None
    sample = strings.slice(0, SAMPLE).to_pylist()
    for cls, check, is_reserved in _CHECKS:
        found = _sampled(sample, check)
        if found is None:
            continue
        values = strings.to_pylist()
        confirmed = [check(s) for s in values] if len(values) > len(sample) else found
        return cls, np.fromiter((c is not None and is_reserved(c) for c in confirmed), bool, len(values))
    return None


def _dense(low: int, high: int, distinct: int) -> bool:
    return (high - low) / distinct < DENSE


def _packed(values: pa.Array | pa.ChunkedArray, low: int, high: int) -> bool:
    """Whether non-null integers from `low` to `high` are packed as densely as keys: fewer than `DENSE` apart
    on average over their distinct values. Decided exactly, mostly without hashing them: at most as many
    distinct values as rows, and at least as many as the 64-wide buckets they fall in."""
    span, rows = high - low, len(values) - values.null_count
    if span == 0 or span / rows >= DENSE:
        return False  # one value, or spread too far even if every row were distinct
    ints = pc.drop_null(values)
    ints = ints.combine_chunks() if isinstance(ints, pa.ChunkedArray) else ints
    marks = np.zeros(span // 64 + 1, dtype=bool)
    marks[(ints.to_numpy() - low) // 64] = True
    return bool(span / int(marks.sum()) < DENSE or span / pc.count_distinct(ints).as_py() < DENSE)


def _sampled(sample: list[str], check: Callable[[str], str | None]) -> list[str | None] | None:
    """`check` of each sampled value while `SHARE` of them can still be of the class; None once they cannot (a
    key column fails the phone check on its first values: no need to parse all 200)."""
    found: list[str | None] = []
    misses = 0
    for value in sample:
        found.append(confirmed := check(value))
        misses += confirmed is None
        if len(sample) - misses < SHARE * len(sample):
            return None
    return found


def large(values: pa.Array | pa.ChunkedArray) -> pa.StructArray | None:
    """Distinct integers of at least `SMALLEST` as digit strings, with their row counts (`value_counts`); None
    when there are none, or when they are packed as densely as keys (`DENSE`, decided before any string is made).
    A text column counts when nearly all its values are 8 to 19 digits (a CSV's numbers)."""
    if pa.types.is_integer(values.type):
        extremes = pc.min_max(values)
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
        if low is None or -SMALLEST < low <= high < SMALLEST:
            return None  # keys, counts and amounts: one pass, no strings
        if low >= SMALLEST and not values.null_count:
            kept = values  # every value large and positive: no filter, no abs
        else:
            kept = pc.abs(pc.filter(values, pc.fill_null(pc.greater_equal(pc.abs(values), SMALLEST), False)))
            found = pc.min_max(kept)
            low, high = found["min"].as_py(), found["max"].as_py()
        if low is not None and _packed(kept, low, high):
            return None  # keys counting up from a chunk's block (`event_id` 1,672,227,001...): not phones or cards
        strings = pc.cast(kept, pa.string())
    else:
        head = [v.strip() for v in values.slice(0, 64).to_pylist() if v is not None]
        if not any(8 <= len(v) <= 19 and v.isdigit() for v in head):
            return None  # most text columns stop here (quantities too), without a pass over every value or decoding it
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        trimmed = pc.utf8_trim_whitespace(pc.drop_null(values))
        digits = pc.match_substring_regex(trimmed, r"^\d{8,19}$")
        if not len(trimmed) or pc.mean(pc.cast(digits, pa.int8())).as_py() < SHARE:
            return None
        strings = pc.filter(trimmed, digits)
    return pc.value_counts(strings) if len(strings) else None
