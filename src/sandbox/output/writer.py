"""The one place that writes Parquet: fixed settings, hashed while written, into a staging folder.

Generators never touch disk; this module never generates. A build is written into a temporary sibling
of OUT and renamed into place when complete, so a failed or interrupted build leaves no OUT.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.core.processes import pid_alive
from sandbox.errors import UsageError
from sandbox.output.location import Location, made_by_sandbox

#: Fixed writer settings: part of the output's identity (with the pyarrow version in the lock).
PARQUET_OPTIONS = {"compression": "zstd", "write_statistics": True}


def write_options(table: pa.Table) -> dict[str, object]:
    """The fixed settings, with dictionary encoding only where it pays: text and dictionary columns (on
    random floats and timestamps the writer only tries it and falls back)."""
    textual = [f.name for f in table.schema if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)]
    return {**PARQUET_OPTIONS, "use_dictionary": textual, "row_group_size": max(1, len(table))}


_TMP_MARK = ".sandbox-tmp-"
_OLD_MARK = ".sandbox-old-"


@dataclass(frozen=True)
class Part:
    """One written Parquet file, as the manifest records it."""

    table: str
    role: str
    path: str
    rows: int
    bytes: int
    sha256: str
    nulls: tuple[int, ...]
    schema: pa.Schema
    #: The privacy scan of this part, per column (sandbox.privacy.scan.ColumnScan).
    scan: dict[str, Any] = field(default_factory=dict)


def unique_dictionaries(table: pa.Table) -> pa.Table:
    """Dictionary columns re-encoded where their dictionary repeats a value (noise appends corrected values).

    The Parquet writer handles a dictionary with repeats statefully: the same table gave other bytes from one
    call to the next. Unique dictionaries are written the same way every time.
    """
    for i, column_field in enumerate(table.schema):
        if not pa.types.is_dictionary(column_field.type):
            continue
        column = table.column(i).combine_chunks()
        if _unique(column.dictionary):
            continue
        fixed = pc.dictionary_encode(column.dictionary_decode())
        fixed = pa.DictionaryArray.from_arrays(fixed.indices.cast(column_field.type.index_type), fixed.dictionary)
        table = table.set_column(i, column_field, fixed)
    return table


#: Dictionaries found unique, by the identity of their buffers; holding each array keeps its buffers' addresses
#: from being reused while it is listed. Most are the same value pools in every chunk of a worker.
_UNIQUE: OrderedDict[tuple[int, ...], pa.Array] = OrderedDict()
_UNIQUE_LIMIT = 512


def _unique(dictionary: pa.Array) -> bool:
    key = (*(b.address if b is not None else 0 for b in dictionary.buffers()), dictionary.offset, len(dictionary))
    if key in _UNIQUE:
        return True
    if pc.count_distinct(dictionary).as_py() != len(dictionary):
        return False
    _UNIQUE[key] = dictionary
    if len(_UNIQUE) > _UNIQUE_LIMIT:
        _UNIQUE.popitem(last=False)
    return True


def encode(table: pa.Table) -> pa.Buffer:
    table = unique_dictionaries(table)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **write_options(table))
    return sink.getvalue()


def write_part(
    root: Path | str,
    table: str,
    role: str,
    name: str,
    data: pa.Table,
    scan: dict[str, Any] | None = None,
    directory: str | None = None,
) -> Part:
    """Write `data` to `<root>/<tables|truth>/<directory or table>/<name>` and describe it."""
    folder = "tables" if role == "data" else "truth"
    rel = f"{folder}/{directory or table}/{name}"

    buffer = encode(data)
    Location(str(root)).write_bytes(rel, memoryview(buffer))
    return Part(
        table,
        role,
        rel,
        len(data),
        buffer.size,
        hashlib.sha256(memoryview(buffer)).hexdigest(),
        tuple(col.null_count for col in data.columns),
        data.schema,
        scan or {},
    )


class Staging:
    """A temporary sibling of `out` that becomes `out` on `commit()`, or vanishes."""

    def __init__(
        self, out: Path, overwrite: bool = False, marker: str = "manifest.json", what: str = "a sandbox"
    ) -> None:
        self.out = out
        self.overwrite = overwrite
        #: The file that tells a folder this replaces is one of ours (never replace anything else).
        self.marker, self.what = marker, what
        self.path = out.parent / f".{out.name}{_TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"
        self.committed = False
        self.created: list[Path] = []

    def __enter__(self) -> Staging:
        out = self.out
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out} exists and is not a folder")
        if out.exists() and not self.overwrite:
            raise UsageError(f"{out} exists; pass --overwrite to replace it")
        if out.exists() and any(out.iterdir()) and not self._ours():
            raise UsageError(
                f"refusing to replace {out}: it is not {self.what} (it has no {self.marker} written by sandbox)"
            )

        #: The folders above `out` this creates, removed again when nothing is committed.
        self.created = [p for p in reversed(out.parents) if not p.exists()]
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(out)
        self.path.mkdir()
        return self

    def _ours(self) -> bool:
        marker = self.out / self.marker
        return marker.is_file() and made_by_sandbox(marker.read_bytes())

    def commit(self) -> None:
        """Swap the finished folder into place; an existing OUT is replaced only now."""
        old = None
        if self.out.exists():
            old = self.out.parent / f".{self.out.name}{_OLD_MARK}{os.getpid()}-{secrets.token_hex(4)}"
            os.replace(self.out, old)
        os.replace(self.path, self.out)
        self.committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if not self.committed:
            shutil.rmtree(self.path, ignore_errors=True)
            for folder in reversed(self.created):
                try:
                    folder.rmdir()  # only while empty: another process may have put something there
                except OSError:
                    break


def remove_stale(out: Path) -> list[Path]:
    """Delete temporary siblings of `out` left by builds whose process is gone (e.g. SIGKILL)."""
    removed = []
    for mark in (_TMP_MARK, _OLD_MARK):
        for path in out.parent.glob(f".{out.name}{mark}*"):
            pid_text = path.name[len(f".{out.name}{mark}") :].split("-")[0]
            if pid_text.isdigit() and not pid_alive(int(pid_text)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed
