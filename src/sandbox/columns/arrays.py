"""Small vectorised helpers for building Arrow arrays from numpy."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DECIMAL_TYPE = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


def decimal_from_unscaled(unscaled: np.ndarray, precision: int, scale: int) -> pa.Array:
    """int64 minor units -> decimal128(precision, scale), without a Python loop.

    decimal128 is a 16-byte little-endian two's complement integer: the low word is the value,
    the high word its sign extension.
    """
    words = np.empty((len(unscaled), 2), dtype=np.int64)
    words[:, 0] = unscaled
    words[:, 1] = unscaled >> 63
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(unscaled), [None, pa.py_buffer(words)])


def finish_numeric(values: np.ndarray, params: dict, default_type: str = "float") -> pa.Array:
    """Apply `clip`, `round` and `type` (float, int or decimal(P,S)) to raw draws."""
    clip = params.get("clip")
    if clip is not None:
        values = np.clip(values, clip[0], clip[1])
    kind = params.get("type") or default_type
    match = DECIMAL_TYPE.match(kind)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        unscaled = np.rint(np.asarray(values, dtype=np.float64) * 10**scale).astype(np.int64)
        return decimal_from_unscaled(unscaled, precision, scale)
    if kind == "int":
        return pa.array(np.rint(values).astype(np.int64))
    values = np.asarray(values, dtype=np.float64)
    if params.get("round") is not None:
        values = np.round(values, int(params["round"]))
    return pa.array(values)


def with_nulls(array: pa.Array, mask: np.ndarray) -> pa.Array:
    """Set the rows where `mask` is true to null (dictionary arrays keep their dictionary)."""
    if not mask.any():
        return array
    arrow_mask = pa.array(mask)
    if isinstance(array, pa.DictionaryArray):
        indices = pc.if_else(arrow_mask, pa.nulls(len(array), array.indices.type), array.indices)
        return pa.DictionaryArray.from_arrays(indices, array.dictionary)
    return pc.if_else(arrow_mask, pa.nulls(len(array), array.type), array)


def cut(array: pa.Array, length: int) -> pa.Array:
    """Text cut to at most `length` characters (a dictionary's values are cut once); other types as they are."""
    if isinstance(array, pa.DictionaryArray):
        return pa.DictionaryArray.from_arrays(array.indices, cut(array.dictionary, length))
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return pc.utf8_slice_codeunits(array, 0, length)
    return array


def as_strings(array: pa.Array) -> pa.Array:
    """Any array as plain strings (dictionaries are formatted once, then taken)."""
    if isinstance(array, pa.DictionaryArray):
        return as_strings(array.dictionary).take(array.indices)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array
    if pa.types.is_timestamp(array.type) and array.type.tz == "UTC":
        return pc.binary_join_element_wise(utc_text(array), "Z", "")
    return pc.cast(array, pa.string())


def utc_text(array: pa.Array) -> pa.Array:
    """UTC times as `2025-03-05 04:47:40.198247`: the same digits `cast(string)` gives, without the cast looking
    each value up in the time zone database (it does, even for UTC; bench/RESULTS.md, "Notes from the code")."""
    return pc.cast(array.cast(pa.timestamp(array.type.unit)), pa.string())
