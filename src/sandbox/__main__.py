"""`python -m sandbox` and the `sandbox` console script.

A build on the local pool starts the workers' fork server before the CLI imports anything heavy, so the
workers' imports run beside its own (see `sandbox.engines.forkserver.start_early`).
"""

import sys


def main() -> None:
    from sandbox.engines.forkserver import start_early

    start_early(sys.argv[1:])
    from sandbox.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
