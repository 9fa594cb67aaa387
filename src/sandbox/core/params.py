"""Declared parameters: one declaration feeds the JSON Schema, validation, `--help` and the data card.

Column generators and domain knobs both declare their parameters with `Param`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """One named parameter: its JSON Schema fragment, default and description."""

    name: str
    schema: dict[str, Any]
    description: str
    default: Any = _REQUIRED
    #: A short label for help text, e.g. "number in [0, 1]".
    label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def json_schema(self) -> dict[str, Any]:
        out = dict(self.schema)
        out["description"] = self.description
        if not self.required and self.default is not None:
            out["default"] = self.default
        return out

    def help_line(self) -> str:
        default = "required" if self.required else f"default {self.default!r}"
        return f"{self.name} ({self.label or self.schema.get('type', 'value')}, {default}): {self.description}"


def _bounds(ge: float | None, le: float | None, gt: float | None, lt: float | None) -> tuple[dict[str, Any], str]:
    schema: dict[str, Any] = {}
    lo = "(-inf"
    hi = "inf)"
    if ge is not None:
        schema["minimum"], lo = ge, f"[{ge}"
    if gt is not None:
        schema["exclusiveMinimum"], lo = gt, f"({gt}"
    if le is not None:
        schema["maximum"], hi = le, f"{le}]"
    if lt is not None:
        schema["exclusiveMaximum"], hi = lt, f"{lt})"
    return schema, f"{lo}, {hi}"


def number(
    name: str,
    description: str,
    default: Any = _REQUIRED,
    *,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
) -> Param:
    bounds, label = _bounds(ge, le, gt, lt)
    return Param(name, {"type": "number", **bounds}, description, default, f"number in {label}")


def integer(
    name: str,
    description: str,
    default: Any = _REQUIRED,
    *,
    ge: int | None = None,
    le: int | None = None,
) -> Param:
    bounds, label = _bounds(ge, le, None, None)
    return Param(name, {"type": "integer", **bounds}, description, default, f"integer in {label}")


def string(name: str, description: str, default: Any = _REQUIRED, **schema: Any) -> Param:
    return Param(name, {"type": "string", **schema}, description, default, "string")


def choice(name: str, values: list[str], description: str, default: Any = _REQUIRED) -> Param:
    return Param(name, {"enum": list(values)}, description, default, "one of " + "|".join(values))


def boolean(name: str, description: str, default: Any = _REQUIRED) -> Param:
    return Param(name, {"type": "boolean"}, description, default, "true|false")


def numbers(
    name: str,
    description: str,
    default: Any = _REQUIRED,
    *,
    length: int | None = None,
    ge: float | None = None,
) -> Param:
    items: dict[str, Any] = {"type": "number"}
    if ge is not None:
        items["minimum"] = ge
    schema: dict[str, Any] = {"type": "array", "items": items}
    label = "list of numbers"
    if length is not None:
        schema["minItems"] = schema["maxItems"] = length
        label = f"list of {length} numbers"
    return Param(name, schema, description, default, label)


def multipliers(name: str, description: str, default: Any = _REQUIRED, *, le: float = 100) -> Param:
    """A mapping of names to non-negative numbers (e.g. peak days to their traffic multipliers)."""
    schema = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": le}}
    return Param(name, schema, description, default, f"mapping of name to number in [0, {le:g}]")


def defaults(params: tuple[Param, ...], given: dict[str, Any]) -> dict[str, Any]:
    """The given values with every optional parameter's default filled in."""
    out = {p.name: p.default for p in params if not p.required}
    out.update(given)
    return out
