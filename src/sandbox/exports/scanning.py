"""`sandbox scan PATH`: a sandbox, Parquet files or folders, or CSV, scanned for personal data column by column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from sandbox.exports.sources import sources
from sandbox.privacy.classes import classify_name
from sandbox.privacy.protect import exempt_values
from sandbox.privacy.scan import ColumnScan, scan_values


@dataclass
class ScanReport:
    """The findings of `sandbox scan PATH`, per table (or file) and column."""

    path: str
    tables: dict[str, dict[str, ColumnScan]] = field(default_factory=dict)
    names: dict[str, dict[str, str | None]] = field(default_factory=dict)

    @property
    def fatal(self) -> list[tuple[str, str, str]]:
        return [(t, c, cls) for t, cols in self.tables.items() for c, s in cols.items() for cls in s.fatal]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "fatal": len(self.fatal),
            "tables": {
                table: {
                    column: {
                        "name_class": self.names.get(table, {}).get(column),
                        "fatal": scan.fatal,
                        "classes": scan.to_dict(),
                    }
                    for column, scan in columns.items()
                }
                for table, columns in self.tables.items()
            },
        }


def scan_path(path: str | Any) -> ScanReport:
    """Scan a sandbox, Parquet files or folders, or CSV; corrupted reserved values in a sandbox stay reserved."""
    found = sources(Path(path))
    exempt: frozenset[str] = frozenset()
    for source in found:
        if source.name == "defects" and source.role == "truth":
            exempt = frozenset().union(*(exempt_values(pa.Table.from_batches([b])) for b in source.batches()))
    report = ScanReport(str(path))
    for source in found:
        columns: dict[str, ColumnScan] = {}
        for batch in source.batches():
            for name in batch.schema.names:
                columns.setdefault(name, ColumnScan()).merge(
                    scan_values(batch.column(name), exempt, classify_name(name))
                )
        report.tables[source.name] = columns
        report.names[source.name] = {name: classify_name(name) for name in columns}
    return report
