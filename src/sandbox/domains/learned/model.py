"""The model folder `sandbox learn` writes: files, their fingerprints, and the check before any pickle loads.

A model folder holds a pickled synthesizer, and loading a pickle runs code. `model.json` records the sha256
of every other file at `learn` time; `sample` refuses a folder whose files do not match, and the docs say
to load only models you made or trust (a fingerprint catches a swapped or damaged file, not a forger who
rewrites model.json too).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.core.files import sha256_file as sha256
from sandbox.errors import MissingExtra, UsageError

MODEL = "model.json"
SYNTHESIZER = "synthesizer.pkl"
METADATA = "metadata.yaml"
REPORTS = "reports.json"
POLICY = "policy.yaml"
FORMAT = 1


def require_sdv() -> None:
    """SDV and SDMetrics, or the install command (exit 2)."""
    for module in ("sdv", "sdmetrics"):
        try:
            __import__(module)
        except ImportError:
            raise MissingExtra("learn", module) from None


def fingerprint_files(folder: Path) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != MODEL}


def read_model(folder: str | Path) -> dict[str, Any]:
    """model.json of a model folder whose every file matches its recorded fingerprint (else exit 2)."""
    folder = Path(folder)
    path = folder / MODEL
    if not path.is_file():
        raise UsageError(f"{folder}: expected a model folder made by `sandbox learn` (with {MODEL}), got none")
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: expected JSON, got {exc}") from None
    if not isinstance(model, dict) or model.get("format") != FORMAT:
        raise UsageError(f"{path}: expected a model.json of format {FORMAT}")
    found = fingerprint_files(folder)
    recorded = model.get("files", {})
    for name in sorted(set(found) | set(recorded)):
        if found.get(name) != recorded.get(name):
            what = (
                "missing"
                if name not in found
                else "not made by `sandbox learn`"
                if name not in recorded
                else ("changed since `sandbox learn`")
            )
            raise UsageError(
                f"{folder / name}: {what}; refusing to load this model (a pickle runs code when loaded: "
                "load only models you made or trust)"
            )
    return model
