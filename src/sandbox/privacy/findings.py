"""Findings of the scan among a set of distinct values, and their cache: in memory, and on disk beside the Faker
pools, keyed by the values' content and everything else findings depend on (`detector_signature`)."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

#: Findings by key, and whether they are on disk.
_MEMORY: dict[bytes, tuple[Findings, bool]] = {}
_MEMORY_LIMIT = 256


@dataclass(frozen=True)
class Findings:
    """PII among a set of distinct values, as parallel arrays (one entry per value and class)."""

    positions: np.ndarray
    classes: np.ndarray
    reserved: np.ndarray
    examples: tuple[str, ...]
    names: tuple[str, ...]


def fingerprint(values: pa.Array) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for buffer in values.buffers():
        if buffer is not None:
            digest.update(memoryview(buffer))
    digest.update(str((values.offset, len(values))).encode())
    return digest.digest()


def cached(key: bytes, find: Callable[[], Findings]) -> Findings:
    """The findings stored under `key`, or `find()`'s. They go to disk when asked for a second time: a pool recurs
    in every chunk, while a set made for one chunk (a redacted column's dictionary) would only fill the cache."""
    if key in _MEMORY:
        found, stored = _MEMORY[key]
        if not stored:
            _store(key, found)
            _MEMORY[key] = (found, True)
        return found
    loaded = _load(key)
    found = find() if loaded is None else loaded
    if len(_MEMORY) > _MEMORY_LIMIT:
        _MEMORY.clear()
    _MEMORY[key] = (found, loaded is not None)
    return found


@functools.lru_cache(maxsize=1)
def detector_signature() -> bytes:
    """What findings depend on besides the values: the code of the whole privacy package (this matching code,
    the detectors, reserved space, classes), the data files it reads, and the validators' versions. The
    package version alone is no key: it does not change with every code change."""
    from importlib.metadata import version

    package = Path(__file__).resolve().parent
    files = sorted(p for p in [*package.glob("*.py"), *(package.parent / "data").glob("*")] if p.is_file())
    digest = hashlib.blake2b(digest_size=32)
    for path in files:
        digest.update(f"{path.name}\0".encode() + path.read_bytes() + b"\0")
    versions = [version("phonenumbers"), version("python-stdnum"), version("faker")]
    return digest.digest() + chr(0).join(versions).encode()


def _cache_file(key: bytes) -> Path:
    from sandbox.core.pools import cache_dir

    digest = hashlib.blake2b(key + detector_signature(), digest_size=16).hexdigest()
    return cache_dir() / "scan" / f"{digest}.npz"


def _load(key: bytes) -> Findings | None:
    path = _cache_file(key)
    try:
        with np.load(path, allow_pickle=False) as data:
            return Findings(
                data["positions"],
                data["classes"],
                data["reserved"],
                tuple(data["examples"].tolist()),
                tuple(data["names"].tolist()),
            )
    except (OSError, ValueError, KeyError):
        return None


def _store(key: bytes, found: Findings) -> None:
    """Atomically (temp file + rename); a read-only cache only costs time."""
    path = _cache_file(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            np.savez(
                handle,
                positions=found.positions,
                classes=found.classes,
                reserved=found.reserved,
                examples=np.asarray(found.examples, dtype=str),
                names=np.asarray(found.names, dtype=str),
            )
        os.replace(tmp, path)
    except OSError:
        pass
