"""Read what users point us at - a sandbox, Parquet files or folders, CSV - as Arrow batches."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sandbox.errors import UsageError
from sandbox.output.manifest import MANIFEST, read_manifest

BATCH_ROWS = 256_000
#: CSV bytes per batch (a batch is a unit of work and of memory).
BATCH_BYTES = 16 << 20

_CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz")


@dataclass(frozen=True)
class Source:
    """One logical table: a sandbox table (several parts) or one file."""

    name: str
    files: tuple[Path, ...]
    role: str = "data"

    def batches(self) -> Iterator[pa.RecordBatch]:
        for path in self.files:
            if path.name.endswith(_CSV_SUFFIXES):
                yield from csv_batches(path)
            else:
                try:
                    yield from pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS)
                except (pa.ArrowInvalid, OSError) as exc:
                    raise UsageError(f"{path}: expected a Parquet file, got {exc}") from None


def sources(path: Path) -> list[Source]:
    """The tables at `path`: a sandbox's tables, or every Parquet/CSV file below a folder, or one file."""
    if not path.exists():
        raise UsageError(f"{path}: expected a sandbox, a folder, a Parquet or a CSV file, got nothing")
    if path.is_dir() and (path / MANIFEST).exists():
        manifest = read_manifest(path)
        return [
            Source(name, tuple(path / f["path"] for f in t["files"]), t["role"])
            for name, t in manifest["tables"].items()
        ]
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and (p.suffix == ".parquet" or p.name.endswith(_CSV_SUFFIXES))
        )
        if not files:
            raise UsageError(f"{path}: expected Parquet or CSV files in the folder, got none")
        return [Source(str(p.relative_to(path)), (p,)) for p in files]
    return [Source(path.name, (path,))]


def _open_binary(path: Path) -> IO[bytes]:
    handle = gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")  # noqa: SIM115
    return cast(IO[bytes], handle)


def csv_encoding(path: Path) -> str:
    """UTF-8 when the first MiB decodes as UTF-8, else Windows-1252 (spreadsheet exports); never fails."""
    with _open_binary(path) as raw:
        head = raw.read(1 << 20)
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)  # a cut character is not an error
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _open_text(path: Path) -> io.TextIOBase:
    return io.TextIOWrapper(_open_binary(path), encoding=csv_encoding(path), errors="replace", newline="")


def csv_dialect(path: Path) -> tuple[str, list[str]]:
    """The delimiter (sniffed) and the header of a CSV file."""
    with _open_text(path) as handle:
        sample = handle.read(64 * 1024)
    if not sample.strip():
        raise UsageError(f"{path}: expected a header line, got an empty file")
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    header = next(csv.reader(io.StringIO(sample), delimiter=delimiter))
    return delimiter, header


def csv_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """Every column as strings, so leading zeros and odd formats survive untouched."""
    delimiter, header = csv_dialect(path)
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="detect"),
            read_options=pacsv.ReadOptions(block_size=BATCH_BYTES, encoding=csv_encoding(path).replace("-sig", "")),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        yield from reader
    except pa.ArrowInvalid:
        # Arrow's message quotes the offending line: it may hold personal data, so find the line ourselves
        raise UsageError(_malformed(path, delimiter, len(header))) from None


def _malformed(path: Path, delimiter: str, fields: int) -> str:
    """`FILE:LINE: expected N fields, got M` for the first malformed record (never its content)."""
    with _open_text(path) as handle:
        rows = csv.reader(handle, delimiter=delimiter)
        for row in rows:
            if len(row) != fields:
                return f"{path}:{rows.line_num}: expected {fields} fields, got {len(row)}; nothing was written"
    return f"{path}: expected CSV with {fields} fields per line, got a malformed file; nothing was written"
