"""Policy files for `sandbox anonymise`: a class and a policy per column, validated like recipes.

version: 1
columns:                       # by column name, in every table (so join keys get the same tokens)
  email: {class: email, policy: pseudonymise}
  notes: {class: free_text, policy: redact}
  amount: {policy: keep, type: float}
tables:                        # per-table overrides
  orders: {columns: {comment: {class: free_text, policy: redact}}}
allow:                         # keeping a column that identifies people as it is needs a reason
  postcode: "two-digit regions only, agreed with the DPO"
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.errors import Issue, RecipeError
from sandbox.privacy.classes import IDENTIFYING_CLASSES, PII_CLASSES, POLICIES, personal
from sandbox.privacy.columns import ColumnPrivacy
from sandbox.recipe.loader import Source, parse
from sandbox.recipe.structure import structural_issues

TYPES = ("string", "int", "float", "date", "timestamp")
_ARROW = {"int": pa.int64(), "float": pa.float64(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC")}


def typed_values(values: pa.ChunkedArray | pa.Array, kind: str) -> pa.ChunkedArray | pa.Array:
    """A text column read as the policy's `type:` (raises pyarrow's ArrowInvalid when a value does not parse).
    Timestamps without a zone are taken as UTC, as every sandbox's timestamps are."""
    if kind == "string":
        return values
    try:
        return pc.cast(values, _ARROW[kind])
    except pa.ArrowInvalid:
        if kind != "timestamp":
            raise
        return pc.cast(pc.cast(values, pa.timestamp("us")), _ARROW[kind])


_COLUMN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["policy"],
    "properties": {
        "class": {"enum": list(PII_CLASSES), "description": "The column's PII class."},
        "policy": {"enum": list(POLICIES), "description": "What the privacy stage does with the column."},
        "type": {"enum": list(TYPES), "description": "Read the (CSV text) column as this type; default string."},
    },
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["version"],
    "properties": {
        "version": {"const": 1},
        "columns": {"type": "object", "additionalProperties": _COLUMN},
        "k_anonymity": {
            "type": "object",
            "additionalProperties": False,
            "required": ["quasi_identifiers", "k"],
            "description": "Report (and with --enforce-k, enforce) k-anonymity over these columns.",
            "properties": {
                "quasi_identifiers": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "k": {"type": "integer", "minimum": 2},
                "action": {
                    "enum": ["generalise", "suppress"],
                    "default": "generalise",
                    "description": "With --enforce-k: generalise the columns one more step, then "
                    "suppress rows still in classes below k; or only suppress.",
                },
            },
        },
        "tables": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"columns": {"type": "object", "additionalProperties": _COLUMN}},
            },
        },
        "allow": {
            "type": "object",
            "description": "Classes that identify people which this policy keeps as they are, each with the reason.",
            "propertyNames": {"enum": list(IDENTIFYING_CLASSES)},
            "additionalProperties": {"type": "string", "minLength": 1},
        },
    },
}


@dataclass(frozen=True)
class Policy:
    file: str
    sha256: str
    columns: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    tables: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    k_anonymity: Mapping[str, Any] | None = None
    #: Identifying classes kept as they are, each with the policy's reason (reported, and in the manifest).
    allow: Mapping[str, str] = field(default_factory=dict)

    def rule(self, table: str, column: str) -> Mapping[str, Any] | None:
        return self.tables.get(table, {}).get(column) or self.columns.get(column)

    def privacy(self, table: str, column: str) -> ColumnPrivacy | None:
        rule = self.rule(table, column)
        if rule is None:
            return None
        cls = rule.get("class")
        return ColumnPrivacy(cls if personal(cls) else None, rule["policy"], False, "declared")


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; every issue located by file, line and column (exit 2)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecipeError(
            [Issue("missing-key", "", f"expected a readable policy file, got {exc.strerror}", str(path))]
        ) from None
    source = parse(text, str(path))
    issues = structural_issues(source, SCHEMA)
    if issues:
        raise RecipeError(issues)
    data = source.data
    issues = list(_unacknowledged(source))
    if issues:
        raise RecipeError(issues)
    return Policy(
        str(path),
        hashlib.sha256(text.encode()).hexdigest(),
        dict(data.get("columns") or {}),
        {name: dict(spec.get("columns") or {}) for name, spec in (data.get("tables") or {}).items()},
        data.get("k_anonymity"),
        dict(data.get("allow") or {}),
    )


def _rules(data: Mapping[str, Any]) -> list[tuple[tuple[str, ...], Mapping[str, Any]]]:
    """Every column rule with its path in the file: top-level `columns`, then each table's."""
    found: list[tuple[tuple[str, ...], Mapping[str, Any]]] = [
        (("columns", name), rule) for name, rule in (data.get("columns") or {}).items()
    ]
    for table, spec in (data.get("tables") or {}).items():
        found += [(("tables", table, "columns", name), rule) for name, rule in (spec.get("columns") or {}).items()]
    return found


def _unacknowledged(source: Source) -> list[Issue]:
    """A column of a class that identifies people, kept as it is, with no reason under `allow:` for its class."""
    allowed = source.data.get("allow") or {}
    return [
        source.issue(
            "pii-unhandled",
            path,
            f"expected a policy that changes a {rule['class']} column (pseudonymise, mask, fake, generalise, redact "
            f"or drop), got keep; to keep it as it is, say why: allow: {{{rule['class']}: REASON}}",
        )
        for path, rule in _rules(source.data)
        if rule.get("policy") == "keep" and rule.get("class") in IDENTIFYING_CLASSES and rule["class"] not in allowed
    ]
