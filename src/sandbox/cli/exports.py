"""The command that anonymises a team's own export: anonymise (and its --suggest-policy draft)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sandbox.cli.group import cli, grid_text, human_size, key_file_option, overwrite_option, workers_option
from sandbox.output.result import BuildResult


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
@click.option(
    "--encoding",
    metavar="NAME",
    help="Read CSV as this text encoding (e.g. cp1252) [UTF-8, or UTF-16 after a byte-order mark; any other "
    "bytes are refused with their offset].",
)
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
    encoding: str | None,
    as_json: bool,
) -> None:
    """Turn INPUTS (CSV, CSV.gz or Parquet files, or folders of them; one table each) into a sandbox.

    Every column the policy names gets its policy: keep, drop, pseudonymise (keyed tokens: the same value gets
    the same token in every table, so joins survive), mask, fake, generalise or redact. Every column is
    scanned: one that holds personal data and that the policy does not name stops the run (exit 2), a leak
    in a kept column fails it (exit 1), and nothing is written either way. CSV is read as text, so
    leading zeros survive; a policy `type` reads a column as int, float, date or timestamp. CSV must be
    UTF-8 (or UTF-16 with a byte-order mark) unless --encoding names its encoding: a guess would garble names
    into text no detector recognises.

    \b
    Example:
      sandbox anonymise customers.csv orders.csv --suggest-policy > policy.yaml   # then review it
      sandbox anonymise customers.csv orders.csv --policy policy.yaml --out clean/
    """
    from sandbox.exports.anonymise import anonymise as run
    from sandbox.exports.suggest_policy import suggest_for

    if suggest_policy:
        click.echo(suggest_for(inputs, encoding), nl=False)
        return
    if out is None or policy is None:
        raise click.UsageError("give --out and --policy (or --suggest-policy to draft one)")
    result = run(
        inputs,
        out,
        policy,
        key_file=key_file,
        overwrite=overwrite,
        enforce_k=enforce_k,
        workers=workers,
        encoding=encoding,
    )

    for cls, allowed in sorted(result.manifest["privacy"]["allowed"].items()):
        click.echo(
            f"warning: {cls} kept as it is in {', '.join(allowed['columns'])}, as the policy allows: "
            f"{allowed['reason']}",
            err=True,
        )
    _print_anonymised(result, as_json)


def _print_anonymised(result: BuildResult, as_json: bool) -> None:
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
            [name, f"{table['rows']:,}", str(len(table["files"])), human_size(sum(f["bytes"] for f in table["files"]))]
        )
    click.echo(grid_text(grid, {1, 2, 3}))
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
