"""Runs of samples: stacking a group's runs, dropout states, time spans, and where kept samples sit in a grid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sandbox.domains.iot.plant import US_PER_DAY, Runs


def stacked(runs: list[Runs]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The runs of several rows as one: (row, start, length, value), row by row."""
    row = np.repeat(np.arange(len(runs)), [len(r.start) for r in runs])
    start, length, value = (np.concatenate([getattr(r, name) for r in runs]) for name in ("start", "length", "value"))
    return row, start, length, value


def dropout_states(runs: list[Runs], first: int, n: int) -> np.ndarray:
    """Per row (one Runs each) and sample in [first, first + n): 0 delivered, 1 lost, 2 flagged missing by
    the device. Only the covered samples are written (a few percent): the runs of a two-state chain never
    overlap."""
    state = np.zeros((len(runs), n), np.int8)
    row, start, run_length, value = stacked(runs)
    lo = np.clip(start - first, 0, n) + row * n
    hi = np.clip(start + run_length - first, 0, n) + row * n
    length = hi - lo
    covered = np.repeat(lo - np.cumsum(length) + length, length) + np.arange(length.sum())
    state.ravel()[covered] = np.repeat(1 + value, length)
    return state


def span(t: np.ndarray, begin: int, end: int) -> slice:
    """The samples of the sorted times `t` in [begin, end)."""
    lo, hi = np.searchsorted(t, [begin, end])
    return slice(int(lo), int(hi))


@dataclass(frozen=True)
class Kept:
    """Where one kind's kept samples are in the grid, split by sensor (grid row) and by UTC day of `ts`."""

    positions: np.ndarray  # in the grid, row by row, each row in time order
    splits: np.ndarray  # rows x (days + 1): where each day starts among a row's kept samples
    row_start: np.ndarray  # where each row starts among `positions`
    first_day: int

    @classmethod
    def of(cls, keep: np.ndarray, ts: np.ndarray, offset: int, unsorted: Sequence[int] = ()) -> Kept:
        """`ts` rises along each row but those in `unsorted` (a clock that steps back), whose kept samples are
        put in ts order."""
        lo, hi = int(ts[:, 0].min()), int(ts[:, -1].max())
        for row in unsorted:
            lo, hi = min(lo, int(ts[row].min())), max(hi, int(ts[row].max()))
        first_day, last_day = lo // US_PER_DAY, hi // US_PER_DAY
        per_row = [np.zeros(len(keep), np.int64)]
        for day in range(first_day + 1, last_day + 1):  # count the kept before each midnight
            per_row.append(np.count_nonzero(keep & (ts < day * US_PER_DAY), axis=1))
        per_row.append(np.count_nonzero(keep, axis=1))
        splits = np.stack(per_row, axis=1)
        row_start = np.concatenate([[0], np.cumsum(splits[:, -1])])
        positions = np.flatnonzero(keep)
        for row in unsorted:
            mine = positions[row_start[row] : row_start[row + 1]]
            mine[:] = mine[np.argsort(ts.ravel()[mine], kind="stable")]
        return cls(positions + offset, splits, row_start, first_day)

    @property
    def days(self) -> int:
        return self.splits.shape[1] - 1

    def on(self, row: int, day: int) -> np.ndarray:
        """The grid positions of a row's kept samples on a UTC day."""
        j = day - self.first_day
        if not 0 <= j < self.days:
            return self.positions[:0]
        start = self.row_start[row]
        return self.positions[start + self.splits[row, j] : start + self.splits[row, j + 1]]
