"""Every process-level setting of a sandbox process, in one place, behind one switch.

None of these changes a byte of output (`bench/determinism.py` runs every shape with the switch off); each is
here because `bench/bench_runtime.py` shows it earns its keep on a big build (see bench/RESULTS.md, "Runtime
settings"). They are applied the same way wherever chunks run: by the console script before it imports
numpy (`start`), and at the start of every worker of the local pool and of the Dask engine (`settle`).

- `threads`: BLAS and OpenMP on one thread, and Arrow on one thread in each worker (parallelism comes from the
  workers; threads inside each would only contend). For BLAS a guard more than a speed-up: no generated value
  depends on BLAS (`sandbox.core.exact`), and this keeps a generator added later that reaches for a matrix
  product to one answer per CPU kind instead of one per thread count. BLAS reads it once, when numpy loads.
- `heap`: glibc's malloc keeps up to 32 MB blocks on its heap and the heap between chunks, and Arrow allocates
  from the system heap, so a chunk's large temporaries are not mapped and faulted in afresh every chunk.
- `fast-exit`: the console script ends with `os._exit` once its exit handlers have run and its streams are
  flushed, instead of tearing the interpreter down (freeing numpy's and pyarrow's module state). Without it a
  teardown occasionally aborts in a C++ destructor after the sandbox is complete ("terminate called without an
  active exception", exit 134; seen twice in ~100 builds under the test suite).
- `preload`: the local pool's fork server imports the chunk pipeline and fills its caches once
  (`sandbox.engine.preload`); workers fork from it ready. The console script starts it before its own
  imports when its command line asks for a pooled local build.

`SANDBOX_RUNTIME=off` applies none of them; `SANDBOX_RUNTIME=off:heap,preload` leaves out the ones named (how
the bench measures each).
"""

from __future__ import annotations

import atexit
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from multiprocessing import forkserver, resource_tracker
from typing import NoReturn

from sandbox.errors import UsageError

SWITCH = "SANDBOX_RUNTIME"
SETTINGS = ("threads", "heap", "preload", "fast-exit")
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: glibc's mallopt parameters, and the values the heap setting gives them.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD, _TRIM_THRESHOLD = 32 << 20, 1 << 30
#: The same, for processes that read them from the environment at start (Dask's nanny-spawned workers).
HEAP_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(_MMAP_THRESHOLD),
    "MALLOC_TRIM_THRESHOLD_": str(_TRIM_THRESHOLD),
    "ARROW_DEFAULT_MEMORY_POOL": "system",
}
#: The module the local pool's fork server imports before it forks workers.
PRELOAD = "sandbox.engine.preload"
#: The commands that run chunks on this machine's pool.
POOLED_COMMANDS = ("build", "anonymise")


def enabled(setting: str) -> bool:
    """Whether `setting` (one of SETTINGS) applies in this process, per `SANDBOX_RUNTIME`."""
    value = os.environ.get(SWITCH, "").strip().lower()
    if value in ("", "on"):
        return True
    if value == "off":
        return False
    named = {s.strip() for s in value[4:].split(",")} if value.startswith("off:") else {""}
    if not named <= set(SETTINGS):
        raise UsageError(f"{SWITCH}: expected on, off, or off: and some of {','.join(SETTINGS)}, got '{value}'")
    return setting not in named


def worker_env() -> dict[str, str]:
    """The environment a worker starts with (what `settle` sets, for settings read at process start)."""
    env = dict(ONE_THREAD) if enabled("threads") else {}
    if enabled("heap"):
        env.update(HEAP_ENV)
    return env


def settle() -> None:
    """Apply the settings to this process: call before it imports numpy and pyarrow, then run chunks."""
    env = worker_env()
    os.environ.update(env)
    if "MALLOC_MMAP_THRESHOLD_" in env:
        _mallopt()


def worker_threads() -> None:
    """In a worker (local pool or Dask), once it has started: Arrow's CPU and IO pools down to one thread."""
    if enabled("threads"):
        import pyarrow as pa

        pa.set_cpu_count(1)
        pa.set_io_thread_count(1)


def _mallopt() -> None:
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    except (OSError, AttributeError):  # not glibc: the allocator's defaults stay
        pass


def start(argv: Sequence[str]) -> None:
    """The console script's first step: settle this process if its command runs chunks here, and start the
    fork server now if it will use the pool, so the workers' imports run beside the CLI's own."""
    if enabled("threads"):
        os.environ.update(ONE_THREAD)  # every command: SDV's sampling calls BLAS
    if not local_command(argv):
        return
    settle()
    if pooled(argv):
        start_forkserver()


def local_command(argv: Sequence[str]) -> bool:
    """Whether this command line runs chunks on this machine: a pooled command without `--engine dask`.
    Read from the raw arguments, before click parses them; a wrong guess costs one idle process."""
    return bool(argv) and argv[0] in POOLED_COMMANDS and "dask" not in argv and "--engine=dask" not in argv


def pooled(argv: Sequence[str]) -> bool:
    """Whether a local command line asks for more than one worker (`--workers N`, `-w N`, `-wN`)."""
    workers = "1"
    for i, arg in enumerate(argv):
        if arg in ("--workers", "-w") and i + 1 < len(argv):
            workers = argv[i + 1]
        elif arg.startswith("--workers="):
            workers = arg.split("=", 1)[1]
        elif arg.startswith("-w") and arg[2:].isdigit():
            workers = arg[2:]
    return workers.isdigit() and int(workers) > 1


#: This process tree's temp folder (`sandbox.core.processes.run_temp`), once made.
_TEMP: str | None = None


def start_forkserver() -> None:
    """Start the fork server (once) with `worker_env()` and the preload, leaving this process's own environment
    as it was."""
    import tempfile
    from multiprocessing import util

    from sandbox.core.processes import run_temp

    multiprocessing.get_context("forkserver").set_forkserver_preload([PRELOAD] if enabled("preload") else [])
    # every temp folder of the process tree inside one of ours, so a SIGKILL leaves one the next run removes
    global _TEMP
    if _TEMP is None:
        _TEMP = run_temp() or ""
        if _TEMP:
            before, tempfile.tempdir = tempfile.tempdir, _TEMP
            try:
                util.get_temp_dir()  # this process's `pymp-*` folder (the fork server's socket), made now, inside
            finally:
                tempfile.tempdir = before
    env = {**worker_env(), **({"TMPDIR": _TEMP} if _TEMP else {})}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    # The server starts with Ctrl-C ignored (an ignored signal stays ignored through fork and exec, and Python
    # keeps it so): a Ctrl-C while it imports would print its own traceback; the parent decides. Meanwhile the
    # parent blocks it, so one pressed now waits for the parent's handler instead of being dropped; threads
    # started before inherit the console script's block (`sandbox.__main__`). The resource tracker starts
    # first: its own start unblocks SIGINT when done, which inside the window would drop a Ctrl-C.
    resource_tracker.ensure_running()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def finish(code: str | int | None) -> NoReturn:
    """End the console script with `code` (as `sys.exit` takes it). With `fast-exit`, every file is closed and
    every pool shut down by now: run the exit handlers, flush, and leave without tearing the interpreter down."""
    if not enabled("fast-exit"):
        sys.exit(code)
    if isinstance(code, str):  # sys.exit("message") prints the message and exits 1
        sys.stderr.write(f"{code}\n")
    status = code if isinstance(code, int) else int(code is not None)
    atexit._run_exitfuncs()  # private, but the only way to run them before os._exit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # a reader that went away, or a closed stream
            pass
    os._exit(status)
