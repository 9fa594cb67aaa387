"""Seeds for SDV's global state: numpy's legacy RNG, `random` and torch, set per batch and then restored.

SDV (and RDT, copulas, ctgan beneath it) draw from global numpy and torch state. Inside `seeded(seed)` those
are seeded from our own (seed, purpose) stream and torch runs on one thread; on exit everything is put back,
so the caller's global state is what it was and nothing leaks between batches.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from sandbox.core.seeding import stream


@contextmanager
def seeded(seed: int, purpose: str, batch: int = 0) -> Iterator[int]:
    """Seed numpy's global RNG, `random` and torch from (seed, purpose, batch); restore them afterwards."""
    derived = int(stream(seed, "learn", batch, purpose).integers(0, 2**31 - 1))
    saved_np = np.random.get_state()  # noqa: NPY002 - saving SDV's global state to restore it
    saved_py = random.getstate()
    torch = _torch()
    saved_torch = torch.random.get_rng_state() if torch else None
    threads = torch.get_num_threads() if torch else 0
    try:
        np.random.seed(derived)  # noqa: NPY002 - SDV reads the global RNG; we seed it per batch
        random.seed(derived)
        if torch:
            torch.manual_seed(derived)
            torch.set_num_threads(1)
        yield derived
    finally:
        np.random.set_state(saved_np)  # noqa: NPY002
        random.setstate(saved_py)
        if torch:
            torch.random.set_rng_state(saved_torch)
            torch.set_num_threads(threads)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the warnings SDV and the libraries beneath it raise about their own internals (users get our
    messages instead); warnings from anywhere else still show."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"(sdv|sdmetrics|rdt|copulas|ctgan|torch)(\.|$)")
        yield
