"""The library API the CLI, notebooks and the pytest plugin share. It never prints or exits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from sandbox.columns.text import locales_of
from sandbox.conformance import describe, knob_help
from sandbox.domains.registry import column_docs, resolve
from sandbox.engines import local
from sandbox.engines.task import DEFECTS, Job, Outcome
from sandbox.errors import UsageError
from sandbox.generate import has_noise
from sandbox.noise.defects import DEFECTS_SCHEMA
from sandbox.output.datacard import write_card
from sandbox.output.location import RemoteStaging, is_url, local_path
from sandbox.output.manifest import build_manifest, read_manifest, write_manifest
from sandbox.output.writer import Staging, write_part
from sandbox.plan import plan
from sandbox.pools import faker_pool
from sandbox.privacy import keys, report
from sandbox.recipe.model import Recipe
from sandbox.recipe.validate import load, load_file
from sandbox.suggest import did_you_mean

ENGINES = ("local", "dask")


def builtin_recipes() -> dict[str, Path]:
    """Built-in recipe name -> path of its YAML (shipped inside the package)."""
    folder = resources.files("sandbox") / "recipes"
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".yaml")}


def recipe_path(recipe: str | Path) -> Path:
    """A path as given, else a built-in recipe by name."""
    path = Path(recipe)
    if path.exists():
        return path
    builtins = builtin_recipes()
    if str(recipe) in builtins:
        return builtins[str(recipe)]
    hint = did_you_mean(recipe, builtins)
    raise UsageError(
        f"{recipe}: expected a recipe file or a built-in recipe ({', '.join(sorted(builtins))}), got neither"
        + (f" (did you mean {hint}?)" if hint else "")
    )


def load_recipe(recipe: str | Path | Recipe) -> Recipe:
    """Load and validate a recipe from a path or built-in name (raises RecipeError with every issue)."""
    if isinstance(recipe, Recipe):
        return recipe
    return load_file(recipe_path(recipe))


def load_recipe_text(text: str, file: str = "<recipe>") -> Recipe:
    return load(text, file)


@dataclass(frozen=True)
class BuildProgress:
    """Where a build stands after a chunk: chunks done of all, and the rows and bytes written so far."""

    done: int
    total: int
    rows: int
    bytes: int

    @property
    def estimated_rows(self) -> int:
        """Rows the whole build will write, from the chunks done so far (chunks are of one size)."""
        return round(self.rows * self.total / self.done) if self.done else 0

    @property
    def estimated_bytes(self) -> int:
        return round(self.bytes * self.total / self.done) if self.done else 0


class _Tally:
    """Sums the finished chunks' parts for the caller's progress callback."""

    def __init__(self, report: Callable[[BuildProgress], None] | None) -> None:
        self.report, self.rows, self.bytes = report, 0, 0

    def __call__(self, done: int, total: int, outcome: Outcome) -> None:
        self.rows += sum(p.rows for p in outcome.parts if p.role == "data")
        self.bytes += sum(p.bytes for p in outcome.parts)
        if self.report:
            self.report(BuildProgress(done, total, self.rows, self.bytes))


@dataclass(frozen=True)
class BuildResult:
    #: The sandbox folder, or its URL (a str) when written to an fsspec URL.
    out: Path | str
    manifest: dict[str, Any]
    seconds: float
    #: Where the time went, summed over chunk tasks (CPU-side seconds across workers); not in the manifest.
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.manifest["tables"].values())

    @property
    def bytes(self) -> int:
        return sum(f["bytes"] for t in self.manifest["tables"].values() for f in t["files"])


def build(
    recipe: str | Path | Recipe,
    out: str | Path,
    *,
    rows: int | None = None,
    scale: float | None = None,
    seed: int | None = None,
    workers: int = 1,
    overwrite: bool = False,
    progress: Callable[[BuildProgress], None] | None = None,
    key_file: str | Path | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> BuildResult:
    """Build a sandbox into `out` (a folder or an fsspec URL): all of it, or (on any error, leak or interrupt)
    nothing.

    Pseudonymised tokens use the key in `key_file`, else `$SANDBOX_KEY`, else one derived from the seed.
    Every part is scanned for personal data; a fatal finding raises CheckFailed and writes nothing.
    `progress` is called as each chunk finishes, with the rows and bytes so far and the estimate for the whole
    build. `engine` "local" runs chunks here or on a process pool of `workers`; "dask" submits them to the Dask
    cluster at `scheduler` (else a LocalCluster of `workers` single-threaded processes). The bytes are the
    same either way.
    """
    started = time.perf_counter()
    if rows is not None and scale is not None:
        raise UsageError("give --rows or --scale, not both")
    if engine not in ENGINES:
        raise UsageError(f"--engine: expected one of {', '.join(ENGINES)}, got '{engine}'")
    model = load_recipe(recipe).sized(rows=rows, scale=scale, seed=seed)
    key = keys.resolve(model.seed, Path(key_file) if key_file else None)
    warm_pools(model)
    staging: Staging | RemoteStaging = (
        RemoteStaging(str(out), overwrite) if is_url(out) else Staging(local_path(out), overwrite)
    )
    with staging:
        jobs = [Job(model, task, str(staging.path), key.secret) for task in plan(model)]
        stats: dict[str, Any] = {}
        if engine == "dask":
            from sandbox.engines import dask as dask_engine

            outcomes = dask_engine.run(jobs, workers, scheduler, _Tally(progress), stats)
        else:
            outcomes = local.run(jobs, workers, _Tally(progress))
        parts = [part for outcome in outcomes for part in outcome.parts]
        infos = table_infos(model)
        if DEFECTS in infos and not any(p.table == DEFECTS for p in parts):
            parts.append(write_part(staging.path, DEFECTS, "truth", "part-00000.parquet", DEFECTS_SCHEMA.empty_table()))
        scans = report.merged_scans(parts)
        report.fail_closed(scans)
        manifest = build_manifest(model, parts, infos)
        manifest["privacy"] = report.privacy_section(key, column_privacy(model), scans)
        describe(staging.path, manifest, model)
        write_card(staging.path, manifest, knob_help(model))
        write_manifest(staging.path, manifest)  # last: it marks the sandbox complete
        staging.commit()
    stats.update(
        chunks=len(outcomes),
        task_seconds=round(sum(o.seconds for o in outcomes), 3),
        scan_seconds=round(sum(o.scan_seconds for o in outcomes), 3),
    )
    return BuildResult(str(out) if is_url(out) else local_path(out), manifest, time.perf_counter() - started, stats)


def table_infos(recipe: Recipe) -> dict[str, dict[str, Any]]:
    """Role, description, key and primary flag of every table the recipe writes, in order."""
    primary = recipe.primary_name()
    out: dict[str, dict[str, Any]] = {}
    for table in recipe.tables:
        out[table.name] = {
            "role": "data",
            "description": table.description,
            "key": table.key,
            "primary": table.name == primary,
        }
    if recipe.domain:
        domain = resolve(recipe.domain.reference)
        docs = column_docs(recipe.domain.generator)
        for i, info in enumerate(domain.tables(recipe.domain.knobs)):
            out[info.name] = {
                "role": info.role,
                "description": info.description,
                "key": info.key,
                "primary": primary == "domain" and i == 0,
                "columns": dict(info.columns) or docs.get(info.name, {}),
            }
    if recipe.domain or any(has_noise(t) for t in recipe.tables):
        out[DEFECTS] = {
            "role": "truth",
            "description": "One row per injected fault (the answer key).",
            "key": ("defect_id",),
        }
    return out


def column_privacy(recipe: Recipe) -> dict[str, dict[str, Any]]:
    """Every table's resolved column classes and policies."""
    out: dict[str, dict[str, Any]] = {
        t.name: {c.name: c.privacy for c in t.columns if c.privacy} for t in recipe.tables
    }
    if recipe.domain:
        for info in resolve(recipe.domain.reference).tables(recipe.domain.knobs):
            out[info.name] = dict(info.privacy)
    return out


