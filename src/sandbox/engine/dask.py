"""The Dask engine: the same chunk plan on a Dask cluster (no scheduler of our own).

Each chunk is one task; the worker that runs it generates, protects, scans and writes its parts (to a
shared folder or an fsspec URL) and returns only their descriptions, so no data flows through the client.
At most 2 chunks per worker are in flight (backpressure). A worker that dies mid-chunk has its chunk run
again elsewhere by Dask (its allowed-failures rule); chunks are pure in (recipe, seed, chunk), so the bytes
do not change, and the retries are counted in the build's stats.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox import runtime
from sandbox.engine import pipeline
from sandbox.engine.pipeline import Outcome
from sandbox.engine.plan import Job
from sandbox.errors import BuildFailed, MissingExtra

#: Test-only hook: "LABEL:MARKER" makes the first attempt of chunk LABEL kill its worker process (the marker
#: file records that the first attempt happened). Never set outside the test suite.
KILL_ENV = "SANDBOX_TEST_KILL_CHUNK"
#: Finished chunks whose retry counts are read from the scheduler in one round trip before they are released.
_BATCH = 64


def on_worker(job: Job) -> Outcome:
    """One chunk on a Dask worker."""
    runtime.worker_threads()
    _test_kill(job)
    return pipeline.run_chunk(job)


def _test_kill(job: Job) -> None:
    label, _, marker = os.environ.get(KILL_ENV, "").partition(":")
    if label and label == job.chunk.label and marker and not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
        os._exit(1)  # as if the machine went away: no cleanup, no exception


def _suspicious(keys: list[str], dask_scheduler: Any = None) -> dict[str, int]:
    """On the scheduler: how many workers died while running each of `keys`."""
    tasks = dask_scheduler.tasks
    return {k: tasks[k].suspicious for k in keys if k in tasks and tasks[k].suspicious}


def run(
    jobs: list[Job],
    workers: int,
    scheduler: str | None = None,
    progress: Callable[[int, int, Outcome], None] | None = None,
    stats: dict[str, Any] | None = None,
) -> list[Outcome]:
    """Run every job on the cluster at `scheduler`, else on a LocalCluster of `workers` processes."""
    try:
        from distributed import Client
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker
    except ImportError:
        raise MissingExtra("dask", "distributed") from None
    cluster = _local_cluster(workers) if scheduler is None else None
    try:
        with Client(cluster if cluster is not None else scheduler, set_as_default=False) as client:
            return _stream(client, jobs, progress, stats if stats is not None else {})
    except KilledWorker as exc:
        raise BuildFailed(f"a chunk killed its workers too often ({exc}); nothing was written") from None
    except FutureCancelledError:
        raise BuildFailed("the Dask cluster cancelled the build; nothing was written") from None
    finally:
        if cluster is not None:
            cluster.close()


def _local_cluster(workers: int) -> Any:
    import dask
    from distributed import LocalCluster

    # the runtime's worker environment replaces Dask's default, whose MALLOC_TRIM_THRESHOLD_=65536 pins glibc's
    # mmap threshold at 128 KiB (bench/RESULTS.md, "Engines")
    with dask.config.set({"distributed.nanny.pre-spawn-environ": runtime.worker_env()}):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            preload=["pandas", runtime.PRELOAD] if runtime.enabled("preload") else [],
        )


def _stream(
    client: Any, jobs: list[Job], progress: Callable[[int, int, Outcome], None] | None, stats: dict[str, Any]
) -> list[Outcome]:
    """Every job through the cluster, at most two per worker in flight (the client's memory stays flat)."""
    from distributed import as_completed

    build = secrets.token_hex(4)
    outcomes: list[Outcome] = []
    limit = 2 * max(1, len(client.scheduler_info()["workers"]))
    queue = iter(jobs)
    labels: dict[str, str] = {}  # Dask key -> chunk label

    def submit() -> Any:
        job = next(queue, None)
        if job is None:
            return None
        key = f"sandbox-{build}-{len(labels)}"
        labels[key] = job.chunk.label  # a few bytes per chunk
        return client.submit(on_worker, job, key=key, pure=False, retries=1)

    running = as_completed([f for f in (submit() for _ in range(limit)) if f is not None], loop=client.loop)
    held: list[Any] = []  # finished futures, kept until the scheduler has told their retries
    retried: dict[str, int] = {}
    for future in running:
        outcomes.append(future.result())
        held.append(future)
        if len(held) >= _BATCH or len(outcomes) == len(jobs):
            retried.update(client.run_on_scheduler(_suspicious, [f.key for f in held]))
            held.clear()  # released: the scheduler forgets them
        if progress:
            progress(len(outcomes), len(jobs), outcomes[-1])
        following = submit()
        if following is not None:
            running.add(following)
    stats["retried_chunks"] = {labels[key]: n for key, n in sorted(retried.items())}
    stats["dask_workers"] = limit // 2
    return outcomes
