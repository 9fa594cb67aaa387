"""What `sandbox check` measures of a ledger: each error kind's rate over the fields it can hit, keying errors
per field, OCR errors per OCR-read field and how many characters they change, and the amounts' cents and
first digits."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.domains.checks import IdSet, KnobCheck, TableReader, holds, ratio, share
from sandbox.domains.ledger import ocr as ocr_errors

K = "domain.knobs."
M = "domain.measured."
KEYING = ("typo", "transposition", "decimal_shift", "missing_field")
#: OCR defects whose edit distance is measured (the first ones in defect order: enough for a mean, fast at any size).
SAMPLE = 5000
#: What each measured statistic is, for the data card.
MEASURES = {
    M + "keying_errors_per_field": "Keying errors (typo, transposition, decimal_shift, missing_field) per field; "
    "real single entry 0.29%, double entry 0.14% (Garza et al.).",
    M + "ocr_edit_distance": "Characters an OCR-family defect changes (Levenshtein), on average; a fixed swap "
    "table changed 1.01.",
    M + "net_cents_ending_in_0": "Share of net amounts whose cents end in 0 (every one when prices sat on a "
    "10-cent grid; real invoices spread their cents).",
    M + "gross_benford_mad": "Mean absolute deviation of gross amounts' first digits from Benford's law; "
    "Nigrini: <= 0.006 close, <= 0.012 acceptable conformity.",
}


def keying_checks(
    knobs: Mapping[str, Any], found: Mapping[str, int], fields: int, typed: int, short: int, amounts: int, entry: float
) -> list[KnobCheck]:
    """Each keying kind over the fields it can hit, and all of them per field. `entry` is the mean factor of
    double entry on the clerks' error rates."""
    eligible = {
        "typo": ("typo_rate", typed, "fields but the supplier"),
        "transposition": ("transposition_rate", typed - short, "fields of two characters or more"),
        "missing_field": ("missing_field_rate", fields, "fields"),
        "decimal_shift": ("decimal_shift_rate", amounts, "amounts"),
    }
    checks = [
        share(K + knob, float(knobs[knob]) * entry, found.get(kind, 0), n, over)
        for kind, (knob, n, over) in eligible.items()
    ]
    expected = math.fsum(float(knobs[knob]) * entry * n for knob, n, _ in eligible.values())
    hits = sum(found.get(kind, 0) for kind in KEYING)
    checks.append(share(M + "keying_errors_per_field", ratio(expected, fields), hits, fields, "fields"))
    return checks


def ocr_checks(knobs: Mapping[str, Any], found: Mapping[str, int], read: Mapping[str, int]) -> list[KnobCheck]:
    """OCR errors per OCR-read field against the scan quality's rate, and each OCR kind over the fields it can
    hit against its share of the mix. `read` counts the OCR-read fields holding a value, per column."""
    quality = str(knobs["ocr_quality"])
    total = sum(read.values())
    hits = sum(found.get(kind, 0) for kind in ocr_errors.KINDS)
    checks = [share(K + "ocr_quality", ocr_errors.QUALITY[quality], hits, total, "OCR-read fields")]
    for kind in ocr_errors.KINDS:
        rates = {c: ocr_errors.rate(quality, c, kind) for c in read}
        n = sum(read[c] for c in read if rates[c])
        expected = math.fsum(read[c] * rates[c] for c in read)
        checks.append(
            share(f"{K}ocr_quality.{kind}", ratio(expected, n), found.get(kind, 0), n, "OCR-read fields it can hit")
        )
    return checks


def edit_distance_check(reader: TableReader) -> KnobCheck:
    """Mean characters changed per OCR-family defect, over the first SAMPLE of them."""
    pairs: list[tuple[str, str]] = []
    columns = ["truth_value", "observed_value"]
    for batch in reader.batches("defects", columns, ("kind", list(ocr_errors.KINDS))):
        need = SAMPLE - len(pairs)
        both = zip(batch.column(0)[:need].to_pylist(), batch.column(1)[:need].to_pylist(), strict=True)
        pairs += [(a, b) for a, b in both if a is not None and b is not None]
        if len(pairs) >= SAMPLE:
            break
    distances = ocr_errors.edit_distances(pairs).tolist()
    over = f"OCR-family defects (first {len(distances):,}); 1.3 to 2.7"
    return bounded("ocr_edit_distance", 2.0, ratio(math.fsum(distances), len(distances)), len(distances), over, 1.3)


def bounded(name: str, target: float, realised: float, n: int, over: str, limit: float) -> KnobCheck:
    """A measured statistic within a bound, or, with nothing to measure (an empty build), no tolerance at all."""
    if not n:
        return KnobCheck(M + name, target, realised, math.inf, over)
    return KnobCheck(M + name, target, realised, 0.0, over, limit=limit)


def _cents(column: pa.ChunkedArray) -> np.ndarray:
    """Amounts in cents. A decimal of scale 2 stores them already: its 128-bit integers, read in place (casting
    the decimals took 0.14 s of a 1M-invoice conformance)."""
    if not len(column):
        return np.zeros(0, np.int64)  # an empty build: no rows, no typed column
    if pa.types.is_decimal128(column.type) and column.type.scale == 2 and not column.null_count:
        words = np.concatenate(
            [
                np.frombuffer(c.buffers()[1], dtype="<i8").reshape(-1, 2)[c.offset : c.offset + len(c)]
                for c in column.chunks
            ]
        )  # (low, high) 64-bit halves of each amount, little-endian
        low = words[:, 0]
        if np.array_equal(words[:, 1], low >> 63):  # every amount fits 64 bits
            return low
    return pc.cast(pc.multiply(column, pa.scalar(100, column.type)), pa.int64()).to_numpy()


