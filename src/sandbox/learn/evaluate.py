"""How good and how private a fitted model is: SDMetrics quality, and distance to closest record (DCR).

DCR: for each row, the distance to its closest training row (numerics scaled by the training range,
categoricals 0 when equal, 1 otherwise, averaged over columns). Synthetic rows must not sit closer to the
training rows than real rows the model never saw (the held-back part) do: the check passes when the median
DCR of synthetic rows is at least that of the held-back rows. Exact copies of training rows are counted too,
overall and among rows with a high-cardinality column (where a copy would single a person out).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Rows compared on each side of a DCR (evenly spaced samples keep it fast and deterministic).
DCR_ROWS = 2_000
TRAIN_ROWS = 20_000
#: A column with more distinct values than this share of the training rows is high-cardinality.
HIGH_CARDINALITY = 0.5
Frames = dict[str, pd.DataFrame]
#: What the reports say when every column is an id, or was dropped by the policy.
NOTHING_COMPARABLE = "nothing to compare: every column is an id or was dropped by the policy"


def quality(real: Frames, synthetic: Frames, metadata: dict[str, Any]) -> dict[str, Any]:
    """SDMetrics' quality report: the overall score and each property (column shapes, column pair trends, and
    for several tables cardinality and intertable trends)."""
    if not any(len(frame.columns) for frame in real.values()):
        return {"score": None, "properties": {}, "note": NOTHING_COMPARABLE}
    from sdmetrics.reports import QualityReport

    report = QualityReport()
    report.generate(real, synthetic, metadata, verbose=False)

    properties = report.get_properties()
    return {
        "score": _rounded(report.get_score()),
        # SDMetrics gives NaN for a property nothing can be measured by (no pair of columns it can compare)
        "properties": {str(r["Property"]): _rounded(r["Score"]) for _, r in properties.iterrows()},
    }


def _rounded(value: Any) -> float | None:
    number = float(value)
    return None if np.isnan(number) else round(number, 4)


def without_ids(frames: Frames, metadata: dict[str, Any]) -> tuple[Frames, dict[str, Any]]:
    """Frames and metadata without generated `id` columns (keys are kept where relationships need them)."""
    keys = {(r["parent_table_name"], r["parent_primary_key"]) for r in metadata.get("relationships", [])}
    keys |= {(r["child_table_name"], r["child_foreign_key"]) for r in metadata.get("relationships", [])}
    tables = {}
    out = {}
    for name, table in metadata["tables"].items():
        ids = [c for c, v in table["columns"].items() if v.get("sdtype") == "id" and (name, c) not in keys]
        if table.get("primary_key") in ids:
            table = {k: v for k, v in table.items() if k != "primary_key"}
        tables[name] = {**table, "columns": {c: v for c, v in table["columns"].items() if c not in ids}}
        out[name] = frames[name].drop(columns=ids)
    return out, {**metadata, "tables": tables}


def _spaced(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    step = max(1, len(frame) // n)
    return frame.iloc[::step].head(n).reset_index(drop=True)


def _encode(frame: pd.DataFrame, train: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Numerics scaled to the training range; categoricals as codes of the training categories (-1 unseen)."""
    numeric, codes = [], []
    for column in train.columns:
        if pd.api.types.is_numeric_dtype(train[column]) or pd.api.types.is_datetime64_any_dtype(train[column]):
            base = pd.to_numeric(train[column], errors="coerce").astype(float)
            lo, hi = np.nanmin(base), np.nanmax(base)
            values = pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()
            numeric.append(np.nan_to_num((values - lo) / (hi - lo if hi > lo else 1.0), nan=-1.0))
        else:
            categories = pd.Index(train[column].astype(str).unique())
            codes.append(categories.get_indexer(frame[column].astype(str)))
    rows = len(frame)
    return (
        np.column_stack(numeric) if numeric else np.zeros((rows, 0)),
        np.column_stack(codes) if codes else np.zeros((rows, 0), int),
    )


def closest(rows: pd.DataFrame, train: pd.DataFrame) -> np.ndarray:
    """Each row's distance to its closest training row (mean over columns, in [0, 1])."""
    num_r, cat_r = _encode(rows, train)
    num_t, cat_t = _encode(train, train)
    width = num_r.shape[1] + cat_r.shape[1]
    out = np.empty(len(rows))
    for start in range(0, len(rows), 100):
        block = slice(start, start + 100)
        distance = np.abs(num_r[block, None, :] - num_t[None, :, :]).clip(0, 1).sum(axis=2)
        distance += (cat_r[block, None, :] != cat_t[None, :, :]).sum(axis=2)
        out[block] = distance.min(axis=1) / max(width, 1)
    return out


def privacy(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, Any]:
    """DCR medians of synthetic and held-back rows, and exact copies of training rows (`comparable` False, with
    a note, when no column is left to compare)."""
    if not len(train.columns):
        return {"comparable": False, "note": NOTHING_COMPARABLE}
    train_s = _spaced(train, TRAIN_ROWS)
    synth_dcr = closest(_spaced(synthetic, DCR_ROWS), train_s)
    hold_dcr = closest(_spaced(holdout, DCR_ROWS), train_s)
    high = [c for c in train.columns if train[c].nunique() > HIGH_CARDINALITY * len(train)]
    copies = synthetic.merge(train.drop_duplicates(), how="inner", on=list(train.columns))
    with_high = int(copies[high].notna().any(axis=1).sum()) if high and len(copies) else 0
    return {
        "comparable": True,
        "dcr_synthetic_median": round(float(np.median(synth_dcr)), 6),
        "dcr_holdout_median": round(float(np.median(hold_dcr)), 6),
        "dcr_passed": bool(np.median(synth_dcr) >= np.median(hold_dcr)),
        "exact_copies": len(copies),
        "exact_copies_with_high_cardinality_column": with_high,
        "high_cardinality_columns": high,
        "rows_compared": {"synthetic": len(synth_dcr), "holdout": len(hold_dcr), "training": len(train_s)},
    }
