"""Run a command as users do and measure it: wall time and peak RSS of its whole process tree."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

import psutil

SAMPLE_SECONDS = 0.02
#: The process tree is listed again every this many samples: listing it scans /proc (~1 ms of CPU, 80x reading
#: the RSS of a process), which at every sample took ~5% of a core from the 2-core builds being measured.
RELIST_EVERY = 10


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss: int
    stdout: str
    #: Peak RSS of the command's own process, without its children (a build's client, not its workers).
    own_peak_rss: int = 0


def rss(processes: list[psutil.Process]) -> int:
    total = 0
    for p in processes:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def measure(argv: list[str], env: dict[str, str] | None = None) -> Run:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    watched = psutil.Process(proc.pid)
    tree = [watched]
    peak = own = samples = 0
    while proc.poll() is None:
        if samples % RELIST_EVERY == 0:
            try:
                tree = [watched, *watched.children(recursive=True)]
            except psutil.Error:
                pass
        samples += 1
        peak = max(peak, rss(tree))
        own = max(own, rss([watched]))
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - started
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{stderr}")
    return Run(seconds, peak, stdout, own)
