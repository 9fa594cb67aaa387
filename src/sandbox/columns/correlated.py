"""Rank correlations between a table's columns (a recipe table's `correlations`), imposed on each chunk after its
columns are generated, by reordering their values (Iman and Conover, 1982): draw normal scores with the target
correlation, then give each column's values, sorted, to the rows in the order of their scores. Every column
keeps exactly the values (and so the distribution) its generator made, and its nulls stay where they were;
only which row holds which value changes. The Cholesky factor is worked out in Python floats and the scores
combined column by column, so the bytes do not depend on BLAS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core import exact

#: Generators whose values a correlation may reorder: values drawn independently per row.
REORDERABLE = frozenset({"normal", "lognormal", "exponential", "uniform", "pareto", "poisson", "zipf", "choice"})


def cholesky(matrix: Sequence[Sequence[float]]) -> list[list[float]] | None:
    """The lower Cholesky factor of a symmetric matrix, or None when it is not positive definite."""
    k = len(matrix)
    low = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            total = float(matrix[i][j]) - math.fsum(low[i][m] * low[j][m] for m in range(j))
            if i == j:
                if total <= 1e-12:
                    return None
                low[i][i] = math.sqrt(total)
            else:
                low[i][j] = total / low[j][j]
    return low


def scores(rng: np.random.Generator, n: int, low: list[list[float]]) -> np.ndarray:
    """n rows of normal scores whose correlation is low x low^T (columns combined in a fixed order)."""
    noise = [exact.standard_normal(rng, n) for _ in low]
    out = np.zeros((n, len(low)))
    for i, row in enumerate(low):
        for j, weight in enumerate(row[: i + 1]):
            out[:, i] += weight * noise[j]
    return out


def reorder(values: pa.Array, score: np.ndarray) -> pa.Array:
    """`values` rearranged so their ranks follow `score`'s among the non-null rows."""
    valid = np.flatnonzero(np.asarray(values.is_valid()))
    if len(valid) < 2:
        return values
    present = values.take(pa.array(valid))
    by_value = np.asarray(pc.sort_indices(present), np.int64)
    by_score = np.argsort(score[valid], kind="stable")
    take = np.arange(len(values))
    take[valid[by_score]] = valid[by_value]
    return values.take(pa.array(take))


def correlate(
    columns: dict[str, pa.Array], names: Sequence[str], matrix: Sequence[Sequence[float]], rng: np.random.Generator
) -> None:
    """Reorder the named columns in place (in `columns`) to the target rank correlation."""
    low = cholesky(matrix)
    if low is None:
        raise ValueError("expected a positive definite correlation matrix")
    n = len(columns[names[0]])
    drawn = scores(rng, n, low)
    for i, name in enumerate(names):
        columns[name] = reorder(columns[name], drawn[:, i])
