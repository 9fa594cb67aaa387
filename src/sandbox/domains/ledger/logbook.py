"""A plant's handwritten shift log, as typed: the date as its writer wrote it, the shift, initials, and free
text with names and phone numbers (which the privacy stage redacts), built template by template."""

from __future__ import annotations

import functools
import string
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.columns.safe import safe_pool
from sandbox.core.pools import faker_pool
from sandbox.domains.common import labels
from sandbox.domains.ledger.books import DAYS, EPOCH_1985, era_of, vocabulary
from sandbox.domains.ledger.formats import by_group, dates_by_clerk, digits


def logbook(rng: np.random.Generator, first: int, count: int, staff: pa.Table) -> pa.Table:
    """Handwritten shift-log lines of a plant: date as written, shift, initials, free text with names."""
    vocab = vocabulary()
    names, initials, phones = _people()
    trades = list(vocab["trades"])
    days = EPOCH_1985 + rng.integers(0, DAYS, count)
    written = _as_written(rng, days, staff)
    trade, name_i, phone_i, n_ = (
        rng.integers(0, len(trades), count),
        rng.integers(0, len(names), count),
        rng.integers(0, len(phones), count),
        rng.integers(1, 40, count),
    )
    templates = [vocab["trades"][name]["log"] for name in trades]
    starts = np.cumsum([0] + [len(logs) for logs in templates])
    flat = [template for logs in templates for template in logs]
    which = starts[trade] + n_ % np.array([len(logs) for logs in templates])[trade]

    values = {
        "n": lambda n, r: digits(n),
        "t": lambda n, r: pc.binary_join_element_wise(digits(6 + n % 12, 2), digits((n * 7) % 60, 2), ":"),
        "deg": lambda n, r: digits(1400 + n * 3),
        "m": lambda n, r: digits(n * 5),
        "name": lambda n, r: names.take(pa.array(name_i[r])),
        "phone": lambda n, r: phones.take(pa.array(phone_i[r])),
    }

    def entry(template: int, rows: np.ndarray) -> pa.Array:
        pieces: list[Any] = []
        for literal, field, _, _ in string.Formatter().parse(flat[template]):
            pieces += [pa.scalar(literal)] if literal else []
            pieces += [values[field](n_[rows], rows)] if field else []
        return pc.binary_join_element_wise(*pieces, pa.array([""] * len(rows)))  # an array, even for plain text

    return pa.table(
        {
            "entry_id": np.arange(first * 10, first * 10 + count, dtype=np.int64),
            "date_written": written,
            "shift": labels(["early", "late", "night"], rng.integers(0, 3, count)),
            "author": initials.take(pa.array(name_i)),
            "entry": by_group(which, entry),
        }
    )


@functools.lru_cache(maxsize=1)
def _people() -> tuple[pa.Array, pa.Array, pa.Array]:
    """The log's writers and the people it names: names, their initials, phone numbers from reserved space (made
    once per process, not once per chunk)."""
    names = faker_pool("name", ("de_DE",), 2000)
    initials = pa.array(["".join(part[0] for part in name.split()[:2]).upper() for name in names.to_pylist()])
    return names, initials, safe_pool("phone", ("GB", "US"), 2000)


def _as_written(rng: np.random.Generator, days: np.ndarray, staff: pa.Table) -> pa.Array:
    """Each entry's date in the style of a clerk of its era (`check` makes sure every era has one)."""
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    era = era_of(years)
    staff_era = era_of(staff["era_start"].to_numpy())
    picks = rng.integers(0, 1000, len(days))
    writer = np.zeros(len(days), dtype=np.int64)
    for e in np.unique(era):
        mine, members = era == e, np.flatnonzero(staff_era == e)
        writer[mine] = members[picks[mine] % len(members)]
    return dates_by_clerk(days, staff["date_style"].to_pylist(), writer)
