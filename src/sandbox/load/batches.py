"""A table's rows as a stream of Arrow batches, file by file, shaped for a target's driver: dictionary columns as
their values everywhere; for SQLite, which has no time or decimal types, instants as ISO 8601 text, dates as
YYYY-MM-DD, decimals as text (stored by NUMERIC affinity) and booleans as 0 / 1."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.load.plan import TablePlan

BATCH_ROWS = 65_536


def _for_sqlite(values: pa.Array) -> pa.Array:
    kind = values.type
    if pa.types.is_timestamp(kind):  # %S carries the fraction of the unit: 05.123456 for microseconds
        text = pc.strftime(values, format="%Y-%m-%dT%H:%M:%S")
        return pc.binary_join_element_wise(text, "+00:00", "") if kind.tz else text
    if pa.types.is_date(kind):
        return pc.strftime(values, format="%Y-%m-%d")
    if pa.types.is_decimal(kind):  # as text: SQLite's NUMERIC affinity parses it (19.99, not 19.990000000000002)
        return pc.cast(values, pa.string())
    if pa.types.is_boolean(kind):
        return pc.cast(values, pa.int64())
    return values


def _plain(values: pa.Array) -> pa.Array:
    return values.dictionary_decode() if pa.types.is_dictionary(values.type) else values


def reader(table: TablePlan, dialect: str, done: Callable[[int], None] | None = None) -> pa.RecordBatchReader:
    """The table's rows for `dialect`'s driver, streamed (`done` hears each batch's rows)."""
    shape = (lambda v: _for_sqlite(_plain(v))) if dialect == "sqlite" else _plain
    sample = [shape(pa.array([], f.type)) for f in table.schema]
    schema = pa.schema([pa.field(f.name, a.type) for f, a in zip(table.schema, sample, strict=True)])

    def batches() -> Iterator[pa.RecordBatch]:
        for path in table.files:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS, columns=table.schema.names):
                out = pa.record_batch([shape(batch.column(i)) for i in range(batch.num_columns)], schema=schema)
                if done:
                    done(out.num_rows)
                yield out

    return pa.RecordBatchReader.from_batches(schema, batches())
