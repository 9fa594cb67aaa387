"""`python -m sandbox` and the `sandbox` console script: settle the process (`sandbox.runtime`), run the CLI,
finish."""

import os
import signal
import sys

INTERRUPTED = b"error: interrupted; nothing was written\n"


def _interrupted_early(signum: int, frame: object) -> None:
    """Ctrl-C before the CLI can clean up (imports, the worker pool starting): nothing exists yet to undo."""
    os.write(2, INTERRUPTED)
    os._exit(130)


# the first thing the process does: from here to the command's own handler, Ctrl-C is one line and exit 130
signal.signal(signal.SIGINT, _interrupted_early)


def main() -> None:
    from sandbox import runtime
    from sandbox.errors import UsageError

    # Ctrl-C waits while the process settles and the fork server starts: threads started now inherit the block,
    # so a Ctrl-C cannot land on one of them while the server's start briefly ignores it (runtime.start_forkserver)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        runtime.start(sys.argv[1:])  # before anything imports numpy
    except UsageError as bad:
        sys.stderr.write(f"error: {bad}\n")
        raise SystemExit(bad.exit_code) from None
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    from sandbox.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as done:
        runtime.finish(done.code)
    except KeyboardInterrupt:  # between the command's end and the process's
        os.write(2, INTERRUPTED)
        runtime.finish(130)
    runtime.finish(0)


if __name__ == "__main__":
    main()
