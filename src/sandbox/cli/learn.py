"""Commands that learn from real data: learn and sample (the `learn` extra). Parse, call the library, render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sandbox.cli.group import cli, grid_text, human_size, json_option, key_file_option, overwrite_option

if TYPE_CHECKING:
    from sandbox.learn.fit import Learned


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Model folder to create.")
@click.option(
    "--synthesizer",
    type=click.Choice(["gaussian_copula", "ctgan", "hma"]),
    help="SDV synthesizer [gaussian_copula for one table, hma for several].",
)
@click.option("--policy", "-p", type=click.Path(path_type=Path), help="Privacy policy applied first (anonymise).")
@click.option("--metadata", type=click.Path(path_type=Path), help="SDV metadata YAML that replaces the detected one.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the fit.")
@click.option("--epochs", type=click.IntRange(min=1), help="ctgan: training epochs [300].")
@key_file_option("else $SANDBOX_KEY, else a random key used once")
@overwrite_option
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
def learn(
    inputs: tuple[Path, ...],
    out: Path,
    synthesizer: str | None,
    policy: Path | None,
    metadata: Path | None,
    seed: int,
    epochs: int | None,
    key_file: Path | None,
    overwrite: bool,
    as_json: bool,
) -> None:
    """Fit an SDV synthesizer on INPUTS (CSV or Parquet tables) after anonymising them; save a model folder.

    The anonymise stage runs first with --policy: a column that holds personal data and has no policy stops
    the run (exit 2), as in `sandbox anonymise`. SDV detects keys, relationships and column types; the
    folder's metadata.yaml shows what it found, and --metadata replaces it. A fifth of a single table is
    held back to check that synthetic rows do not sit closer to the training rows than unseen real rows do.
    The folder holds the fitted synthesizer (a pickle), the metadata, the policy, a fingerprint of the
    training data (row counts and column hashes, never rows) and the quality and privacy reports. Needs
    pip install -e '.[learn]' (SDV: Business Source License).

    \b
    Example:
      sandbox learn customers.csv --policy policy.yaml --out model/
      sandbox learn customers.csv orders.csv --policy policy.yaml --out model/ --synthesizer hma
    """
    from sandbox.learn import learn as run

    result = run(
        inputs,
        out,
        synthesizer=synthesizer,
        policy=policy,
        metadata=metadata,
        seed=seed,
        key_file=key_file,
        overwrite=overwrite,
        epochs=epochs,
    )
    if as_json:
        click.echo(json.dumps({"out": str(result.out), "model": result.model, "reports": result.reports}, indent=2))
        return
    _print_learned(result)


@cli.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Sandbox folder to create.")
@click.option("--rows", type=click.IntRange(min=1), required=True, help="Rows (of the first table, for hma).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Same seed, same bytes.")
@overwrite_option
@json_option("the sandbox written: its tables, rows, files and bytes")
def sample(model: Path, out: Path, rows: int, seed: int, overwrite: bool, as_json: bool) -> None:
    """Sample a sandbox of ROWS rows from MODEL (a folder made by `sandbox learn`).

    The output is a regular sandbox: manifest, data card, privacy scan (fail closed). The same model and
    seed give the same bytes. A single-table model samples in batches of 50,000 rows with flat memory; a
    multi-table (hma) model samples the whole dataset at once. Every file of MODEL is checked against the
    fingerprints `learn` wrote before its pickle is loaded: load only models you made or trust.

    \b
    Example:
      sandbox sample model/ --rows 1000000 --seed 7 --out synth/
    """
    from sandbox.learn import sample as run

    result = run(model, out, rows=rows, seed=seed, overwrite=overwrite)
    if as_json:
        tables = {
            name: {"rows": t["rows"], "files": len(t["files"]), "bytes": sum(f["bytes"] for f in t["files"])}
            for name, t in result.manifest["tables"].items()
        }
        summary = {"out": str(result.out), "seed": seed, "rows": result.rows, "seconds": round(result.seconds, 3)}
        click.echo(json.dumps({**summary, "tables": tables}, indent=2))
        return
    for name, table in result.manifest["tables"].items():
        size = human_size(sum(f["bytes"] for f in table["files"]))
        click.echo(f"{name}: {table['rows']:,} rows in {len(table['files'])} files, {size}")
    rate = result.rows / result.seconds if result.seconds else 0.0
    click.echo(f"sampled {result.out} from {model} (seed {seed}) in {result.seconds:.1f} s ({rate:,.0f} rows/s)")


def _print_learned(result: Learned) -> None:
    quality = result.reports["quality"]
    grid = [["table", "rows trained on", "columns"]]
    for name, table in result.model["training"].items():
        grid.append([name, f"{table['rows']:,}", str(len(table["columns"]))])
    click.echo(grid_text(grid, {1, 2}))
    if quality["score"] is None:
        click.echo(f"quality: {quality['note']}")
    else:
        scores = ", ".join(f"{k} {'n/a' if v is None else f'{v:.3f}'}" for k, v in quality["properties"].items())
        click.echo(f"quality {quality['score']:.3f} ({scores})")
    p = result.reports.get("privacy")
    if p is not None and not p["comparable"]:
        click.echo(f"privacy: {p['note']}")
    elif p is not None:
        click.echo(
            f"privacy: median distance to closest record {p['dcr_synthetic_median']:.4f} synthetic vs "
            f"{p['dcr_holdout_median']:.4f} held-back real ({'ok' if p['dcr_passed'] else 'CLOSER than real rows'}); "
            f"{p['exact_copies']} exact copies"
        )
    click.echo(
        f"learned {result.model['synthesizer']} into {result.out} in {result.seconds:.1f} s "
        f"(fit {result.fit_seconds:.1f} s)"
    )
