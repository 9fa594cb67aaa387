"""manifest.json: written last, it marks a sandbox complete and describes every file in it.

Its shape is `Manifest` (the JSON Schema is `sandbox.output.manifest_schema`); `write_manifest` is its one
writer (`encode` its bytes, for archives too) and `read_manifest` its one reader (`decode` for bytes read
elsewhere).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from sandbox._version import __version__
from sandbox.errors import UsageError
from sandbox.output.location import Location
from sandbox.output.writer import Part

if TYPE_CHECKING:
    from sandbox.recipe.model import Recipe

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LOCKED = ("numpy", "pyarrow", "pandas", "faker", "sdv")


class FileEntry(TypedDict):
    path: str
    rows: int
    bytes: int
    sha256: str


class ColumnEntry(TypedDict):
    name: str
    type: str
    nullable: bool
    description: str
    nulls: int


class TableEntry(TypedDict):
    role: str
    primary: bool
    description: str
    key: list[str]
    rows: int
    columns: list[ColumnEntry]
    files: list[FileEntry]
    references: NotRequired[dict[str, str]]
    arrival: NotRequired[str]


class RecipeEntry(TypedDict):
    name: str
    description: str | None
    file: str
    sha256: str
    text: str
    sizing: dict[str, Any]


class Manifest(TypedDict, total=False):
    """manifest.json. Every sandbox has format_version, tool, lock and tables; a build has recipe, seed and
    chunk_rows (and faults, conformance), a sample model and reports, an anonymise run source."""

    format_version: int
    tool: dict[str, str]
    lock: dict[str, str]
    tables: dict[str, TableEntry]
    privacy: dict[str, Any]
    recipe: RecipeEntry
    seed: int
    chunk_rows: int
    faults: list[dict[str, Any]]
    conformance: list[dict[str, Any]]
    benchmark: dict[str, Any]
    model: dict[str, Any]
    reports: dict[str, Any]
    source: dict[str, Any]
    withheld: list[str]
    #: `sandbox build --from/--until`: the days of the recipe's period it holds (sandbox.engine.days).
    window: dict[str, Any]


def lock(*extra: str) -> dict[str, str]:
    """Versions the bytes depend on (Faker's output changes between its versions), and those of `extra`."""
    out = {"python": platform.python_version(), "sandbox": __version__}
    for name in (*LOCKED, *extra):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def tables_section(parts: Iterable[Part], tables: Mapping[str, Mapping[str, Any]]) -> dict[str, TableEntry]:
    """Per table: role, description, key, rows, schema with null counts, and every file with its sha256."""
    by_table: dict[str, list[Part]] = {}
    for part in sorted(parts, key=lambda p: p.path):
        by_table.setdefault(part.table, []).append(part)
    out_tables: dict[str, TableEntry] = {}
    for name, info in tables.items():
        table_parts = by_table.get(name, [])
        schema = table_parts[0].schema if table_parts else None
        nulls = [sum(p.nulls[i] for p in table_parts) for i in range(len(schema))] if schema else []
        out_tables[name] = {
            "role": info["role"],
            "primary": bool(info.get("primary")),
            "description": info.get("description") or "",
            "key": list(info.get("key") or []),
            "rows": sum(p.rows for p in table_parts),
            "columns": [
                {
                    "name": field.name,
                    "type": str(field.type),
                    "nullable": field.nullable,
                    "description": (field.metadata or {}).get(b"description", b"").decode("utf-8")
                    or info.get("columns", {}).get(field.name, ""),
                    "nulls": nulls[i],
                }
                for i, field in enumerate(schema or [])
            ],
            "files": [{"path": p.path, "rows": p.rows, "bytes": p.bytes, "sha256": p.sha256} for p in table_parts],
        }
        if info.get("references"):
            out_tables[name]["references"] = dict(info["references"])
        if info.get("arrival"):
            out_tables[name]["arrival"] = str(info["arrival"])
    return out_tables


def header() -> Manifest:
    return {"format_version": FORMAT_VERSION, "tool": {"name": "sandbox", "version": __version__}, "lock": lock()}


def build_manifest(recipe: Recipe, parts: Iterable[Part], tables: Mapping[str, Mapping[str, Any]]) -> Manifest:
    """The manifest of a generated sandbox; `tables` gives role/description/key per table."""
    return {
        **header(),
        "recipe": {
            "name": recipe.name,
            "description": recipe.description,
            "file": Path(recipe.file).name,
            "sha256": recipe.sha256,
            "text": recipe.text,
            "sizing": dict(recipe.sizing or {}),
        },
        "seed": recipe.seed,
        "chunk_rows": recipe.chunk_rows,
        "tables": tables_section(parts, tables),
    }


def encode(manifest: Manifest) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_manifest(root: Path | str, manifest: Manifest) -> None:
    """Write manifest.json into a local folder or URL: last, as it marks the sandbox complete."""
    Location(str(root)).write_bytes(MANIFEST, encode(manifest))


def decode(data: bytes | str, where: Path | str = "") -> Manifest:
    """A manifest from its bytes; UsageError (naming `where`) unless it is JSON of this format version."""
    prefix = f"{where}: " if str(where) else ""
    try:
        found = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{prefix}expected JSON, got {exc}") from None
    if not isinstance(found, dict) or found.get("format_version") != FORMAT_VERSION:
        raise UsageError(f"{prefix}expected manifest format_version {FORMAT_VERSION}")
    manifest: Manifest = found  # type: ignore[assignment]  # checked against the schema by `sandbox verify`
    return manifest


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a sandbox folder; a folder without one is not a (complete) sandbox."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise UsageError(f"{folder}: expected a sandbox folder, got {'a file' if folder.exists() else 'nothing'}")
    if not path.exists():
        raise UsageError(f"{folder}: expected a sandbox with manifest.json, got none (an incomplete build?)")
    return decode(path.read_bytes(), path)
