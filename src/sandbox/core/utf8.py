"""A string array's UTF-8 bytes as numpy arrays, for byte-level checks that Arrow has no kernel for."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def utf8_bytes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The value bounds (len + 1 offsets into the bytes; value i is bytes[bounds[i]:bounds[i + 1]]) and the bytes
    of a string or large string array, without a copy."""
    _, offsets, data = values.buffers()
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    if offsets is None:  # an empty array may have no buffers
        return np.zeros(len(values) + 1, width), np.zeros(0, np.uint8)
    bounds = np.frombuffer(offsets, width)[values.offset : values.offset + len(values) + 1]
    return bounds, (np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8))
