"""The one `truth/defects` schema every domain shares, and a per-chunk log that fills it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.columns.arrays import as_strings, utc_text
from sandbox.core.chunks import whole

TIMESTAMP = pa.timestamp("us", tz="UTC")

_FIELDS = {
    "defect_id": (pa.string(), "Unique id of the injected fault."),
    "table": (pa.string(), "Table the fault was injected into."),
    "row_key": (pa.string(), "JSON object of the key columns of the affected row."),
    "column": (pa.string(), "Affected column (null for whole-row faults)."),
    "kind": (pa.string(), "Fault kind, e.g. missing, ocr, typo, duplicate, delay."),
    "truth_value": (pa.string(), "The value before the fault, as a string."),
    "observed_value": (pa.string(), "The value a pipeline sees, as a string."),
    "start_ts": (TIMESTAMP, "Start of the fault's time window, where it has one."),
    "end_ts": (TIMESTAMP, "End of the fault's time window, where it has one."),
    "params": (pa.string(), "JSON object of the fault's parameters (magnitude, copies, ...)."),
}
DEFECTS_SCHEMA = pa.schema(
    [pa.field(name, kind, metadata={"description": text}) for name, (kind, text) in _FIELDS.items()]
)


def row_keys(table: pa.Table, key: Sequence[str], rows: np.ndarray) -> pa.Array:
    """JSON objects of the key columns for the given rows, e.g. `{"order_id":17}`."""
    if not len(rows):
        return pa.array([], pa.string())
    taken = table.select(list(key)).take(pa.array(rows))
    rendered = [_json_value(taken.column(name)) for name in key]
    if all(r is not None for r in rendered):
        parts: list[Any] = []
        for i, (name, text) in enumerate(zip(key, rendered, strict=True)):
            parts += [("{" if i == 0 else ",") + json.dumps(name) + ":", text]
        parts.append("}")
        return pc.binary_join_element_wise(*parts, "")
    records = taken.to_pylist()  # rare: only the few faulty rows of tables keyed by text
    return pa.array([json.dumps(r, separators=(",", ":"), default=str) for r in records], pa.string())


def _json_value(values: pa.ChunkedArray) -> pa.Array | None:
    """A key column as JSON text, vectorised for integers and UTC microsecond times (the same text as
    `json.dumps(..., default=str)` gives: `"2025-03-05 04:47:40.198247+00:00"`, no fraction on whole
    seconds); None for other types."""
    values = whole(values)
    if pa.types.is_integer(values.type):
        return pc.cast(values, pa.string())
    if values.type == TIMESTAMP and values.null_count == 0:
        text = utc_text(values)
        round_second = pc.ends_with(text, ".000000")  # whole seconds: no fraction, as str(datetime) writes them
        text = pc.if_else(round_second, pc.utf8_slice_codeunits(text, 0, -7), text)
        return pc.binary_join_element_wise('"', text, '+00:00"', "")
    return None


class DefectLog:
    """Collects defect rows for one chunk; `table()` numbers them deterministically."""

    def __init__(self, source: str, chunk: int) -> None:
        self.source = source
        self.chunk = chunk
        self._parts: list[pa.Table] = []

    def add(
        self,
        table: str,
        keys: pa.Array,
        kind: str,
        column: str | None = None,
        truth: pa.Array | None = None,
        observed: pa.Array | None = None,
        start_ts: pa.Array | None = None,
        end_ts: pa.Array | None = None,
        params: dict[str, Any] | pa.Array | None = None,
    ) -> None:
        n = len(keys)
        if not n:
            return

        def text(values: pa.Array | None) -> pa.Array:
            return pa.nulls(n, pa.string()) if values is None else as_strings(values)

        def repeat(value: str | None) -> pa.Array:
            return pa.array([value] * n, pa.string()) if value is not None else pa.nulls(n, pa.string())

        if params is None or isinstance(params, dict):
            params_col = repeat(json.dumps(params, sort_keys=True) if params else None)
        else:
            params_col = params
        self._parts.append(
            pa.table(
                {
                    "defect_id": pa.nulls(n, pa.string()),
                    "table": repeat(table),
                    "row_key": keys,
                    "column": repeat(column),
                    "kind": repeat(kind),
                    "truth_value": text(truth),
                    "observed_value": text(observed),
                    "start_ts": pa.nulls(n, TIMESTAMP) if start_ts is None else start_ts.cast(TIMESTAMP),
                    "end_ts": pa.nulls(n, TIMESTAMP) if end_ts is None else end_ts.cast(TIMESTAMP),
                    "params": params_col,
                },
                schema=DEFECTS_SCHEMA,
            )
        )

    def rename(self, tables: Mapping[str, str], dropped: Mapping[str, set[str]]) -> None:
        """Tables renamed (old -> new name), and the defects of `dropped` columns (new name -> columns) left out."""
        parts = []
        for part in self._parts:
            name = part.column("table")[0].as_py()
            new = tables.get(name, name)
            if new != name:
                part = part.set_column(1, DEFECTS_SCHEMA.field("table"), pa.array([new] * len(part), pa.string()))
            column = part.column("column")[0].as_py()
            if column is None or column not in dropped.get(new, set()):
                parts.append(part)
        self._parts = parts

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def table(self) -> pa.Table:
        if not self._parts:
            return DEFECTS_SCHEMA.empty_table()
        out = pa.concat_tables(self._parts)
        numbers = pc.utf8_lpad(pc.cast(pa.array(np.arange(len(out))), pa.string()), 7, padding="0")
        # underscores: a dash-separated run of digits would look like a phone number to the scan
        ids = pc.binary_join_element_wise(f"{self.source}_{self.chunk:05d}_", numbers, "")

        return out.set_column(0, DEFECTS_SCHEMA.field("defect_id"), ids)
