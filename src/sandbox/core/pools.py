"""Faker value pools: drawn once per (provider, locale, size), de-duplicated, cached on disk.

Faker is slow per call, so it never runs per row: generators index these pools with numpy.
A pool is seeded from its own identity, not from the build seed, so every build, seed and CI
fixture shares it; the cache is keyed by Faker's version because Faker's output changes between
versions.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from sandbox.core.seeding import stable_hash

_MEMO: dict[tuple[str, tuple[str, ...], int], pa.Array] = {}


def cache_dir() -> Path:
    """`$SANDBOX_CACHE_DIR`, else the user's cache folder (platformdirs)."""
    configured = os.environ.get("SANDBOX_CACHE_DIR")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("sandbox", appauthor=False))


@functools.lru_cache(maxsize=1)
def faker_version() -> str:
    from importlib.metadata import version

    return version("faker")


@functools.lru_cache(maxsize=64)
def faker_for(locale: str) -> object:
    """One Faker instance per locale and process (its seed is set per pool, never globally)."""
    from faker import Faker

    return Faker(locale)


def _pool_path(provider: str, locales: tuple[str, ...], size: int) -> Path:
    name = f"{provider}__{'+'.join(locales)}__{size}.arrow"
    return cache_dir() / "pools" / f"faker-{faker_version()}" / name


def _draw(provider: str, locales: tuple[str, ...], size: int) -> pa.Array:
    per_locale = -(-size // len(locales))
    values: list[object] = []
    for locale in locales:
        fake = faker_for(locale)
        fake.seed_instance(stable_hash(f"{provider}|{locale}|{size}"))  # type: ignore[attr-defined]
        method = getattr(fake, provider)
        values.extend(method() for _ in range(per_locale))
    array = pa.array(values)
    if pa.types.is_timestamp(array.type):  # naive Faker datetimes are read as UTC
        array = array.cast(pa.timestamp("us", tz="UTC"))
    return pc.unique(array)


def faker_pool(provider: str, locales: tuple[str, ...], size: int) -> pa.Array:
    """The de-duplicated pool for (provider, locales, size), from memory, disk, or Faker."""
    key = (provider, locales, size)
    if key in _MEMO:
        return _MEMO[key]
    path = _pool_path(provider, locales, size)
    pool: pa.Array | None = None
    if path.exists():
        try:
            with pa.memory_map(str(path)) as source:
                pool = ipc.open_file(source).read_all().column(0).combine_chunks()
        except (pa.ArrowInvalid, OSError):
            pool = None  # a torn or foreign file: draw again and replace it
    if pool is None:
        pool = _draw(provider, locales, size)
        _store(path, pool)
    _MEMO[key] = pool
    return pool


def _store(path: Path, pool: pa.Array) -> None:
    """Write atomically (temp file + rename), so concurrent builds never read half a pool."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.table({"value": pool})
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle, ipc.new_file(handle, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs time on the next build
