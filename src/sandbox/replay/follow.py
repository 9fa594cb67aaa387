"""`replay --follow`: after the last day of a sandbox built as a window of its recipe's period (`sandbox build
--until DATE`), the recipe's next days, made here chunk by chunk through the build's own pipeline (produce,
corrupt, protect, scan, write: into a temporary folder, read back, deleted), so each day's rows are the bytes a
build of the whole period writes for it, and the stream is the one a replay of that build sends.

Rows arrive at or after the start of the day their chunk makes (a reading is received after it was taken), so
every row arriving before day N's start is known once day N-1 is made: the stream sends those, holds the rest,
and merges them with day N's rows; day N is made in a thread while the rows before it go out. It ends at the
period's end (`domain.knobs.days`, up to 3650).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from pathlib import Path

import numpy as np
import pyarrow as pa

from sandbox.engine.days import Period, period_of
from sandbox.engine.pipeline import run_chunk
from sandbox.engine.plan import Job, plan, producers
from sandbox.errors import UsageError
from sandbox.explain.conformance import recipe_of
from sandbox.load.plan import parquet_scan
from sandbox.output.opened import Sandbox
from sandbox.privacy import keys, report
from sandbox.replay.order import Window, connection, sorted_batches


@dataclass(frozen=True)
class Follow:
    """The days after a window sandbox's last, each as the jobs that make it."""

    period: Period
    first: int
    days: dict[int, list[Job]]

    def start(self, day: int) -> datetime:
        return datetime.combine(self.period.date(day), time(), UTC)

    def make(self, day: int, root: Path, table: str) -> list[str]:
        """Day `day`'s chunks written under `root` (failing closed like a build); the files of `table`."""
        parts = [part for job in self.days[day] for part in run_chunk(replace(job, root=str(root))).parts]
        report.fail_closed(report.merged_scans(parts))
        return [str(root / part.path) for part in sorted(parts, key=lambda p: p.path) if part.table == table]


def follow_plan(box: Sandbox, key_file: Path | None = None) -> Follow:
    """What follows `box`: the days of its recipe's period after its window; UsageError when there are none."""
    model = recipe_of(box.manifest)
    if model is None:
        raise UsageError(f"--follow: expected a sandbox built from a recipe; {box.path} was made from data")
    found = producers(model)
    period = period_of(found, "--follow")
    window = box.manifest.get("window") or {}
    first = int(window["first_day"]) + int(window["days"]) if window else period.days
    if first >= period.days:
        raise UsageError(
            f"--follow: {box.path} already holds the last day of its recipe's period, {period.describe()}: build "
            "the first days with `sandbox build RECIPE --until DATE` and follow from there (domain.knobs.days sets "
            "how far the period goes, up to 3650)"
        )
    secret = keys.key_of(box.manifest, key_file, box.path).secret
    for producer in found:
        producer.prepare()
    days: dict[int, list[Job]] = {day: [] for day in range(first, period.days)}
    for job in plan(found, "", secret):
        day = job.producer.day(job.chunk)
        if day is not None and day >= first:
            days[day].append(job)
    return Follow(period, first, days)


def followed(
    box: Sandbox, table: str, arrival: str, window: Window, batch_rows: int, follow: Follow
) -> Iterator[pa.RecordBatch]:
    """The sandbox's rows of `table`, then the following days', in arrival order within `window`."""
    cut, left = Window(window.start, window.until), window.limit
    held: list[pa.RecordBatch] = []
    scratch = Path(tempfile.mkdtemp(prefix="sandbox-follow-"))
    ahead = _Ahead(follow, table, scratch)
    try:
        for day in [None, *follow.days]:
            if day is None:
                files = [str(p) for p in box.files(table)]
            else:
                files = ahead.files(day)
                _check_arrival(files, arrival, follow.start(day), day)
            after = follow.first if day is None else day + 1
            until = follow.start(after) if after < follow.period.days else None
            rows, held = _sorted(box, table, arrival, files, held, cut, batch_rows), []
            for batch in rows:
                sent, kept = _split(batch, arrival, until)
                if left is not None:
                    sent = sent.slice(0, left)
                    left -= sent.num_rows
                if sent.num_rows:
                    yield sent
                if kept.num_rows:
                    held.append(kept)
            shutil.rmtree(scratch / str(day), ignore_errors=True)
            if left == 0 or until is None or (window.until is not None and until >= window.until):
                return
    finally:
        ahead.close()
        shutil.rmtree(scratch, ignore_errors=True)


class _Ahead:
    """Each day made in a thread while the stream sends the rows before it: at a pacing speed the stream would
    otherwise stop at every day's start for as long as the day takes to make (0.35 s for 40 devices)."""

    def __init__(self, follow: Follow, table: str, scratch: Path) -> None:
        self.follow, self.table, self.scratch = follow, table, scratch
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-follow")
        self.making: dict[int, Future[list[str]]] = {}
        self.start(follow.first)

    def start(self, day: int) -> None:
        if day in self.follow.days and day not in self.making:
            self.making[day] = self.pool.submit(self.follow.make, day, self.scratch / str(day), self.table)

    def files(self, day: int) -> list[str]:
        """Day `day`'s files of the table (its errors raised here), the next day set going."""
        self.start(day)
        files = self.making.pop(day).result()
        self.start(day + 1)
        return files

    def close(self) -> None:
        """A day not begun is not made; one being made is finished, so its folder can be removed."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def _sorted(
    box: Sandbox, table: str, arrival: str, files: list[str], held: list[pa.RecordBatch], cut: Window, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """The rows of `files` and the `held` ones together, in arrival order, on a connection of their own."""
    if not files and not held:
        return
    con = connection()
    try:
        if held:
            con.register("held_rows", pa.Table.from_batches(held))
        yield from sorted_batches(con, box, table, arrival, files, cut, batch_rows, "held_rows" if held else None)
    finally:
        con.close()


def _split(batch: pa.RecordBatch, arrival: str, until: datetime | None) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """The rows arriving before `until` (all of them when None) and the rest; `batch` is in arrival order."""
    if until is None:
        return batch, batch.slice(batch.num_rows)
    column = batch.column(arrival)
    at = column.cast(pa.timestamp("us", "UTC")).cast(pa.int64()).to_numpy(zero_copy_only=False)
    bound = int((until - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)
    valid = ~np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    n = int(np.searchsorted(np.where(valid, at, np.iinfo(np.int64).max), bound, side="left"))
    return batch.slice(0, n), batch.slice(n)


def _check_arrival(files: list[str], arrival: str, start: datetime, day: int) -> None:
    """Every row of a day's chunks arrives at or after the day's start, else the rows sent before it were not
    all there were: a fault of the domain's model, stopped here rather than sent out of order."""
    if not files:
        return
    con = connection()
    try:
        first = con.execute(f'select min("{arrival}") from {parquet_scan(files)}').fetchone()[0]
    finally:
        con.close()
    if first is not None and first < start:
        raise RuntimeError(f"day {day} of the recipe's period has rows arriving at {first}, before its start {start}")
