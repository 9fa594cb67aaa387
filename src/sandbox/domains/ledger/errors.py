"""Transcription errors in a ledger's fields: name variants, OCR misreads, typos, transpositions, shifted decimal
separators and fields left empty, each change one defect row with the value before and after."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.seeding import stable_hash
from sandbox.domains.ledger.books import vocabulary
from sandbox.noise import corruptions
from sandbox.noise.defects import DefectLog, row_keys

#: How many times a chosen field the edit cannot change is drawn again among the others.
_REDRAWS = 4
AMOUNTS = ("net", "vat", "gross", "unit_price", "line_total")


def _variant(value: str) -> str | None:
    """Another spelling of the legal form at the end of a company name (GmbH -> G.m.b.H.)."""
    head, _, form = value.rpartition(" ")
    for spellings in vocabulary()["legal_forms"].values():
        if form in spellings:
            others = [s for s in spellings if s != form]
            return f"{head} {others[stable_hash(value) % len(others)]}" if others and head else None
    return None


def _shift(value: str, decimal: str, right: bool) -> str | None:
    """The decimal separator one digit to the left or right (12.50 -> 1.250 or 125.0)."""
    at = value.rfind(decimal)
    target = at + 2 if right else at - 1
    if at < 0 or target < 1 or target > len(value) or not value[target - 1].isdigit():
        return None
    digits = value[:at] + value[at + 1 :]
    return (
        digits[: target - 1] + decimal + digits[target - 1 :] if right else digits[:target] + decimal + digits[target:]
    )


def _edit_drawn(
    rng: np.random.Generator, values: pa.Array, p: np.ndarray, edit: Callable[[str, int], str | None]
) -> tuple[pa.Array, np.ndarray, pa.Array]:
    """Each row edited with probability p[row]. A chosen field the edit cannot change (null, or nothing in it to
    confuse, swap or shift) is drawn again among the column's other fields, with the same weights, so a knob's
    realised rate is its rate over every field it counts, not over the ones that happened to fit."""
    rows = np.flatnonzero(rng.random(len(p)) < p)
    values, changed, old = _edit_all(values, rows, edit)
    tried = np.zeros(len(p), bool)
    tried[rows] = True
    changes, olds = [changed], [old]
    short = len(rows) - len(changed)
    for _ in range(_REDRAWS):
        weights = np.where(tried | ~np.asarray(values.is_valid(), bool), 0.0, p)
        left = int(np.count_nonzero(weights))
        if not short or not left:
            break
        rows = np.sort(rng.choice(len(p), min(short, left), replace=False, p=weights / math.fsum(weights.tolist())))
        tried[rows] = True
        values, changed, old = _edit_all(values, rows, edit)
        changes.append(changed)
        olds.append(old)
        short -= len(changed)
    order = np.argsort(np.concatenate(changes), kind="stable")
    return values, np.concatenate(changes)[order], pa.chunked_array(olds).combine_chunks().take(pa.array(order))


def _edit_all(
    values: pa.Array, rows: np.ndarray, edit: Callable[[str, int], str | None]
) -> tuple[pa.Array, np.ndarray, pa.Array]:
    """Edit the chosen rows (a few per thousand, one string each); returns observed, changed rows, old values."""
    before = values.take(pa.array(rows, pa.int64())).to_pylist() if len(rows) else []
    changed, new = [], []
    for row, value in zip(rows.tolist(), before, strict=True):
        out = edit(value, row) if value is not None else None
        if out is not None and out != value:
            changed.append(row)
            new.append(out)
    rows_changed = np.asarray(changed, dtype=np.int64)
    old = values.take(pa.array(rows_changed, pa.int64()))
    return corruptions.replace_rows(values, rows_changed, pa.array(new, pa.string())), rows_changed, old


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
    """Transcription errors, field by field in a fixed order of kinds; every change is one defect row."""
    n = len(keys)
    touched = np.zeros(n, dtype=bool)
    edits: list[tuple[str, str, Callable[[str, int], str | None], np.ndarray]] = [
        ("name_variant", "name_variant_rate", lambda v, r: _variant(v), np.ones(n)),
        ("ocr", "ocr_rate", lambda v, r: corruptions.ocr(v, rng), np.where(ocr, 1.0, 0.0)),
        ("typo", "typo_rate", lambda v, r: corruptions.typo(v, rng), multiplier),
        ("transposition", "transposition_rate", lambda v, r: corruptions.transpose(v, rng), multiplier),
        (
            "decimal_shift",
            "decimal_shift_rate",
            lambda v, r: _shift(v, decimal[r], bool(rng.random() < 0.5)),
            multiplier,
        ),
    ]
    for column in list(fields):
        values = fields[column]
        for kind, knob, edit, weight in edits:
            if (kind == "name_variant") != (column == "supplier") or (
                kind == "decimal_shift" and column not in AMOUNTS
            ):
                continue
            if kind == "transposition":  # a one-character field (quantity 3) has nothing to swap
                weight = weight * np.asarray(pc.fill_null(pc.greater_equal(pc.utf8_length(values), 2), False))
            values, changed, old = _edit_drawn(rng, values, float(knobs[knob]) * weight, edit)
            if len(changed):
                keyed = row_keys(keys, list(keys.column_names), changed)
                log.add(table, keyed, kind, column, truth=old, observed=values.take(pa.array(changed)))
                touched[changed] = True
        fields[column] = _drop_fields(rng, log, table, column, values, keys, knobs, multiplier, touched)
    return touched


def _drop_fields(
    rng: np.random.Generator,
    log: DefectLog,
    table: str,
    column: str,
    values: pa.Array,
    keys: pa.Table,
    knobs: Mapping[str, Any],
    multiplier: np.ndarray,
    touched: np.ndarray,
) -> pa.Array:
    """Fields the clerk left empty (the rows are marked in `touched`)."""
    gone = np.flatnonzero(
        (rng.random(len(keys)) < float(knobs["missing_field_rate"]) * multiplier) & np.asarray(values.is_valid(), bool)
    )
    if len(gone):
        log.add(
            table,
            row_keys(keys, list(keys.column_names), gone),
            "missing_field",
            column,
            truth=values.take(pa.array(gone)),
        )
        values = corruptions.set_missing(values, gone)
        touched[gone] = True
    return values
