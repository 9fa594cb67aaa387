"""A guard, not the fix: every process that runs chunks does its BLAS and OpenMP work on one thread.

No generated value depends on BLAS or on thread counts (`sandbox.exact` computes every float that reaches a
sandbox from exactly rounded operations, and no matrix product is left in a generator), and
`bench/determinism.py` shows it with this guard switched off. The guard is there so that a generator added
later that does reach for a matrix product still gives one answer per CPU kind instead of one per thread count.
BLAS libraries read these variables once, when numpy loads, so the console script pins them before anything
imports numpy, and the local pool's fork server and Dask's workers start with them.

`SANDBOX_NUMERIC_GUARD=off` leaves the environment as it is (the determinism matrix sets it).
"""

from __future__ import annotations

import os

GUARD_ENV = "SANDBOX_NUMERIC_GUARD"
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def pinned() -> dict[str, str]:
    """The variables a chunk-running process starts with: one thread each, unless the guard is off."""
    return {} if os.environ.get(GUARD_ENV, "").lower() == "off" else dict(ONE_THREAD)


def pin() -> None:
    """Pin this process (call before numpy is imported; later, BLAS has already read its settings)."""
    os.environ.update(pinned())
