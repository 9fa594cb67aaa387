"""Transcription errors in a ledger's fields: name variants, OCR's errors (`ocr.py`), typos, transpositions,
shifted decimal separators and fields left empty, each change one defect row with the value before and after."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.core.chunks import whole
from sandbox.core.seeding import stable_hash
from sandbox.core.utf8 import utf8_bytes
from sandbox.domains.ledger import ocr as ocr_errors
from sandbox.domains.ledger.books import vocabulary
from sandbox.domains.ledger.ocr import AMOUNTS
from sandbox.noise import corruptions
from sandbox.noise.defects import DefectLog, row_keys

#: How many times a chosen field the edit cannot change is drawn again among the others.
_REDRAWS = 4


def _variant(value: str) -> str | None:
    """Another spelling of the legal form at the end of a company name (GmbH -> G.m.b.H.)."""
    head, _, form = value.rpartition(" ")
    for spellings in vocabulary()["legal_forms"].values():
        if form in spellings:
            others = [s for s in spellings if s != form]
            return f"{head} {others[stable_hash(value) % len(others)]}" if others and head else None
    return None


class _Fields:
    """A column while its errors are applied: the fields edited so far kept as Python strings, so each kind
    edits only its few chosen rows and the column is rebuilt once, at the end."""

    def __init__(self, values: pa.Array) -> None:
        self.values = values
        self.valid = np.asarray(values.is_valid(), bool)
        self.edited: dict[int, str] = {}
        self._running: dict[int, tuple[Weights, np.ndarray]] = {}

    def running(self, weights: Weights) -> np.ndarray:
        """The running sum of `weights` over the column's fields that hold a value (once per weights)."""
        if id(weights) not in self._running:
            self._running[id(weights)] = (weights, np.cumsum(np.where(self.valid, weights.row, 0.0)))
        return self._running[id(weights)][1]

    def edit(self, rows: np.ndarray, edit: Callable[[str, int], str | None]) -> tuple[list[int], list[str], list[str]]:
        """Edit the chosen rows (a few per thousand, one string each): the rows changed, before and after."""
        before = self.values.take(pa.array(rows, pa.int64())).to_pylist() if len(rows) else []
        changed, old, new = [], [], []
        for row, value in zip(rows.tolist(), before, strict=True):
            value = self.edited.get(row, value)
            out = edit(value, row) if value is not None else None
            if out is not None and out != value:
                changed.append(row)
                old.append(value)
                new.append(out)
                self.edited[row] = out
        return changed, old, new

    def drop(self, rows: np.ndarray) -> pa.Array:
        """Leave the chosen fields empty; returns what they held (after any edit)."""
        before = self.values.take(pa.array(rows, pa.int64())).to_pylist() if len(rows) else []
        held = [self.edited.get(row, value) for row, value in zip(rows.tolist(), before, strict=True)]
        self.edited.update(dict.fromkeys(rows.tolist()))
        return pa.array(held, pa.string())

    def result(self) -> pa.Array:
        """The column with every edit and every emptied field, rebuilt in one pass."""
        rows = np.array(sorted(self.edited), dtype=np.int64)
        new = pa.array([self.edited[r] for r in rows.tolist()], pa.string())
        return corruptions.replace_rows(self.values, rows, new)


class Weights:
    """Per-row weights that several kinds share (which rows OCR read, the clerk's multiplier); a kind's
    probability per row is its rate times them. Their largest value is worked out once for all of those kinds."""

    def __init__(self, row: np.ndarray) -> None:
        self.row = row
        self.top = float(row.max(initial=0.0))


def _chosen(rng: np.random.Generator, rate: float, weights: Weights) -> np.ndarray:
    """Sorted rows, each chosen independently with probability p[row] = rate * weights[row]: rows drawn at the
    largest p (a binomial count of distinct rows, as `corruptions.pick` draws them), each kept with p[row] / that
    largest p. The same law as a uniform draw per row, at the cost of the few rows drawn instead of every row."""
    top = min(rate * weights.top, 1.0)  # a clerk at several times a high rate: every row
    if top <= 0:
        return np.zeros(0, np.int64)
    rows = corruptions.pick(rng, len(weights.row), top)
    return rows[rng.random(len(rows)) < rate * weights.row[rows] / top]


def _edit_drawn(
    rng: np.random.Generator, fields: _Fields, rate: float, weights: Weights, edit: Callable[[str, int], str | None]
) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """Each row edited with probability rate * weights[row]. A chosen field the edit cannot change (null, or
    nothing in it to confuse, swap or shift) is drawn again among the column's other fields, with the same weights,
    so a knob's realised rate is its rate over every field it counts, not over the ones that happened to fit.
    Returns the rows changed, in order, with their values before and after."""
    rows = _chosen(rng, rate, weights)
    changed, old, new = fields.edit(rows, edit)
    tried = np.zeros(len(weights.row), bool)
    tried[rows] = True
    short = len(rows) - len(changed)
    # the redraws: by the weights' running sum (sequential, so the same on every machine; a pairwise np.sum need not
    # be), drawn with replacement, and a row drawn twice or tried before is not drawn again (successive sampling)
    running = fields.running(weights) if short and rate > 0 else np.zeros(0)
    for _ in range(_REDRAWS):
        if not short or not len(running) or running[-1] <= 0:
            break
        drawn = np.searchsorted(running, rng.random(short) * running[-1], side="right")
        drawn = np.minimum(drawn, len(running) - 1)  # a draw on the very top of the last weight
        first = np.sort(np.unique(drawn, return_index=True)[1])
        rows = np.sort(drawn[first][~tried[drawn[first]]])
        if not len(rows):
            continue
        tried[rows] = True
        more, was, now = fields.edit(rows, edit)
        changed, old, new = changed + more, old + was, new + now
        short -= len(more)
    order = np.argsort(np.asarray(changed, dtype=np.int64), kind="stable").tolist()
    return (
        np.asarray(changed, dtype=np.int64)[order],
        pa.array([old[i] for i in order], pa.string()),
        pa.array([new[i] for i in order], pa.string()),
    )


