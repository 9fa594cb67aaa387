"""Pacing: event time played at `speed` times real time. Each row's deadline is absolute (the replay's start on
the monotonic clock plus its event-time offset over `speed`), so a slow send never pushes the later rows back
(sleeping to absolute deadlines, not by relative amounts). How late each row was sent is recorded; a sink that
falls behind is reported, not hidden."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

#: A row sent this much later than its deadline means the sink is lagging (said once, on stderr).
LAGGING_S = 1.0


@dataclass
class Pacer:
    speed: float
    warn: Callable[[str], None] | None = None
    first_us: int | None = None
    started: float = 0.0
    lateness: list[np.ndarray] = field(default_factory=list)
    warned: bool = False

    def deadlines(self, event_us: np.ndarray) -> np.ndarray:
        """Monotonic-clock seconds at which each row is due (all due now at speed 0)."""
        if self.first_us is None:
            self.first_us = int(event_us[0]) if len(event_us) else 0
            self.started = time.monotonic()
        if self.speed == 0:
            return np.full(len(event_us), self.started)
        return self.started + (event_us - self.first_us) / 1e6 / self.speed

    def wait(self, deadline: float, idle: Callable[[float], None] = time.sleep) -> None:
        """Wait until `deadline` (monotonic seconds), handing the time to `idle` (a sink's network loop, or
        sleep) in slices of at most 0.1 s."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            idle(min(left, 0.1))

    def sent(self, deadlines: np.ndarray) -> None:
        """Record that rows with these deadlines were just sent."""
        if self.speed == 0 or not len(deadlines):
            return
        late = time.monotonic() - deadlines
        self.lateness.append(late)
        if self.warn and not self.warned and float(late.max()) > LAGGING_S:
            self.warned = True
            self.warn(f"the sink is lagging: rows are going out {float(late.max()):.1f} s after their time")

    def summary(self) -> dict[str, float]:
        """Lateness against the deadlines: p50, p99, max (seconds); empty at speed 0."""
        if not self.lateness:
            return {}
        late = np.concatenate(self.lateness)
        return {
            "p50": float(np.percentile(late, 50)),
            "p99": float(np.percentile(late, 99)),
            "max": float(late.max()),
        }
