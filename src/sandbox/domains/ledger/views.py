"""Ledger view: error rates by clerk and kind (faults per 1,000 records each clerk typed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.plots import pyplot
from sandbox.output.opened import Sandbox

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def views(box: Sandbox) -> list[tuple[str, Figure]]:
    records = box.to_arrow("invoices").select(["record_id", "clerk_id"])
    faults = box.dataset("defects").to_table(columns=["row_key", "kind"])
    found = pc.extract_regex(faults["row_key"].combine_chunks(), r'"record_id":\s*(?P<id>\d+)')
    record = pc.cast(found.field("id"), pa.int64())
    faults = pa.table({"record_id": record, "kind": faults["kind"].combine_chunks().filter(found.is_valid())})
    joined = faults.join(records, "record_id")
    clerks = np.unique(records["clerk_id"].to_numpy())
    kinds = sorted(set(joined["kind"].to_pylist()))
    typed = np.bincount(records["clerk_id"].to_numpy(), minlength=clerks.max() + 1)[clerks]
    grid = np.zeros((len(clerks), len(kinds)))
    for row in joined.group_by(["clerk_id", "kind"]).aggregate([([], "count_all")]).to_pylist():
        grid[np.searchsorted(clerks, row["clerk_id"]), kinds.index(row["kind"])] = row["count_all"]
    rates = grid / np.maximum(typed, 1)[:, None] * 1000
    return [("Faults per 1,000 records by clerk and kind (from truth/defects)", _heatmap(rates, clerks, kinds))]


def _heatmap(rates: np.ndarray, clerks: np.ndarray, kinds: list[str]) -> Figure:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.1 * len(kinds) + 2.5, 0.38 * len(clerks) + 1.6))
    image = ax.imshow(rates, cmap="Reds", aspect="auto")
    ax.set_xticks(range(len(kinds)), kinds, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(clerks)), [f"clerk {c}" for c in clerks], fontsize=8)
    for (i, j), value in np.ndenumerate(rates):
        ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, label="per 1,000 records")
    fig.tight_layout()
    return fig
