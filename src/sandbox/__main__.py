"""`python -m sandbox` and the `sandbox` console script: settle the process (`sandbox.runtime`), run the CLI,
finish."""

import sys


def main() -> None:
    from sandbox import runtime
    from sandbox.errors import UsageError

    try:
        runtime.start(sys.argv[1:])  # before anything imports numpy
    except UsageError as bad:
        sys.stderr.write(f"error: {bad}\n")
        raise SystemExit(bad.exit_code) from None
    from sandbox.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as done:
        runtime.finish(done.code)
    runtime.finish(0)


if __name__ == "__main__":
    main()
