"""A reference cleaner for a ledger sandbox: parse what the clerks typed, then score it against the truth.

    sandbox build ledger --out books/
    python examples/ledger_cleaner.py books/

It uses only the transcribed tables and each clerk's documented formats (truth/clerks: the presentation,
not the errors). The answer key is read at the end, to score. Repairs: OCR digit confusions in dates and
numbers (O->0, l/I->1, S->5, B->8...), misread punctuation (a date's separators, an amount's decimal mark two
digits from the end, a VAT rate's % read as 96), legal-form spellings (Gmbh, G.m.b.H. -> GmbH).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from sandbox.domains.ledger.formats import parse_amount, parse_date

DIGITS = str.maketrans(
    {"O": "0", "o": "0", "l": "1", "I": "1", "S": "5", "B": "8", "Z": "2", "b": "6", "g": "9", "A": "4"}
)
FORMS = {
    "gmbh": "GmbH",
    "g.m.b.h.": "GmbH",
    "ag": "AG",
    "a.g.": "AG",
    "ltd": "Ltd",
    "ltd.": "Ltd",
    "limited": "Ltd",
    "sarl": "SARL",
    "s.a.r.l.": "SARL",
    "kg": "KG",
    "k.g.": "KG",
}
DATES, AMOUNTS = ("issued_on", "due_on", "paid_on"), ("net", "vat", "gross")
SEPARATORS = {"dmy_dots_short": ".", "dmy_dots": ".", "mdy_slashes": "/", "iso": "-"}


def repair_date(text: str, style: str) -> str:
    """Digits read right, and the style's separator between the three groups of digits."""
    groups = re.findall(r"\d+", text.translate(DIGITS))
    return SEPARATORS[style].join(groups) if len(groups) == 3 else text


def repair_amount(text: str, decimal: str) -> str:
    """Digits read right; whatever mark stands two digits from the end is the decimal mark."""
    kept = re.sub(r"[^\d,.:;·\-]", "", text.translate(DIGITS))
    if len(kept) >= 3 and kept[-3] in ",.:;·" and kept[-2:].isdigit():
        return re.sub(r"[^\d\-]", "", kept[:-3]).rjust(1, "0") + decimal + kept[-2:]
    return kept


def repair_rate(text: str) -> str:
    """A VAT rate as digits and one decimal place (19.0%, with the % perhaps read as 96)."""
    found = re.match(r"(\d+)[.,:;·](\d)", text.translate(DIGITS))
    return f"{found[1]}.{found[2]}" if found else text.translate(DIGITS).rstrip("%")


def clean_value(field: str, text: str | None, clerk: dict[str, Any], repair: bool) -> Any:
    if text is None:
        return None
    try:
        if field in DATES:
            fixed = repair_date(text, clerk["date_style"]) if repair and clerk["date_style"] != "d_mon_y" else text
            return parse_date(fixed, clerk["date_style"], clerk["era_start"])
        if field in AMOUNTS:
            fixed = repair_amount(text, clerk["decimal"]) if repair else text
            return parse_amount(fixed, clerk["decimal"], clerk["thousands"])
        if field == "vat_rate":
            return round(float(repair_rate(text) if repair else text.rstrip("%")) / 100, 4)
        if field == "supplier" and repair:
            head, _, form = text.rpartition(" ")
            return f"{head} {FORMS.get(form.lower(), form)}"
    except (ValueError, InvalidOperation, IndexError):
        return None
    return text


def main(books: Path) -> None:
    clerks = {c["clerk_id"]: c for c in pq.read_table(books / "truth/clerks").to_pylist()}
    typed = [r for r in pq.read_table(books / "tables/invoices").to_pylist() if r["record_id"] % 10 == 0]
    truth = {t["invoice_id"]: t for t in pq.read_table(books / "truth/invoices").to_pylist()}
    names = {s["supplier_id"]: s["name"] for s in pq.read_table(books / "tables/suppliers").to_pylist()}
    fields = ("supplier", "invoice_no", "issued_on", "due_on", "net", "vat_rate", "vat", "gross", "paid_on")
    got: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}
    for record in typed:
        real = truth[record["record_id"] // 10]
        expected = {**real, "supplier": names[real["supplier_id"]]}
        for field in fields:
            want = expected[field]
            want = round(want, 4) if isinstance(want, float) else want
            for repair in (False, True):
                value = clean_value(field, record[field], clerks[record["clerk_id"]], repair)
                if isinstance(value, Decimal) and isinstance(want, Decimal):
                    value = value.quantize(Decimal("0.01")) if value == value.quantize(Decimal("0.01")) else value
                got[repair][field] += value == want
    n = len(typed)
    print(f"{'field':<12}{'parsed as typed':>17}{'after repairs':>15}")
    for field in fields:
        print(f"{field:<12}{got[False][field] / n:>17.2%}{got[True][field] / n:>15.2%}")
    total = n * len(fields)
    print(
        f"{'all':<12}{sum(got[False].values()) / total:>17.2%}{sum(got[True].values()) / total:>15.2%}"
        f"   ({n:,} invoices, {total:,} fields)"
    )


def cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Clean a ledger sandbox's transcribed invoices and score the result against its truth.",
        epilog="Example: sandbox build ledger --out books/ && python examples/ledger_cleaner.py books/",
    )
    parser.add_argument("books", type=Path, help="a sandbox built from the ledger recipe")
    args = parser.parse_args(argv)
    if not (args.books / "truth" / "clerks").is_dir() or not (args.books / "tables" / "invoices").is_dir():
        parser.error(f"{args.books}: expected a ledger sandbox (tables/invoices and truth/clerks), got none")
    main(args.books)
    return 0


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
