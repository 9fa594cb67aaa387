"""Days of a recipe's period, for a domain whose every chunk is one day of it (iot: a group of devices, one day).

`sandbox build --from/--until` builds a window of those days and `sandbox replay --follow` makes the days after
a sandbox's window. Both keep every chunk as the plan of the whole period numbers it, so a window's parts are
byte for byte the files one build of the whole period writes for those days: day N is a pure function of the
recipe, the seed and N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sandbox.engine.contract import Producer
from sandbox.engine.plan import Job
from sandbox.errors import UsageError
from sandbox.output.manifest import Manifest


@dataclass(frozen=True)
class Period:
    """A recipe's days: from `start`, `days` of them."""

    start: date
    days: int

    def date(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def describe(self) -> str:
        return f"{self.start.isoformat()} to {self.date(self.days - 1).isoformat()} ({self.days} days)"

    def day_of(self, text: str, option: str, *, end: bool = False) -> int:
        """The day `text` (an ISO date) is, 0 first; an `end` may be the day after the last."""
        try:
            when = date.fromisoformat(text)
        except ValueError:
            raise UsageError(f"{option}: expected a date such as {self.start.isoformat()}, got {text!r}") from None
        day = (when - self.start).days
        if not 0 <= day < self.days + (1 if end else 0):
            also = f", or {self.date(self.days).isoformat()} (the day after its last)" if end else ""
            raise UsageError(f"{option} {text}: expected a day of the recipe's period, {self.describe()}{also}")
        return day


@dataclass(frozen=True)
class Days:
    """Days [first, until) of a period."""

    period: Period
    first: int
    until: int

    def to_dict(self) -> dict[str, Any]:
        """The manifest's `window`: the days built, of which period."""
        return {
            "from": self.period.date(self.first).isoformat(),
            "until": self.period.date(self.until).isoformat(),
            "first_day": self.first,
            "days": self.until - self.first,
            "period": {"start": self.period.start.isoformat(), "days": self.period.days},
        }


def period_of(found: Sequence[Producer], what: str = "--from/--until") -> Period:
    """The period of the recipe whose producers are `found`; UsageError unless its chunks are days."""
    periods = [period for producer in found if (period := producer.period()) is not None]
    if not periods:
        raise UsageError(
            f"{what}: expected a recipe whose chunks are days of a period (the iot domain's `start` and `days`); "
            "this recipe's chunks are not by day"
        )
    start, days = periods[0]
    return Period(date.fromisoformat(start), days)


def days_of(found: Sequence[Producer], since: str | None, until: str | None) -> Days:
    """`--from DATE` (first day built) and `--until DATE` (the day after the last), either left out: the
    period's first day, the day after its last."""
    period = period_of(found)
    first = period.day_of(since, "--from") if since else 0
    last = period.day_of(until, "--until", end=True) if until else period.days
    if last <= first:
        raise UsageError(f"--until {until}: expected a day after --from {period.date(first).isoformat()}")
    return Days(period, first, last)


def within(jobs: Sequence[Job], days: Days) -> list[Job]:
    """The jobs that make the window's days; a chunk of no day (a recipe table's) belongs to day 0, beside the
    chunks that write a domain's devices and sites."""
    return [job for job in jobs if days.first <= (job.producer.day(job.chunk) or 0) < days.until]


def windowed(manifest: Manifest, days: Days) -> None:
    """A window's manifest: its days, and only the tables it has files of (a later day has no devices or sites:
    those are day 0's), their references to tables it does not have left out."""
    manifest["window"] = days.to_dict()
    tables = manifest["tables"]
    for name in [name for name, entry in tables.items() if not entry["files"]]:
        del tables[name]
    for entry in tables.values():
        if "references" in entry:
            entry["references"] = {k: v for k, v in entry["references"].items() if v.partition(".")[0] in tables}
