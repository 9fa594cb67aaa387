"""The key behind pseudonymised tokens: where it comes from, and a fingerprint safe to publish."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.core.seeding import derived_key
from sandbox.errors import UsageError

ENV = "SANDBOX_KEY"


@dataclass(frozen=True)
class Key:
    secret: bytes
    source: str

    @property
    def fingerprint(self) -> str:
        """Tells whether two sandboxes' tokens join, and nothing about the key."""
        return hashlib.sha256(b"sandbox-key-fingerprint\0" + self.secret).hexdigest()[:16]

    def __repr__(self) -> str:  # never show the secret, not even in a traceback
        return f"Key(source={self.source!r}, fingerprint={self.fingerprint!r})"


def key_for(seed: int, key_file: Path | None = None) -> Key:
    """--key-file, else $SANDBOX_KEY, else a key derived from the seed (right for synthetic data only)."""
    if key_file is not None:
        try:
            secret = Path(key_file).read_bytes().strip()
        except OSError as exc:
            raise UsageError(f"{key_file}: expected a readable key file, got {exc.strerror}") from None
        if len(secret) < 16:
            raise UsageError(f"{key_file}: expected a key of at least 16 bytes, got {len(secret)}")
        return Key(secret, "key file")
    if os.environ.get(ENV):
        secret = os.environ[ENV].encode("utf-8")
        if len(secret) < 16:
            raise UsageError(f"${ENV}: expected a key of at least 16 characters, got {len(secret)}")
        return Key(secret, ENV)
    return Key(derived_key(seed, "privacy"), "derived from the recipe seed (synthetic data)")


def key_of(manifest: Mapping[str, Any], key_file: Path | None, where: Path | str) -> Key:
    """The key a sandbox at `where` was built with (`key_for` its seed and `key_file`), refused (UsageError) when
    its fingerprint is not the one the manifest records: tokens made with another key would not join."""
    key = key_for(int(manifest["seed"]), key_file)
    recorded = manifest.get("privacy", {}).get("key", {})
    if recorded.get("fingerprint") not in (None, key.fingerprint):
        raise UsageError(
            f"{where}: built with a key ({recorded.get('source')}, fingerprint {recorded['fingerprint']}); "
            f"the key here has fingerprint {key.fingerprint}: give the same --key-file or $SANDBOX_KEY"
        )
    return key
