"""Rows drawn from a learned model: its random state set from (seed, purpose), each batch inside `seeded`.

Determinism: the model's own random state is set from (seed, purpose) once, then batches are drawn in order,
each inside `seeded(seed, purpose, batch)`, which seeds and then restores numpy's and torch's global state.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from sandbox.core.seeding import stream
from sandbox.domains.learned.guard import seeded


def begin(model: Any, kind: str, seed: int, purpose: str) -> None:
    """Put the model's own random state where (seed, purpose) says."""
    derived = int(stream(seed, "learn", 0, f"{purpose}:model").integers(0, 2**31 - 1))
    model.reset_sampling()
    if kind == "hma":
        model._numpy_seed = derived  # HMA seeds numpy from this around every sample call
    else:
        model._set_random_state(derived)


def draw(model: Any, kind: str, table: str | None, rows: float, seed: int, purpose: str, batch: int = 0) -> Any:
    """One batch of `rows` rows of `table` (a DataFrame), or for hma the whole dataset scaled by `rows` (a
    dict of DataFrames; 0 means scale 1). Call `begin` before the first batch."""
    if batch == 0:
        begin(model, kind, seed, purpose)
    with seeded(seed, purpose, batch):
        if kind == "hma":
            return model.sample_scale(scale=float(rows) or 1.0)
        return model.sample(int(rows))[table]


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def empty_frame(model: Any, table: str) -> pd.DataFrame:
    """No rows, with the columns and dtypes of `table` (for an empty chunk or build)."""
    return model.sample(1)[table].head(0)
