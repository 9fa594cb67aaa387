"""`sandbox score`: grade a user's detections against `truth/defects`, per fault kind.

A prediction names (table, row_key, kind) and optionally the column. It matches a truth row with the same
table, row_key and kind, and the same column when it gives one. Precision counts distinct predictions that
match; recall counts truth rows that some prediction matches.

A prediction may also carry a window, `start_ts` and `end_ts` (equal, or `end_ts` left out, for a point).
Then the kinds whose truth rows have windows are scored in time as well (`sandbox.scoring.ranges`): within
each entity (the row_key without its time columns, e.g. a sensor), range-based, event-wise and
point-adjusted precision and recall. A key match alone cannot tell a window that covers a fault from one
that covers the whole period; these can.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.errors import UsageError
from sandbox.output.manifest import Manifest, read_manifest
from sandbox.scoring.ranges import Tally, tally

REQUIRED = ("table", "row_key", "kind")
KEYS = (*REQUIRED, "column")
WINDOW = ("start_ts", "end_ts")


@dataclass(frozen=True)
class KindScore:
    kind: str
    truth: int
    predicted: int
    matched_predictions: int
    found: int  # truth rows some prediction matches
    #: precision, recall and f1 per family (range, event, point_adjusted), when predictions carry windows
    windows: dict[str, dict[str, float]] | None = None

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
            **{family: {k: round(v, 6) for k, v in values.items()} for family, values in (self.windows or {}).items()},
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


def _normalise(
    frame: pd.DataFrame, keys: dict[str, list[str]] | None = None, keep_duplicates: bool = False
) -> pd.DataFrame:
    """Text columns, no duplicates, and every row_key in one canonical JSON form (`canonical_key`)."""
    out = pd.DataFrame({c: frame[c] if c in frame.columns else None for c in KEYS})
    for col in KEYS:
        out[col] = out[col].astype("string")
    out = out.fillna({"column": ""})
    out["row_key"] = pd.array(
        [canonical_key(k, (keys or {}).get(str(t), [])) for t, k in zip(out["table"], out["row_key"], strict=True)],
        dtype="string",
    )
    return out if keep_duplicates else out.drop_duplicates(ignore_index=True)


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
    frames = [pq.read_table(folder / f["path"], columns=[*KEYS, *WINDOW]) for f in table["files"]]
    truth = pa.concat_tables(frames)
    out = _normalise(truth.select(list(KEYS)).to_pandas(), keep_duplicates=True)
    for name in WINDOW:
        out[name] = truth[name].cast(pa.int64()).to_pandas()
    return out.drop_duplicates(ignore_index=True)


def key_columns(manifest: Manifest) -> dict[str, list[str]]:
    """Each table's key columns."""
    return {name: list(t.get("key") or []) for name, t in manifest["tables"].items()}


def time_keys(manifest: Manifest) -> dict[str, set[str]]:
    """Each table's key columns that are instants or dates: a window's time, not its entity."""
    out: dict[str, set[str]] = {}
    for name, table in manifest["tables"].items():
        types = {c["name"]: str(c.get("type", "")) for c in table.get("columns", [])}
        out[name] = {k for k in table.get("key") or [] if types.get(k, "").startswith(("timestamp", "date"))}
    return out


def score(folder: str | Path, predictions: str | Path | pd.DataFrame) -> list[KindScore]:
    """Precision, recall and F1 per fault kind (kinds from the truth and the predictions, sorted), and the
    time-aware families where the predictions carry windows."""
    folder = Path(folder)
    raw = predictions if isinstance(predictions, pd.DataFrame) else read_predictions(Path(predictions))
    source = "predictions" if isinstance(predictions, pd.DataFrame) else str(predictions)
    return scored(read_manifest(folder), truth_defects(folder), raw, source)


