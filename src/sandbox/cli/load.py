"""The command that puts a sandbox into a database: load."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sandbox.cli.group import cli

if TYPE_CHECKING:
    from sandbox.load import Loaded


@cli.command()
@click.argument("sandbox", type=click.Path(path_type=Path))
@click.argument("url")
@click.option("--schema", metavar="NAME", help="Schema to load into [the recipe's name]; truth goes to NAME_truth.")
@click.option("--replace", is_flag=True, help="Replace the schema (or SQLite's tables) if it exists.")
@click.option("--truth", is_flag=True, help="Load the answer keys too, into their own schema NAME_truth.")
@click.option("--only", multiple=True, metavar="TABLE", help="Load only this table, repeatable.")
@click.option(
    "--validate",
    is_flag=True,
    help="PostgreSQL: re-check every loaded row against its foreign keys (VALIDATE CONSTRAINT; 41% slower at "
    "7M rows). Without it they are declared NOT VALID: DuckDB has checked them, PostgreSQL enforces later writes.",
)
@click.option(
    "--into-existing",
    is_flag=True,
    help="Append to tables that already exist in the schema [public; DuckDB main], parents first, in one "
    "transaction, so the database's own types and constraints check every row; with --replace they are "
    "emptied first.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def load(
    sandbox: Path,
    url: str,
    schema: str | None,
    replace: bool,
    truth: bool,
    only: tuple[str, ...],
    validate: bool,
    into_existing: bool,
    quiet: bool,
) -> None:
    """Load the built SANDBOX into the database at URL, atomically, with exact types and keys.

    URL is postgresql://USER[:PASSWORD]@HOST:PORT/DB (through ADBC's Arrow-native COPY; the password may
    also come from PGPASSWORD or ~/.pgpass), duckdb:///FILE.duckdb or sqlite:///FILE.db (four slashes for
    an absolute path). Types are mapped exactly (decimal to numeric(p,s), instants to timestamptz, dates,
    bigint, text); a table's key becomes its primary key and a reference a foreign key (with an index)
    where the data holds them, as DuckDB checks over the Parquet files first: the sandbox's duplicate and
    orphan faults are kept, and reported. PostgreSQL declares the foreign keys NOT VALID (enforced on every
    later write; the loaded rows are not scanned twice) unless --validate. Column comments come from the
    manifest's descriptions. The load goes into a staging schema in one transaction and replaces the
    target only when complete: a failed or killed load leaves it as it was. Passwords are never printed.

    \b
    Example:
      sandbox load shop/ postgresql://me@localhost:5432/dev --replace
      sandbox load shop/ duckdb:///shop.duckdb --truth
      sandbox load shop/ sqlite:///shop.db --only customers --only orders
      sandbox load shop/ postgresql://me@localhost:5432/dev --schema music --into-existing
    """
    from sandbox.load import load as run

    def progress(line: str) -> None:
        if not quiet and sys.stderr.isatty():
            click.echo("\r" + line[:90].ljust(90), err=True, nl=False)
        elif not quiet and not line.startswith("loading"):
            click.echo(line, err=True)

    done = run(
        sandbox,
        url,
        schema=schema,
        replace=replace,
        truth=truth,
        only=only,
        validate=validate,
        into_existing=into_existing,
        progress=progress,
    )
    if not quiet and sys.stderr.isatty():
        click.echo("\r" + " " * 90 + "\r", err=True, nl=False)
    _summary(done)


def _summary(done: Loaded) -> None:
    rows = sum(done.rows.values())
    where = ", ".join(f'schema "{s}"' for s in done.schemas.values()) or "its tables"
    speed = f"in {done.seconds:.2f} s ({rows / max(done.seconds, 1e-9):,.0f} rows/s)"
    if done.into_existing:
        click.echo(
            f"loaded {len(done.rows)} tables, {rows:,} rows into the existing tables of {done.target} "
            f"({where}) {speed}: the database's own constraints accepted every row"
        )
        return
    click.echo(
        f"loaded {len(done.rows)} tables, {rows:,} rows into {done.target} ({where}) {speed}: "
        f"{done.primary_keys} primary keys, {done.foreign_keys} foreign keys"
    )
    for line in done.withheld:
        click.echo(f"  not declared: {line}")
