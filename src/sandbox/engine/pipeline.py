"""The stages every chunk goes through, in one place: produce, corrupt, protect, scan, write.

Pure in the job: any process (this one, a pool worker, a Dask worker) turns the same job into the same bytes.
A chunk sends back only its parts' descriptions, never its rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyarrow as pa

from sandbox.engine.partition import by_day
from sandbox.engine.plan import DEFECTS, Job
from sandbox.noise.defects import DefectLog
from sandbox.output.writer import Part, write_part
from sandbox.privacy.protect import protect
from sandbox.privacy.scan import scan_tables


@dataclass(frozen=True)
class Outcome:
    """What a chunk task sends back: its parts' descriptions and where its time went (never the rows)."""

    parts: list[Part]
    seconds: float
    scan_seconds: float


@dataclass(frozen=True)
class _Piece:
    """One Parquet part to write: a table's rows (or a day of them) and where they go."""

    table: str
    role: str
    name: str
    data: pa.Table
    directory: str | None = None


def run_chunk(job: Job) -> Outcome:
    """Produce, corrupt, protect, scan and write one chunk."""
    started = time.perf_counter()
    producer, chunk = job.producer, job.chunk
    log = DefectLog(producer.name, chunk.index)
    tables = producer.produce(chunk, log)
    tables = producer.corrupt(tables, chunk, log)
    infos = {info.name: info for info in producer.tables()}
    defects = log.table()
    for name in list(tables):
        tables[name], defects = protect(tables[name], defects, name, infos[name].privacy, job.key)
    part = f"part-{chunk.index:05d}.parquet"
    pieces = []
    for name, data in tables.items():
        info = infos[name]
        if info.partition and len(data):
            pieces += [
                _Piece(name, info.role, f"{day}/{part}", rows, info.directory)
                for day, rows in by_day(data, info.partition)
            ]
        else:
            pieces.append(_Piece(name, info.role, part, data, info.directory))
    if producer.always_defects:
        pieces.append(_Piece(DEFECTS, "truth", producer.defects_part(chunk), defects))
    pieces = [p for p in pieces if len(p.data) or chunk.index == 0]  # empty parts only for chunk 0: a schema on disk
    scan_started = time.perf_counter()
    scans = scan_tables([p.data for p in pieces], defects=defects)
    scan_seconds = time.perf_counter() - scan_started
    parts = [
        write_part(job.root, p.table, p.role, p.name, p.data, scan, p.directory)
        for p, scan in zip(pieces, scans, strict=True)
    ]
    return Outcome(parts, time.perf_counter() - started, scan_seconds)
