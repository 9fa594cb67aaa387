"""The local engine: chunk tasks in this process (workers=1) or on a process pool (workers>1).

Workers are forked from a fork server that has imported the generators once; each writes its own
parts and returns only their descriptions. They ignore SIGINT (the parent decides) and watch the build
process, exiting the moment it is gone, so even `kill -9` of a build leaves no orphans (the fork server
and resource tracker then exit by themselves once no worker holds their pipes).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

import numpy as np

from sandbox import runtime
from sandbox.core.processes import pid_alive
from sandbox.engine.pipeline import Outcome, run_chunk
from sandbox.engine.plan import Job
from sandbox.errors import BuildFailed

#: Called as each chunk finishes: (chunks done, chunks in all, that chunk's outcome).
Progress = Callable[[int, int, Outcome], None]
T = TypeVar("T")
R = TypeVar("R")
_POLL_SECONDS = 0.5
#: Test-only hook: "reverse" or "shuffle:SEED" runs the chunks in that order instead of the plan's, so the
#: determinism matrix can show that no chunk's bytes depend on what its process ran before. Never set outside
#: tests and bench/determinism.py.
ORDER_ENV = "SANDBOX_TEST_CHUNK_ORDER"


def _init_worker(build_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    runtime.worker_threads()
    threading.Thread(target=_exit_with, args=(build_pid,), daemon=True, name="watch-build").start()


def _exit_with(pid: int) -> None:
    """Block until process `pid` ends, then end this worker at once (no cleanup: the build is gone)."""
    try:
        fd = os.pidfd_open(pid)
        select.select([fd], [], [])
    except (AttributeError, OSError):  # no pidfd here: poll instead
        while pid_alive(pid):
            time.sleep(_POLL_SECONDS)
    os._exit(1)


def run(jobs: list[Job], workers: int = 1, progress: Progress | None = None) -> list[Outcome]:
    """Run every build job; results in no particular order (the manifest sorts them)."""
    jobs = _test_order(jobs)
    if workers <= 1 or len(jobs) <= 1:
        outcomes: list[Outcome] = []
        for done, job in enumerate(jobs, 1):
            outcomes.append(run_chunk(job))
            if progress:
                progress(done, len(jobs), outcomes[-1])
        return outcomes
    return [outcome for _, outcome in pool_map(run_chunk, jobs, workers, progress, len(jobs))]


def _test_order(jobs: list[Job]) -> list[Job]:
    order = os.environ.get(ORDER_ENV, "")
    if order == "reverse":
        return jobs[::-1]
    if order.startswith("shuffle:"):
        permutation = np.random.default_rng(int(order.partition(":")[2])).permutation(len(jobs))
        return [jobs[i] for i in permutation.tolist()]
    if order:
        raise ValueError(f"{ORDER_ENV}: expected 'reverse' or 'shuffle:SEED', got {order!r}")
    return jobs


def pool_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    progress: Callable[[int, int, R], None] | None = None,
    total: int = 0,
) -> list[tuple[int, R]]:
    """`fn` over `items` on the worker pool, at most 2 x workers in flight (items may be read lazily);
    returns (position, result) pairs in completion order."""
    context = multiprocessing.get_context("forkserver")
    runtime.start_forkserver()

    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),))
    results: list[tuple[int, R]] = []
    pending: dict[Future[R], int] = {}
    queue = enumerate(items)
    try:
        _refill(pool, fn, queue, pending, limit=2 * workers)
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                position = pending.pop(future)
                try:
                    results.append((position, future.result()))
                except BrokenProcessPool:
                    raise BuildFailed("a worker process died (killed, or out of memory); nothing was written") from None
                if progress:
                    progress(len(results), total, results[-1][1])
            _refill(pool, fn, queue, pending, limit=2 * workers)
    except BaseException:
        _terminate(pool)
        raise
    pool.shutdown(wait=True)
    return results


def _refill(
    pool: ProcessPoolExecutor,
    fn: Callable[[T], R],
    queue: Iterator[tuple[int, T]],
    pending: dict[Future[R], int],
    limit: int,
) -> None:
    """Keep at most `limit` items in flight (backpressure: an item may be a batch of rows)."""
    if len(pending) >= limit:
        return
    for position, item in queue:
        with _ctrl_c_held():  # a submit may start a worker: the pool must know it before a Ctrl-C unwinds
            pending[pool.submit(fn, item)] = position
        if len(pending) >= limit:
            return


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) that arrives inside the block and deliver it at the block's end. Only the main
    thread handles signals; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        signal.raise_signal(signal.SIGINT)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop now: cancel queued chunks and kill running workers (no public API for this before 3.14)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join(timeout=5)
