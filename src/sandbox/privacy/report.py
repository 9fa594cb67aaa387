"""The privacy section of a manifest: per column its class, policy and scan result; fail closed on leaks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.errors import CheckFailed
from sandbox.output.writer import Part
from sandbox.privacy.classes import ADVISORY_CLASSES
from sandbox.privacy.columns import ColumnPrivacy
from sandbox.privacy.keys import Key
from sandbox.privacy.scan import ColumnScan, merge


def merged_scans(parts: Iterable[Part]) -> dict[str, dict[str, ColumnScan]]:
    """Every table's scan findings, merged part by part in path order: the examples the manifest shows come
    from the same part whatever order the chunks finished in."""
    by_table: dict[str, list[Mapping[str, ColumnScan]]] = {}
    for part in sorted(parts, key=lambda p: p.path):
        by_table.setdefault(part.table, []).append(part.scan)
    return {table: merge(scans) for table, scans in by_table.items()}


def fatal_findings(scans: Mapping[str, Mapping[str, ColumnScan]]) -> list[str]:
    """`table.column: class (N distinct values, e.g. a***@g****.c**)` for every leak."""
    out = []
    for table, columns in sorted(scans.items()):
        for column, scan in sorted(columns.items()):
            for cls in scan.fatal:
                hits = scan.classes[cls]
                out.append(
                    f"{table}.{column}: {cls} ({hits.leaked} distinct values not in reserved space, "
                    f"e.g. {hits.example})"
                )
    return out


def fail_closed(scans: Mapping[str, Mapping[str, ColumnScan]]) -> None:
    leaks = fatal_findings(scans)
    if leaks:
        raise CheckFailed("the privacy scan found personal data; nothing was written:\n  " + "\n  ".join(leaks))


def privacy_section(
    key: Key, columns: Mapping[str, Mapping[str, ColumnPrivacy]], scans: Mapping[str, Mapping[str, ColumnScan]]
) -> dict[str, Any]:
    tables: dict[str, dict[str, Any]] = {}
    reserved = 0
    advisory: dict[str, int] = {}
    for table in sorted(set(columns) | set(scans)):
        for column in sorted(set(columns.get(table, {})) | set(scans.get(table, {}))):
            privacy = columns.get(table, {}).get(column)
            scan = scans.get(table, {}).get(column, ColumnScan())
            if privacy is None and not scan.classes:
                continue
            tables.setdefault(table, {})[column] = {
                **(
                    privacy.to_dict()
                    if privacy
                    else {"class": None, "policy": None, "born_safe": False, "reason": "", "space": None}
                ),
                "scan": scan.to_dict(),
            }
            for cls, hits in scan.classes.items():
                reserved += hits.reserved
                if cls in ADVISORY_CLASSES:
                    advisory[cls] = advisory.get(cls, 0) + hits.distinct
    return {
        "key": {"source": key.source, "fingerprint": key.fingerprint},
        "tables": tables,
        "summary": {"fatal": len(fatal_findings(scans)), "reserved_values": reserved, "advisory": advisory},
    }
