"""manifest.json: written last, it marks a sandbox complete and describes every file in it."""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sandbox._version import __version__
from sandbox.errors import UsageError
from sandbox.output.location import Location
from sandbox.output.writer import Part
from sandbox.recipe.model import Recipe

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LOCKED = ("numpy", "pyarrow", "pandas", "faker", "sdv")


def lock(*extra: str) -> dict[str, str]:
    """Versions the bytes depend on (Faker's output changes between its versions), and those of `extra`."""
    out = {"python": platform.python_version(), "sandbox": __version__}
    for name in (*LOCKED, *extra):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def tables_section(parts: Iterable[Part], tables: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Per table: role, description, key, rows, schema with null counts, and every file with its sha256."""
    by_table: dict[str, list[Part]] = {}
    for part in sorted(parts, key=lambda p: p.path):
        by_table.setdefault(part.table, []).append(part)
    out_tables = {}
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
    return out_tables


def header() -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "tool": {"name": "sandbox", "version": __version__}, "lock": lock()}


def build_manifest(recipe: Recipe, parts: Iterable[Part], tables: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
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


def write_manifest(root: Path | str, manifest: Mapping[str, Any]) -> None:
    """Write manifest.json into a local folder or URL: last, as it marks the sandbox complete."""
    Location(str(root)).write_bytes(MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a sandbox folder; a folder without one is not a (complete) sandbox."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise UsageError(f"{folder}: expected a sandbox folder, got {'a file' if folder.exists() else 'nothing'}")
    if not path.exists():
        raise UsageError(f"{folder}: expected a sandbox with manifest.json, got none (an incomplete build?)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: expected JSON, got {exc}") from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise UsageError(f"{path}: expected manifest format_version {FORMAT_VERSION}")
    return data


def manifest_schema() -> dict[str, Any]:
    """JSON Schema of manifest.json (draft 2020-12)."""
    file_entry = {
        "type": "object",
        "additionalProperties": False,
        "required": ["path", "rows", "bytes", "sha256"],
        "properties": {
            "path": {"type": "string", "description": "Path relative to the sandbox root."},
            "rows": {"type": "integer", "minimum": 0},
            "bytes": {"type": "integer", "minimum": 0},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
    }
    column = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "type", "nullable", "description", "nulls"],
        "properties": {
            "name": {"type": "string"},
            "type": {"type": "string", "description": "Arrow type, e.g. int64, timestamp[us, tz=UTC]."},
            "nullable": {"type": "boolean"},
            "description": {"type": "string"},
            "nulls": {"type": "integer", "minimum": 0, "description": "Null values over all files."},
        },
    }
    table = {
        "type": "object",
        "additionalProperties": False,
        "required": ["role", "primary", "description", "key", "rows", "columns", "files"],
        "properties": {
            "role": {"enum": ["data", "truth"], "description": "data under tables/, truth (answer keys) under truth/"},
            "primary": {"type": "boolean"},
            "description": {"type": "string"},
            "key": {"type": "array", "items": {"type": "string"}},
            "rows": {"type": "integer", "minimum": 0},
            "columns": {"type": "array", "items": column},
            "files": {"type": "array", "items": file_entry},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://sandbox.invalid/schemas/manifest.schema.json",
        "title": "sandbox manifest",
        "type": "object",
        "required": ["format_version", "tool", "lock", "tables"],
        "anyOf": [
            {"required": ["recipe", "seed", "chunk_rows"]},
            {"required": ["source"]},
            {"required": ["model", "seed"]},
        ],
        "properties": {
            "format_version": {"const": FORMAT_VERSION},
            "tool": {"type": "object", "required": ["name", "version"]},
            "lock": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Library versions the bytes depend on.",
            },
            "recipe": {
                "type": "object",
                "required": ["name", "sha256", "text", "sizing"],
                "properties": {
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                    "file": {"type": "string"},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "text": {"type": "string", "description": "The recipe as written, for rebuilds."},
                    "sizing": {"type": "object", "description": "--rows or --scale given to the build."},
                },
            },
            "model": {
                "type": "object",
                "description": "For `sandbox sample`: the model folder, synthesizer, model.json sha256 and rows.",
            },
            "reports": {
                "type": "object",
                "description": "For `sandbox sample`: the model's quality and privacy reports.",
            },
            "source": {
                "type": "object",
                "description": "For `sandbox anonymise`: the inputs (names, sizes, sha256) and the policy applied.",
            },
            "faults": {
                "type": "array",
                "description": "Rows of truth/defects per table, column and kind.",
                "items": {
                    "type": "object",
                    "required": ["table", "column", "kind", "rows"],
                    "properties": {
                        "table": {"type": "string"},
                        "column": {"type": ["string", "null"]},
                        "kind": {"type": "string"},
                        "rows": {"type": "integer", "minimum": 0},
                    },
                },
            },
            "conformance": {
                "type": "array",
                "description": "Every knob the recipe set beside its realised value; tolerance max(10%, 4 SE).",
                "items": {
                    "type": "object",
                    "required": ["knob", "target", "realised", "tolerance", "ok", "over"],
                    "properties": {
                        "knob": {"type": "string"},
                        "target": {"type": "number"},
                        "realised": {"type": "number"},
                        "tolerance": {"type": ["number", "null"], "description": "null: nothing to measure"},
                        "ok": {"type": "boolean"},
                        "over": {"type": "string"},
                    },
                },
            },
            "withheld": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Truth tables left out by `sandbox pack --without-truth`.",
            },
            "seed": {"type": "integer", "minimum": 0},
            "chunk_rows": {"type": "integer", "minimum": 1},
            "tables": {"type": "object", "additionalProperties": table},
        },
    }
