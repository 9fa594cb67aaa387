"""Rows as JSON lines, a whole Arrow batch at a time (pyarrow.compute, no Python loop per row): one object per
row, keys in the table's column order, instants as ISO 8601 UTC (`2025-03-01T00:00:05.250000Z`), dates as
`YYYY-MM-DD`, decimals as strings (`"12.30"`: exact), NaN and infinities as null. And MQTT topics from a
template (`plant/{sensor_id}`) filled from each row's columns."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.compute as pc

_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_FIELD = re.compile(r"\{([^{}]+)\}")


def _escaped(text: pa.Array) -> pa.Array:
    """JSON string contents: backslash, quote and control characters escaped."""
    for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        text = pc.replace_substring(text, raw, escaped)
    if pc.any(pc.match_substring_regex(text, _CONTROL)).as_py():  # rare: each one by itself
        values = [
            None if v is None else re.sub(_CONTROL, lambda m: f"\\u{ord(m.group()):04x}", v) for v in text.to_pylist()
        ]
        text = pa.array(values, pa.string())
    return text


def _quoted(text: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise('"', _escaped(text), '"', "")


def value_text(values: pa.Array) -> pa.Array:
    """Each value as JSON text, null as null."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        return value_text(values.dictionary_decode())
    if pa.types.is_timestamp(kind):
        # as naive UTC (the stored instants), so %S carries the unit's fraction and no zone is applied
        text = pc.strftime(pc.cast(values, pa.timestamp(kind.unit)), format="%Y-%m-%dT%H:%M:%S")
        out = pc.binary_join_element_wise('"', text, 'Z"' if kind.tz else '"', "")
    elif pa.types.is_date(kind):
        out = pc.binary_join_element_wise('"', pc.strftime(values, format="%Y-%m-%d"), '"', "")
    elif pa.types.is_boolean(kind):
        out = pc.if_else(values, "true", "false")
    elif pa.types.is_floating(kind):
        finite = pc.is_finite(values)
        out = pc.if_else(finite, pc.cast(values, pa.string()), pa.scalar(None, pa.string()))
    elif pa.types.is_integer(kind):
        out = pc.cast(values, pa.string())
    elif pa.types.is_decimal(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind):
        out = _quoted(pc.cast(values, pa.string()))
    else:  # lists, structs, binary: through Python's json, one value at a time
        out = pa.array([json.dumps(v, default=str, ensure_ascii=False) for v in values.to_pylist()], pa.string())
    return pc.fill_null(out, "null")


def json_lines(batch: pa.RecordBatch) -> pa.Array:
    """One JSON object per row, as text (no newline)."""
    parts: list[pa.Array | str] = []
    for i, name in enumerate(batch.schema.names):
        parts.append(("{" if i == 0 else ",") + json.dumps(name) + ":")
        parts.append(value_text(batch.column(i)))
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def topic_fields(template: str) -> list[str]:
    return _FIELD.findall(template)


def topics(template: str, batch: pa.RecordBatch) -> pa.Array | str:
    """The template with each `{column}` replaced by the row's value (a plain template as it is)."""
    fields = topic_fields(template)
    if not fields:
        return template
    pieces = _FIELD.split(template)  # literal, field, literal, field, ..., literal
    parts: list[pa.Array | str] = []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            if piece:
                parts.append(piece)
            continue
        values = batch.column(batch.schema.get_field_index(piece))
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        parts.append(pc.fill_null(pc.cast(values, pa.string()), "null"))
    return pc.binary_join_element_wise(*parts, "") if len(parts) > 1 else parts[0]
