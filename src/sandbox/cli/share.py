"""Commands for handing sandboxes around: pack, unpack, verify, diff, score. Parse, call the library, render."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sandbox.cli.group import cli, grid_text, human_size, json_option, key_file_option, overwrite_option
from sandbox.share.archive import MAX_BYTES

max_size_option = click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=MAX_BYTES,
    show_default=True,
    help="Refuse archives that declare more bytes than this (zip bombs).",
)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Archive: .zip, .tar.gz or .tar.")
@click.option("--without-truth", is_flag=True, help="Leave truth/ (the answer keys) out, for exercises graded later.")
@click.option(
    "--sign",
    "sign_with",
    type=click.Path(path_type=Path),
    help="Ed25519 private key (PEM; `sandbox keygen`): adds SHA256SUMS.sig, which `verify --key` checks.",
)
@overwrite_option
@json_option("the archive's path, files, bytes and sha256")
def pack(folder: Path, out: Path, without_truth: bool, sign_with: Path | None, overwrite: bool, as_json: bool) -> None:
    """Pack the sandbox FOLDER into one archive with the same bytes every time.

    Entries are sorted, with fixed timestamps and modes, and a SHA256SUMS file inside, so the unpacked
    folder checks with `sha256sum -c SHA256SUMS` and no tool at all. Every file is checked against the
    manifest on the way: a corrupt sandbox is not packed (exit 1).

    \b
    Example:
      sandbox pack shop/ -o shop.zip
      sandbox pack shop/ -o exercise.tar.gz --without-truth
      sandbox pack shop/ -o shop.zip --sign organisers.pem

    Checksums prove integrity, not origin: anyone who edits a file can regenerate them. --sign adds an
    Ed25519 signature over SHA256SUMS, so `sandbox verify shop.zip --key organisers.pem.pub` proves the
    archive is the one its key's owner packed.
    """
    from sandbox.share.archive import pack as run

    packed = run(folder, out, without_truth=without_truth, overwrite=overwrite, sign_with=sign_with)
    if as_json:
        summary = {"path": str(packed.path), "files": packed.files, "bytes": packed.bytes, "sha256": packed.sha256}
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(
        f"packed {folder} into {packed.path}: {packed.files} files, {human_size(packed.bytes)}, sha256 {packed.sha256}"
    )


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@overwrite_option
def keygen(out: Path, overwrite: bool) -> None:
    """Make an Ed25519 key pair for signing packs: OUT (private, mode 0600) and OUT.pub (public).

    Keep OUT to yourself; hand OUT.pub to whoever receives your sandboxes. OpenSSL's keys work too
    (`openssl genpkey -algorithm ed25519 -out OUT`).

    \b
    Example:
      sandbox keygen organisers.pem
      sandbox pack shop/ -o shop.zip --sign organisers.pem
      sandbox verify shop.zip --key organisers.pem.pub
    """
    from sandbox.share.signing import keygen as run

    private, public = run(out, overwrite=overwrite)
    click.echo(f"wrote {private} (private: keep it) and {public} (public: hand it out)")


@cli.command()
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Folder to create.")
@overwrite_option
@max_size_option
@json_option("the folder and the files extracted")
def unpack(archive: Path, out: Path, overwrite: bool, max_size: int, as_json: bool) -> None:
    """Extract ARCHIVE (made by `sandbox pack`) into the folder OUT, safely.

    Absolute paths, '..', links, special files and archives declaring more than --max-size bytes are
    refused (exit 2) before anything is written; OUT appears only when complete.

    \b
    Example:
      sandbox unpack shop.zip -o shop/ && sandbox verify shop/
    """
    from sandbox.share.archive import unpack as run

    names = run(archive, out, overwrite=overwrite, max_bytes=max_size)
    if as_json:
        click.echo(json.dumps({"out": str(out), "files": sorted(names)}, indent=2))
        return
    click.echo(f"unpacked {archive} into {out}: {len(names)} files")


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Also rebuild from the manifest's recipe and seed; compare the bytes.")
@key_file_option("the key the sandbox was built with, if it was not derived from the seed")
@click.option(
    "--key",
    "public_key",
    type=click.Path(path_type=Path),
    help="Ed25519 public key (PEM): SHA256SUMS must carry its signature (`pack --sign`) and list every file.",
)
@max_size_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(
    path: Path, rebuild: bool, key_file: Path | None, public_key: Path | None, max_size: int, as_json: bool
) -> None:
    """Check that PATH (a sandbox folder or archive) holds exactly what its manifest says; exit 1 if not.

    Every file is checked for its sha256, size, row count and schema, and against SHA256SUMS when there is
    one; a folder without manifest.json is an incomplete sandbox. --rebuild proves reproducibility: it
    builds the recorded recipe and seed again and compares every part's bytes, and names the libraries
    whose installed versions differ from the manifest's lock.

    \b
    Example:
      sandbox verify shop.zip
      sandbox verify shop/ --rebuild
      sandbox verify shop.zip --key organisers.pem.pub
    """
    from sandbox.share.verify import verify as run

    result = run(path, rebuild=rebuild, key_file=key_file, max_bytes=max_size, public_key=public_key)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        for note in result.notes:
            click.echo(f"note: {note}")
        for mismatch in result.mismatches:
            click.echo(f"MISMATCH {mismatch}")
        what = f"{result.files} files" + (", rebuilt byte for byte" if result.rebuilt and result.ok else "")
        verdict = "ok" if result.ok else f"{len(result.mismatches)} mismatch{'es' * (len(result.mismatches) != 1)}"
        click.echo(f"{path}: {verdict} ({what})")
    if not result.ok:
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option(
    "--psi",
    type=click.FloatRange(min=0),
    default=0.2,
    show_default=True,
    help="Population stability index above which a categorical column has drifted.",
)
@click.option(
    "--ks",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Kolmogorov-Smirnov statistic above which a numeric or time column has drifted.",
)
@click.option(
    "--null-rate",
    type=click.FloatRange(0, 1),
    default=0.01,
    show_default=True,
    help="Change of a column's null rate that counts as a difference.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff(a: Path, b: Path, psi: float, ks: float, null_rate: float, as_json: bool) -> None:
    """Show what changed from sandbox A to sandbox B; exit 1 when anything did.

    Tables, schemas, row counts, null rates, and distributions: PSI for categoricals, Kolmogorov-Smirnov
    for numerics and times, on an evenly spaced sample of at most 200,000 values per column. Identifier
    columns (mostly distinct values) are not compared by distribution.

    \b
    Example:
      sandbox diff before/ after/                # e.g. after upgrading Faker
      sandbox diff before/ after/ --ks 0.05 --json
    """
    from sandbox.share.compare import diff as run

    report = run(a, b, psi=psi, ks=ks, null_rate=null_rate)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    elif report.same:
        click.echo(f"{a} and {b}: no differences ({report.compared} column distributions compared)")
    else:
        grid = [["table", "column", "what", "change"]]
        grid += [[d.table, d.column or "", d.what, d.detail] for d in report.differences]
        click.echo(grid_text(grid, set()))
        click.echo(f"{len(report.differences)} differences ({report.compared} column distributions compared)")
    if not report.same:
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--predictions",
    "-p",
    required=True,
    type=click.Path(path_type=Path),
    help="Parquet or CSV with columns table, row_key, kind, and optionally column, start_ts and end_ts.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def score(folder: Path, predictions: Path, as_json: bool) -> None:
    """Grade detections in PREDICTIONS against the sandbox's truth/defects: precision, recall, F1 per kind.

    A prediction matches a fault with the same table, row_key and kind, and the same column when it gives
    one. row_key is the JSON the defects table uses, e.g. {"order_id":17}; for a table keyed by one column
    a bare value does too.

    With start_ts and end_ts (ISO timestamps; equal, or end_ts empty, for a point), the kinds whose faults
    have windows are also scored in time, per entity (the row_key without its time columns, e.g. a
    sensor): range F1 (Tatbul et al. 2018: a prediction is precise only in the share of it inside a fault,
    a fault's recall is half for being touched and half for how much of it is covered), event F1 (touched
    or not) and point-adjusted F1 (one touch credits the whole fault: widely reported, and known to
    overstate). A prediction spanning the whole period scores well by key and poorly by range.

    \b
    Example:
      sandbox score shop/ --predictions found.csv
      sandbox score plant/ -p alarms.parquet --json
    """
    from sandbox.scoring.score import score as run

    scores = run(folder, predictions)
    predicted = sum(s.predicted for s in scores)
    if predicted and not any(s.matched_predictions for s in scores):
        click.echo(
            f"warning: none of the {predicted:,} predictions matched a fault: row_key is the JSON of the table's key "
            'columns, e.g. {"order_id":17} (see truth/defects), and table and kind must be named as there',
            err=True,
        )
    if as_json:
        click.echo(json.dumps({"kinds": [s.to_dict() for s in scores]}, indent=2))
        return
    timed = any(s.windows for s in scores)
    grid = [["kind", "truth", "predicted", "correct", "precision", "recall", "f1"]]
    grid[0] += ["range f1", "event f1", "PA f1"] if timed else []
    for s in scores:
        row = [
            s.kind,
            f"{s.truth:,}",
            f"{s.predicted:,}",
            f"{s.matched_predictions:,}",
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            f"{s.f1:.3f}",
        ]
        if timed:
            families = ("range", "event", "point_adjusted")
            row += [f"{s.windows[f]['f1']:.3f}" for f in families] if s.windows else ["-"] * 3
        grid.append(row)
    click.echo(grid_text(grid, set(range(1, len(grid[0])))))


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print every knob as JSON.")
def check(folder: Path, as_json: bool) -> None:
    """Check that the sandbox FOLDER came out as its recipe asked; exit 1 naming any knob outside tolerance.

    Every knob the recipe set (row counts, null rates, noise and defect rates, a domain's conversion,
    dropout or error rates) is recomputed from the files and compared with its target; the tolerance is
    max(10% of the knob, 4 standard errors of the realised value). An iot sandbox also shows its benchmark's
    difficulty as built (the data card's table: trivial baselines' and reference detectors' range F1).

    \b
    Example:
      sandbox check shop/
      sandbox check shop/ --json | jq '.knobs[] | select(.ok | not)'
    """
    from sandbox.explain.conformance import conformance
    from sandbox.output.manifest import read_manifest

    checks = conformance(folder)
    outside = [c for c in checks if not c.ok]
    manifest = read_manifest(folder)
    bench, window = manifest.get("benchmark"), manifest.get("window")
    if as_json:
        found = {"ok": not outside, "knobs": [c.to_dict() for c in checks]}
        click.echo(json.dumps(found | ({"benchmark": bench} if bench else {}), indent=2))
    else:
        if bench:
            click.echo(_benchmark_text(bench))
        grid = [["knob", "target", "realised", "tolerance", "over", ""]]
        for c in checks:
            grid.append(
                [c.knob, f"{c.target:g}", f"{c.realised:.6g}", f"{c.tolerance:.3g}", c.over, "" if c.ok else "OUTSIDE"]
            )
        if checks:
            click.echo(grid_text(grid, {1, 2, 3}))
        click.echo(
            f"{folder}: {len(checks) - len(outside)} of {len(checks)} knobs within tolerance"
            + (f"; outside: {', '.join(c.knob for c in outside)}" if outside else "")
            + ("" if checks else f" ({_unchecked(window)})")
        )
    if outside:
        raise click.exceptions.Exit(1)


def _unchecked(window: dict | None) -> str:
    if window is None:
        return "no recipe: made by anonymise or sample"
    return (
        f"only the days from {window['from']} up to {window['until']} of its recipe's "
        f"{window['period']['days']}-day period; the knobs are rates over the whole period: build it whole to "
        "check them"
    )


def _benchmark_text(bench: dict) -> str:
    """The data card's benchmark table as a grid: range F1 per fault kind of each baseline, as built."""
    names = sorted({name for scores in bench["range_f1"].values() for name in scores})
    grid = [["kind", "windows", *names]]
    for kind, scores in bench["range_f1"].items():
        grid.append([kind, f"{bench['windows'][kind]:,}", *(f"{scores[n]:.3f}" if n in scores else "" for n in names)])
    title = f"benchmark difficulty, as built: range F1 per fault kind on {bench['devices']} devices"
    return title + "\n" + grid_text(grid, set(range(1, len(names) + 2))) + "\n"


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), help="HTML file [FOLDER/report.html].")
def report(folder: Path, out: Path | None) -> None:
    """Write a self-contained HTML report of the sandbox FOLDER (plots embedded as PNG).

    Recipe conformance, null rates, the domain's own views (the purchase funnel and sessions by hour for
    ecommerce, a sensor week with its faults shaded for iot, error rates by clerk for ledger) and a
    distribution plot per numeric, time and categorical column; PII columns are not plotted. Needs
    matplotlib: pip install -e '.[report]'.

    \b
    Example:
      sandbox report shop/ && xdg-open shop/report.html
    """
    from sandbox.explain.report import report as run

    path = run(folder, out)
    click.echo(f"wrote {path} ({human_size(path.stat().st_size)})")
