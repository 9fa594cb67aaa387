"""The scan: an independent detector pass over every string column's distinct values.

Used on every part a build writes (a fatal finding fails the build) and by `sandbox scan PATH` on any
folder, Parquet or CSV. Findings carry counts and a masked example, never a raw value.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.privacy.classes import FATAL_CLASSES
from sandbox.privacy.detect import candidates, first_names, spans

#: Integers this large may be card numbers, phones or ids stored as numbers.
_BIG_INT = 10**8
#: Advisory name detection looks at up to this many distinct values (fatal classes: all of them).
NAME_SAMPLE = 20_000
_FINDINGS_CACHE: dict[bytes, list[tuple[int, str, bool, str]]] = {}
_CACHE_LIMIT = 256


def mask(value: str) -> str:
    """A shape of the value that reveals nothing: first letter of each word, last two digits."""
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    keep = set(digits[-2:])
    out = []
    for i, ch in enumerate(value):
        if ch.isdigit():
            out.append(ch if i in keep else "#")
        elif ch.isalpha():
            out.append(ch if (i == 0 or not value[i - 1].isalpha()) else "*")
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class Hits:
    """One class in one column: distinct values and rows hit, how many of them reserved."""

    distinct: int = 0
    rows: int = 0
    reserved: int = 0
    reserved_rows: int = 0
    example: str | None = None

    def add(self, other: Hits) -> None:
        self.distinct += other.distinct
        self.rows += other.rows
        self.reserved += other.reserved
        self.reserved_rows += other.reserved_rows
        self.example = self.example or other.example

    @property
    def leaked(self) -> int:
        return self.distinct - self.reserved

    def to_dict(self) -> dict[str, Any]:
        return {
            "distinct": self.distinct,
            "rows": self.rows,
            "reserved": self.reserved,
            "reserved_rows": self.reserved_rows,
            "example": self.example,
        }


@dataclass
class ColumnScan:
    classes: dict[str, Hits] = field(default_factory=dict)

    def merge(self, other: ColumnScan) -> None:
        for cls, hits in other.classes.items():
            self.classes.setdefault(cls, Hits()).add(hits)

    @property
    def fatal(self) -> list[str]:
        return [c for c, h in self.classes.items() if c in FATAL_CLASSES and h.leaked > 0]

    def to_dict(self) -> dict[str, Any]:
        return {c: h.to_dict() for c, h in sorted(self.classes.items())}


def _distinct(values: pa.Array) -> tuple[pa.Array, np.ndarray] | None:
    """Distinct strings and how many rows hold each, or None for columns that cannot hold PII."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.DictionaryArray):
        indices = pc.drop_null(values.indices).to_numpy(zero_copy_only=False)
        counts = np.bincount(indices, minlength=len(values.dictionary))
        return _distinct_of(values.dictionary, counts)
    if pa.types.is_integer(values.type):
        extreme = pc.max(pc.abs(values)).as_py()
        if extreme is None or extreme < _BIG_INT:
            return None
        values = pc.cast(values, pa.string())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return None
    counted = pc.value_counts(pc.drop_null(values))
    return counted.field("values"), counted.field("counts").to_numpy(zero_copy_only=False)


def _distinct_of(dictionary: pa.Array, counts: np.ndarray) -> tuple[pa.Array, np.ndarray] | None:
    if not (pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)):
        return None
    return dictionary, counts


def _fingerprint(values: pa.Array) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for buffer in values.buffers():
        if buffer is not None:
            digest.update(memoryview(buffer))
    digest.update(str((values.offset, len(values))).encode())
    return digest.digest()


