"""The local pool's fork server: started once per process with the workers' modules preloaded.

Only the standard library is imported here, so a build can start the fork server before it imports
anything heavy itself (`start_early`): the workers' imports (~0.5 s) then run beside the CLI's own instead
of after them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from multiprocessing import forkserver

from sandbox.engines import numeric_guard

#: The heap, read once at process start: glibc's malloc serves blocks up to 32 MB (the most it allows) from the
#: heap and keeps the heap between chunks, and Arrow allocates from it too (the system pool, not mimalloc). By
#: default a chunk's large numpy temporaries were mmapped, the heap's top handed back after each chunk, and
#: mimalloc gave its pages back as quickly: all faulted in again on the next chunk. At 10M readings the kernel's
#: time fell from ~0.65 to ~0.45 s, and the build's median from 2.24 to 2.08 s (12 interleaved pairs). (Other C
#: libraries ignore MALLOC_*.)
HEAP = {
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
    "ARROW_DEFAULT_MEMORY_POOL": "system",
}


def worker_env() -> dict[str, str]:
    """The environment a worker process starts with: the numeric guard's pins and the heap settings."""
    return {**numeric_guard.pinned(), **HEAP}


#: No pandas, then the chunk task and the caches every chunk fills, whatever the recipe.
PRELOAD = ["sandbox.engines.preload"]
#: The commands that run chunks on the local pool when given more than one worker.
POOLED_COMMANDS = ("build", "anonymise")


def start() -> None:
    """Start the fork server (once) with `worker_env()`, leaving this process's own environment as it was."""
    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    env = worker_env()
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        forkserver.ensure_running()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def local_command(argv: Sequence[str]) -> bool:
    """Whether this command line runs chunks on this machine: a pooled command without `--engine dask`. A guess
    from the raw arguments (click parses them later)."""
    return bool(argv) and argv[0] in POOLED_COMMANDS and "dask" not in argv and "--engine=dask" not in argv


def start_early(argv: Sequence[str]) -> None:
    """Start the fork server now if this command line will use the local pool: `local_command` with
    `--workers`/`-w` above 1. A wrong guess costs one idle process, or only the time it would have saved."""
    if not local_command(argv):
        return
    workers = "1"
    for i, arg in enumerate(argv):
        if arg in ("--workers", "-w") and i + 1 < len(argv):
            workers = argv[i + 1]
        elif arg.startswith("--workers="):
            workers = arg.split("=", 1)[1]
        elif arg.startswith("-w") and arg[2:].isdigit():
            workers = arg[2:]
    if workers.isdigit() and int(workers) > 1:
        start()
