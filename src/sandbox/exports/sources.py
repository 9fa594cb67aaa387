"""Read what users point us at - a sandbox, Parquet files or folders, CSV - as Arrow batches."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
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
    #: The text encoding of CSV files, as given (`--encoding`); None: UTF-8, or UTF-16 with a byte-order mark.
    encoding: str | None = None

    def batches(self) -> Iterator[pa.RecordBatch]:
        for path in self.files:
            if path.name.endswith(_CSV_SUFFIXES):
                yield from csv_batches(path, self.encoding)
            else:
                try:
                    yield from pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS)
                except (pa.ArrowInvalid, OSError) as exc:
                    raise UsageError(f"{path}: expected a Parquet file, got {exc}") from None


def sources(path: Path, encoding: str | None = None) -> list[Source]:
    """The tables at `path`: a sandbox's tables, or every Parquet/CSV file below a folder, or one file. CSV is
    read as `encoding` when given, else as UTF-8 (or UTF-16 after its byte-order mark), and refused, with the
    file and the offset of the first byte that does not decode, when it is not that."""
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise UsageError(f"--encoding: expected a text encoding (e.g. cp1252, latin-1), got '{encoding}'") from None
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
        return [Source(str(p.relative_to(path)), (p,), encoding=encoding) for p in files]
    return [Source(path.name, (path,), encoding=encoding)]


def _open_binary(path: Path) -> IO[bytes]:
    handle = gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")  # noqa: SIM115
    return cast(IO[bytes], handle)


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _head(path: Path) -> bytes:
    """The first bytes of a (possibly gzipped) file; a `.gz` that is not gzip is refused (one cut short is
    refused by `_undecodable`, which reads it to its end)."""
    try:
        with _open_binary(path) as raw:
            head = raw.read(4)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise UsageError(
            f"{path}: expected a gzip-compressed file, got {_gzip_problem(exc)}; nothing was written"
        ) from None
    if head.startswith(b"PAR1"):
        raise UsageError(f"{path}: expected CSV text, got a Parquet file (name it .parquet); nothing was written")
    return head


def _gzip_problem(exc: Exception) -> str:
    if isinstance(exc, EOFError):
        return "one that ends before its end-of-stream marker (truncated)"
    if isinstance(exc, gzip.BadGzipFile):
        return "a file that is not gzip"
    return "corrupt compressed data"


def csv_encoding(path: Path, given: str | None = None) -> str:
    """`given`, else what the byte-order mark says (UTF-8 or UTF-16), else UTF-8; refused (UsageError, with the
    byte offset) when the file does not decode as that. A guess would be silent: Latin-1 bytes read as UTF-8
    garble names into text no detector knows, and UTF-8 read as cp1252 does the same to every accent."""
    head = _head(path)
    encoding = given or next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8")
    bad = _undecodable(path, encoding)
    if bad is not None:
        offset, byte = bad
        hint = "; give --encoding to read it as another encoding (e.g. --encoding cp1252)" if given is None else ""
        raise UsageError(
            f"{path}: byte {offset}: expected {encoding} text, got byte 0x{byte:02x} that does not decode{hint}; "
            "nothing was written"
        )
    return encoding


def _undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """The offset and value of the first byte of `path` that does not decode as `encoding`, if any."""
    try:
        return _first_undecodable(path, encoding)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise UsageError(
            f"{path}: expected a gzip-compressed file, got {_gzip_problem(exc)}; nothing was written"
        ) from None


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0  # bytes handed to the decoder so far
    with _open_binary(path) as raw:
        while block := raw.read(BATCH_BYTES):
            held = len(decoder.getstate()[0])  # bytes of a character cut by the previous block
            try:
                decoder.decode(block, final=False)
            except UnicodeDecodeError as exc:
                return offset - held + exc.start, exc.object[exc.start]
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:  # the file ends inside a character
            return offset - len(exc.object) + exc.start, exc.object[exc.start]
    return None


def _open_text(path: Path, encoding: str) -> io.TextIOBase:
    return io.TextIOWrapper(_open_binary(path), encoding=encoding, errors="strict", newline="")


def csv_dialect(path: Path, encoding: str) -> tuple[str, list[str]]:
    """The delimiter (sniffed) and the header of a CSV file."""
    with _open_text(path, encoding) as handle:
        sample = handle.read(64 * 1024)
    if not sample.strip():
        raise UsageError(f"{path}: expected a header line, got an empty file")
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UsageError(f"{path}:1: expected a CSV header line, got {exc}; nothing was written") from None
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise UsageError(f"{path}:1: expected unique column names, got {name!r} twice; nothing was written")
        seen.add(name)
    return delimiter, header


def csv_batches(path: Path, encoding: str | None = None) -> Iterator[pa.RecordBatch]:
    """Every column as strings, so leading zeros and odd formats survive untouched."""
    encoding = csv_encoding(path, encoding)
    delimiter, header = csv_dialect(path, encoding)
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="detect"),
            read_options=pacsv.ReadOptions(block_size=BATCH_BYTES, encoding=encoding),
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
        raise UsageError(_malformed(path, encoding, delimiter, len(header))) from None


def _malformed(path: Path, encoding: str, delimiter: str, fields: int) -> str:
    """`FILE:LINE: expected N fields, got M` for the first malformed record (never its content)."""
    csv.field_size_limit(BATCH_BYTES)
    with _open_text(path, encoding) as handle:
        rows = csv.reader(handle, delimiter=delimiter)
        try:
            for row in rows:
                if len(row) != fields:
                    return f"{path}:{rows.line_num}: expected {fields} fields, got {len(row)}; nothing was written"
        except csv.Error as exc:
            problem = f"a field longer than {BATCH_BYTES >> 20} MiB" if "field limit" in str(exc) else str(exc)
            return f"{path}:{rows.line_num}: expected a CSV record, got {problem}; nothing was written"
    return f"{path}: expected CSV with {fields} fields per line, got a malformed file; nothing was written"
