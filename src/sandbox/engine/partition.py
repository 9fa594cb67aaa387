"""Hive partitions: a table's rows split by the UTC day of a timestamp column (`day=YYYY-MM-DD/`)."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa

from sandbox.columns.temporal import US_PER_DAY

#: Up to this many midnights among a table's rows, `by_day` compares against each instead of dividing.
_FEW_MIDNIGHTS = 4


def by_day(data: pa.Table, column: str) -> list[tuple[str, pa.Table]]:
    """Rows split by the UTC day of a timestamp column, as hive partitions `day=YYYY-MM-DD` (order kept).
    Rows already in day order (as generators write them) are sliced, not copied. Rows spanning a few days are
    split with one comparison per midnight, not a day number per row (bench/RESULTS.md, "Notes from the code")."""
    ts = data[column].combine_chunks().cast(pa.int64()).to_numpy()
    first, last = int(ts.min()) // US_PER_DAY, int(ts.max()) // US_PER_DAY
    if last - first <= _FEW_MIDNIGHTS:
        before = [ts < (day + 1) * US_PER_DAY for day in range(first, last)]
        ends = [int(np.count_nonzero(b)) for b in before]
        in_order = all(b[:end].all() for b, end in zip(before, ends, strict=True))
    else:
        days = ts // US_PER_DAY
        in_order = bool((np.diff(days) >= 0).all())
        ends = np.searchsorted(days, np.arange(first + 1, last + 1)).tolist()
    if in_order:
        bounds = [0, *ends, len(ts)]
        pieces = [(first + i, data.slice(s, e - s)) for i, (s, e) in enumerate(itertools.pairwise(bounds)) if e > s]
    else:
        days = ts // US_PER_DAY
        pieces = [(int(day), data.filter(pa.array(days == day))) for day in np.unique(days)]
    return [(f"day={(np.datetime64(0, 'D') + day).astype(str)}", piece) for day, piece in pieces]