def _findings(distinct: pa.Array) -> list[tuple[int, str, bool, str]]:
    """(position, class, reserved, masked example) per PII span among the distinct values; cached."""
    key = _fingerprint(distinct)
    if key in _FINDINGS_CACHE:
        return _FINDINGS_CACHE[key]
    out: list[tuple[int, str, bool, str]] = []
    positions = candidates(distinct)
    texts = distinct.take(pa.array(positions, pa.int64())).to_pylist() if positions else []
    for position, text in zip(positions, texts, strict=True):
        seen: set[str] = set()
        for start, end, cls, _value, is_reserved in spans(text):
            if cls not in seen:
                seen.add(cls)
                out.append((position, cls, is_reserved, mask(text[start:end])))
    names = first_names()
    sample = distinct.slice(0, NAME_SAMPLE).to_pylist()
    for position, text in enumerate(sample):
        if text and any(token in names for token in re.findall(r"[^\W\d_]+", text)[:4]):
            out.append((position, "person_name", False, mask(text)))
    if len(_FINDINGS_CACHE) > _CACHE_LIMIT:
        _FINDINGS_CACHE.clear()
    _FINDINGS_CACHE[key] = out
    return out


def scan_values(values: pa.Array | pa.ChunkedArray, exempt: frozenset[str] = frozenset()) -> ColumnScan:
    """The classes found in one column. Values in `exempt` (corrupted reserved values) count as reserved."""
    scan = ColumnScan()
    distinct = _distinct(values)
    if distinct is None:
        return scan
    strings, counts = distinct
    found = _findings(strings)
    exempt_positions: set[int] = set()
    if exempt and found:
        positions = sorted({f[0] for f in found})
        texts = strings.take(pa.array(positions, pa.int64())).to_pylist()
        exempt_positions = {p for p, t in zip(positions, texts, strict=True) if t in exempt}
    for position, cls, is_reserved, example in found:
        rows = int(counts[position])
        if rows == 0:
            continue  # a dictionary entry no row uses
        hits = scan.classes.setdefault(cls, Hits())
        reserved_here = is_reserved or position in exempt_positions
        hits.distinct += 1
        hits.rows += rows
        hits.reserved += int(reserved_here)
        hits.reserved_rows += rows if reserved_here else 0
        if hits.example is None or (not reserved_here and hits.leaked == 1):
            hits.example = example
    return scan


def scan_table(table: pa.Table, exempt: frozenset[str] = frozenset()) -> dict[str, ColumnScan]:
    return {name: scan_values(table.column(name), exempt) for name in table.column_names}


def merge(scans: Iterable[Mapping[str, ColumnScan]]) -> dict[str, ColumnScan]:
    out: dict[str, ColumnScan] = {}
    for scan in scans:
        for column, found in scan.items():
            out.setdefault(column, ColumnScan()).merge(found)
    return out


@dataclass
class ScanReport:
    """The findings of `sandbox scan PATH`, per table (or file) and column."""

    path: str
    tables: dict[str, dict[str, ColumnScan]] = field(default_factory=dict)
    names: dict[str, dict[str, str | None]] = field(default_factory=dict)

    @property
    def fatal(self) -> list[tuple[str, str, str]]:
        return [(t, c, cls) for t, cols in self.tables.items() for c, s in cols.items() for cls in s.fatal]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "fatal": len(self.fatal),
            "tables": {
                table: {
                    column: {
                        "name_class": self.names.get(table, {}).get(column),
                        "fatal": scan.fatal,
                        "classes": scan.to_dict(),
                    }
                    for column, scan in columns.items()
                }
                for table, columns in self.tables.items()
            },
        }


def scan_path(path: str | Any) -> ScanReport:
    """Scan a sandbox, Parquet files or folders, or CSV; corrupted reserved values in a sandbox stay reserved."""
    from pathlib import Path

    from sandbox.privacy.classes import classify_name
    from sandbox.privacy.protect import exempt_values
    from sandbox.privacy.sources import sources

    found = sources(Path(path))
    exempt: frozenset[str] = frozenset()
    for source in found:
        if source.name == "defects" and source.role == "truth":
            exempt = frozenset().union(*(exempt_values(pa.Table.from_batches([b])) for b in source.batches()))
    report = ScanReport(str(path))
    for source in found:
        columns: dict[str, ColumnScan] = {}
        for batch in source.batches():
            for name in batch.schema.names:
                columns.setdefault(name, ColumnScan()).merge(scan_values(batch.column(name), exempt))
        report.tables[source.name] = columns
        report.names[source.name] = {name: classify_name(name) for name in columns}
    return report
