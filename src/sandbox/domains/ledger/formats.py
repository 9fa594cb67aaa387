"""How each clerk presents dates and amounts (formats, not errors), and the reference parser that reads a
transcribed field back: a field without a defect row parses to its truth exactly."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def by_group(groups: np.ndarray, make: Callable[[int, np.ndarray], pa.Array]) -> pa.Array:
    """Build a string array in pieces, one call per distinct group value (a handful of clerk styles)."""
    pieces, order = [], []
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        pieces.append(make(int(g), rows).cast(pa.string()))
        order.append(rows)
    if not pieces:
        return pa.array([], pa.string())
    positions = np.concatenate(order)
    inverse = np.empty_like(positions)
    inverse[positions] = np.arange(len(positions))
    return pa.concat_arrays(pieces).take(pa.array(inverse))


def format_dates(days: np.ndarray, style: str) -> pa.Array:
    """Dates (days since the epoch) in one clerk's style; `d_mon_y` drops the day's leading zero. Built from
    the calendar's integers (what `strftime` would print, at a fraction of its cost)."""
    stamp = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    first_of_month, first_of_year = stamp.astype("datetime64[M]"), stamp.astype("datetime64[Y]")
    year = first_of_year.astype(np.int64) + 1970
    month = (first_of_month - first_of_year.astype("datetime64[M]")).astype(np.int64) + 1
    day = (stamp - first_of_month.astype("datetime64[D]")).astype(np.int64) + 1
    if style == "d_mon_y":
        return pc.binary_join_element_wise(digits(day), pa.array(MONTHS).take(pa.array(month - 1)), digits(year), " ")
    parts = {
        "dmy_dots_short": ((day, 2), (month, 2), (year % 100, 2), "."),
        "dmy_dots": ((day, 2), (month, 2), (year, 4), "."),
        "mdy_slashes": ((month, 2), (day, 2), (year, 4), "/"),
        "iso": ((year, 4), (month, 2), (day, 2), "-"),
    }[style]
    *fields, separator = parts
    return pc.binary_join_element_wise(*(digits(v, w) for v, w in fields), separator)


#: Days in a block of `_calendar`: a chunk's dates span a few (40 years are 4 blocks).
_BLOCK = 4096


@functools.lru_cache(maxsize=128)
def _calendar(style: str, block: int) -> pa.Array:
    """Every date of one block of days in one style, formatted once per process."""
    return format_dates(np.arange(block * _BLOCK, (block + 1) * _BLOCK, dtype=np.int64), style)


def dates_by_clerk(days: np.ndarray, styles: list[str], clerk: np.ndarray) -> pa.Array:
    """Each row's date in the style of its clerk (`styles[clerk]`), looked up in a calendar of every day of the
    span in each style (`format_dates` once per day and style, not once per row: a take instead of four joins)."""
    days = np.asarray(days, dtype=np.int64)
    if not len(days):
        return pa.array([], pa.string())
    distinct = sorted(set(styles))
    style = np.array([distinct.index(s) for s in styles], dtype=np.int64)[clerk]
    first, last = int(days.min()) // _BLOCK, int(days.max()) // _BLOCK
    span = (last - first + 1) * _BLOCK
    calendar = pa.concat_arrays([_calendar(s, b) for s in distinct for b in range(first, last + 1)])
    return calendar.take(pa.array(style * span + days - first * _BLOCK))


@functools.lru_cache(maxsize=4)
def _numbers(width: int) -> pa.Array:
    """Every number below 10,000 as text (width 0), or every one of `width` digits zero-padded, made on first use."""
    return pa.array([f"{i:0{width}d}" for i in range(10 ** (width or 4))])


