"""`python -m sandbox` and the `sandbox` console script: settle the process (`sandbox.runtime`), then run the
CLI."""

import sys


def main() -> None:
    from sandbox import runtime

    runtime.start(sys.argv[1:])  # before anything imports numpy
    from sandbox.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
