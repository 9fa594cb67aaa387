"""One Arrow array for a column that may come in chunks."""

from __future__ import annotations

import pyarrow as pa


def whole(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The column as one array: its only chunk as it is, else its chunks combined. (`combine_chunks` copies even a
    single chunk: 5 ms of every ledger chunk's scan went to copying columns that were one array already.)"""
    if isinstance(values, pa.ChunkedArray):
        return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    return values
