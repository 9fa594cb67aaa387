"""`sandbox sample`: rows from a learned model, written as a regular sandbox (manifest, data card, scan).

Determinism: the model's own random state is set from (seed, "sample") once, then batches of a fixed size
are drawn in order, each inside `seeded(seed, "sample", batch)`, which seeds and then restores numpy's and
torch's global state. The same model folder, seed and rows give the same bytes. A single-table model is
sampled batch by batch, each batch written as its own part (flat memory); primary keys come from the row
index, as in generated tables. A multi-table (hma) model samples the whole dataset at once (SDV keeps the
parents of every child in memory), scaled so its first table has `rows` rows.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from sandbox.domains.learned.draw import draw, empty_frame, to_arrow
from sandbox.domains.learned.guard import quiet
from sandbox.domains.learned.model import MODEL, REPORTS, SYNTHESIZER, read_model, require_sdv, sha256
from sandbox.explain.card import write_card
from sandbox.output.manifest import Manifest, header, tables_section, write_manifest
from sandbox.output.result import BuildResult
from sandbox.output.writer import Part, Staging, write_part
from sandbox.privacy import keys, report
from sandbox.privacy.scan import scan_table

BATCH_ROWS = 50_000


def sample(
    model_dir: str | Path,
    out: str | Path,
    *,
    rows: int,
    seed: int = 0,
    overwrite: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> BuildResult:
    """Sample `rows` rows from the model folder into the sandbox `out` (all of it, or nothing)."""
    started = time.perf_counter()
    model_dir = Path(model_dir)
    description = read_model(model_dir)  # before the pickle is touched
    require_sdv()
    from sdv.utils import load_synthesizer

    kind = description["synthesizer"]
    with quiet(), Staging(Path(out), overwrite) as staging:
        model = load_synthesizer(str(model_dir / SYNTHESIZER))
        parts = (
            _sample_hma(model, description, rows, seed, staging.path)
            if kind == "hma"
            else _sample_single(model, description, rows, seed, staging.path, batch_rows)
        )
        scans = report.merged_scans(parts)
        report.fail_closed(scans)
        infos = {
            p.table: {"role": "data", "description": f"Sampled from the {kind} model in {model_dir.name}/."}
            for p in parts
        }
        manifest: Manifest = {
            **header(),
            "model": {
                "folder": model_dir.name,
                "synthesizer": kind,
                "model_json_sha256": sha256(model_dir / MODEL),
                "trained_on": {t: v["rows"] for t, v in description["training"].items()},
                "rows": rows,
                "batch_rows": batch_rows,
            },
            "seed": seed,
            "tables": tables_section(parts, infos),
            "reports": _reports(model_dir),
        }
        manifest["privacy"] = report.privacy_section(keys.key_for(seed), {}, scans)
        write_card(staging.path, manifest, {})
        write_manifest(staging.path, manifest)
        staging.commit()
    return BuildResult(Path(out), manifest, time.perf_counter() - started, {"batches": len(parts)})


def _reports(model_dir: Path) -> dict[str, Any]:
    return dict(json.loads((model_dir / REPORTS).read_text(encoding="utf-8")))


def _sample_single(
    model: Any, description: dict[str, Any], rows: int, seed: int, root: Path, batch_rows: int
) -> list[Part]:
    (table,) = description["training"]
    key = model.get_metadata().tables[table].primary_key
    parts = []
    for batch, start in enumerate(range(0, max(rows, 1), batch_rows)):
        n = min(batch_rows, rows - start)
        frame = draw(model, "single", table, n, seed, "sample", batch) if n else empty_frame(model, table)
        if key is not None and key in frame.columns:
            frame[key] = np.arange(start, start + len(frame), dtype=np.int64)
        data = to_arrow(frame)
        parts.append(write_part(root, table, "data", f"part-{batch:05d}.parquet", data, scan_table(data)))
    return parts


def _sample_hma(model: Any, description: dict[str, Any], rows: int, seed: int, root: Path) -> list[Part]:
    first = next(iter(description["training"]))
    scale = rows / max(description["training"][first]["rows"], 1)
    tables = draw(model, "hma", None, scale, seed, "sample")
    parts = []
    for name, frame in tables.items():
        data = to_arrow(frame)
        parts.append(write_part(root, name, "data", "part-00000.parquet", data, scan_table(data)))
    return parts
