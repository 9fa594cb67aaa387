"""The `sandbox` command: parse options, call the library, render. No logic lives here."""

from __future__ import annotations

import json
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sandbox import api
from sandbox._version import __version__
from sandbox.errors import RecipeError, SandboxError
from sandbox.output.datacard import human_size as _size

EXIT_INTERRUPTED = 130
#: A build expected to write more than this says so after its first chunk.
NOTE_BYTES = 1 << 30


class Failure(click.ClickException):
    """A library error rendered as one message with its exit code."""

    def __init__(self, message: str, exit_code: int, *, located: bool = False) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it per class; ours varies
        self.located = located

    def show(self, file: Any = None) -> None:
        click.echo(self.message if self.located else f"error: {self.message}", err=True)


class SandboxGroup(click.Group):
    """Turns library errors into exit codes: 1 found something, 2 bad input, 3 runtime, 130 interrupted."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except RecipeError as exc:
            if debug:
                traceback.print_exc()
            n = len(exc.issues)
            raise Failure(
                f"{exc}\n{n} issue{'s' * (n != 1)}; nothing was written", exc.exit_code, located=True
            ) from None
        except SandboxError as exc:
            if debug:
                traceback.print_exc()
            raise Failure(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise Failure("interrupted; nothing was written", EXIT_INTERRUPTED) from None
        except OSError as exc:
            if debug:
                traceback.print_exc()
            raise Failure(f"{exc.strerror or exc} ({exc.filename or 'no file'}); nothing was written", 3) from None
        except Exception as exc:
            if debug:
                raise
            command = ctx.invoked_subcommand or "COMMAND"
            raise Failure(
                f"internal error: {type(exc).__name__}: {exc} "
                f"(rerun as `sandbox --debug {command} ...` for the traceback)",
                3,
            ) from None


@click.group(cls=SandboxGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sandbox")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def cli(debug: bool) -> None:
    """Build data sandboxes: realistic, related, messy Parquet tables with personal data stripped.

    \b
    Example:
      sandbox recipes                                # what is built in
      sandbox build starter --out shop/ --seed 7     # a sandbox folder
      sandbox inspect shop/                          # what is in it

    Exit codes: 0 ok, 1 a check found something, 2 bad input (nothing written),
    3 runtime failure, 130 interrupted.
    """


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
                f"note: this build will write ~{_size(at.estimated_bytes)} (~{at.estimated_rows:,} rows) in "
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
            f"{_size(at.bytes)} of ~{_size(at.estimated_bytes)}",
            err=True,
            nl=False,
        )
        self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("\r" + " " * 90 + "\r", err=True, nl=False)


def _table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def workers_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--workers/-w N`, shared by the commands that use the worker pool."""
    return click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True, help=help_text)


def key_file_option(fallback: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--key-file`, shared by the commands that pseudonymise; `fallback` says where the key comes from else."""
    return click.option(
        "--key-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=f"Key for pseudonymised tokens ({fallback}).",
    )


def json_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--json`: print `what` as JSON instead of text (for scripts)."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON.")


overwrite_option = click.option(
    "--overwrite", is_flag=True, help="Replace OUT (only once the new sandbox is complete)."
)


