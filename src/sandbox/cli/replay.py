"""The command that streams a sandbox as it would have arrived: replay."""

from __future__ import annotations

from pathlib import Path

import click

from sandbox.cli.group import EXIT_INTERRUPTED, cli, key_file_option


@cli.command()
@click.argument("sandbox", type=click.Path(path_type=Path))
@click.option("--table", "-t", required=True, help="The table to replay, e.g. readings or events.")
@click.option(
    "--to",
    "to",
    default="-",
    show_default=True,
    metavar="SINK",
    help="-, a file, mqtt://HOST:PORT/TOPIC (columns in {braces}), http(s)://URL or postgresql://URL.",
)
@click.option(
    "--speed",
    type=float,
    default=1.0,
    show_default=True,
    help="Event time played at X times real time; 0: as fast as the sink takes it.",
)
@click.option("--start", metavar="TS", help="Only rows arriving at or after this ISO 8601 instant.")
@click.option("--until", metavar="TS|+DURATION", help="Only rows arriving before this instant, or +2h / +30m / +1d.")
@click.option("--limit", type=int, metavar="N", help="At most N rows.")
@click.option("--by", metavar="COLUMN", help="The timestamp the rows arrive by [the table's arrival column].")
@click.option("--qos", type=click.IntRange(0, 2), default=1, show_default=True, help="MQTT quality of service.")
@click.option("--retain", is_flag=True, help="MQTT: the broker keeps each topic's last message.")
@click.option(
    "--retry-for",
    type=float,
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="MQTT: how long a broker may be gone before the replay gives up (exit 3).",
)
@click.option("--retries", type=int, default=5, show_default=True, help="HTTP: retries of a failed POST, with backoff.")
@click.option("--schema", metavar="NAME", help="PostgreSQL: the schema of the table rows go into [the recipe's name].")
@click.option(
    "--follow",
    is_flag=True,
    help="After the sandbox's last day, go on making its recipe's next days (iot; build the first days with "
    "`sandbox build --until DATE`): the rows a build of the whole period holds, to the period's end.",
)
@key_file_option("--follow: the build's; else $SANDBOX_KEY, else derived from the seed")
@click.option("--overwrite", is_flag=True, help="A file sink: replace it if it exists.")
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
def replay(  # noqa: PLR0913  (one parameter per option)
    sandbox: Path, table: str, to: str, speed: float, start: str | None, until: str | None, limit: int | None,
    by: str | None, qos: int, retain: bool, retry_for: float, retries: int, schema: str | None, follow: bool,
    key_file: Path | None, overwrite: bool, quiet: bool,
) -> None:  # fmt: skip
    """Stream a TABLE of SANDBOX as it would have arrived, paced in event time.

    Rows go out in arrival order: iot readings by received_at (late deliveries, duplicates and dropouts
    when they happened), clickstream events by ts, orders by ordered_at; ties by the key, so the order is
    the same on every run. Pacing sleeps to each row's absolute deadline; how late rows went out is in the
    summary, and a sink that falls behind is reported. Ctrl-C stops cleanly with the summary (exit 130); a
    sink that cannot deliver after its retries is exit 3, saying what was delivered. --follow keeps an iot
    stream going past the sandbox's end: the recipe's next days, each made as a build of the whole period
    would make it (day N a pure function of recipe, seed and N), merged in arrival order.

    \b
    Example:
      sandbox replay plant/ -t readings --speed 0 --limit 5           # JSON lines on stdout, at once
      sandbox replay plant/ -t readings --speed 60 --to mqtt://localhost:1883/plant/{sensor_id}
      sandbox replay shop/ -t events --until +1h --to http://localhost:8080/collect
      sandbox replay shop/ -t orders --speed 3600 --to postgresql://me@localhost/dev
      sandbox build iot --out day1/ --until 2025-03-02 && sandbox replay day1/ -t readings --follow
    """
    from sandbox.output.opened import open_sandbox
    from sandbox.replay import replay as run
    from sandbox.replay.order import arrival_column, window_of

    box = open_sandbox(sandbox)
    box.files(table)  # a table it does not have: the located error, with a did-you-mean
    window = window_of(box, table, arrival_column(box, table, by), start, until, limit)
    options: dict[str, object] = {"qos": qos, "retain": retain, "retry_for": retry_for, "retries": retries}
    options |= {"overwrite": overwrite, "schema": schema}
    warn = None if quiet else (lambda line: click.echo(line, err=True))
    done = run(
        sandbox, table, to, speed=speed, window=window, by=by, options=options, warn=warn, follow=follow,
        key_file=key_file,
    )  # fmt: skip
    if not quiet:
        late = done.lateness
        lag = f"; late against the deadlines: p50 {late['p50'] * 1000:.1f} ms, p99 {late['p99'] * 1000:.1f} ms, " \
              f"max {late['max'] * 1000:.1f} ms" if late else ""  # fmt: skip
        stopped = " (stopped by Ctrl-C)" if done.interrupted else ""
        click.echo(
            f"replayed {done.rows:,} rows of {table} to {done.to}{stopped}: {done.delivered:,} delivered in "
            f"{done.seconds:.2f} s ({done.rows / max(done.seconds, 1e-9):,.0f} rows/s){lag}; event time "
            f"{done.first} to {done.last}",
            err=True,
        )
    if done.interrupted:
        raise SystemExit(EXIT_INTERRUPTED)
