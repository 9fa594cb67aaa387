"""Helpers the built-in domains share: dictionary-encoded labels, weighted draws, and fault ids for views."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from sandbox.output.opened import Sandbox


def labels(values: list[str], index: np.ndarray) -> pa.DictionaryArray:
    """Strings by index, as a dictionary array over the (distinct) values."""
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pa.array(values, pa.string()))


def weighted(rng: np.random.Generator, weights: dict[str, float], n: int) -> tuple[list[str], np.ndarray]:
    names = list(weights)
    p = np.asarray([weights[k] for k in names], dtype=np.float64)
    return names, rng.choice(len(names), n, p=p / p.sum())


def fault_ids(box: Sandbox, kind: str, key: str) -> pa.Array:
    """The integer `key` of every truth/defects row of `kind` (row_key is JSON such as {"session_id":17})."""
    keys = box.dataset("defects").to_table(columns=["row_key"], filter=pc.field("kind") == kind)["row_key"]
    found = pc.extract_regex(keys.combine_chunks(), rf'"{key}":\s*(?P<id>\d+)').field("id")
    return pc.cast(found, pa.int64())
