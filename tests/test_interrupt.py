"""Ctrl-C and kill -9 mid-build leave no OUT and no orphaned workers; the next build succeeds."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT

RECIPE = str(ROOT / "bench/generic10.yaml")


def start(out: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "build",
            RECIPE,
            "--out",
            str(out),
            "--rows",
            "40000000",
            "--workers",
            "2",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )


def wait_for_parts(out: Path, proc: subprocess.Popen[bytes], timeout: float = 90) -> list[psutil.Process]:
    """Block until the staging folder holds a Parquet part; return the build's worker processes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
        if any(out.parent.glob(f".{out.name}.sandbox-tmp-*/tables/events/*.parquet")):
            children = psutil.Process(proc.pid).children(recursive=True)
            if len(children) >= 3:  # the fork server and two workers
                return children
        time.sleep(0.05)
    raise AssertionError("the build wrote no part in time")


def assert_gone(processes: list[psutil.Process]) -> None:
    _, alive = psutil.wait_procs(processes, timeout=15)
    assert not alive, f"orphaned: {[p.pid for p in alive]}"


def test_sigint_cleans_up_and_exits_130(tmp_path: Path) -> None:
    out = tmp_path / "big"
    proc = start(out)
    children = wait_for_parts(out, proc)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr.decode().strip().endswith("error: interrupted; nothing was written")
    assert_gone(children)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_sigkill_leaves_no_out_no_orphans_and_the_next_build_succeeds(tmp_path: Path) -> None:
    out = tmp_path / "big"
    proc = start(out)
    children = wait_for_parts(out, proc)
    proc.kill()
    proc.communicate(timeout=30)
    assert_gone(children)
    assert not out.exists()
    stale = list(tmp_path.glob(".big.sandbox-tmp-*"))
    assert len(stale) == 1  # a kill -9 cannot clean up; the next build does
    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "build", RECIPE, "--out", str(out), "--rows", "1000", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "manifest.json").exists()
    assert not list(tmp_path.glob(".big.sandbox-*"))


@pytest.mark.parametrize("sig", [signal.SIGTERM])
def test_sigterm_behaves_like_ctrl_c(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "big"
    proc = start(out)
    children = wait_for_parts(out, proc)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert_gone(children)
    assert list(tmp_path.iterdir()) == []


def _session_gone(sid: int, timeout: float = 15) -> None:
    """Wait until no process of session `sid` (the CLI's fork server, its resource tracker) is left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = []
        for process in psutil.process_iter():
            try:
                if os.getsid(process.pid) == sid:
                    left.append(process)
            except (ProcessLookupError, PermissionError):
                continue
        if not left:
            return
        time.sleep(0.05)
    raise AssertionError(f"processes of the interrupted build are still running: {left}")


def test_ctrl_c_during_start_up_is_one_line_and_exit_130(tmp_path: Path) -> None:
    """From 0.05 to 0.5 s after launch (imports, the worker pool starting): no traceback, exit 130, the same one
    line as later, and nothing written, in 20 of 20 tries."""
    outcomes = []
    for i in range(20):
        out = tmp_path / f"out{i}"
        proc = start(out)
        time.sleep(0.05 + 0.45 * i / 19)
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        outcomes.append((proc.returncode, stderr.decode()))
        assert not out.exists()
        _session_gone(proc.pid)  # the next try starts on a quiet machine: Python itself needs ~20 ms to start
    for code, stderr in outcomes:
        assert code == 130 and stderr.strip() == "error: interrupted; nothing was written", (code, stderr)
    time.sleep(0.5)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_sigkill_leaves_temp_folders_the_next_run_removes(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    temp = Path(tempfile.mkdtemp(prefix="t", dir="/tmp"))  # short: the fork server's socket path lives in it
    request.addfinalizer(lambda: shutil.rmtree(temp, ignore_errors=True))
    env = {**os.environ, "TMPDIR": str(temp)}
    out = tmp_path / "big"
    proc = start(out, env)
    children = wait_for_parts(out, proc)
    assert list(temp.glob("sandbox-run-*/pymp-*")), list(temp.rglob("*"))  # multiprocessing's, inside ours
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)  # reaps it and closes its pipes
    assert_gone(children)  # the workers follow their build
    assert list(temp.glob("sandbox-run-*"))  # a SIGKILL runs no clean-up
    again = subprocess.run(
        [sys.executable, "-m", "sandbox", "build", "starter", "--rows", "2000", "--out", str(out), "--workers", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert list(temp.iterdir()) == []  # the dead run's folder and this run's own are gone
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".big")] == []  # and the dead staging folder


_CTRL_C_IN_SPAWN = """
import os, signal, sys, time
import psutil
from multiprocessing import forkserver
from sandbox.engine.local import pool_map

read_signed = forkserver.read_signed
def interrupted(fd):  # the parent has sent the first worker its start-up data; its pid is not read back yet
    forkserver.read_signed = read_signed
    os.kill(os.getpid(), signal.SIGINT)
    return read_signed(fd)
forkserver.read_signed = interrupted
try:
    pool_map(abs, range(8), 2)
except KeyboardInterrupt:
    time.sleep(1)
    server = [p for p in psutil.Process().children() if "forkserver" in " ".join(p.cmdline())]
    print(len(server), len([w for w in server[0].children() if w.status() != psutil.STATUS_ZOMBIE]))
else:
    print("no interrupt")
"""


def test_ctrl_c_while_a_worker_starts_kills_that_worker_too() -> None:
    """A Ctrl-C between the worker's fork and the pool learning its pid is held until the pool knows it, so the
    clean-up kills it: otherwise it outlives the build and, as the build's exit removes the pool's semaphores,
    prints a traceback from inside multiprocessing (seen under load in the start-up test above)."""
    done = subprocess.run([sys.executable, "-c", _CTRL_C_IN_SPAWN], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "0"], done.stdout  # the fork server, and none of its workers left
