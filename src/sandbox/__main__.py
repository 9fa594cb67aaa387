"""`python -m sandbox` and the `sandbox` console script.

A build on the local pool starts the workers' fork server before the CLI imports anything heavy, so the
workers' imports run beside its own (see `sandbox.engines.forkserver.start_early`). A build or an anonymise
run on this machine refuses pyarrow's import of pandas, which it never needs (see `sandbox.engines.lean`).
"""

import atexit
import os
import sys
from typing import NoReturn


def main() -> NoReturn:
    from sandbox.engines import numeric_guard

    numeric_guard.pin()  # before numpy loads
    from sandbox.engines import lean
    from sandbox.engines.forkserver import local_command, start_early

    if local_command(sys.argv[1:]):
        lean.refuse()
    start_early(sys.argv[1:])
    from sandbox.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as done:
        exit_now(done.code)
    exit_now(0)


def exit_now(code: object) -> NoReturn:
    """End the process once the command is done, without tearing the interpreter down.

    Every file is closed and every pool shut down by then, and the exit handlers still run here; freeing the
    module state of pyarrow, pandas and numpy took 0.1-0.2 s of every command for nothing.
    """
    if isinstance(code, str):  # sys.exit("message") prints the message and exits 1
        sys.stderr.write(f"{code}\n")
    status = code if isinstance(code, int) else int(code is not None)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # a reader that went away, or a closed stream
            pass
    os._exit(status)


if __name__ == "__main__":
    main()