def warm_pools(recipe: Recipe) -> None:
    """Build or load every Faker pool once here, so workers only read the cache."""
    for table in recipe.tables:
        for spec in table.columns:
            if spec.gen != "faker":
                continue
            pool = faker_pool(str(spec.head), locales_of(spec.params), int(spec.params["pool"]))
            if spec.unique and len(pool) < table.rows:
                raise UsageError(
                    f"{recipe.file}: bad-range: tables.{table.name}.columns.{spec.name}.pool: expected at least "
                    f"{table.rows} distinct values for a unique column, got {len(pool)} (Faker repeats "
                    f"'{spec.head}'; raise pool or drop unique)"
                )


def inspect(path: str | Path) -> dict[str, Any]:
    """Tables, rows, columns, types, null rates and sizes of a sandbox, from its manifest and files."""
    folder = Path(path)
    manifest = read_manifest(folder)
    tables = {}
    for name, table in manifest["tables"].items():
        rows = 0
        for entry in table["files"]:
            rows += pq.ParquetFile(folder / entry["path"]).metadata.num_rows
        tables[name] = {
            "role": table["role"],
            "rows": rows,
            "files": len(table["files"]),
            "bytes": sum(f["bytes"] for f in table["files"]),
            "columns": [
                {
                    "name": c["name"],
                    "type": c["type"],
                    "null_rate": (c["nulls"] / table["rows"]) if table["rows"] else 0.0,
                }
                for c in table["columns"]
            ],
        }
    return {"path": str(folder), "recipe": manifest["recipe"]["name"], "seed": manifest["seed"], "tables": tables}
