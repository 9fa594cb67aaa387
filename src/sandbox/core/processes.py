"""Process helpers shared by the writer (stale folders) and the engine (orphan-proof workers)."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (one we may not signal still exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: Temp folders of a build's process tree (multiprocessing's `pymp-*` folders go inside): `sandbox-run-PID-*`.
RUN_PREFIX = "sandbox-run-"
#: A Unix socket's path holds at most 107 bytes; the fork server's is `pymp-XXXXXXXX/listener-XXXXXXXX` in here.
_SOCKET_ROOM = 107 - len("/pymp-XXXXXXXX/listener-XXXXXXXX")


def run_temp() -> str | None:
    """A temp folder for this process tree, removed after multiprocessing's own clean-up at exit; the folders of
    runs whose process is gone (a SIGKILL runs no clean-up) are removed first. None when the temp folder's path
    is too long to nest the fork server's socket in (multiprocessing's own folder is used then)."""
    import shutil
    import tempfile
    from multiprocessing import util
    from pathlib import Path

    for stale in Path(tempfile.gettempdir()).glob(f"{RUN_PREFIX}*"):
        pid = stale.name[len(RUN_PREFIX) :].split("-")[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    if len(os.path.join(tempfile.gettempdir(), f"{RUN_PREFIX}{os.getpid()}-XXXXXXXX")) > _SOCKET_ROOM:
        return None
    folder = tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-")
    # multiprocessing removes its own temp folder at priority -100; this goes after it
    util.Finalize(None, shutil.rmtree, args=(folder, True), exitpriority=-101)
    return folder
