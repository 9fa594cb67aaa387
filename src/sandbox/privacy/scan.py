"""The scan: an independent detector pass over every string column's distinct values.

Used on every part a build writes (a fatal finding fails the build) and by `sandbox scan PATH` on any
folder, Parquet or CSV. Findings carry counts and a masked example, never a raw value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.chunks import whole
from sandbox.privacy import integers
from sandbox.privacy.classes import FATAL_CLASSES, classify_name
from sandbox.privacy.detect import Detector, active_detectors, candidates, spans
from sandbox.privacy.exempt import exempt_rows
from sandbox.privacy.findings import Findings, cached, fingerprint
from sandbox.privacy.names import first_names

#: Integers this large may be card numbers, phones or ids stored as numbers (in columns named like them).
_BIG_INT = 10**6
#: Classes whose values may be bare runs of digits, in a column named for them (the strict prefilter's).
_BARE_DIGITS = frozenset({"phone", "national_id", "online_identifier"})
NUMBER_CLASSES = frozenset({"phone", "credit_card", "national_id", "online_identifier", "iban"})
#: Advisory name detection looks at up to this many distinct values (fatal classes: all of them).
NAME_SAMPLE = 20_000


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


#: Rows holding each of a column's distinct values at the given positions.
RowsOf = Callable[[np.ndarray], np.ndarray]


def _distinct(values: pa.Array, numbers: bool = False) -> pa.Array | None:
    """Distinct strings of a plain column (their rows are counted only for the few that hold PII, `_rows`), or
    None for columns that cannot hold PII. Integers are looked at only with `numbers` (the column's name suggests
    a phone, card or id number): integer keys are not PII, and long ids pass check digits by chance."""
    if pa.types.is_integer(values.type) and numbers:
        extreme = pc.max(pc.abs(values)).as_py()
        if extreme is None or extreme < _BIG_INT:
            return None
        values = pc.cast(values, pa.string())
    if not _is_text(values.type):
        return None
    return pc.unique(pc.drop_null(values))  # a quarter cheaper than value_counts: no count of every value


def _rows(values: pa.Array, strings: pa.Array) -> RowsOf:
    """How many rows of `values` hold each of its distinct `strings` at the given positions (one lookup pass over
    the column, made only when a value holds PII)."""

    def rows_of(positions: np.ndarray) -> np.ndarray:
        wanted, back = np.unique(positions, return_inverse=True)
        column = pc.cast(values, pa.string()) if pa.types.is_integer(values.type) else values
        found = pc.index_in(column, value_set=strings.take(pa.array(wanted, pa.int64())))
        return np.bincount(pc.drop_null(found).to_numpy(zero_copy_only=False), minlength=len(wanted))[back]

    return rows_of


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _findings(distinct: pa.Array, hint: str | None = None, shared: bool = False) -> Findings:
    """Every PII span among the distinct values, found once per set of values and detector version.

    A `shared` set (a dictionary column's pool, the same in every chunk and build) is cached by content in
    memory and on disk beside the Faker pools, so it is examined once per machine; other sets (a chunk's
    own strings) never recur, and caching them would only cost hashing and disk writes.
    """
    if not shared:
        return _find(distinct, hint)
    return cached(fingerprint(distinct) + (hint or "").encode(), lambda: _find(distinct, hint))


#: Which values the vectorised prefilter flags (positions) and which detectors matched each of them.
Prefiltered = tuple[list[int], list[list[Detector]]]


def _prefilter(distinct: pa.Array, strict: bool = False) -> Prefiltered:
    positions = candidates(distinct, strict)
    return positions, active_detectors(distinct.take(pa.array(positions, pa.int64())), strict)


def _find(distinct: pa.Array, hint: str | None, prefiltered: Prefiltered | None = None) -> Findings:
    rows: list[tuple[int, str, bool, str]] = []
    # a column named for phones or ids holds bare runs of digits that are: they pass the strict prefilter only
    positions, detectors = prefiltered or _prefilter(distinct, strict=hint in _BARE_DIGITS)
    picked = distinct.take(pa.array(positions, pa.int64()))
    for position, text, active in zip(positions, picked.to_pylist(), detectors, strict=True):
        seen: set[str] = set()
        for start, end, cls, _value, is_reserved in spans(text, active, hint):
            if cls not in seen:
                seen.add(cls)
                rows.append((position, cls, is_reserved, mask(text[start:end])))
    names = first_names()
    sample = distinct.slice(0, NAME_SAMPLE)
    wordy = pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(sample, r"^[^\d/@_{]+$"), False))
    for position, text in zip(wordy.to_pylist(), sample.take(wordy).to_pylist(), strict=True):
        if any(token in names for token in re.findall(r"[^\W\d_]+", text)[:4]):
            rows.append((position, "person_name", False, mask(text)))

    labels = tuple(sorted({r[1] for r in rows}))
    return Findings(
        np.asarray([r[0] for r in rows], dtype=np.int64),
        np.asarray([labels.index(r[1]) for r in rows], dtype=np.int64),
        np.asarray([r[2] for r in rows], dtype=bool),
        tuple(r[3] for r in rows),
        labels,
    )


def scan_values(
    values: pa.Array | pa.ChunkedArray, exempt: frozenset[str] = frozenset(), hint: str | None = None
) -> ColumnScan:
    """The classes found in one column. Values in `exempt` (corrupted reserved values) count as reserved.

    `hint` is the class the column's name suggests (e.g. `national_id` for `steuer_id`).
    """
    scan = ColumnScan()
    if pa.types.is_integer(values.type) and hint not in NUMBER_CLASSES:
        return _integers(values)  # chunks and all: most integer columns stop at their min and max
    values = whole(values)
    if isinstance(values, pa.DictionaryArray):
        if not _is_text(values.dictionary.type):
            return scan
        strings = values.dictionary
        found = _findings(strings, hint, shared=True)  # a pool: cached, so most columns stop here
        if not len(found.positions):
            return scan
        counts = np.bincount(pc.drop_null(values.indices).to_numpy(zero_copy_only=False), minlength=len(strings))
        rows_of: RowsOf = counts.__getitem__
    else:
        distinct = _distinct(values, numbers=hint in NUMBER_CLASSES)
        if distinct is None:
            return scan
        strings, rows_of = distinct, _rows(values, distinct)
        found = _findings(strings, hint)
    scan = _hits(strings, rows_of, found, exempt)
    if hint not in NUMBER_CLASSES:
        scan.merge(_integers(values))  # digit strings: phones and cards stored as numbers in a text column
    return scan


def _integers(values: pa.Array | pa.ChunkedArray) -> ColumnScan:
    """An integer column (or one of digit strings) the name says nothing about: phone or card numbers stored as
    numbers, decided for the column as a whole (sandbox.privacy.integers)."""
    counted = integers.large(values)
    decided = None if counted is None else integers.integer_class(counted.field("values"))
    if counted is None or decided is None:
        return ColumnScan()
    cls, reserved = decided
    strings, counts = counted.field("values"), counted.field("counts").to_numpy(zero_copy_only=False)
    first = int(np.argmax(~reserved)) if (~reserved).any() else 0
    hits = Hits(
        len(strings), int(counts.sum()), int(reserved.sum()), int(counts[reserved].sum()), mask(str(strings[first]))
    )
    return ColumnScan({cls: hits})


def _hits(strings: pa.Array, rows_of: RowsOf, found: Findings, exempt: frozenset[str]) -> ColumnScan:
    """Findings among distinct values counted by class, with the rows that hold them (`rows_of` their positions)."""
    scan = ColumnScan()
    if not len(found.positions):
        return scan
    rows = rows_of(found.positions)
    reserved = found.reserved.copy()
    if exempt:
        texts = strings.take(pa.array(found.positions)).to_pylist()
        reserved |= np.fromiter((t in exempt for t in texts), dtype=bool, count=len(texts))
    used = rows > 0  # a dictionary entry no row uses is not in the data
    for code, cls in enumerate(found.names):
        mine = used & (found.classes == code)
        if not mine.any():
            continue
        leaked = mine & ~reserved
        first = int(np.argmax(leaked)) if leaked.any() else int(np.argmax(mine))
        scan.classes[cls] = Hits(
            distinct=int(mine.sum()),
            rows=int(rows[mine].sum()),
            reserved=int((mine & reserved).sum()),
            reserved_rows=int(rows[mine & reserved].sum()),
            example=found.examples[first],
        )
    return scan


def scan_table(table: pa.Table, exempt: frozenset[str] = frozenset()) -> dict[str, ColumnScan]:
    """`scan_values` of every column."""
    return scan_tables([table], exempt)[0]


def scan_tables(
    tables: Sequence[pa.Table], exempt: frozenset[str] = frozenset(), defects: pa.Table | None = None
) -> list[dict[str, ColumnScan]]:
    """`scan_table` of each table. The plain text columns' distinct values of all of them, and the observed
    values of `defects` (the chunk's fault rows: `exempt_rows`), go through the vectorised prefilter together:
    each regex pass costs its compilation and the building of its DFA however few the values (a pass of the
    fault rows' own cost a ledger chunk 25 ms; bench/RESULTS.md, "Notes from the code")."""
    scans: list[dict[str, ColumnScan]] = [{} for _ in tables]
    plain: list[tuple[int, str, pa.Array, RowsOf, str | None]] = []
    own: list[tuple[int, str, str | None]] = []  # scanned column by column, once the exemptions are known
    for t, table in enumerate(tables):
        for name in table.column_names:
            values, hint = table.column(name), classify_name(name)
            if (
                pa.types.is_dictionary(values.type)
                or (pa.types.is_integer(values.type) and hint not in NUMBER_CLASSES)
                or hint in _BARE_DIGITS  # its own prefilter (`_find`)
            ):
                own.append((t, name, hint))
            elif (distinct := _distinct(values := whole(values), numbers=hint in NUMBER_CLASSES)) is not None:
                plain.append((t, name, distinct, _rows(values, distinct), hint))
            else:
                scans[t][name] = ColumnScan()
    observed = whole(defects["observed_value"]) if defects is not None and len(defects) else None
    segments = [strings for _, _, strings, _, _ in plain] + ([observed] if observed is not None else [])
    if segments:
        positions, detectors = _prefilter(pa.concat_arrays([s.cast(pa.large_string()) for s in segments]))
        bounds = np.cumsum([0] + [len(s) for s in segments])
        column_of = np.searchsorted(bounds, positions, side="right") - 1
        if defects is not None and observed is not None:
            flagged = np.flatnonzero(column_of == len(plain))
            exempt = exempt | exempt_rows(defects, [positions[j] - int(bounds[-2]) for j in flagged])
        for i, (t, name, strings, rows_of, hint) in enumerate(plain):
            mine = np.flatnonzero(column_of == i)
            prefiltered = ([positions[j] - int(bounds[i]) for j in mine], [detectors[j] for j in mine])
            scans[t][name] = _hits(strings, rows_of, _find(strings, hint, prefiltered), exempt)
            if hint not in NUMBER_CLASSES:
                scans[t][name].merge(_integers(whole(tables[t].column(name))))
    for t, name, hint in own:
        scans[t][name] = scan_values(tables[t].column(name), exempt, hint)
    return [{name: found[name] for name in table.column_names} for found, table in zip(scans, tables, strict=True)]


def merge(scans: Iterable[Mapping[str, ColumnScan]]) -> dict[str, ColumnScan]:
    out: dict[str, ColumnScan] = {}
    for scan in scans:
        for column, found in scan.items():
            out.setdefault(column, ColumnScan()).merge(found)
    return out
