"""What a build (or an anonymise or sample run) returns: where the sandbox is, its manifest, and its time."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.output.manifest import Manifest


@dataclass(frozen=True)
class BuildResult:
    #: The sandbox folder, or its URL (a str) when written to an fsspec URL.
    out: Path | str
    manifest: Manifest
    seconds: float
    #: Where the time went, summed over chunk tasks (CPU-side seconds across workers); not in the manifest.
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.manifest["tables"].values())

    @property
    def bytes(self) -> int:
        return sum(f["bytes"] for t in self.manifest["tables"].values() for f in t["files"])
