"""Where a sandbox is written: a local folder, or any fsspec URL (`s3://`, `gs://`, `memory://`, `file://`).

Local folders are written into a temporary sibling and renamed into place (atomic). Object stores cannot
rename atomically: there the files are written in place and `manifest.json` last, which marks the sandbox
complete; readers and `verify` treat a folder without a manifest as incomplete. Credentials come from each
filesystem's usual environment, never from a recipe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sandbox.errors import MissingExtra, UsageError

MANIFEST = "manifest.json"


def made_by_sandbox(marker: bytes) -> bool:
    """Whether the bytes of a folder's marker file (manifest.json, model.json) are one that sandbox wrote: a JSON
    object naming this tool, with its tables or files. Any other file of that name (a web app's manifest.json)
    means the folder is someone else's, and nothing replaces it."""
    try:
        data = json.loads(marker)
    except (ValueError, UnicodeDecodeError):
        return False
    return (
        isinstance(data, dict)
        and isinstance(data.get("tool"), dict)
        and data["tool"].get("name") == "sandbox"
        and (isinstance(data.get("tables"), dict) or isinstance(data.get("files"), dict))
    )


def is_url(target: str | Path) -> bool:
    """True for URLs other than file:// (those are local folders)."""
    text = str(target)
    return "://" in text and not text.startswith("file://")


def local_path(target: str | Path) -> Path:
    text = str(target)
    return Path(text[len("file://") :]) if text.startswith("file://") else Path(text)


def filesystem(url: str) -> tuple[Any, str]:
    """(fsspec filesystem, path inside it) for a URL; an install hint when fsspec or its backend is missing."""
    try:
        import fsspec
    except ImportError:
        raise MissingExtra("dask", "fsspec") from None
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        protocol = url.split("://", 1)[0]
        extra = {"s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs"}.get(protocol)
        hint = f" (pip install {extra})" if extra else ""
        raise UsageError(f"{url}: expected a URL fsspec can write to, got {exc}{hint}") from None
    return fs, str(path).rstrip("/")


@dataclass(frozen=True)
class Location:
    """A sandbox root: a local folder path or an fsspec URL. Relative paths use '/'."""

    root: str

    @property
    def remote(self) -> bool:
        return is_url(self.root)

    def join(self, rel: str) -> str:
        return f"{self.root.rstrip('/')}/{rel}"

    @contextmanager
    def open(self, rel: str, mode: str = "rb") -> Iterator[IO[Any]]:
        if not self.remote:
            path = local_path(self.root) / rel
            if "w" in mode:
                path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, mode) as handle:
                yield handle
            return
        fs, base = filesystem(self.root)
        if "w" in mode:
            fs.makedirs(f"{base}/{rel}".rsplit("/", 1)[0], exist_ok=True)
        with fs.open(f"{base}/{rel}", mode) as handle:
            yield handle

    def write_bytes(self, rel: str, data: bytes | memoryview) -> None:
        with self.open(rel, "wb") as handle:
            handle.write(data)

    def exists(self, rel: str = "") -> bool:
        if not self.remote:
            return (local_path(self.root) / rel).exists()
        fs, base = filesystem(self.root)
        return bool(fs.exists(f"{base}/{rel}".rstrip("/")))

    def pyarrow_filesystem(self) -> tuple[Any, str]:
        """(filesystem for pyarrow, root path in it): None means the local filesystem."""
        if not self.remote:
            return None, str(local_path(self.root))
        return filesystem(self.root)


class RemoteStaging:
    """The object-store counterpart of writer.Staging: files in place, the manifest last, cleanup on failure."""

    def __init__(self, url: str, overwrite: bool = False) -> None:
        self.location = Location(url)
        self.fs, self.base = filesystem(url)
        self.overwrite = overwrite
        self.committed = False

    @property
    def path(self) -> str:
        return self.location.root

    def __enter__(self) -> RemoteStaging:
        if self.fs.exists(self.base) and self.fs.ls(self.base):
            marker = f"{self.base}/{MANIFEST}"
            if not self.fs.exists(marker) or not made_by_sandbox(self.fs.cat_file(marker)):
                raise UsageError(
                    f"refusing to replace {self.path}: it is not a sandbox (it has no manifest.json written by sandbox)"
                )
            if not self.overwrite:
                raise UsageError(f"{self.path} exists; pass --overwrite to replace it")
            self.fs.rm(f"{self.base}/{MANIFEST}")  # incomplete from here on, for every reader
            self.fs.rm(self.base, recursive=True)
        return self

    def commit(self) -> None:
        self.committed = True

    def __exit__(self, *exc: object) -> None:
        if not self.committed and self.fs.exists(self.base):
            self.fs.rm(self.base, recursive=True)
