"""Apply column policies to a chunk and its defect rows, and scan both before they are written."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.chunks import whole
from sandbox.errors import CheckFailed
from sandbox.privacy import policies
from sandbox.privacy.columns import ColumnPrivacy
from sandbox.privacy.detect import candidates
from sandbox.privacy.exempt import exempt_rows
from sandbox.privacy.names import name_tokens
from sandbox.privacy.redaction import leftovers


def protect(
    data: pa.Table, defects: pa.Table, table: str, columns: Mapping[str, ColumnPrivacy], key: bytes
) -> tuple[pa.Table, pa.Table]:
    """`data` and its defect rows with every column's policy applied (a dropped column drops its defects)."""
    names = _person_names(data, columns) if any(p.policy == "redact" for p in columns.values()) else frozenset()
    for name, privacy in columns.items():
        if privacy.policy in (None, "keep") or name not in data.column_names:
            continue
        index = data.schema.get_field_index(name)
        field = data.schema.field(index)
        changed = policies.apply(data.column(index), privacy.policy, privacy.cls, key, names)
        if privacy.policy == "redact":
            _check_redacted(table, name, changed)
        if changed is None:
            data = data.remove_column(index)
        else:
            data = data.set_column(index, pa.field(name, changed.type, metadata=field.metadata), changed)
        defects = _protect_defects(defects, table, name, privacy, key)
    return data, defects


def _person_names(data: pa.Table, columns: Mapping[str, ColumnPrivacy]) -> frozenset[str]:
    """The words of the chunk's person-name columns, before their own policies: redaction looks for them in
    the free text beside them (a note names the customer its row names)."""
    words: set[str] = set()
    for name, privacy in columns.items():
        if privacy.cls == "person_name" and name in data.column_names:
            values = whole(data.column(name))
            if pa.types.is_dictionary(values.type):
                values = values.dictionary
            if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
                words |= name_tokens(values)
    return frozenset(words)


def _check_redacted(table: str, column: str, values: pa.Array | None) -> None:
    """After `redact`, the detectors at the strict setting must find nothing (the run stops, nothing written)."""
    left = leftovers(values) if values is not None else {}
    if left:
        found = ", ".join(f"{cls} in {n} distinct values" for cls, n in sorted(left.items()))
        raise CheckFailed(
            f"{table}.{column}: after redaction the strict check still finds {found}; nothing was written"
        )


def _protect_defects(defects: pa.Table, table: str, column: str, privacy: ColumnPrivacy, key: bytes) -> pa.Table:
    if not len(defects):
        return defects
    mine = pc.and_(pc.equal(defects["table"], table), pc.equal(defects["column"], column))
    mine = pc.fill_null(mine, False)
    if not pc.any(mine).as_py():
        return defects
    if privacy.policy == "drop":
        return defects.filter(pc.invert(mine))
    for name in ("truth_value", "observed_value"):
        values = whole(defects[name])
        changed = policies.apply(values, str(privacy.policy), privacy.cls, key)
        assert changed is not None
        changed = pc.cast(changed, pa.string())
        merged = pc.if_else(mine, changed, values)
        defects = defects.set_column(defects.schema.get_field_index(name), defects.schema.field(name), merged)
    return defects


def exempt_values(defects: pa.Table) -> frozenset[str]:
    """Observed values of faults whose truth held no leaked PII (`exempt.exempt_rows`), for a scan of its own;
    a build's chunk lets `scan_tables(..., defects=...)` find them in its one prefilter pass."""
    if not len(defects):
        return frozenset()
    return exempt_rows(defects, candidates(whole(defects["observed_value"])))
