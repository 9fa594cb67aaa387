"""The `sandbox` group and what its commands share: errors as exit codes, tables as text, common options."""

from __future__ import annotations

import signal
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sandbox._version import __version__
from sandbox.errors import RecipeError, SandboxError
from sandbox.explain.card import human_size

__all__ = ["cli", "grid_text", "human_size", "json_option", "key_file_option", "overwrite_option", "workers_option"]

EXIT_INTERRUPTED = 130


class Failure(click.ClickException):
    """A library error rendered as one message with its exit code."""

    def __init__(self, message: str, exit_code: int, *, located: bool = False) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it per class; ours varies
        self.located = located

    def show(self, file: Any = None) -> None:
        click.echo(self.message if self.located else f"error: {self.message}", err=True)


def _import_pandas() -> None:
    """pandas imported now, while a Ctrl-C still exits at once (`sandbox.__main__`): pyarrow imports it on its first
    array, and a KeyboardInterrupt inside that import, or another thread's first array during it, left it half
    imported, so the command failed with an AttributeError (exit 3) where it should stop (exit 130)."""
    import pyarrow as pa

    pa.array([0])  # pyarrow's pandas shim, and pandas with it


class SandboxGroup(click.Group):
    """Turns library errors into exit codes: 1 found something, 2 bad input, 3 runtime, 130 interrupted."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            if {"--help", "-h"}.isdisjoint(ctx.args):  # the subcommand's arguments
                _import_pandas()
            signal.signal(signal.SIGINT, signal.default_int_handler)  # from here a Ctrl-C unwinds and cleans up
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


def grid_text(rows: list[list[str]], right: set[int]) -> str:
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

    from sandbox.recipe.builtin import builtin_recipes

    names = [CompletionItem(n) for n in sorted(builtin_recipes()) if n.startswith(incomplete)]
    return [*names, CompletionItem(incomplete, type="file")]
