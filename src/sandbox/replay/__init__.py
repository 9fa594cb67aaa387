"""`sandbox replay`: a sandbox's table streamed as it would have arrived (`order`), paced at `speed` times real
time (`pacing`), to stdout, a file, MQTT, HTTP or PostgreSQL (`sinks`), as JSON lines (`encode`).

At speed 0 every batch goes out as fast as the sink takes it; otherwise the rows due by now go out together,
each at (or as soon after as the sink allows) its deadline. Ctrl-C stops cleanly: the summary still says
what was sent and how late.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.errors import UsageError
from sandbox.load.targets import masked
from sandbox.output.opened import open_sandbox
from sandbox.replay.encode import json_lines
from sandbox.replay.follow import follow_plan, followed
from sandbox.replay.order import Window, arrival_column, ordered
from sandbox.replay.pacing import Pacer
from sandbox.replay.sinks import ReplayFailed, sink_for

__all__ = ["ReplayFailed", "Replayed", "Window", "replay"]

BATCH_ROWS = 65_536


@dataclass
class Replayed:
    """What a replay sent: rows, over how long, how late against the deadlines, and whether Ctrl-C stopped it."""

    table: str
    to: str
    rows: int = 0
    delivered: int = 0
    seconds: float = 0.0
    first: str | None = None
    last: str | None = None
    lateness: dict[str, float] = field(default_factory=dict)
    interrupted: bool = False
    #: From the first row's deadline to the last send (the paced part, without the sort before it).
    paced_seconds: float = 0.0


def _event_us(values: pa.Array) -> np.ndarray:
    kind = pa.timestamp("us", values.type.tz) if pa.types.is_timestamp(values.type) else pa.timestamp("us")
    return values.cast(kind).cast(pa.int64()).fill_null(0).to_numpy()


def replay(
    sandbox: str | Path,
    table: str,
    to: str = "-",
    *,
    speed: float = 0.0,
    window: Window | None = None,
    by: str | None = None,
    options: dict[str, Any] | None = None,
    warn: Callable[[str], None] | None = None,
    follow: bool = False,
    key_file: Path | None = None,
) -> Replayed:
    """Stream `table` of the sandbox at `sandbox` to `to` (see the module's text); with `follow`, then the days
    of its recipe's period after the sandbox's own (`sandbox.replay.follow`; `key_file` as the build's)."""
    if speed < 0:
        raise UsageError(f"--speed: expected 0 (as fast as possible) or more, got {speed}")
    box = open_sandbox(sandbox)
    if table not in box.manifest["tables"]:
        box.files(table)  # the located error, with a did-you-mean
    arrival = arrival_column(box, table, by)
    after = follow_plan(box, key_file) if follow else None
    columns = [c["name"] for c in box.manifest["tables"][table]["columns"]]
    settings = {"qos": 1, "retain": False, "retry_for": 30.0, "retries": 5, "overwrite": False, **(options or {})}
    if to.partition("://")[0].lower() in ("postgresql", "postgres"):
        from sandbox.load.plan import table_plan
        from sandbox.load.targets import default_schema

        settings["table_plan"] = table_plan(box, table)  # its columns; the keys are not declared here
        settings["schema"] = settings.get("schema") or default_schema(
            str(box.manifest.get("recipe", {}).get("name", "sandbox"))
        )
    sink = sink_for(to, columns, settings)
    pacer = Pacer(speed, warn)
    done = Replayed(table, getattr(sink, "where", masked(to)))  # a database URL's password never shown
    started = time.monotonic()
    try:
        cut = window or Window()
        batches = (
            followed(box, table, arrival, cut, BATCH_ROWS, after)
            if after
            else ordered(box, table, arrival, cut, BATCH_ROWS)
        )
        for batch in batches:
            _send(batch, batch.schema.get_field_index(arrival), sink, pacer, done)
        sink.close()
    except KeyboardInterrupt:
        done.interrupted = True
    finally:
        done.delivered = sink.delivered
        done.seconds = time.monotonic() - started
        done.lateness = pacer.summary()
        done.paced_seconds = time.monotonic() - pacer.started if pacer.first_us is not None else 0.0
    return done


def _send(batch: pa.RecordBatch, at: int, sink: Any, pacer: Pacer, done: Replayed) -> None:
    lines = json_lines(batch)
    times = batch.column(at)
    deadlines = pacer.deadlines(_event_us(times))
    done.first = done.first or str(times[0])
    done.last = str(times[len(times) - 1])
    i, n = 0, batch.num_rows
    while i < n:
        pacer.wait(float(deadlines[i]), getattr(sink, "idle", time.sleep))
        j = max(int(np.searchsorted(deadlines, time.monotonic(), side="right")), i + 1)
        sink.send(lines.slice(i, j - i), batch.slice(i, j - i))
        pacer.sent(deadlines[i:j])
        done.rows += j - i
        i = j
