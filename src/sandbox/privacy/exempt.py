"""Faults whose observed value counts as reserved: a corrupted reserved value (a typo in a fictional phone
number) is no leak, though it has left reserved space."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from sandbox.privacy.classes import FATAL_CLASSES
from sandbox.privacy.detect import spans


def exempt_rows(defects: pa.Table, rows: Sequence[int]) -> frozenset[str]:
    """Observed values of the fault rows `rows` (those the prefilter flags) whose truth held no leaked PII: a
    corrupted reserved value stays reserved. Visited in the order injected, so a chain (a typo, then an OCR
    confusion of the typo) stays exempt: a truth that is an exempt observed value passes the exemption on."""
    if not len(rows):
        return frozenset()
    picked = defects.take(pa.array(rows, pa.int64()))
    out: set[str] = set()
    for truth, seen in zip(picked["truth_value"].to_pylist(), picked["observed_value"].to_pylist(), strict=True):
        if seen is None:
            continue
        if truth in out or not any(cls in FATAL_CLASSES and not res for _, _, cls, _, res in spans(truth or "")):
            out.add(seen)
    return frozenset(out)
