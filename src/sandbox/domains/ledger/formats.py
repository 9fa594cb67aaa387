"""How each clerk presents dates and amounts (formats, not errors), and the reference parser that reads a
transcribed field back: a field without a defect row parses to its truth exactly."""

from __future__ import annotations

import re
from collections.abc import Callable
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


def dates_by_clerk(days: np.ndarray, styles: list[str], clerk: np.ndarray) -> pa.Array:
    """Each row's date in the style of its clerk (`styles[clerk]`), formatted style by style (a handful)."""
    distinct = sorted(set(styles))
    style = np.array([distinct.index(s) for s in styles], dtype=np.int64)[clerk]
    return by_group(style, lambda s, rows: format_dates(days[rows], distinct[s]))


def digits(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as text, zero-padded to `width` if given."""
    out = pc.cast(pa.array(values), pa.string())
    return pc.utf8_lpad(out, width, padding="0") if width else out


def format_amounts(
    cents: np.ndarray, decimal: pa.Array, thousands: pa.Array, symbol: pa.Array, symbol_first: np.ndarray
) -> pa.Array:
    """Exact minor units as each row's clerk writes them (`1.234,50 €`, `$1,234.50`, `1234.50`): the separators
    and the symbol are per row (an empty thousands separator or symbol for none), so every clerk's amounts are
    formatted in one pass."""
    cents = np.asarray(cents, dtype=np.int64)
    units, frac = np.abs(cents) // 100, np.abs(cents) % 100

    whole = digits(units)
    big = np.flatnonzero((units >= 1000) & (thousands.to_numpy(zero_copy_only=False) != ""))
    if len(big):  # grouped digits only where there is a separator and a thousand to group
        millions, thousand, ones = units[big] // 1_000_000, (units[big] // 1000) % 1000, units[big] % 1000
        sep = thousands.take(pa.array(big))
        full = pc.binary_join_element_wise(digits(millions), digits(thousand, 3), digits(ones, 3), sep)
        mid = pc.binary_join_element_wise(digits(thousand), digits(ones, 3), sep)
        mask = np.zeros(len(units), bool)
        mask[big] = True
        whole = pc.replace_with_mask(whole, pa.array(mask), pc.if_else(pa.array(millions > 0), full, mid))
    amount = pc.binary_join_element_wise(whole, digits(frac, 2), decimal)
    amount = pc.if_else(pa.array(cents < 0), pc.binary_join_element_wise("-", amount, ""), amount)
    after = pc.if_else(pc.equal(symbol, ""), amount, pc.binary_join_element_wise(amount, symbol, " "))
    return pc.if_else(pa.array(symbol_first), pc.binary_join_element_wise(symbol, amount, ""), after)


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
