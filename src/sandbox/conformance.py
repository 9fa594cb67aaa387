"""Recipe conformance: every knob a recipe set beside the value the sandbox realised, within a tolerance.

The tolerance is max(10% of the knob, 4 standard errors of the realised value), the project's one rule for
"landed on its knob". Realised values are recomputed from the files (rows from the manifest, faults from
truth/defects, domain measures from their tables), so `sandbox check` catches a sandbox edited after its build.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.domains.registry import resolve
from sandbox.noise.kinds import KINDS
from sandbox.output.location import Location
from sandbox.output.manifest import read_manifest
from sandbox.recipe.model import Recipe

#: Count of truth/defects rows per (table, column, kind).
Faults = dict[tuple[str, str | None, str], int]


@dataclass(frozen=True)
class KnobCheck:
    knob: str  # where the recipe sets it, e.g. domain.knobs.conversion_rate or tables.orders.columns.x.null_rate
    target: float
    realised: float
    #: Standard error of the realised value (0 for exact counts).
    se: float
    #: What the realised value was measured over, e.g. "human sessions".
    over: str = ""

    @property
    def tolerance(self) -> float:
        return max(0.1 * abs(self.target), 4 * self.se)

    @property
    def ok(self) -> bool:
        return abs(self.realised - self.target) <= self.tolerance + 1e-12

    def to_dict(self) -> dict[str, Any]:
        return {
            "knob": self.knob,
            "target": self.target,
            "realised": round(self.realised, 6),
            "tolerance": round(self.tolerance, 6) if math.isfinite(self.tolerance) else None,  # None: no data
            "ok": self.ok,
            "over": self.over,
        }


def ratio(hits: float, n: float) -> float:
    """hits / n, and 0 where there is nothing to measure over (an empty build)."""
    return hits / n if n else 0.0


def share(knob: str, target: float, hits: float, n: float, over: str, se: float | None = None) -> KnobCheck:
    """A rate knob realised as hits / n; a binomial standard error unless given."""
    realised = ratio(hits, n)
    if se is None:
        se = math.sqrt(max(target * (1 - target), 0.0) / n) if n else math.inf
    return KnobCheck(knob, float(target), realised, se, over)


#: Keep the rows whose `column` holds one of the values.
Where = tuple[str, Sequence[str]]


def matches(column: pa.Array, values: Sequence[str]) -> pa.Array:
    """Which rows of a (dictionary-encoded) text column hold one of `values`; a dictionary's entries are
    looked up once, not decoded row by row."""
    if isinstance(column, pa.DictionaryArray):
        hit = np.flatnonzero(matches(column.dictionary, values).to_numpy(zero_copy_only=False))
        codes = column.indices.to_numpy(zero_copy_only=False)
        found = codes == hit[0] if len(hit) == 1 else np.isin(codes, hit)
        return pa.array(found & column.is_valid().to_numpy(zero_copy_only=False))
    return pc.fill_null(pc.is_in(column, value_set=pa.array(values, column.type)), False)


class TableReader:
    """Reads columns of a sandbox's tables straight from the files its manifest lists, file by file.

    Plain Parquet readers, a part at a time: half the time of pyarrow.dataset's scanner on these parts, and
    no import of pyarrow.dataset (which imports pandas) in a build process."""

    def __init__(self, folder: Path | str, manifest: dict[str, Any]) -> None:
        self.manifest = manifest
        self.filesystem, self.root = Location(str(folder)).pyarrow_filesystem()

    def rows(self, name: str) -> int:
        """Rows of a table, from the manifest."""
        table = self.manifest["tables"].get(name)
        return int(table["rows"]) if table else 0

    def read(self, name: str, columns: Sequence[str], where: Where | None = None) -> pa.Table:
        """Columns of a (small) table, optionally filtered; hive partition keys are not columns here."""
        parts = list(self.parts(name, columns, where))
        if not parts:
            return pa.table({c: pa.array([], pa.null()) for c in columns})
        return pa.concat_tables(parts)

    def batches(
        self, name: str, columns: Sequence[str], where: Where | None = None, dictionary: Sequence[str] = ()
    ) -> Iterator[pa.RecordBatch]:
        """Columns of a table batch by batch, for tables that grow with the build (flat memory)."""
        for part in self.parts(name, columns, where, dictionary):
            yield from part.to_batches()

    def parts(
        self, name: str, columns: Sequence[str], where: Where | None = None, dictionary: Sequence[str] = ()
    ) -> Iterator[pa.Table]:
        """Columns of a table file by file (a part holds at most a chunk's rows); `dictionary` columns are
        read dictionary-encoded."""
        table = self.manifest["tables"].get(name)
        wanted = list(columns) + ([where[0]] if where and where[0] not in columns else [])
        for file in table["files"] if table else []:
            path = f"{self.root}/{file['path']}"
            source = pa.OSFile(path) if self.filesystem is None else self.filesystem.open(path, "rb")
            with source, pq.ParquetFile(source, read_dictionary=dictionary) as parquet:
                part = parquet.read(columns=wanted)
            if where:
                part = part.filter(matches(part.column(where[0]).combine_chunks(), where[1]))
            yield part.select(list(columns))

    def defects(self) -> Faults:
        """Count of truth/defects rows per (table, column, kind), counted on dictionary codes."""
        out: Faults = {}
        names = ["table", "column", "kind"]
        for batch in self.batches("defects", names, dictionary=names):
            key, labels = np.zeros(batch.num_rows, np.int64), []
            for column in batch.columns:  # code 0 for null, else 1 + the dictionary entry
                values = [None, *column.dictionary.to_pylist()]
                key = key * len(values) + pc.fill_null(column.indices, -1).to_numpy() + 1
                labels.append(values)
            found, counts = np.unique(key, return_counts=True)
            for combined, count in zip(found.tolist(), counts.tolist(), strict=True):
                codes = []
                for values in reversed(labels):
                    combined, code = divmod(combined, len(values))
                    codes.append(values[code])
                table, column_name, kind = reversed(codes)
                out[(table, column_name, kind)] = out.get((table, column_name, kind), 0) + count
        return out


def recipe_of(manifest: dict[str, Any]) -> Recipe | None:
    """The recipe a manifest records, sized as it was built; None for sandboxes made by `anonymise`."""
    from sandbox.api import load_recipe_text

    recipe = manifest.get("recipe")
    if recipe is None:
        return None
    sizing = recipe.get("sizing") or {}
    return load_recipe_text(recipe["text"], recipe.get("file") or "recipe.yaml").sized(
        rows=sizing.get("rows"), scale=sizing.get("scale"), seed=int(manifest["seed"])
    )


def conformance(folder: str | Path, manifest: dict[str, Any] | None = None) -> list[KnobCheck]:
    """Every knob the manifest's recipe set, realised from the files; empty for `anonymise` sandboxes."""
    folder = Path(folder)
    manifest = manifest if manifest is not None else read_manifest(folder)
    model = recipe_of(manifest)
    return measure(TableReader(folder, manifest), model) if model else []


def measure(reader: TableReader, model: Recipe, faults: Faults | None = None) -> list[KnobCheck]:
    faults = reader.defects() if faults is None else faults
    out: list[KnobCheck] = []
    for table in model.tables:
        out += _table_checks(table, reader, faults)
    if model.domain:
        domain = resolve(model.domain.reference)
        out += domain.conformance(model.domain.knobs, model.domain.rows, reader, faults)
    return out


def describe(folder: Path | str, manifest: dict[str, Any], model: Recipe) -> None:
    """Add the fault counts and the conformance of a freshly built sandbox to its manifest."""
    reader = TableReader(folder, manifest)
    faults = reader.defects()
    manifest["faults"] = [
        {"table": t, "column": c, "kind": k, "rows": n}
        for (t, c, k), n in sorted(faults.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2]))
    ]
    manifest["conformance"] = [c.to_dict() for c in measure(reader, model, faults)]


