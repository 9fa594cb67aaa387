"""Run a command as users do and measure it: wall time and peak RSS of its whole process tree."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

import psutil

SAMPLE_SECONDS = 0.02


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss: int
    stdout: str
    #: Peak RSS of the command's own process, without its children (a build's client, not its workers).
    own_peak_rss: int = 0


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def measure(argv: list[str], env: dict[str, str] | None = None) -> Run:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    watched = psutil.Process(proc.pid)
    peak = own = 0
    while proc.poll() is None:
        try:
            peak = max(peak, tree_rss(watched))
            own = max(own, watched.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - started
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{stderr}")
    return Run(seconds, peak, stdout, own)
