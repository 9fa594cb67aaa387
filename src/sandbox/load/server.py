"""A throwaway PostgreSQL for tests: a cluster made with `initdb` in a temporary folder, started on a free
loopback port with a random password (scram-sha-256), stopped and removed afterwards. It needs PostgreSQL's
server programs (Debian: `apt-get install postgresql`); as root they run as the `postgres` user, since
PostgreSQL refuses to run as root.

    with throwaway_postgres() as url:
        sandbox.load_sandbox("shop/", url)
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox.errors import UsageError

USER = "sandbox"


def binaries() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), newest version first, or None."""
    found = shutil.which("pg_ctl")
    if found and Path(found).with_name("initdb").exists():
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise UsageError(f"the throwaway PostgreSQL's {what} failed: {done.stderr.strip()}")


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def throwaway_postgres(database: str = "sandbox") -> Iterator[str]:
    """A running PostgreSQL's URL (with its password) for the `with` block; removed afterwards."""
    folder = binaries()
    if folder is None:
        raise UsageError("expected PostgreSQL's server programs (initdb, pg_ctl): apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="sandbox-pg-"))
    password = secrets.token_urlsafe(16)
    (root / "pw").write_text(password)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(root / "pw", "postgres")
    port = _free_port()
    data, log = root / "data", root / "log"
    pg_ctl = str(folder / "pg_ctl")
    try:
        initdb = [str(folder / "initdb"), "-D", str(data), "-U", USER, "--auth=scram-sha-256"]
        _run(_as_owner([*initdb, f"--pwfile={root / 'pw'}", "-E", "UTF8", "--no-locale"]), "initdb")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(_as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]), "start")
        url = f"postgresql://{USER}:{password}@127.0.0.1:{port}"
        psql = str(folder / "psql") if (folder / "psql").exists() else "psql"
        _run([psql, f"{url}/postgres", "-qc", f'CREATE DATABASE "{database}"'], "CREATE DATABASE")
        yield f"{url}/{database}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
