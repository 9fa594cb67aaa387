"""The command that fits an editable recipe from a team's own export: calibrate."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from sandbox.cli.group import cli
from sandbox.errors import UsageError


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--policy", "-p", required=True, type=click.Path(path_type=Path), help="Policy YAML (as for anonymise).")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Recipe YAML to write.")
@click.option("--seed", type=int, default=0, show_default=True, help="The recipe's seed.")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@click.option("--encoding", metavar="NAME", help="Read CSV as this text encoding (e.g. cp1252) [UTF-8].")
@click.option(
    "--epsilon",
    type=float,
    help="Release only differentially private statistics (OpenDP, the `dp` extra), epsilon in all, split over "
    "every statistic and recorded in the recipe's header; no correlations, Zipf skews or id shapes then.",
)
@click.option(
    "--map",
    "names",
    multiple=True,
    metavar="DOMAIN=EXPORT",
    help="Map a domain's table or column name onto the export's, repeatable: `--map sessions=visits "
    "--map sessions.started_at=visit_start` (then the domain's knobs are fitted from them).",
)
@click.option("--delta", type=float, default=1e-6, show_default=True, help="The delta of --epsilon's categories.")
def calibrate(
    inputs: tuple[Path, ...],
    policy: Path,
    out: Path,
    seed: int,
    overwrite: bool,
    encoding: str | None,
    epsilon: float | None,
    delta: float,
    names: tuple[str, ...],
) -> None:
    """Fit a recipe from INPUTS (CSV, CSV.gz or Parquet files, or folders of them), one table per file.

    Each table keeps its row count, its id (a sequence) and its foreign keys (refs, with the children per
    parent fitted as a Zipf skew); each column gets a generator fitted to it (a distribution family by
    likelihood, category frequencies with categories seen fewer than 10 times merged into `other`, time
    ranges with hour and weekday profiles) and a comment saying what from. Columns the policy classes as
    personal get born-safe generators of their class; a column that holds personal data and that the policy
    does not name stops it (exit 2). No value of a personal or id column reaches the recipe.

    \b
    Example:
      sandbox anonymise shop/ --suggest-policy > policy.yaml     # draft, then review the policy
      sandbox calibrate shop/ --policy policy.yaml --out shop.yaml
      sandbox build shop.yaml --out sandbox/ --scale 10           # ten times the export, same shape
      sandbox calibrate shop/ --policy policy.yaml --out dp.yaml --epsilon 1   # differentially private
      sandbox calibrate web/ -p policy.yaml -o web.yaml --map sessions=visits --map events.ts=hit_time
    """
    from sandbox.calibrate import calibrate as run
    from sandbox.calibrate.mapping import parse

    if out.exists() and not overwrite:
        raise UsageError(f"{out}: expected a new file, got one that exists (pass --overwrite to replace it)")
    text = run(inputs, policy, seed=seed, encoding=encoding, epsilon=epsilon, delta=delta, names=parse(names))
    handle, staged = tempfile.mkstemp(dir=out.parent if str(out.parent) else ".", prefix=f".{out.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(staged, out)
    click.echo(f"wrote {out}: {text.count(chr(10)):,} lines; review it, then `sandbox build {out} --out DIR`")
