"""`sandbox diff`: what changed between two sandboxes, so CI catches drift after a dependency upgrade.

Tables, schemas, row counts and null rates come from the manifests; distributions from a fixed, evenly spaced
sample of each column (at most SAMPLE values, so memory stays flat): the population stability index (PSI)
for categoricals and the two-sample Kolmogorov-Smirnov statistic for numerics and times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.output.manifest import TableEntry, read_manifest
from sandbox.output.opened import sample_column

#: Defaults: PSI above 0.2 is the usual "significant shift"; KS above 0.1 moves a tenth of the mass.
#: Small samples raise the bar for KS and null rates to what sampling noise alone could not reach.
PSI_THRESHOLD = 0.2
KS_THRESHOLD = 0.1
NULL_RATE_THRESHOLD = 0.01
#: Columns with more distinct values than this share of the sample are identifiers: no distribution to compare.
ID_SHARE = 0.5
_TOP = 50


@dataclass(frozen=True)
class Difference:
    table: str
    column: str | None
    what: str  # table, schema, rows, null_rate, psi, ks
    a: Any
    b: Any
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "what": self.what,
            "a": self.a,
            "b": self.b,
            "detail": self.detail,
        }


@dataclass
class DiffReport:
    a: str
    b: str
    differences: list[Difference] = field(default_factory=list)
    compared: int = 0  # columns whose distributions were compared

    @property
    def same(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "same": self.same,
            "columns_compared": self.compared,
            "differences": [d.to_dict() for d in self.differences],
        }


def diff(
    a: str | Path,
    b: str | Path,
    *,
    psi: float = PSI_THRESHOLD,
    ks: float = KS_THRESHOLD,
    null_rate: float = NULL_RATE_THRESHOLD,
) -> DiffReport:
    """Compare sandbox `b` against sandbox `a` table by table and column by column."""
    a, b = Path(a), Path(b)
    ma, mb = read_manifest(a), read_manifest(b)
    report = DiffReport(str(a), str(b))
    out = report.differences
    for name in sorted(set(ma["tables"]) | set(mb["tables"])):
        ta, tb = ma["tables"].get(name), mb["tables"].get(name)
        if ta is None or tb is None:
            out.append(
                Difference(name, None, "table", ta is not None, tb is not None, f"only in {'A' if tb is None else 'B'}")
            )
            continue
        if ta["rows"] != tb["rows"]:
            out.append(Difference(name, None, "rows", ta["rows"], tb["rows"], f"{ta['rows']:,} -> {tb['rows']:,}"))
        cols_a = {c["name"]: c for c in ta["columns"]}
        cols_b = {c["name"]: c for c in tb["columns"]}
        for col in sorted(set(cols_a) | set(cols_b)):
            ca, cb = cols_a.get(col), cols_b.get(col)
            if ca is None or cb is None or ca["type"] != cb["type"]:
                ta_type, tb_type = ca["type"] if ca else None, cb["type"] if cb else None
                out.append(Difference(name, col, "schema", ta_type, tb_type, f"type {ta_type} -> {tb_type}"))
                continue
            ra = ca["nulls"] / ta["rows"] if ta["rows"] else 0.0
            rb = cb["nulls"] / tb["rows"] if tb["rows"] else 0.0
            if abs(ra - rb) > max(null_rate, _noise(ra, rb, ta["rows"], tb["rows"])):
                out.append(Difference(name, col, "null_rate", round(ra, 6), round(rb, 6), f"{ra:.2%} -> {rb:.2%}"))
            found = _distribution(a, ta, b, tb, col, psi, ks)
            if found is not None:
                report.compared += 1
                if found.what:
                    out.append(Difference(name, col, found.what, None, None, found.detail))
    return report


@dataclass(frozen=True)
class _Found:
    what: str  # "" when within the threshold
    detail: str


def _distribution(a: Path, ta: TableEntry, b: Path, tb: TableEntry, col: str, psi: float, ks: float) -> _Found | None:
    xa, xb = sample_column(a, ta, col), sample_column(b, tb, col)
    if xa is None or xb is None or not len(xa) or not len(xb):
        return None
    if pa.types.is_string(xa.type) or pa.types.is_large_string(xa.type) or pa.types.is_boolean(xa.type):
        if max(_distinct(xa) / len(xa), _distinct(xb) / len(xb)) > ID_SHARE:
            return None
        value = stability_index(xa, xb)
        return _Found("psi" if value > psi else "", f"PSI {value:.3f} (threshold {psi})")
    value = ks_statistic(_numbers(xa), _numbers(xb))
    # below the critical value at alpha = 0.001 the samples do not tell the distributions apart
    bar = max(ks, 1.95 * math.sqrt((len(xa) + len(xb)) / (len(xa) * len(xb))))
    return _Found("ks" if value > bar else "", f"KS {value:.3f} (threshold {bar:.3f})")


def _noise(ra: float, rb: float, na: int, nb: int) -> float:
    """Four standard errors of the difference of two null rates: smaller gaps are sampling noise."""
    p = (ra * na + rb * nb) / max(na + nb, 1)
    return 4 * math.sqrt(p * (1 - p) * (1 / max(na, 1) + 1 / max(nb, 1)))


def _distinct(values: pa.Array) -> int:
    return len(pc.unique(values))


def _numbers(values: pa.Array) -> np.ndarray:
    kind = values.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_duration(kind):
        values = values.cast(pa.int64()) if not pa.types.is_date32(kind) else values.cast(pa.int32())
    elif pa.types.is_decimal(kind):
        values = values.cast(pa.float64())
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


def ks_statistic(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov D: the largest gap between the two empirical CDFs."""
    x, y = np.sort(x), np.sort(y)
    grid = np.concatenate([x, y])
    gap = np.searchsorted(x, grid, side="right") / len(x) - np.searchsorted(y, grid, side="right") / len(y)
    return float(np.abs(gap).max())


def stability_index(x: pa.Array, y: pa.Array) -> float:
    """PSI = sum (q - p) ln(q / p) over A's top categories plus 'other', with a floor for empty bins."""
    counts_a = {d["values"]: d["counts"] for d in pc.value_counts(x).to_pylist()}
    counts_b = {d["values"]: d["counts"] for d in pc.value_counts(y).to_pylist()}
    top = sorted(counts_a, key=lambda v: (-counts_a[v], str(v)))[:_TOP]
    p = np.array([counts_a[v] for v in top] + [len(x) - sum(counts_a[v] for v in top)], dtype=np.float64) / len(x)
    q = np.array([counts_b.get(v, 0) for v in top] + [len(y) - sum(counts_b.get(v, 0) for v in top)], np.float64)
    q /= len(y)
    p, q = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
    return float(np.sum((q - p) * np.log(q / p)))
