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
    """Dates (days since the epoch) in one clerk's style; `d_mon_y` drops the day's leading zero."""
    stamps = pa.array(days.astype("int32"), pa.date32()).cast(pa.timestamp("s"))
    if style == "d_mon_y":
        text = pc.strftime(stamps, format="%d %b %Y", locale="C")
        return pc.replace_substring_regex(text, "^0", "")
    formats = {"dmy_dots_short": "%d.%m.%y", "dmy_dots": "%d.%m.%Y", "mdy_slashes": "%m/%d/%Y", "iso": "%Y-%m-%d"}
    return pc.strftime(stamps, format=formats[style], locale="C")


def format_amounts(cents: np.ndarray, decimal: str, thousands: str, symbol: str, symbol_first: bool) -> pa.Array:
    """Exact minor units as a clerk writes them: `1.234,50 €`, `$1,234.50`, `1234.50`."""
    cents = np.asarray(cents, dtype=np.int64)
    units, frac = np.abs(cents) // 100, np.abs(cents) % 100

    def text(values: np.ndarray, width: int = 0) -> pa.Array:
        out = pc.cast(pa.array(values), pa.string())
        return pc.utf8_lpad(out, width, padding="0") if width else out

    millions, thousand, ones = units // 1_000_000, (units // 1000) % 1000, units % 1000
    if thousands:
        full = pc.binary_join_element_wise(text(millions), text(thousand, 3), text(ones, 3), thousands)
        mid = pc.binary_join_element_wise(text(thousand), text(ones, 3), thousands)
        whole = pc.if_else(pa.array(millions > 0), full, pc.if_else(pa.array(thousand > 0), mid, text(ones)))
    else:
        whole = text(units)
    amount = pc.binary_join_element_wise(whole, text(frac, 2), decimal)
    amount = pc.if_else(pa.array(cents < 0), pc.binary_join_element_wise("-", amount, ""), amount)
    if symbol:
        amount = (
            pc.binary_join_element_wise(symbol, amount, "")
            if symbol_first
            else pc.binary_join_element_wise(amount, symbol, " ")
        )
    return amount


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
