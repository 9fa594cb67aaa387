"""Reusable corruptions. Each picks rows with a seeded generator and returns what a pipeline would see.

Row selection and replacement are vectorised; the few string edits (rate x rows values) run per value,
because an OCR confusion or a typo is an edit of one string, not an array operation.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core import exact

Edit = Callable[[str, np.random.Generator], str | None]


def pick(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Sorted row indices, each row chosen independently with probability `rate`: a binomial count of
    distinct rows (the same law, without drawing a number for every row)."""
    return np.sort(rng.choice(n, rng.binomial(n, rate), replace=False))


def one_of(rng: np.random.Generator, n: int) -> int:
    """A uniform index below `n` from one double: a third of a scalar `rng.integers`' cost, which the few thousand
    edits of a chunk pay per call (the bias is below n / 2**53)."""
    return int(rng.random() * n)


@functools.cache
def _data(name: str) -> dict:
    return json.loads(resources.files("sandbox.data").joinpath(name).read_text("utf-8"))


@functools.cache
def _confusions() -> tuple[list[tuple[str, str]], dict[str, list[int]], list[int]]:
    """The OCR confusion pairs; which single-glyph ones each glyph starts (by pair number); the longer ones."""
    pairs = [(seen, read) for seen, read in _data("ocr_confusions.json")["pairs"]]
    by_glyph: dict[str, list[int]] = {}
    for k, (seen, _) in enumerate(pairs):
        if len(seen) == 1:
            by_glyph.setdefault(seen, []).append(k)
    return pairs, by_glyph, [k for k, (seen, _) in enumerate(pairs) if len(seen) > 1]


def ocr(value: str, rng: np.random.Generator) -> str | None:
    """One OCR confusion (0/O, 1/l/I, 5/S, 8/B, rn/m, ...) at a random place where one applies: every (pair,
    place) it could be, in the order of the pairs and then of the places, equally likely."""
    pairs, by_glyph, longer = _confusions()
    options = [(k, i) for i, glyph in enumerate(value) for k in by_glyph.get(glyph, ())]
    options += [(k, i) for k in longer if pairs[k][0] in value for i in _find_all(value, pairs[k][0])]
    if not options:
        return None
    k, i = sorted(options)[one_of(rng, len(options))]
    seen, read = pairs[k]
    return value[:i] + read + value[i + len(seen) :]


def typo(value: str, rng: np.random.Generator) -> str | None:
    """A keyboard-adjacent substitution of one letter or digit."""
    neighbours = _data("keyboard_qwerty.json")["neighbours"]
    places = [i for i, ch in enumerate(value) if ch.lower() in neighbours]
    if not places:
        return None
    i = places[one_of(rng, len(places))]
    options = neighbours[value[i].lower()]
    new = options[one_of(rng, len(options))]
    return value[:i] + (new.upper() if value[i].isupper() else new) + value[i + 1 :]


def transpose(value: str, rng: np.random.Generator) -> str | None:
    """Two neighbouring characters swapped (a typist's transposition)."""
    places = [i for i in range(len(value) - 1) if value[i] != value[i + 1]]
    if not places:
        return None
    i = places[one_of(rng, len(places))]
    return value[:i] + value[i + 1] + value[i] + value[i + 2 :]


def upper(value: str, rng: np.random.Generator) -> str | None:
    """A format change: the value in capitals."""
    out = value.upper()
    return out if out != value else None


def _find_all(text: str, part: str) -> list[int]:
    out, i = [], text.find(part)
    while i >= 0:
        out.append(i)
        i = text.find(part, i + 1)
    return out


def edit_strings(
    values: pa.Array, rows: np.ndarray, rng: np.random.Generator, edit: Edit
) -> tuple[pa.Array, np.ndarray]:
    """Apply `edit` to the given rows; returns the observed array and the rows actually changed."""
    if not len(rows):
        return values, rows
    plain = values.dictionary_decode() if isinstance(values, pa.DictionaryArray) else values
    before = plain.take(pa.array(rows)).to_pylist()
    changed, new = [], []
    for row, value in zip(rows.tolist(), before, strict=True):
        if value is None:
            continue
        out = edit(value, rng)
        if out is not None and out != value:
            changed.append(row)
            new.append(out)
    changed_rows = np.asarray(changed, dtype=np.int64)
    return replace_rows(values, changed_rows, pa.array(new, pa.string())), changed_rows


def replace_rows(values: pa.Array, rows: np.ndarray, new: pa.Array) -> pa.Array:
    """`values` with `rows` replaced by `new`, in order; dictionary arrays grow their dictionary."""
    if not len(rows):
        return values
    if isinstance(values, pa.DictionaryArray):
        mask = np.zeros(len(values), dtype=bool)
        mask[rows] = True
        base = len(values.dictionary)
        dictionary = pa.concat_arrays([values.dictionary, new.cast(values.dictionary.type)])
        positions = pa.array(np.arange(base, base + len(new), dtype=np.int32)).cast(values.indices.type)
        indices = pc.replace_with_mask(values.indices, pa.array(mask), positions)
        return pa.DictionaryArray.from_arrays(indices, dictionary)
    # a gather from the values and the new ones after them: ~2.5x faster than `replace_with_mask` on strings
    positions = np.arange(len(values), dtype=np.int64)
    positions[rows] = len(values) + np.arange(len(rows))
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    return pa.concat_arrays([*chunks, new.cast(values.type)]).take(pa.array(positions))


def set_missing(values: pa.Array, rows: np.ndarray) -> pa.Array:
    """Nulls at the given rows (a field left empty)."""
    from sandbox.columns.arrays import with_nulls

    mask = np.zeros(len(values), dtype=bool)
    mask[rows] = True
    return with_nulls(values, mask)


def delay(values: pa.Array, rows: np.ndarray, rng: np.random.Generator, mean_seconds: float) -> pa.Array:
    """Timestamps pushed later by an exponential delay (late-arriving or mis-clocked records)."""
    shift = np.rint(exact.exponential(rng, mean_seconds * 1e6, len(rows))).astype(np.int64) + 1
    before = values.take(pa.array(rows)).cast(pa.int64()).to_numpy(zero_copy_only=False)
    return replace_rows(values, rows, pa.array(before + shift).cast(values.type))


def spike(values: pa.Array, rows: np.ndarray, rng: np.random.Generator, factor: float) -> pa.Array:
    """Numbers multiplied (or divided) by `factor`: a spike, or a decimal point in the wrong place."""
    up = rng.random(len(rows)) < 0.5
    before = values.take(pa.array(rows))
    scaled = pc.if_else(pa.array(up), pc.multiply(before, factor), pc.divide(before, factor))
    return replace_rows(values, rows, pc.cast(scaled, values.type, safe=False))