def scored(manifest: Manifest, truth: pd.DataFrame, raw: pd.DataFrame, source: str) -> list[KindScore]:
    """`score` against the given truth rows (in `truth_defects`' form: all of them, or a sample)."""
    pred = _normalise(raw, key_columns(manifest))
    keyed = _keyed(truth[list(KEYS)].drop_duplicates(ignore_index=True), pred)
    windows = _windowed(manifest, truth, raw, source)
    return [KindScore(kind, *counts, windows=windows.get(kind)) for kind, counts in keyed.items()]


def _keyed(truth: pd.DataFrame, pred: pd.DataFrame) -> dict[str, tuple[int, int, int, int]]:
    """(truth rows, predictions, matching predictions, truth rows found) per kind, matched by key."""
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
    return {
        str(k): (int(truth_n.get(k, 0)), int(pred_n.get(k, 0)), int(matched.get(k, 0)), int(found.get(k, 0)))
        for k in kinds
    }


def _windowed(
    manifest: Manifest, truth: pd.DataFrame, raw: pd.DataFrame, source: str
) -> dict[str, dict[str, dict[str, float]]]:
    """The time-aware families per kind, for the kinds whose truth rows and predictions both have windows."""
    if "start_ts" not in raw.columns:
        return {}
    pred = _normalise(raw, key_columns(manifest), keep_duplicates=True)
    pred["start_ts"], pred["end_ts"] = _instants(raw, source)
    pred = pred[pred["start_ts"].notna()].copy()
    truth = truth[truth["start_ts"].notna()].copy()
    times = time_keys(manifest)
    for frame in (truth, pred):
        pairs = zip(frame["table"], frame["row_key"], strict=True)
        frame["entity"] = [_entity(key, times.get(str(table), set())) for table, key in pairs]
    out = {}
    for kind in sorted(set(truth["kind"]) & set(pred["kind"])):
        groups: dict[tuple[str, str], list[pd.DataFrame]] = {}
        for side, frame in enumerate((truth[truth["kind"] == kind], pred[pred["kind"] == kind])):
            for key, rows in frame.groupby(["table", "entity"]):
                groups.setdefault(key, [pd.DataFrame(), pd.DataFrame()])[side] = rows
        total = Tally()
        for true_rows, pred_rows in groups.values():
            total += tally(*_window_arrays(true_rows), *_window_arrays(pred_rows))
        out[kind] = total.scores()
    return out


def _window_arrays(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if rows.empty:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return rows["start_ts"].to_numpy(np.int64), rows["end_ts"].to_numpy(np.int64)


def _entity(row_key: Any, time_columns: set[str]) -> str:
    """The row_key without its time columns: {"sensor_id":1,"ts":"..."} is sensor 1's."""
    try:
        value = json.loads(str(row_key))
    except ValueError:
        return str(row_key)
    if not isinstance(value, dict):
        return str(row_key)
    return json.dumps({k: v for k, v in value.items() if k not in time_columns}, separators=(",", ":"), sort_keys=True)


def _instants(raw: pd.DataFrame, source: str) -> tuple[pd.Series, pd.Series]:
    """start_ts and end_ts as microseconds since the epoch (UTC; end_ts defaults to start_ts); `source` names
    the predictions in errors, which count data rows from 1."""
    out = []
    for name in WINDOW:
        column = raw[name] if name in raw.columns else raw["start_ts"]
        parsed = pd.to_datetime(column, utc=True, format="ISO8601", errors="coerce")
        missing = parsed.isna()
        unparsed = np.flatnonzero((missing & column.notna()).to_numpy())
        if len(unparsed):
            row = unparsed[0]
            raise UsageError(
                f"{source}: row {row + 1}: expected an ISO 8601 time in {name} (e.g. 2025-03-01T12:00:00Z), "
                f"got {column.iloc[row]!r}"
            )
        us = parsed.fillna(pd.Timestamp(0, tz="UTC")).dt.as_unit("us").astype("int64")
        out.append(pd.Series(np.where(missing, np.nan, us), index=raw.index))
    start, end = out
    end = end.where(end.notna(), start)
    bad = np.flatnonzero((end < start).to_numpy())
    if len(bad):
        raise UsageError(f"{source}: row {bad[0] + 1}: expected end_ts at or after start_ts")
    return start, end
