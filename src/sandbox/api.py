"""The library API the CLI, notebooks and the pytest plugin share. It never prints or exits.

A build, stage by stage (`build` reads in this order):

1. the recipe: found, validated and sized (`sandbox.recipe`);
2. the plan: the recipe's producers (each table, its domain) and every chunk of each (`sandbox.engine.plan`);
3. every chunk through the same stages, here, on a local pool or on Dask: produce, corrupt, protect, scan,
   write (`sandbox.engine.pipeline`);
4. fail closed: any fatal finding of the scan writes nothing (`sandbox.privacy.report`);
5. the manifest, conformance and the data card, then the manifest last, which marks the sandbox complete
   (`sandbox.output`, `sandbox.explain`).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from sandbox.engine import local
from sandbox.engine.contract import Producer
from sandbox.engine.days import Days, days_of, windowed, within
from sandbox.engine.pipeline import Outcome
from sandbox.engine.plan import DEFECTS, Job, column_privacy, plan, producers, table_infos
from sandbox.errors import UsageError
from sandbox.explain.card import human_size, write_card
from sandbox.explain.conformance import describe, knob_help
from sandbox.noise.defects import DEFECTS_SCHEMA
from sandbox.output.location import RemoteStaging, is_url, local_path
from sandbox.output.manifest import Manifest, build_manifest, read_manifest, write_manifest
from sandbox.output.result import BuildResult
from sandbox.output.writer import Part, Staging, write_part
from sandbox.privacy import keys, report
from sandbox.recipe.builtin import builtin_recipes, load_recipe, load_recipe_text
from sandbox.recipe.model import Recipe

ENGINES = ("local", "dask")
__all__ = ["BuildProgress", "BuildResult", "build", "builtin_recipes", "inspect", "load_recipe", "load_recipe_text"]


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
    """Sums the finished chunks' parts for the caller's progress callback; after the first chunk, `room` checks
    the estimate for the whole build against the free space."""

    def __init__(
        self, report: Callable[[BuildProgress], None] | None, room: Callable[[BuildProgress], None] | None = None
    ) -> None:
        self.report, self.room, self.rows, self.bytes = report, room, 0, 0

    def __call__(self, done: int, total: int, outcome: Outcome) -> None:
        self.rows += sum(p.rows for p in outcome.parts if p.role == "data")
        self.bytes += sum(p.bytes for p in outcome.parts)
        at = BuildProgress(done, total, self.rows, self.bytes)
        if self.room is not None and done == 1:
            self.room(at)
        if self.report:
            self.report(at)


#: Free space kept beside a build's estimate: the estimate is from the first chunk, and the disk is shared.
SPARE = 1.1


def _room_check(folder: Path, out: str | Path) -> Callable[[BuildProgress], None]:
    """Refuses (UsageError, exit 2: nothing kept) a build whose estimate exceeds the free space at `folder`."""

    def check(at: BuildProgress) -> None:
        needed = at.estimated_bytes - at.bytes
        free = shutil.disk_usage(folder).free
        if needed * SPARE > free:
            raise UsageError(
                f"{out}: this build needs ~{human_size(at.estimated_bytes)} (estimated from its first chunk of "
                f"{at.total:,}) and the disk has {human_size(free)} free; free space, build fewer rows, or pass "
                "--force; nothing was written"
            )

    return check


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
    force: bool = False,
    since: str | None = None,
    until: str | None = None,
) -> BuildResult:
    """Build a sandbox into `out` (a folder or an fsspec URL): all of it, or (on any error, leak or interrupt)
    nothing.

    Pseudonymised tokens use the key in `key_file`, else `$SANDBOX_KEY`, else one derived from the seed.
    Every part is scanned for personal data; a fatal finding raises CheckFailed and writes nothing.
    `progress` is called as each chunk finishes, with the rows and bytes so far and the estimate for the whole
    build. `engine` "local" runs chunks here or on a process pool of `workers`; "dask" submits them to the Dask
    cluster at `scheduler` (else a LocalCluster of `workers` single-threaded processes). The bytes are the
    same either way. A local build whose estimate (after its first chunk) exceeds the disk's free space stops
    with a UsageError and leaves nothing, unless `force`. `since` and `until` (ISO dates; the day after the last)
    build only those days of a recipe whose chunks are days (iot): the same files as the whole period's build
    writes for them, without the conformance, which only the whole period has.
    """
    started = time.perf_counter()
    if rows is not None and scale is not None:
        raise UsageError("give --rows or --scale, not both")
    if engine not in ENGINES:
        raise UsageError(f"--engine: expected one of {', '.join(ENGINES)}, got '{engine}'")
    model = load_recipe(recipe).sized(rows=rows, scale=scale, seed=seed)  # 1. the recipe
    key = keys.key_for(model.seed, Path(key_file) if key_file else None)
    found = producers(model)  # 2. the plan
    for producer in found:
        producer.prepare()
    stats: dict[str, Any] = {}
    window = days_of(found, since, until) if since or until else None
    with _staging(out, overwrite) as staging:
        jobs = plan(found, str(staging.path), key.secret)
        jobs = within(jobs, window) if window else jobs
        room = None if force or is_url(out) else _room_check(Path(staging.path), out)
        outcomes = _run(jobs, engine, workers, scheduler, _Tally(progress, room), stats)  # 3. every chunk
        manifest = _finish(staging.path, model, found, key, [p for o in outcomes for p in o.parts], window)
        staging.commit()
    stats.update(
        chunks=len(outcomes),
        task_seconds=round(sum(o.seconds for o in outcomes), 3),
        scan_seconds=round(sum(o.scan_seconds for o in outcomes), 3),
    )
    return BuildResult(str(out) if is_url(out) else local_path(out), manifest, time.perf_counter() - started, stats)


def _finish(
    root: Path | str, model: Recipe, found: list[Producer], key: keys.Key, parts: list[Part], window: Days | None
) -> Manifest:
    """Steps 4 and 5 of a build whose chunks are written under `root`: the manifest goes last."""
    infos = table_infos(model, found)
    parts = _with_defects(root, parts, infos)
    scans = report.merged_scans(parts)  # 4. fail closed
    report.fail_closed(scans)
    manifest = build_manifest(model, parts, infos)  # 5. manifest, conformance, card
    manifest["privacy"] = report.privacy_section(key, column_privacy(found), scans)
    if window:
        windowed(manifest, window)
    else:
        describe(root, manifest, model)
    write_card(root, manifest, knob_help(model))
    write_manifest(root, manifest)  # last: it marks the sandbox complete
    return manifest


def _staging(out: str | Path, overwrite: bool) -> Staging | RemoteStaging:
    return RemoteStaging(str(out), overwrite) if is_url(out) else Staging(local_path(out), overwrite)


def _run(
    jobs: list[Job], engine: str, workers: int, scheduler: str | None, tally: _Tally, stats: dict[str, Any]
) -> list[Outcome]:
    if engine == "dask":
        from sandbox.engine import dask as dask_engine

        return dask_engine.run(jobs, workers, scheduler, tally, stats)
    return local.run(jobs, workers, tally)


def _with_defects(root: Path | str, parts: list[Part], infos: dict[str, dict[str, Any]]) -> list[Part]:
    """The parts, and an empty truth/defects part when faults were possible but none were drawn."""
    if DEFECTS in infos and not any(p.table == DEFECTS for p in parts):
        parts.append(write_part(root, DEFECTS, "truth", "part-00000.parquet", DEFECTS_SCHEMA.empty_table()))
    return parts


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
