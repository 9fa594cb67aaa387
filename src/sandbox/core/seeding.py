"""Named random streams: every random value derives from (root seed, table, chunk, purpose).

Streams are keyed by name, never by call order, so output does not depend on how work is split
across processes, and adding a table or a column leaves every other stream untouched.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stable_hash(text: str) -> int:
    """A 64-bit hash that is the same in every process and Python version (unlike `hash()`)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def stream(seed: int, table: str, chunk: int, purpose: str) -> np.random.Generator:
    """The generator for one purpose (usually a column) of one chunk of one table."""
    sequence = np.random.SeedSequence(seed, spawn_key=(stable_hash(table), chunk, stable_hash(purpose)))
    return np.random.Generator(np.random.PCG64(sequence))


def derived_key(seed: int, purpose: str) -> bytes:
    """32 bytes derived from the seed, for keyed hashes of synthetic data (never user data)."""
    return hashlib.blake2b(f"{seed}:{purpose}".encode(), digest_size=32).digest()
