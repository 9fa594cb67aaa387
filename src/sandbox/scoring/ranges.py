"""Time-aware scores of predicted windows against true windows of one entity (a sensor, a session).

Three families, each as (precision, recall):

- range-based (Tatbul, Lee, Zdonik, Alam and Gottschlich, "Precision and Recall for Time Series", NeurIPS
  2018), with a flat positional bias and a cardinality factor of 1: a true window's recall is
  `ALPHA` x (did any prediction touch it) + (1 - `ALPHA`) x (the share of it the predictions cover); a
  prediction's precision is the share of it that lies inside true windows (no existence reward), so one
  prediction spanning the whole period is precise only in proportion to how much of the period is faulty;
- event-wise: a true window counts as found when a prediction touches it, a prediction as correct when it
  touches a true window;
- point-adjusted (common in anomaly-detection papers, and known to overstate: one touch credits the whole
  window): every instant of a touched window counts as detected; precision is the detected time over the
  detected time plus the predicted time outside every true window.

A window is closed, [start, end]; start == end is a point. A point's share of a window is 1 if the window
contains it; in time sums a point weighs `POINT_US` (1 us), so windows of points weigh by their count.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

#: Weight of the existence reward in a true window's range-based recall.
ALPHA = 0.5
POINT_US = 1


@dataclass(frozen=True)
class Tally:
    """Sums over windows, so entities add up before the ratios are taken."""

    truth: int = 0
    predicted: int = 0
    range_recall: float = 0.0  # sum over true windows
    range_precision: float = 0.0  # sum over predictions
    found: int = 0  # true windows some prediction touches
    correct: int = 0  # predictions that touch a true window
    touched_us: float = 0.0  # time of the touched true windows
    truth_us: float = 0.0
    outside_us: float = 0.0  # predicted time outside every true window

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def scores(self) -> dict[str, dict[str, float]]:
        """precision, recall and f1 of each family."""
        families = {
            "range": (_ratio(self.range_precision, self.predicted), _ratio(self.range_recall, self.truth)),
            "event": (_ratio(self.correct, self.predicted), _ratio(self.found, self.truth)),
            "point_adjusted": (
                _ratio(self.touched_us, self.touched_us + self.outside_us) if self.predicted else 0.0,
                _ratio(self.touched_us, self.truth_us),
            ),
        }
        return {name: {"precision": p, "recall": r, "f1": _f1(p, r)} for name, (p, r) in families.items()}


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _union(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The disjoint, sorted union of closed windows (windows that touch merge)."""
    if not len(start):
        return start, end
    order = np.argsort(start, kind="stable")
    start, end = start[order], end[order]
    opens = np.flatnonzero(np.r_[True, start[1:] > np.maximum.accumulate(end)[:-1]])
    return start[opens], np.maximum.reduceat(end, opens)


def _covered(ustart: np.ndarray, uend: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Length of the union lying before each instant t."""
    if not len(ustart):
        return np.zeros(len(t))
    before = np.r_[0, np.cumsum(uend - ustart)]
    k = np.searchsorted(ustart, t, side="right") - 1
    inside = np.clip(t - ustart[np.maximum(k, 0)], 0, (uend - ustart)[np.maximum(k, 0)])
    return np.where(k >= 0, before[np.maximum(k, 0)] + inside, 0.0)


def _touch(start: np.ndarray, end: np.ndarray, ostart: np.ndarray, oend: np.ndarray) -> np.ndarray:
    """Whether each window [start, end] touches any of the other windows (closed intervals)."""
    if not len(ostart):
        return np.zeros(len(start), bool)
    began = np.searchsorted(np.sort(ostart), end, side="right")  # others that start by this one's end
    ended = np.searchsorted(np.sort(oend), start, side="left")  # others that end before this one starts
    return began - ended > 0


def _shares(start: np.ndarray, end: np.ndarray, ustart: np.ndarray, uend: np.ndarray, touch: np.ndarray) -> np.ndarray:
    """Share of each window inside the union (a point: 1 when a window of the union contains it)."""
    size = (end - start).astype(np.float64)
    overlap = _covered(ustart, uend, end) - _covered(ustart, uend, start)
    return np.where(size > 0, overlap / np.where(size > 0, size, 1), touch.astype(np.float64))


def tally(true_start: np.ndarray, true_end: np.ndarray, pred_start: np.ndarray, pred_end: np.ndarray) -> Tally:
    """The sums of one entity's true and predicted windows (instants as int64 microseconds)."""
    ts, te = true_start.astype(np.int64), true_end.astype(np.int64)
    ps, pe = pred_start.astype(np.int64), pred_end.astype(np.int64)
    found = _touch(ts, te, ps, pe)
    correct = _touch(ps, pe, ts, te)
    tus, tue = _union(ts, te)
    pus, pue = _union(ps, pe)
    recall = ALPHA * found + (1 - ALPHA) * _shares(ts, te, pus, pue, found)
    precision = _shares(ps, pe, tus, tue, correct)
    weight = np.maximum(te - ts, POINT_US).astype(np.float64)
    predicted_us = float(np.sum(np.maximum(pue - pus, POINT_US))) if len(pus) else 0.0
    inside_us = float(np.sum(_covered(tus, tue, pue) - _covered(tus, tue, pus)))
    point_hits = float(np.sum((pue == pus) & _touch(pus, pue, tus, tue))) * POINT_US
    return Tally(
        truth=len(ts),
        predicted=len(ps),
        range_recall=float(np.sum(recall)),
        range_precision=float(np.sum(precision)),
        found=int(np.sum(found)),
        correct=int(np.sum(correct)),
        touched_us=float(np.sum(weight[found])),
        truth_us=float(np.sum(weight)),
        outside_us=max(predicted_us - inside_us - point_hits, 0.0),
    )
