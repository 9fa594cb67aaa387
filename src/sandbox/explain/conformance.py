"""Recipe conformance: every knob a recipe set beside the value the sandbox realised, within a tolerance.

The tolerance is max(10% of the knob, 4 standard errors of the realised value), the project's one rule for
"landed on its knob". Realised values are recomputed from the files (rows from the manifest, faults from
truth/defects, domain measures from their tables), so `sandbox check` catches a sandbox edited after its build.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sandbox.domains.checks import Faults, KnobCheck, TableReader, share
from sandbox.domains.registry import find_domain
from sandbox.noise.kinds import KINDS
from sandbox.output.manifest import Manifest, read_manifest
from sandbox.recipe.model import Recipe


def recipe_of(manifest: Manifest) -> Recipe | None:
    """The recipe a manifest records, sized as it was built; None for sandboxes made by `anonymise`."""
    from sandbox.recipe.builtin import load_recipe_text

    recipe = manifest.get("recipe")
    if recipe is None:
        return None
    sizing = recipe.get("sizing") or {}
    return load_recipe_text(recipe["text"], recipe.get("file") or "recipe.yaml").sized(
        rows=sizing.get("rows"), scale=sizing.get("scale"), seed=int(manifest["seed"])
    )


def conformance(folder: str | Path, manifest: Manifest | None = None) -> list[KnobCheck]:
    """Every knob the manifest's recipe set, realised from the files; empty for `anonymise` sandboxes and for a
    window of days (`build --from/--until`): a period's rates are of the whole period."""
    folder = Path(folder)
    manifest = manifest if manifest is not None else read_manifest(folder)
    model = None if "window" in manifest else recipe_of(manifest)
    return measure(TableReader(folder, manifest), model) if model else []


def measure(reader: TableReader, model: Recipe, faults: Faults | None = None) -> list[KnobCheck]:
    faults = reader.defects() if faults is None else faults
    out: list[KnobCheck] = []
    for table in model.tables:
        out += _table_checks(table, reader, faults)
    if model.domain:
        domain = find_domain(model.domain.reference)
        names = {v: k for k, v in model.domain.renamed().items()}  # the sandbox's name -> the domain's
        own = {(names.get(t, t), c, k): n for (t, c, k), n in faults.items()}
        out += domain.conformance(model.domain.knobs, model.domain.rows, _as_domain(reader, model), own)
    return out


def _as_domain(reader: TableReader, model: Recipe) -> TableReader:
    """`reader` reading the domain's tables by the domain's names (a recipe may rename them)."""
    names = model.domain.renamed() if model.domain else {}
    return reader.aliased(names) if names else reader


def describe(folder: Path | str, manifest: Manifest, model: Recipe) -> None:
    """Add the fault counts, the conformance and the domain's benchmark of a freshly built sandbox to its
    manifest."""
    reader = TableReader(folder, manifest)
    faults = reader.defects()
    manifest["faults"] = [
        {"table": t, "column": c, "kind": k, "rows": n}
        for (t, c, k), n in sorted(faults.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2]))
    ]
    manifest["conformance"] = [c.to_dict() for c in measure(reader, model, faults)]
    if model.domain:
        benchmark = find_domain(model.domain.reference).benchmark(
            model.domain.knobs, _as_domain(reader, model), model.seed
        )
        if benchmark:
            manifest["benchmark"] = benchmark


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
        domain = find_domain(model.domain.reference)
        out["domain.rows"] = f"Number of {domain.unit} (`domain.rows`, or --rows)."
        out.update({f"domain.knobs.{p.name}": p.description for p in domain.knobs})
        out.update(domain.measures)
    return out


def help_for(helps: Mapping[str, str], knob: str) -> str:
    """What `knob` sets; a key of a mapping knob (domain.knobs.peak_days.black_friday) takes the knob's."""
    if knob in helps:
        return helps[knob]
    parent = knob.rsplit(".", 1)[0]
    return helps.get(parent, "") if parent.startswith("domain.knobs.") else ""


def _table_checks(table: Any, reader: TableReader, faults: Faults) -> list[KnobCheck]:
    path = f"tables.{table.name}"
    stored = reader.manifest["tables"].get(table.name)
    stored_rows = stored["rows"] if stored else 0
    added = faults.get((table.name, None, "duplicate"), 0) - faults.get((table.name, None, "dropped_row"), 0)
    out = [KnobCheck(f"{path}.rows", table.rows, stored_rows - added, 0.0, "rows before whole-row faults")]
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
    nulls = {c["name"]: c["nulls"] for c in stored["columns"]} if stored else {}
    total = max(stored_rows, 1)
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


def summary(checks: Sequence[KnobCheck]) -> dict[str, Any]:
    return {"knobs": len(checks), "outside": [c.knob for c in checks if not c.ok]}
