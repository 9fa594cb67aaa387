"""The shop's calendar: a weight per day (weekday profile x month profile x peak days), from which each
session's day is drawn, so daily traffic has the weekly rhythm, the seasons and the event peaks of a real shop.

Peak days are named events (`black_friday`, `cyber_monday`, `pre_christmas`, `public_holidays`) or dates
(`MM-DD` every year, `YYYY-MM-DD` once), each with a multiplier. Public holidays come from the `holidays`
library for the shop's countries, weighted by each country's share of customers.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000
NAMED = ("black_friday", "cyber_monday", "pre_christmas", "public_holidays")
#: Days before 24 December that `pre_christmas` lifts (the gift-shopping weeks).
PRE_CHRISTMAS_DAYS = 14


class NoTraffic(ValueError):
    """Every day's weight is 0 (the profiles and peak days close the shop for the whole range)."""


@dataclass(frozen=True)
class Calendar:
    """Every day of the range (days since 1970-01-01), the probability of a session falling on it, and the
    factor each peak lifts each day by (1 where it does not apply)."""

    days: np.ndarray
    p: np.ndarray
    peaks: dict[str, np.ndarray]

    @property
    def lift(self) -> np.ndarray:
        """Each day's factor from all its peaks."""
        out = np.ones(len(self.days))
        for factor in self.peaks.values():
            out = out * factor
        return out


def peak_problems(peaks: Mapping[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """What is wrong with a `peak_days` mapping: (key, message, the name it may have meant) per bad key."""
    for key in peaks:
        if key not in NAMED and _date_key(str(key)) is None:
            close = difflib.get_close_matches(str(key), NAMED, n=1)
            message = f"expected a peak named {', '.join(NAMED)} or a date (MM-DD or YYYY-MM-DD), got {key!r}"
            yield key, message, close[0] if close else None


def _date_key(key: str) -> tuple[int | None, int, int] | None:
    """(year or None, month, day) of a date key, or None if it is not one."""
    parts = key.split("-")
    try:
        if len(parts) == 2:
            dt.date(2000, int(parts[0]), int(parts[1]))  # 2000 is a leap year: 02-29 is allowed
            return None, int(parts[0]), int(parts[1])
        if len(parts) == 3:
            dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            return int(parts[0]), int(parts[1]), int(parts[2])
    except ValueError:
        return None
    return None


def black_friday(year: int) -> dt.date:
    """The day after the fourth Thursday of November (US Thanksgiving)."""
    first = dt.date(year, 11, 1)
    thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday + dt.timedelta(days=1)


@functools.lru_cache(maxsize=4)
def calendar(
    start_us: int,
    days: int,
    weekdays: tuple[float, ...],
    months: tuple[float, ...],
    peaks: tuple[tuple[str, float], ...],
    countries: tuple[tuple[str, float], ...],
) -> Calendar:
    """The calendar of `days` days from `start_us` (midnight UTC); cached, as every chunk asks for it."""
    first = start_us // US_PER_DAY
    numbers = np.arange(first, first + days, dtype=np.int64)
    dates = [dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in numbers]
    weight = np.array([weekdays[d.weekday()] * months[d.month - 1] for d in dates])
    factors = {key: _peak_mask(key, dates, countries) * (multiplier - 1) + 1 for key, multiplier in peaks}
    for factor in factors.values():
        weight = weight * factor
    total = math.fsum(weight.tolist())
    if not total > 0:
        raise NoTraffic("no day of the calendar has traffic")
    return Calendar(numbers, weight / total, factors)


def _peak_mask(key: str, dates: list[dt.date], countries: tuple[tuple[str, float], ...]) -> np.ndarray:
    """Where the peak `key` applies: 1 on its days (for public holidays, the share of customers who have the
    day off: a holiday of a country with 20% of the customers lifts the day by 20% of the multiplier's rise)."""
    years = sorted({d.year for d in dates})
    if key == "black_friday":
        chosen = {black_friday(y) for y in years}
    elif key == "cyber_monday":
        chosen = {black_friday(y) + dt.timedelta(days=3) for y in years}
    elif key == "pre_christmas":
        chosen = {dt.date(y, 12, 24) - dt.timedelta(days=k) for y in years for k in range(PRE_CHRISTMAS_DAYS)}
    elif key == "public_holidays":
        return _holiday_share(dates, countries)
    else:
        parsed = _date_key(key)
        assert parsed is not None, key  # validated by peak_problems
        year, month, day = parsed
        chosen = {d for d in dates if (d.month, d.day) == (month, day) and year in (None, d.year)}
    return np.array([d in chosen for d in dates], dtype=np.float64)


def _holiday_share(dates: list[dt.date], countries: tuple[tuple[str, float], ...]) -> np.ndarray:
    import holidays

    years = sorted({d.year for d in dates})
    total = math.fsum(share for _, share in countries)
    out = np.zeros(len(dates))
    for code, share in countries:
        off = holidays.country_holidays(code, years=years)
        out += np.array([d in off for d in dates], dtype=np.float64) * (share / total)
    return out


def session_starts(rng: np.random.Generator, cal: Calendar, hours: np.ndarray, n: int) -> np.ndarray:
    """n instants (us): a day from the calendar, an hour from the hour profile, a uniform moment in the hour."""
    day = cal.days[rng.choice(len(cal.days), n, p=cal.p)]
    hour = rng.choice(24, n, p=hours)
    return day * US_PER_DAY + hour * US_PER_HOUR + rng.integers(0, US_PER_HOUR, n)
