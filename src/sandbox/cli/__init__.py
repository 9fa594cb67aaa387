"""The `sandbox` command line: parse options, call the library, render. No logic lives here."""

from sandbox.cli.main import cli, main

__all__ = ["cli", "main"]