@dataclass
class Tally:
    """What the ledger's checks count of its tables, summed file by file (flat memory at any size)."""

    invoices: int = 0  # records as first keyed (not the corrections and duplicates)
    ocr: int = 0  # of them, read by OCR
    lines: int = 0
    ocr_lines: int = 0
    unpaid: int = 0
    ocr_unpaid: int = 0
    short: int = 0  # lines of a one-digit quantity: nothing to transpose
    round_prices: int = 0  # unit prices ending in 0 cents
    net: int = 0
    round_net: int = 0  # net amounts whose cents end in 0
    #: First digits 1-9 of the gross amounts of 1 or more.
    first_digits: np.ndarray = field(default_factory=lambda: np.zeros(9, np.int64))


def tally(reader: TableReader) -> Tally:
    """The counts of a ledger's checks: the invoices' records first (which invoices OCR read), then the truth's
    lines and invoices, each table's files read and counted in parallel."""
    out = Tally()
    records = reader.each("invoices", ["record_id", "source"], _records)
    out.invoices = sum(n for n, _ in records)
    ocr = IdSet(np.concatenate([ids for _, ids in records]) if records else np.zeros(0, np.int64))
    out.ocr = len(ocr.ids)
    for n, on_ocr, short, round_prices in reader.each(
        "truth_invoice_lines", ["invoice_id", "quantity", "unit_price"], lambda part: _lines(part, ocr)
    ):
        out.lines, out.ocr_lines = out.lines + n, out.ocr_lines + on_ocr
        out.short, out.round_prices = out.short + short, out.round_prices + round_prices
    for unpaid, ocr_unpaid, net, round_net, digits in reader.each(
        "truth_invoices", ["invoice_id", "paid_on", "net", "gross"], lambda part: _invoices(part, ocr)
    ):
        out.unpaid, out.ocr_unpaid = out.unpaid + unpaid, out.ocr_unpaid + ocr_unpaid
        out.net, out.round_net, out.first_digits = out.net + net, out.round_net + round_net, out.first_digits + digits
    return out


def _records(part: pa.Table) -> tuple[int, np.ndarray]:
    """Records as first keyed, and the invoice ids of those OCR read."""
    ids = part["record_id"].to_numpy()
    original = ids % 10 == 0  # corrections and duplicates get record ids ending in 1 and 2
    return int(original.sum()), ids[original & holds(part["source"], "ocr")] // 10


def _lines(part: pa.Table, ocr: IdSet) -> tuple[int, int, int, int]:
    price = _cents(part["unit_price"])
    short = int(pc.sum(pc.less(part["quantity"], 10)).as_py() or 0)
    return len(part), ocr.count(part["invoice_id"].to_numpy()), short, int(np.sum(price % 10 == 0))


def _invoices(part: pa.Table, ocr: IdSet) -> tuple[int, int, int, int, np.ndarray]:
    unpaid = part["invoice_id"].filter(part["paid_on"].is_null()).to_numpy()
    net = _cents(part["net"])
    return len(unpaid), ocr.count(unpaid), len(net), int(np.sum(net % 10 == 0)), first_digits(_cents(part["gross"]))


def amount_checks(knobs: Mapping[str, Any], counted: Tally) -> list[KnobCheck]:
    """Unit prices on a 10-cent grid (the knob's share, and a tenth of the others by chance), net amounts' cents
    ending in 0 (the issue's 10-80%), and gross amounts' Benford MAD (Nigrini's acceptable bound)."""
    target = float(knobs["round_price_share"])
    return [
        share(
            K + "round_price_share",
            target + (1 - target) / 10,
            counted.round_prices,
            counted.lines,
            "unit prices ending in 0 cents (the knob's share plus a tenth of the rest, by chance)",
        ),
        bounded(
            "net_cents_ending_in_0",
            0.45,
            ratio(counted.round_net, counted.net),
            counted.net,
            "net amounts; 10% to 80%",
            0.1,
        ),
        bounded(
            "gross_benford_mad",
            0.0,
            benford_mad(counted.first_digits),
            int(counted.first_digits.sum()),
            "gross amounts of 1 or more",
            0.012,
        ),
    ]


def first_digits(cents: np.ndarray) -> np.ndarray:
    """How many amounts of 1 or more (in cents) begin with each digit 1-9."""
    units = cents[cents >= 100] // 100
    powers = 10 ** np.arange(19, dtype=np.int64)  # every int64 is below 10**19
    first = units // powers[np.searchsorted(powers, units, side="right") - 1]
    return np.bincount(first, minlength=10)[1:10].astype(np.int64)


def benford_mad(digits: np.ndarray) -> float:
    """Mean absolute deviation from Benford's law of first digits 1-9 counted (`first_digits`)."""
    total = int(digits.sum())
    if not total:
        return 0.0
    seen = digits / total
    return math.fsum(abs(seen[d - 1] - math.log10(1 + 1 / d)) for d in range(1, 10)) / 9
