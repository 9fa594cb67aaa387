"""`sandbox score`: grade a user's detections against `truth/defects`, per fault kind.

A prediction names (table, row_key, kind) and optionally the column. It matches a truth row with the same
table, row_key and kind, and the same column when it gives one. Precision counts distinct predictions that
match; recall counts truth rows that some prediction matches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.errors import UsageError
from sandbox.output.manifest import read_manifest

REQUIRED = ("table", "row_key", "kind")
KEYS = (*REQUIRED, "column")


@dataclass(frozen=True)
class KindScore:
    kind: str
    truth: int
    predicted: int
    matched_predictions: int
    found: int  # truth rows some prediction matches

    @property
    def precision(self) -> float:
        return self.matched_predictions / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.truth if self.truth else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "truth": self.truth,
            "predicted": self.predicted,
            "true_positives": self.matched_predictions,
            "found": self.found,
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
        }


def read_predictions(path: Path) -> pd.DataFrame:
    """A Parquet or CSV file with table, row_key, kind and optionally column, as read (`score` normalises it)."""
    if not path.is_file():
        raise UsageError(
            f"{path}: expected a predictions file (Parquet or CSV), got {'a folder' if path.exists() else 'nothing'}"
        )
    try:
        if path.suffix.lower() == ".parquet":
            frame = pq.read_table(path).to_pandas()
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pa.ArrowException, pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path}: expected Parquet or CSV predictions, got {type(exc).__name__}: {exc}") from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise UsageError(
            f"{path}: expected columns table, row_key, kind (and optionally column), missing {', '.join(missing)}; "
            f"got {', '.join(map(str, frame.columns)) or 'none'}"
        )
    return frame


def _normalise(frame: pd.DataFrame, keys: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Text columns, no duplicates, and every row_key in one canonical JSON form (`canonical_key`)."""
    out = pd.DataFrame({c: frame[c] if c in frame.columns else None for c in KEYS})
    for col in KEYS:
        out[col] = out[col].astype("string")
    out = out.fillna({"column": ""})
    out["row_key"] = pd.array(
        [canonical_key(k, (keys or {}).get(str(t), [])) for t, k in zip(out["table"], out["row_key"], strict=True)],
        dtype="string",
    )
    return out.drop_duplicates(ignore_index=True)


def canonical_key(text: Any, key_columns: list[str]) -> Any:
    """`{"order_id": 42}`, `{ "order_id":42 }` and, for a table keyed by one column, a bare `42` are one key:
    compact JSON with sorted names. Text that is not JSON stays as it is (it matches nothing)."""
    if text is None or text is pd.NA:
        return text
    try:
        value = json.loads(str(text))
    except ValueError:
        return text
    if not isinstance(value, dict):
        if len(key_columns) != 1:
            return text
        value = {key_columns[0]: value}
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def truth_defects(folder: Path) -> pd.DataFrame:
    manifest = read_manifest(folder)
    table = manifest["tables"].get("defects")
    if table is None or table["role"] != "truth":
        withheld = "defects" in manifest.get("withheld", [])
        raise UsageError(
            f"{folder}: expected truth/defects to score against, got "
            + ("a sandbox packed --without-truth" if withheld else "a sandbox without injected faults")
        )
    frames = [pq.read_table(folder / f["path"], columns=list(KEYS)).to_pandas() for f in table["files"]]
    return _normalise(pd.concat(frames, ignore_index=True))


def key_columns(folder: Path) -> dict[str, list[str]]:
    """Each table's key columns, from the manifest."""
    return {name: list(t.get("key") or []) for name, t in read_manifest(folder)["tables"].items()}


def score(folder: str | Path, predictions: str | Path | pd.DataFrame) -> list[KindScore]:
    """Precision, recall and F1 per fault kind (kinds from the truth and the predictions, sorted)."""
    truth = truth_defects(Path(folder))
    pred = predictions if isinstance(predictions, pd.DataFrame) else read_predictions(Path(predictions))
    pred = _normalise(pred, key_columns(Path(folder)))
    loose = pred["column"] == ""
    # a prediction without a column matches on (table, row_key, kind); one with a column on all four
    exact = pred[~loose].merge(truth, on=list(KEYS), how="left", indicator=True)
    any_col = (
        pred[loose]
        .drop(columns="column")
        .merge(truth.drop(columns="column").drop_duplicates(), on=list(REQUIRED), how="left", indicator=True)
    )
    hits = pd.concat(
        [exact[exact["_merge"] == "both"][list(REQUIRED)], any_col[any_col["_merge"] == "both"][list(REQUIRED)]]
    )
    matched = hits.groupby("kind").size()
    found_exact = truth.merge(pred[~loose], on=list(KEYS), how="left", indicator=True)["_merge"] == "both"
    found_loose = (
        truth.drop(columns="column").merge(
            pred[loose].drop(columns="column"), on=list(REQUIRED), how="left", indicator=True
        )["_merge"]
        == "both"
    )
    found = truth[found_exact.to_numpy() | found_loose.to_numpy()].groupby("kind").size()
    truth_n, pred_n = truth.groupby("kind").size(), pred.groupby("kind").size()
    kinds = sorted(set(truth_n.index) | set(pred_n.index))
    return [
        KindScore(str(k), int(truth_n.get(k, 0)), int(pred_n.get(k, 0)), int(matched.get(k, 0)), int(found.get(k, 0)))
        for k in kinds
    ]