def _two_characters(values: pa.Array) -> np.ndarray:
    """Which values hold two characters or more, from their byte lengths and first bytes (one UTF-8 character is 1
    to 4 bytes, its first byte says how many; 10x `utf8_length`). Only values of 2 to 4 bytes can be either."""
    values = whole(values)
    bounds, data = utf8_bytes(values)
    if not len(data):
        return np.zeros(len(values), bool)  # every value empty or null
    size = np.diff(bounds)
    out = size >= 2
    either = np.flatnonzero(out & (size <= 4))
    if len(either):
        head = data[bounds[either]]
        first = np.where(head < 0xC0, 1, np.where(head < 0xE0, 2, np.where(head < 0xF0, 3, 4)))  # its bytes
        out[either] = size[either] > first
    return out if not values.null_count else out & np.asarray(values.is_valid(), bool)


def _edits(
    column: str, rng: np.random.Generator, knobs: Mapping[str, Any], read: Weights, keyed: Weights, decimal: np.ndarray
) -> list[tuple[str, Callable[[str, int], str | None], float, Weights]]:
    """The kinds of error a column gets, in the order they happen (the scan's OCR, then the clerk's keying),
    each with its edit, its rate and the weights it scales (`read`: the OCR-read rows; `keyed`: the clerk's)."""
    if column == "supplier":  # a supplier's name is picked from the list, only its legal form varies
        every = Weights(np.ones(len(read.row)))
        return [("name_variant", lambda v, r: _variant(v), float(knobs["name_variant_rate"]), every)]
    reads: list[tuple[str, Callable[[str, int], str | None]]] = [
        ("ocr", lambda v, r: ocr_errors.misread(v, rng)),
        ("ocr_word", lambda v, r: ocr_errors.garble(v, rng)),
        ("ocr_decimal", lambda v, r: ocr_errors.decimal(v, str(decimal[r]), rng)),
        ("ocr_symbol", lambda v, r: ocr_errors.symbol(v, rng)),
    ]
    quality = str(knobs["ocr_quality"])
    out = [(k, e, ocr_errors.rate(quality, column, k), read) for k, e in reads if ocr_errors.rate(quality, column, k)]
    out += [
        ("typo", lambda v, r: corruptions.typo(v, rng), float(knobs["typo_rate"]), keyed),
        ("transposition", lambda v, r: corruptions.transpose(v, rng), float(knobs["transposition_rate"]), keyed),
    ]
    if column in AMOUNTS:
        shift = ("decimal_shift", lambda v, r: ocr_errors.shift(v, str(decimal[r]), bool(rng.random() < 0.5)))
        out.append((*shift, float(knobs["decimal_shift_rate"]), keyed))
    return out


def errors(
    rng: np.random.Generator,
    log: DefectLog,
    table: str,
    fields: dict[str, pa.Array],
    keys: pa.Table,
    knobs: Mapping[str, Any],
    multiplier: np.ndarray,
    ocr: np.ndarray,
    decimal: np.ndarray,
) -> np.ndarray:
    """Transcription errors, field by field in a fixed order of kinds; every change is one defect row.
    `multiplier` scales the clerk's keying errors (their profile, and double entry), `ocr` marks OCR-read rows."""
    n = len(keys)
    touched = np.zeros(n, dtype=bool)
    found: list[tuple[str, str, np.ndarray, pa.Array, pa.Array | None]] = []  # kind, column, rows, before, after
    read, keyed = Weights(np.where(ocr, 1.0, 0.0)), Weights(np.asarray(multiplier, dtype=np.float64))
    for column in list(fields):
        column_fields = _Fields(fields[column])
        for kind, edit, rate, weights in _edits(column, rng, knobs, read, keyed, decimal):
            if kind == "transposition":  # a one-character field (quantity 3) has nothing to swap
                weights = Weights(weights.row * _two_characters(fields[column]))
            changed, old, new = _edit_drawn(rng, column_fields, rate, weights, edit)
            if len(changed):
                found.append((kind, column, changed, old, new))
        gone = _chosen(rng, float(knobs["missing_field_rate"]), keyed)  # fields the clerk left empty
        gone = gone[column_fields.valid[gone]]
        if len(gone):
            found.append(("missing_field", column, gone, column_fields.drop(gone), None))
        fields[column] = column_fields.result()
    # the defect rows in the order the errors happened, their row keys rendered in one pass
    rows = [changed for _, _, changed, _, _ in found]
    rendered = row_keys(keys, list(keys.column_names), np.concatenate(rows)) if rows else pa.array([], pa.string())
    start = 0
    for kind, column, changed, old, new in found:
        log.add(table, rendered.slice(start, len(changed)), kind, column, truth=old, observed=new)
        touched[changed] = True
        start += len(changed)
    return touched