def digits(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as text, zero-padded to `width` if given (below 10,000, or of two to four digits: looked up, 5x
    faster than a cast and a pad)."""
    values = np.asarray(values, dtype=np.int64)
    table = _numbers(width) if width in (0, 2, 3, 4) else None
    if table is not None and len(values) and 0 <= values.min() and values.max() < len(table):
        return table.take(pa.array(values))
    out = pc.cast(pa.array(values), pa.string())
    return pc.utf8_lpad(out, width, padding="0") if width else out


@dataclass(frozen=True)
class AmountStyle:
    """How one clerk writes amounts in one currency: separators, and the symbol (none: "") before or after."""

    decimal: str
    thousands: str
    symbol: str
    symbol_first: bool


def format_amounts(cents: np.ndarray, style: np.ndarray, styles: Sequence[AmountStyle]) -> pa.Array:
    """Exact minor units as each row's clerk writes them (`1.234,50 €`, `$1,234.50`, `1234.50`), row by row in
    `styles[style]`: what goes before the digits (a symbol, a minus) and after them (the cents, a space and the
    symbol) is looked up per style, so each amount is one join of three short pieces (it was ten passes over the
    rows)."""
    cents, style = np.asarray(cents, dtype=np.int64), np.asarray(style, dtype=np.int64)
    units, frac = np.abs(cents) // 100, np.abs(cents) % 100
    before = pa.array([(s.symbol if s.symbol_first else "") + minus for s in styles for minus in ("", "-")])
    return pc.binary_join_element_wise(
        before.take(pa.array(style * 2 + (cents < 0))),
        _whole_units(units, style, styles),
        _endings(tuple(styles)).take(pa.array(style * 100 + frac)),
        "",
    )


def _whole_units(units: np.ndarray, style: np.ndarray, styles: Sequence[AmountStyle]) -> pa.Array:
    """The whole units as text, grouped in threes where the style has a separator: looked up below 10,000 (and
    below 1,000 where grouped), the others (a few in a hundred) grouped with their style's separator, which is
    "" for a style without one. One gather from the table and them."""
    grouping = np.array([bool(s.thousands) for s in styles], dtype=bool)
    special = np.flatnonzero((units >= 10_000) | ((units >= 1000) & grouping[style]))
    table = _numbers(0)
    if not len(special):
        return table.take(pa.array(units))
    sep = pa.array([s.thousands for s in styles]).take(pa.array(style[special]))
    index = units.copy()
    index[special] = len(table) + np.arange(len(special))
    return pa.concat_arrays([table, _grouped(units[special], sep)]).take(pa.array(index))


@functools.lru_cache(maxsize=16)
def _endings(styles: tuple[AmountStyle, ...]) -> pa.Array:
    """What follows the whole units, per style and cents: the decimal separator, two digits, a space and the
    symbol (`,50 €`), every one of them (a lookup: one join of three pieces, not five)."""
    return pa.array(
        [
            f"{s.decimal}{c:02d}{'' if s.symbol_first or not s.symbol else ' ' + s.symbol}"
            for s in styles
            for c in range(100)
        ]
    )


def _grouped(units: np.ndarray, sep: pa.Array) -> pa.Array:
    """Whole units of 1,000 or more in groups of three digits, each row with its own separator."""
    groups = np.zeros(len(units), np.int64)  # how many groups of three follow the leading digits (at most 5)
    while (more := units >= 1000 ** (groups + 1)).any():
        groups += more
    pieces = [digits(units // 1000**groups)]
    for level in range(int(groups.max()) - 1, -1, -1):
        three = digits(units // 1000**level % 1000, 3)
        pieces.append(pc.if_else(pa.array(groups > level), pc.binary_join_element_wise(sep, three, ""), ""))
    return pc.binary_join_element_wise(*pieces, "")


def parse_amount(text: str, decimal: str, thousands: str) -> Decimal:
    """The reference parser for amounts: strip currency symbols and spaces, then the clerk's separators."""
    cleaned = re.sub(r"[^\d,.\-]", "", text)
    if thousands:
        cleaned = cleaned.replace(thousands, "")
    return Decimal(cleaned.replace(decimal, "."))


def parse_date(text: str, style: str, era_start: int) -> date:
    """The reference parser for dates; two-digit years resolve into the record's era."""
    if style == "d_mon_y":
        day, month, year_text = text.split()
        return date(int(year_text), MONTHS.index(month) + 1, int(day))

    formats = {"dmy_dots_short": "%d.%m.%y", "dmy_dots": "%d.%m.%Y", "mdy_slashes": "%m/%d/%Y", "iso": "%Y-%m-%d"}
    parsed = datetime.strptime(text, formats[style]).date()
    if style == "dmy_dots_short":
        year = era_start - era_start % 100 + parsed.year % 100
        if year < era_start - 5:
            year += 100
        parsed = parsed.replace(year=year)
    return parsed
