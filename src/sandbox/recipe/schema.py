"""The recipe JSON Schema, generated from the declarations of generators, noise kinds and domain knobs."""

from __future__ import annotations

from typing import Any

from sandbox.columns import GENERATORS
from sandbox.domains.registry import domain_names, find_domain
from sandbox.noise.kinds import NOISE_ITEM_SCHEMA
from sandbox.privacy.classes import PII_CLASSES, POLICIES
from sandbox.recipe.shapes import shapes_schema

SCHEMA_ID = "https://sandbox.invalid/schemas/recipe.schema.json"
#: Names become folder and file names: 64 characters fit every file system's 255-byte component with room
#: for `part-00000.parquet` and the folders around it.
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
#: Rows per table: 10^11 is ~1 TB of Parquet for a narrow table; a typo (`1e18`) must not start a build.
MAX_ROWS = 10**11

COMMON_COLUMN_PROPERTIES: dict[str, Any] = {
    "null_rate": {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "default": 0,
        "description": "Share of rows left null on purpose (legitimate gaps, not defects).",
    },
    "unique": {
        "type": "boolean",
        "default": False,
        "description": "Values never repeat: only for sequence ids, or faker and safe with a pool >= rows.",
    },
    "max_length": {
        "type": "integer",
        "minimum": 1,
        "description": "Text longer than this many characters is cut to it (a varchar(N) column's N).",
    },
    "description": {"type": "string", "description": "What the column means; goes to Parquet and the data card."},
    "pii": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "class": {"enum": list(PII_CLASSES), "description": "The PII class of this column."},
            "policy": {"enum": list(POLICIES), "description": "What the privacy stage does with it."},
        },
        "description": "The column's PII class and policy.",
    },
    "noise": {
        "type": "array",
        "items": {"$ref": "#/$defs/noise"},
        "description": "Faults injected after generation, each logged in truth/defects.",
    },
}


def column_variant(name: str) -> dict[str, Any]:
    gen = GENERATORS[name]
    properties = {name: gen.head.json_schema()}
    properties.update({p.name: p.json_schema() for p in gen.params})
    properties.update(COMMON_COLUMN_PROPERTIES)
    return {
        "type": "object",
        "description": gen.summary,
        "required": [name],
        "additionalProperties": False,
        "properties": properties,
    }


def domain_schema() -> dict[str, Any]:
    names = domain_names()
    branches = []
    for name in names:
        domain = find_domain(name)
        branches.append(
            {
                "if": {"properties": {"generator": {"const": name}}},
                "then": {
                    "properties": {
                        "knobs": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {k.name: k.json_schema() for k in domain.knobs},
                        }
                    }
                },
            }
        )
    out: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["generator", "rows"],
        "description": "A domain generator that writes several related tables at once.",
        "properties": {
            "generator": {"enum": names, "description": "The domain generator."},
            "rows": {
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_ROWS,
                "description": "Size of the domain's main unit.",
            },
            "knobs": {"type": "object", "description": "The domain's knobs (see `sandbox recipes --domains`)."},
            "tables": shapes_schema(),
        },
    }
    if branches:
        out["allOf"] = branches
    return out


def _table_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["rows", "columns"],
        "properties": {
            "rows": {"type": "integer", "minimum": 0, "maximum": MAX_ROWS, "description": "Row count at scale 1."},
            "description": {"type": "string", "description": "What the table holds."},
            "key": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "description": "Columns that identify a row (defaults to its sequence columns).",
            },
            "noise": {
                "type": "array",
                "items": {"$ref": "#/$defs/noise"},
                "description": "Whole-row faults: duplicate, drop.",
            },
            "correlations": {
                "type": "object",
                "additionalProperties": False,
                "required": ["columns", "matrix"],
                "description": "Rank correlations between numeric columns (of their normal scores), imposed on "
                "each chunk by reordering the columns' values (Iman-Conover): each column keeps its generator's "
                "values and nulls.",
                "properties": {
                    "columns": {"type": "array", "items": {"type": "string"}, "minItems": 2, "uniqueItems": True},
                    "matrix": {
                        "type": "array",
                        "items": {"type": "array", "items": {"type": "number", "minimum": -1, "maximum": 1}},
                        "description": "Symmetric, ones on the diagonal, positive definite; row i is columns[i].",
                    },
                },
            },
            "columns": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": {"$ref": "#/$defs/column"},
            },
        },
    }


def _privacy_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "Privacy settings for every column.",
        "properties": {
            "defaults": {
                "type": "object",
                "description": "A policy per PII class, for columns that name none.",
                "propertyNames": {"enum": list(PII_CLASSES)},
                "additionalProperties": {"enum": list(POLICIES)},
            },
        },
    }


def recipe_schema() -> dict[str, Any]:
    """The full JSON Schema (draft 2020-12) for recipe files."""
    generators = sorted(GENERATORS)
    defs: dict[str, Any] = {f"column_{g}": column_variant(g) for g in generators}
    defs["column"] = {
        "type": "object",
        "description": "A column: exactly one generator key (" + ", ".join(generators) + ") and its options.",
        "oneOf": [{"$ref": f"#/$defs/column_{g}"} for g in generators],
    }
    defs["noise"] = NOISE_ITEM_SCHEMA
    defs["table"] = _table_schema()
    defs["domain"] = domain_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "sandbox recipe",
        "description": "A recipe for a data sandbox: related tables, their generators, noise and privacy.",
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "name"],
        "properties": {
            "version": {"const": 1, "description": "Recipe format version."},
            "name": {"type": "string", "pattern": NAME_PATTERN, "description": "Name of the sandbox."},
            "description": {"type": "string", "description": "One line on what the sandbox is for."},
            "seed": {"type": "integer", "minimum": 0, "default": 0, "description": "Root seed."},
            "chunk_rows": {
                "type": "integer",
                "minimum": 1,
                "default": 250_000,
                "description": "Rows per chunk and Parquet part; part of the output's identity.",
            },
            "primary": {"type": "string", "description": "The table `--rows` sizes (others scale with it)."},
            "tables": {
                "type": "object",
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": {"$ref": "#/$defs/table"},
            },
            "domain": {"$ref": "#/$defs/domain"},
            "privacy": _privacy_schema(),
        },
        "$defs": defs,
    }
