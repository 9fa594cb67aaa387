"""Commands that make and look at sandboxes: build, validate, inspect, recipes, scan, schema."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from sandbox import api
from sandbox.cli.group import (
    cli,
    complete_recipe,
    grid_text,
    human_size,
    key_file_option,
    overwrite_option,
    workers_option,
)
from sandbox.errors import RecipeError
from sandbox.output.result import BuildResult

#: A build expected to write more than this says so after its first chunk.
NOTE_BYTES = 1 << 30


class ProgressLine:
    """Build progress on stderr: a one-line bar with the size written and expected (on a terminal, for builds
    longer than a second), and, on any stderr, one note when the first chunk shows the build will write more
    than NOTE_BYTES, so a build of the wrong size can be stopped before it fills a disk."""

    def __init__(self, enabled: bool, note: bool = True) -> None:
        self.enabled, self.note = enabled, note
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, at: api.BuildProgress) -> None:
        if self.note and at.estimated_bytes > NOTE_BYTES:
            self.note = False
            click.echo(
                f"note: this build will write ~{human_size(at.estimated_bytes)} (~{at.estimated_rows:,} rows) in "
                f"{at.total:,} chunks, estimated from the first; Ctrl-C stops it and leaves nothing",
                err=True,
            )
        elapsed = time.monotonic() - self.started
        if not self.enabled or elapsed < 1.0:
            return
        width = 30
        filled = int(width * at.done / max(at.total, 1))
        click.echo(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {at.done}/{at.total} chunks {elapsed:5.1f}s "
            f"{human_size(at.bytes)} of ~{human_size(at.estimated_bytes)}",
            err=True,
            nl=False,
        )
        self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("\r" + " " * 90 + "\r", err=True, nl=False)


@cli.command()
@click.argument("recipe", shell_complete=complete_recipe)
@click.option("--out", "-o", required=True, help="Folder or fsspec URL (s3://, gs://, memory://) to create.")
@click.option(
    "--rows",
    type=click.IntRange(min=0),
    help="Size of the primary table, in its unit (sessions, devices, invoices: `sandbox recipes` lists each "
    "recipe's); the other tables scale with it.",
)
@click.option("--scale", type=click.FloatRange(min=0, min_open=True), help="Multiply every table's size.")
@click.option("--seed", type=click.IntRange(min=0), help="Override the recipe's seed.")
@workers_option("Processes; output bytes do not depend on it.")
@overwrite_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of a table.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")
@key_file_option("else $SANDBOX_KEY, else derived from the seed")
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: this machine (--workers processes); dask: a Dask cluster (pip install -e '.[dask]').",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://HOST:8786 [a LocalCluster].")
@click.option(
    "--force",
    is_flag=True,
    help="Build even when the size estimated from the first chunk exceeds the disk's free space.",
)
@click.option(
    "--from",
    "since",
    metavar="DATE",
    help="iot: build the period's days from this one (ISO date): the files a build of the whole period "
    "writes for them, byte for byte.",
)
@click.option("--until", metavar="DATE", help="iot: build the days before this one (ISO date; not included).")
def build(
    recipe: str,
    out: str,
    rows: int | None,
    scale: float | None,
    seed: int | None,
    workers: int,
    overwrite: bool,
    as_json: bool,
    quiet: bool,
    key_file: Path | None,
    engine: str,
    scheduler: str | None,
    force: bool,
    since: str | None,
    until: str | None,
) -> None:
    """Build RECIPE (a YAML file or a built-in name) into the folder or URL OUT.

    A folder appears only when complete: a failed or interrupted build leaves nothing. On an object store
    (s3://, gs://) the files are written in place and manifest.json last: it marks the sandbox complete.
    Same recipe + seed + library versions gives byte-identical Parquet, whatever --workers or --engine.
    --from/--until build some days of an iot recipe's period (day-by-day increments): each day's files are
    those of one build of the whole period; conformance needs the whole period, so a window has none.

    \b
    Example:
      sandbox build starter --out shop/ --rows 100000 --seed 7 --workers 2
      sandbox build my-recipe.yaml --out fx/ --scale 0.01 --overwrite
      sandbox build iot --out s3://bucket/plant --engine dask --scheduler tcp://10.0.0.5:8786
      sandbox build iot --out day2/ --from 2025-03-02 --until 2025-03-03
    """
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    progress = ProgressLine(enabled=not quiet and not as_json and sys.stderr.isatty(), note=not quiet)
    try:
        result = api.build(
            recipe,
            out,
            rows=rows,
            scale=scale,
            seed=seed,
            workers=workers,
            overwrite=overwrite,
            progress=progress,
            key_file=key_file,
            engine=engine,
            scheduler=scheduler,
            force=force,
            since=since,
            until=until,
        )

    finally:
        progress.close()
    if not quiet:
        _print_built(result, as_json)


@cli.command()
@click.argument("recipe", shell_complete=complete_recipe)
@click.option("--json", "as_json", is_flag=True, help="Print issues as JSON objects.")
def validate(recipe: str, as_json: bool) -> None:
    """Check RECIPE without building: every issue, each with file:line:col, then exit 2.

    \b
    Example:
      sandbox validate my-recipe.yaml
      sandbox validate my-recipe.yaml --json | jq '.issues[].path'
    """
    try:
        model = api.load_recipe(recipe)
    except RecipeError as exc:
        if not as_json:
            raise
        click.echo(json.dumps({"valid": False, "issues": [i.to_dict() for i in exc.issues]}, indent=2))
        raise click.exceptions.Exit(exc.exit_code) from None
    if as_json:
        click.echo(json.dumps({"valid": True, "issues": []}))
    else:
        names = [t.name for t in model.tables] + ([f"domain {model.domain.generator}"] if model.domain else [])
        click.echo(f"{model.file}: ok ({', '.join(names)})")


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def inspect(path: Path, as_json: bool) -> None:
    """Show the tables of the sandbox at PATH: rows, files, size, columns, types and null rates.

    \b
    Example:
      sandbox inspect shop/
    """
    info = api.inspect(path)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"{info['path']}: recipe {info['recipe']}, seed {info['seed']}")
    for name, table in info["tables"].items():
        click.echo(
            f"\n{name} ({table['role']}): {table['rows']:,} rows in {table['files']} files, "
            f"{human_size(table['bytes'])}"
        )
        grid = [["column", "type", "null rate"]]
        grid += [[c["name"], c["type"], f"{c['null_rate']:.2%}"] for c in table["columns"]]
        click.echo(grid_text(grid, {2}))


@cli.command()
@click.option("--generators", is_flag=True, help="List the column generators with their options.")
@click.option("--noise", is_flag=True, help="List the noise kinds a recipe can inject.")
@click.option("--domains", is_flag=True, help="List the domain generators with their knobs.")
@click.option("--json", "as_json", is_flag=True, help="Print the built-in recipes as JSON.")
def recipes(generators: bool, noise: bool, domains: bool, as_json: bool) -> None:
    """List the built-in recipes (name, description, what --rows counts), or the building blocks of a recipe.

    \b
    Example:
      sandbox recipes
      sandbox recipes --generators
      sandbox recipes --json | jq -r '.[].name'
    """
    from sandbox.explain.catalogue import (
        describe_domains,
        describe_generators,
        describe_noise,
        describe_recipes,
        recipe_summaries,
    )

    if as_json:
        click.echo(json.dumps(recipe_summaries(), indent=2))
        return

    parts: list[Callable[[], str]] = []
    if generators:
        parts.append(describe_generators)
    if noise:
        parts.append(describe_noise)
    if domains:
        parts.append(describe_domains)
    click.echo("\n\n".join(p() for p in parts or [describe_recipes]))


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def scan(path: Path, as_json: bool) -> None:
    """Scan PATH (a sandbox, Parquet files or folders, CSV) for personal data; exit 1 on any fatal finding.

    Every string column's distinct values go through the detectors (emails, phones in many national formats,
    cards with Luhn, IBANs, IPs, national ids with check digits, MAC/IMEI, names). Values in reserved space
    (example.com, documentation IPs, fictional phone ranges, test cards) are reported, not fatal.
    Examples are masked: no raw value is ever printed.

    \b
    Example:
      sandbox scan shop/
      sandbox scan export.csv --json
    """
    from sandbox.exports.scanning import scan_path

    report = scan_path(path)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        grid = [["table", "column", "found", "example"]]
        for table, columns in report.tables.items():
            for column, found in columns.items():
                for cls, hits in sorted(found.classes.items()):
                    flag = "  FATAL" if cls in found.fatal else ""
                    grid.append(
                        [
                            table,
                            column,
                            f"{cls}: {hits.distinct:,} values, {hits.rows:,} rows, {hits.reserved:,} reserved{flag}",
                            hits.example or "",
                        ]
                    )
        click.echo(grid_text(grid, set()) if len(grid) > 1 else f"{path}: no personal data found")
        fatal = report.fatal
        if fatal:
            click.echo(
                f"\n{len(fatal)} fatal finding{'s' * (len(fatal) != 1)}: "
                + ", ".join(f"{t}.{c} ({cls})" for t, c, cls in fatal)
            )
    if report.fatal:
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("which", type=click.Choice(["recipe", "manifest"]), default="recipe")
def schema(which: str) -> None:
    """Print the JSON Schema of recipes (for editors) or of manifest.json.

    \b
    Example:
      sandbox schema recipe > recipe.schema.json
    """
    from sandbox.output.manifest_schema import manifest_schema
    from sandbox.recipe.schema import recipe_schema

    click.echo(json.dumps(recipe_schema() if which == "recipe" else manifest_schema(), indent=2))


def _print_built(result: BuildResult, as_json: bool) -> None:
    tables = result.manifest["tables"]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "out": str(result.out),
                    "seconds": round(result.seconds, 3),
                    "rows": result.rows,
                    "bytes": result.bytes,
                    "seed": result.manifest["seed"],
                    "stats": result.stats,
                    "tables": {
                        n: {"role": t["role"], "rows": t["rows"], "files": len(t["files"])} for n, t in tables.items()
                    },
                },
                indent=2,
            )
        )
        return
    grid = [["table", "role", "rows", "files", "size"]]
    for name, t in tables.items():
        grid.append(
            [name, t["role"], f"{t['rows']:,}", str(len(t["files"])), human_size(sum(f["bytes"] for f in t["files"]))]
        )
    click.echo(grid_text(grid, {2, 3, 4}))
    rate = result.rows / result.seconds if result.seconds else 0.0
    click.echo(
        f"built {result.out} from {result.manifest['recipe']['name']} (seed {result.manifest['seed']}): "
        f"{result.rows:,} rows, {human_size(result.bytes)} in {result.seconds:.2f} s ({rate:,.0f} rows/s)"
    )