def knob_help(model: Recipe) -> dict[str, str]:
    """What each conformance knob sets, for the data card and the report."""
    out: dict[str, str] = {}
    for table in model.tables:
        path = f"tables.{table.name}"
        out[f"{path}.rows"] = f"Rows of {table.name}."
        for item in table.noise:
            out[f"{path}.noise.{item['kind']}"] = f"Share of rows: {KINDS[item['kind']].description}"
        for spec in table.columns:
            out[f"{path}.columns.{spec.name}.null_rate"] = f"Share of {spec.name} left null."
            for item in spec.noise:
                out[f"{path}.columns.{spec.name}.noise.{item['kind']}"] = KINDS[item["kind"]].description
    if model.domain:
        domain = resolve(model.domain.reference)
        out["domain.rows"] = f"Number of {domain.unit} (`domain.rows`, or --rows)."
        out.update({f"domain.knobs.{p.name}": p.description for p in domain.knobs})
    return out


def _table_checks(table: Any, reader: TableReader, faults: Faults) -> list[KnobCheck]:
    path = f"tables.{table.name}"
    stored = reader.manifest["tables"].get(table.name, {"rows": 0, "columns": []})
    added = faults.get((table.name, None, "duplicate"), 0) - faults.get((table.name, None, "dropped_row"), 0)
    out = [KnobCheck(f"{path}.rows", table.rows, stored["rows"] - added, 0.0, "rows before whole-row faults")]
    for item in table.noise:
        kind = "duplicate" if item["kind"] == "duplicate" else "dropped_row"
        out.append(
            share(
                f"{path}.noise.{item['kind']}",
                item["rate"],
                faults.get((table.name, None, kind), 0),
                table.rows,
                "rows",
            )
        )
    nulls = {c["name"]: c["nulls"] for c in stored["columns"]}
    total = max(stored["rows"], 1)
    for spec in table.columns:
        column = f"{path}.columns.{spec.name}"
        legit = nulls.get(spec.name, 0) - faults.get((table.name, spec.name, "missing"), 0)
        if spec.null_rate:
            out.append(share(f"{column}.null_rate", spec.null_rate, legit, total, "rows"))
        filled = table.rows * (1 - legit / total)
        for item in spec.noise:
            hits = faults.get((table.name, spec.name, item["kind"]), 0)
            out.append(share(f"{column}.noise.{item['kind']}", item["rate"], hits, filled, "non-null values"))
    return out


def run_lengths_se(target: float, runs: int) -> float:
    """Faults that come in runs (dropouts): the standard error scales with the number of runs, not samples."""
    return target / math.sqrt(runs) if runs else math.inf


def poisson_se(rate: float, exposure: float) -> float:
    """Standard error of an event rate (events per unit) observed over `exposure` units."""
    return math.sqrt(rate / exposure) if exposure > 0 else math.inf


def summary(checks: Sequence[KnobCheck]) -> dict[str, Any]:
    return {"knobs": len(checks), "outside": [c.knob for c in checks if not c.ok]}
