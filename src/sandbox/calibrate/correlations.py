"""Which numeric columns of a table move together, as the rank correlation of their normal scores (van der
Waerden): the matrix a recipe table's `correlations` imposes (`sandbox.columns.correlated`). Columns that
correlate with none of the others (|r| < `MATTERS`) are left out; the matrix is rounded to 3 decimals and, if
rounding leaves it not positive definite, shrunk towards the identity until it is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from sandbox.columns.correlated import cholesky
from sandbox.core import exact

MATTERS = 0.1
#: Rows looked at, evenly spaced (ranks settle long before this).
SAMPLE = 200_000


def normal_scores(values: pd.Series) -> np.ndarray:
    ranks = values.rank(method="average").to_numpy()
    return exact.normal_quantile((ranks - 0.5) / len(ranks))


def fit_correlations(table: pa.Table, names: list[str]) -> tuple[list[str], list[list[float]]] | None:
    """(columns, matrix) for the columns that matter, or None."""
    if len(names) < 2:
        return None
    step = max(1, table.num_rows // SAMPLE)
    frame = table.select(names).to_pandas().iloc[::step].dropna()
    frame = frame[[c for c in names if frame[c].min() != frame[c].max()]]
    if len(frame) < 30 or frame.shape[1] < 2:
        return None
    z = np.column_stack([normal_scores(frame[c].astype(float)) for c in frame])
    r = np.corrcoef(z, rowvar=False)
    keep = [i for i in range(len(r)) if any(abs(r[i, j]) >= MATTERS for j in range(len(r)) if j != i)]
    if len(keep) < 2:
        return None
    matrix = [[round(float(r[i, j]), 3) if i != j else 1.0 for j in keep] for i in keep]
    shrink = 1.0
    while cholesky(matrix) is None:
        shrink *= 0.98
        matrix = [[round(v * shrink, 3) if i != j else 1.0 for j, v in enumerate(row)] for i, row in enumerate(matrix)]
    return [list(frame.columns)[i] for i in keep], matrix