def complete_recipe(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Tab completion: the built-in recipe names, then YAML files."""
    from click.shell_completion import CompletionItem

    names = [CompletionItem(n) for n in sorted(api.builtin_recipes()) if n.startswith(incomplete)]
    return [*names, CompletionItem(incomplete, type="file")]


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
) -> None:
    """Build RECIPE (a YAML file or a built-in name) into the folder or URL OUT.

    A folder appears only when complete: a failed or interrupted build leaves nothing. On an object store
    (s3://, gs://) the files are written in place and manifest.json last: it marks the sandbox complete.
    Same recipe + seed + library versions gives byte-identical Parquet, whatever --workers or --engine.

    \b
    Example:
      sandbox build starter --out shop/ --rows 100000 --seed 7 --workers 2
      sandbox build my-recipe.yaml --out fx/ --scale 0.01 --overwrite
      sandbox build iot --out s3://bucket/plant --engine dask --scheduler tcp://10.0.0.5:8786
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
        )

    finally:
        progress.close()
    if quiet:
        return
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
            [name, t["role"], f"{t['rows']:,}", str(len(t["files"])), _size(sum(f["bytes"] for f in t["files"]))]
        )
    click.echo(_table(grid, {2, 3, 4}))
    rate = result.rows / result.seconds if result.seconds else 0.0
    click.echo(
        f"built {result.out} from {result.manifest['recipe']['name']} (seed {result.manifest['seed']}): "
        f"{result.rows:,} rows, {_size(result.bytes)} in {result.seconds:.2f} s ({rate:,.0f} rows/s)"
    )


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
            f"\n{name} ({table['role']}): {table['rows']:,} rows in {table['files']} files, {_size(table['bytes'])}"
        )
        grid = [["column", "type", "null rate"]]
        grid += [[c["name"], c["type"], f"{c['null_rate']:.2%}"] for c in table["columns"]]
        click.echo(_table(grid, {2}))


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
    from sandbox.catalogue import (
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
    from sandbox.privacy.scan import scan_path

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
        click.echo(_table(grid, set()) if len(grid) > 1 else f"{path}: no personal data found")
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
    from sandbox.output.manifest import manifest_schema
    from sandbox.recipe.schema import recipe_schema

    click.echo(json.dumps(recipe_schema() if which == "recipe" else manifest_schema(), indent=2))


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Sandbox folder to create.")
@click.option("--policy", "-p", type=click.Path(path_type=Path), help="Policy YAML: a class and policy per column.")
@click.option("--suggest-policy", is_flag=True, help="Print a draft policy for INPUTS, with the evidence.")
@key_file_option("else $SANDBOX_KEY, else a random key used once and forgotten")
@overwrite_option
@click.option(
    "--enforce-k",
    type=click.IntRange(min=2),
    help="Leave no equivalence class below K over the policy's quasi-identifiers (generalise, then "
    "suppress, as the policy's k_anonymity.action says).",
)
@workers_option("Processes for the batches; output bytes do not depend on it.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def anonymise(
    inputs: tuple[Path, ...],
    out: Path | None,
    policy: Path | None,
    suggest_policy: bool,
    key_file: Path | None,
    overwrite: bool,
    enforce_k: int | None,
    workers: int,
    as_json: bool,
) -> None:
    """Turn INPUTS (CSV, CSV.gz or Parquet files, or folders of them; one table each) into a sandbox.

    Every column the policy names gets its policy: keep, drop, pseudonymise (keyed tokens: the same value gets
    the same token in every table, so joins survive), mask, fake, generalise or redact. Every column is
    scanned: one that holds personal data and that the policy does not name stops the run (exit 2), a leak
    in a kept column fails it (exit 1), and nothing is written either way. CSV is read as text, so
    leading zeros survive; a policy `type` reads a column as int, float, date or timestamp.

    \b
    Example:
      sandbox anonymise customers.csv orders.csv --suggest-policy > policy.yaml   # then review it
      sandbox anonymise customers.csv orders.csv --policy policy.yaml --out clean/
    """
    from sandbox.anonymise import anonymise as run
    from sandbox.privacy.suggest_policy import suggest_for

    if suggest_policy:
        click.echo(suggest_for(inputs), nl=False)
        return
    if out is None or policy is None:
        raise click.UsageError("give --out and --policy (or --suggest-policy to draft one)")
    result = run(inputs, out, policy, key_file=key_file, overwrite=overwrite, enforce_k=enforce_k, workers=workers)

    if as_json:
        click.echo(
            json.dumps(
                {
                    "out": str(result.out),
                    "rows": result.rows,
                    "bytes": result.bytes,
                    "seconds": round(result.seconds, 3),
                    "key": result.manifest["privacy"]["key"],
                },
                indent=2,
            )
        )
        return
    grid = [["table", "rows", "files", "size"]]
    for name, table in result.manifest["tables"].items():
        grid.append(
            [name, f"{table['rows']:,}", str(len(table["files"])), _size(sum(f["bytes"] for f in table["files"]))]
        )
    click.echo(_table(grid, {1, 2, 3}))
    for name, k in result.manifest["privacy"]["k_anonymity"].items():
        click.echo(
            f"k-anonymity of {name} over {', '.join(k['quasi_identifiers'])}: smallest class "
            f"{k['smallest_class']}, {k['rows_below_k']:,} rows below k={k['k']}"
            + (f"; {k['suppressed_rows']:,} rows suppressed" if k["enforced"] else "")
        )
    click.echo(
        f"anonymised into {result.out}: {result.rows:,} rows in {result.seconds:.2f} s; "
        f"key: {result.manifest['privacy']['key']['source']}"
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console entry point: SIGTERM cleans up like Ctrl-C."""
    signal.signal(signal.SIGTERM, _interrupt)
    cli.main(prog_name="sandbox")


# the other commands live in their own modules; importing them registers them on `cli`
from sandbox import cli_learn, cli_share  # noqa: E402, F401
