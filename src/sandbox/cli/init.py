"""The command that drafts a recipe from a database's schema: init."""

from __future__ import annotations

import click

from sandbox.cli.group import cli


@cli.command()
@click.option(
    "--from",
    "source",
    required=True,
    metavar="SOURCE",
    help="A .sql DDL file, or a database URL: postgresql://USER@HOST:PORT/DB, duckdb:///FILE, sqlite:///FILE.",
)
@click.option("--schema", metavar="NAME", help="The database schema to read [public; DuckDB: main].")
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Rows of the tables nothing references; each step up the foreign keys has a quarter as many.",
)
@click.option("--name", metavar="NAME", help="The recipe's name [the schema's or the file's].")
def init(source: str, schema: str | None, rows: int, name: str | None) -> None:
    """Draft a recipe from the schema at SOURCE and print it (redirect it to a file, review it, build it).

    Every table, column type (varchar lengths, numeric precision and scale, timestamps with or without a
    zone), NOT NULL, primary keys (composite too), unique columns, foreign keys (self-references and
    nullable ones too) and CHECK ... IN lists and lower bounds are read with sqlglot, from the file or from
    the database's own catalog (read-only). Each column gets a generator by its type and name (e-mails and
    phones from reserved space, names and places from Faker, money as decimals that fit), commented with
    why; a type with no generator is drafted as words and named on stderr. The draft always validates, and
    what it builds loads into the same schema with `sandbox load ... --into-existing`.

    \b
    Example:
      sandbox init --from schema.sql --rows 2000 > shop.yaml
      sandbox init --from postgresql://me@localhost:5432/dev --schema music > music.yaml
      sandbox build shop.yaml --out shop/ && sandbox load shop/ postgresql://me@localhost/dev --into-existing
    """
    from sandbox.draft import draft

    done = draft(source, schema=schema, rows=rows, name=name)
    click.echo(done.text)
    for line in done.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(f"drafted {done.tables} tables from {source if '://' not in source else 'the database'}", err=True)
