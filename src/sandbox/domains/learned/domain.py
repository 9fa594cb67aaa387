"""The `learned` domain: a table sampled from a single-table model made by `sandbox learn`, in any recipe.

    domain:
      generator: learned
      rows: 100000
      knobs: {model: models/customers, missing_rate: 0.01, duplicate_rate: 0.002}

Each chunk is sampled on its own from (seed, chunk): the model's random state and SDV's global state are
seeded for that chunk, so the bytes do not depend on the worker count or the engine. The primary key comes
from the row index, as in generated tables; the noise injectors add missing cells and duplicated rows,
labelled in truth/defects. The model folder is checked against its fingerprints before its pickle loads
(load only models you made or trust). Needs the `learn` extra.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import yaml

from sandbox.columns.registry import Finding
from sandbox.core.params import number, string
from sandbox.domains.checks import Faults, KnobCheck, TableReader, share
from sandbox.domains.interface import Domain, DomainContext, TableInfo
from sandbox.domains.learned.guard import quiet
from sandbox.domains.learned.model import SYNTHESIZER, read_model, require_sdv
from sandbox.noise.kinds import Target, corrupt_column, corrupt_rows

KNOBS = (
    string("model", "Folder of a single-table model made by `sandbox learn` (relative to the working directory)."),
    number("missing_rate", "Share of cells (outside the key) left empty, labelled as faults.", 0.0, ge=0, le=0.5),
    number("duplicate_rate", "Share of rows delivered twice, labelled as faults.", 0.0, ge=0, le=0.5),
)


@functools.cache
def _model(folder: str) -> tuple[Any, str, str, str | None, tuple[str, ...]]:
    """The loaded synthesizer (once per process), its kind, table, key and columns, after the fingerprint check."""

    description = read_model(folder)
    require_sdv()
    from sdv.utils import load_synthesizer

    with quiet():
        model = load_synthesizer(str(Path(folder) / SYNTHESIZER))
    ((table, info),) = description["training"].items()
    key = model.get_metadata().tables[table].primary_key
    return model, description["synthesizer"], table, key, tuple(info["columns"])


def _describe(folder: str) -> dict[str, Any]:
    """model.json with the primary key from metadata.yaml (read as data: no pickle is touched here)."""
    try:
        described = dict(json.loads((Path(folder) / "model.json").read_text(encoding="utf-8")))
        metadata = yaml.safe_load((Path(folder) / "metadata.yaml").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, yaml.YAMLError):
        return {}
    tables = metadata.get("tables", {}) if isinstance(metadata, dict) else {}
    described["keys"] = {name: table.get("primary_key") for name, table in tables.items()}
    return described


class Learned(Domain):
    name = "learned"
    description = "A table sampled from a single-table model made by `sandbox learn` (the `learn` extra)."
    knobs = KNOBS
    unit = "rows"

    def tables(self, knobs: Mapping[str, Any]) -> list[TableInfo]:
        described = _describe(str(knobs["model"]))
        name = next(iter(described.get("training", {})), "learned")
        key = described.get("keys", {}).get(name)
        return [TableInfo(name, f"Sampled from the model in {knobs['model']}.", key=(key,) if key else ())]

    def check(self, knobs: Mapping[str, Any]) -> Iterable[Finding]:
        described = _describe(str(knobs["model"]))
        if not described:
            yield (
                "bad-ref",
                ("model",),
                f"expected a model folder made by `sandbox learn`, got '{knobs['model']}'",
                None,
            )
        elif described.get("synthesizer") == "hma" or len(described.get("training", {})) != 1:
            yield ("bad-ref", ("model",), "expected a single-table model (gaussian_copula or ctgan), got hma", None)

    def plan(self, knobs: Mapping[str, Any], rows: int, chunk_rows: int) -> list[dict[str, Any]]:
        return [{"start": start, "n": min(chunk_rows, rows - start)} for start in range(0, max(rows, 1), chunk_rows)]

    def produce(self, knobs: Mapping[str, Any], payload: Mapping[str, Any], ctx: DomainContext) -> dict[str, pa.Table]:
        from sandbox.domains.learned.draw import draw, empty_frame, to_arrow

        model, kind, table, key, _ = _model(str(knobs["model"]))
        start, n = int(payload["start"]), int(payload["n"])
        with quiet():
            frame = draw(model, kind, table, n, ctx.seed, f"learned:{ctx.chunk}") if n else empty_frame(model, table)
        if key is not None and key in frame.columns:
            frame[key] = np.arange(start, start + len(frame), dtype=np.int64)
        return {table: to_arrow(frame)}

    def corrupt(
        self, knobs: Mapping[str, Any], payload: Mapping[str, Any], tables: dict[str, pa.Table], ctx: DomainContext
    ) -> dict[str, pa.Table]:
        """Missing cells outside the key, then duplicated rows, each labelled in truth/defects."""
        _, _, table, key, _ = _model(str(knobs["model"]))
        data = tables[table]
        target = Target(ctx.seed, table, ctx.chunk, int(payload["start"]), (key,) if key else ())
        if knobs["missing_rate"]:
            for column in data.column_names:
                if column != key:
                    data = corrupt_column(
                        data, column, [{"kind": "missing", "rate": knobs["missing_rate"]}], target, ctx.log
                    )
        if knobs["duplicate_rate"]:
            data = corrupt_rows(data, [{"kind": "duplicate", "rate": knobs["duplicate_rate"]}], target, ctx.log)
        return {table: data}

    def conformance(self, knobs: Mapping[str, Any], rows: int, reader: TableReader, faults: Faults) -> list[KnobCheck]:
        _, _, table, key, columns = _model(str(knobs["model"]))
        twice = faults.get((table, None, "duplicate"), 0)
        cells = rows * len([c for c in columns if c != key])
        missing = sum(n for (t, c, k), n in faults.items() if t == table and k == "missing")
        checks = [KnobCheck("domain.rows", rows, reader.rows(table) - twice, 0.0, "rows before duplicates")]
        if knobs["missing_rate"]:
            checks.append(share("domain.knobs.missing_rate", knobs["missing_rate"], missing, cells, "cells"))
        if knobs["duplicate_rate"]:
            checks.append(share("domain.knobs.duplicate_rate", knobs["duplicate_rate"], twice, rows, "rows"))
        return checks
