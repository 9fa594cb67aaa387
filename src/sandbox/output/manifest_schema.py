"""The JSON Schema of manifest.json (draft 2020-12): `sandbox schema manifest`, and what `verify` checks."""

from __future__ import annotations

from typing import Any

from sandbox.output.manifest import FORMAT_VERSION

_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def _table() -> dict[str, Any]:
    file_entry = {
        "type": "object",
        "additionalProperties": False,
        "required": ["path", "rows", "bytes", "sha256"],
        "properties": {
            "path": {"type": "string", "description": "Path relative to the sandbox root."},
            "rows": {"type": "integer", "minimum": 0},
            "bytes": {"type": "integer", "minimum": 0},
            "sha256": _SHA256,
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
    return {
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
            "references": {
                "type": "object",
                "additionalProperties": {"type": "string", "pattern": "^[^.]+[.][^.]+$"},
                "description": "Column -> the table.column whose ids it holds (a foreign key).",
            },
            "arrival": {"type": "string", "description": "The timestamp column rows arrive by (replay's order)."},
        },
    }


def _origins() -> dict[str, Any]:
    """Where the rows came from: a recipe (build), a model (sample) or a team's export (anonymise)."""
    return {
        "recipe": {
            "type": "object",
            "required": ["name", "sha256", "text", "sizing"],
            "properties": {
                "name": {"type": "string"},
                "description": {"type": "string"},
                "file": {"type": "string"},
                "sha256": _SHA256,
                "text": {"type": "string", "description": "The recipe as written, for rebuilds."},
                "sizing": {"type": "object", "description": "--rows or --scale given to the build."},
            },
        },
        "model": {
            "type": "object",
            "description": "For `sandbox sample`: the model folder, synthesizer, model.json sha256 and rows.",
        },
        "reports": {"type": "object", "description": "For `sandbox sample`: the model's quality and privacy reports."},
        "source": {
            "type": "object",
            "description": "For `sandbox anonymise`: the inputs (names, sizes, sha256) and the policy applied.",
        },
    }


def _checks() -> dict[str, Any]:
    """What `sandbox check` reads back: faults per kind, and every knob beside its realised value."""
    return {
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
        "benchmark": {
            "type": "object",
            "description": "How hard the faults are to find: trivial baselines and reference detectors scored "
            "in time against truth/defects on a sample (a domain's own; iot only so far).",
            "required": ["devices", "windows", "range_f1"],
            "properties": {
                "devices": {"type": "integer", "minimum": 0},
                "windows": {"type": "object", "additionalProperties": {"type": "integer"}},
                "range_f1": {
                    "type": "object",
                    "additionalProperties": {"type": "object", "additionalProperties": {"type": "number"}},
                },
            },
        },
    }


def manifest_schema() -> dict[str, Any]:
    """JSON Schema of manifest.json (draft 2020-12)."""
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
            **_origins(),
            **_checks(),
            "withheld": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Truth tables left out by `sandbox pack --without-truth`.",
            },
            "window": {
                "type": "object",
                "additionalProperties": False,
                "description": "Built with `--from/--until`: only these days of the recipe's period (the files a "
                "build of the whole period writes for them); no conformance, which is over the whole period.",
                "required": ["from", "until", "first_day", "days", "period"],
                "properties": {
                    "from": {"type": "string", "format": "date"},
                    "until": {"type": "string", "format": "date", "description": "The day after the last."},
                    "first_day": {"type": "integer", "minimum": 0},
                    "days": {"type": "integer", "minimum": 1},
                    "period": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["start", "days"],
                        "properties": {
                            "start": {"type": "string", "format": "date"},
                            "days": {"type": "integer", "minimum": 1},
                        },
                    },
                },
            },
            "seed": {"type": "integer", "minimum": 0},
            "chunk_rows": {"type": "integer", "minimum": 1},
            "tables": {"type": "object", "additionalProperties": _table()},
        },
    }
