"""The console entry point: every command registered on the `sandbox` group, SIGTERM handled as Ctrl-C."""

from __future__ import annotations

import signal

from sandbox.cli import build, calibrate, exports, init, learn, load, replay, share  # noqa: F401  (importing a command module registers it)
from sandbox.cli.group import cli

__all__ = ["cli", "main"]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console entry point: SIGTERM cleans up like Ctrl-C."""
    signal.signal(signal.SIGTERM, _interrupt)
    cli.main(prog_name="sandbox")
