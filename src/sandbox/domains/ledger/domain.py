"""The `ledger` domain: paper invoices and a plant logbook, as clerks and OCR transcribed them.

The truth (invoices, lines, a double-entry journal that balances) is under truth/; under tables/ are the
records as typed: every field a string in its clerk's format (date style, decimal comma, currency symbol:
recorded per clerk in truth/clerks), plus errors, each a row of truth/defects in the order applied, so the
defects of a field replayed on its formatted truth give what was typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.columns.registry import Finding
from sandbox.core.chunks import whole
from sandbox.core.params import choice, integer, number
from sandbox.domains.checks import Faults, KnobCheck, TableReader, share
from sandbox.domains.common import labels
from sandbox.domains.interface import Domain, DomainContext, TableInfo
from sandbox.domains.ledger import realised
from sandbox.domains.ledger.books import (
    clerks,
    real_invoices,
    suppliers,
    truth_tables,
    vocabulary,
)
from sandbox.domains.ledger.errors import errors
from sandbox.domains.ledger.formats import AmountStyle, dates_by_clerk, digits, format_amounts
from sandbox.domains.ledger.logbook import logbook
from sandbox.domains.ledger.ocr import QUALITY as OCR_QUALITY
from sandbox.noise.defects import DefectLog, row_keys
from sandbox.privacy.columns import advisory, born_safe, redacted_text

INVOICE_FIELDS = (
    "supplier",
    "invoice_no",
    "issued_on",
    "due_on",
    "currency",
    "net",
    "vat_rate",
    "vat",
    "gross",
    "paid_on",
    "page_ref",
)
LINE_FIELDS = ("description", "quantity", "unit_price", "line_total")
#: Keying errors of double entry against single entry: 0.14% of fields against 0.29% (Garza et al.).
DOUBLE_ENTRY = 0.14 / 0.29
KNOBS = (
    integer("suppliers", "Suppliers.", 150, ge=1, le=100_000),
    number(
        "round_price_share",
        "Share of unit prices set on a 10-cent grid (where whoever priced it rounded); the rest run to the cent, "
        "so net amounts end in any cents as real invoices do (an assumption: set it from your own books).",
        0.5,
        ge=0,
        le=1,
    ),
    integer("clerks", "Clerks (each with a format and an error profile, in one era).", 12, ge=3, le=1000),
    number("ocr_share", "Share of invoices read by OCR rather than typed (from 1995 on).", 0.4, ge=0, le=1),
    choice(
        "ocr_quality",
        list(OCR_QUALITY),
        "Scan quality of the OCR-read invoices, setting OCR errors per field: clean 0.74% (optical scanning in "
        "published data-entry studies), average 2%, poor 4.5% (what is left of the 22-41% of key fields raw OCR "
        "misreads on receipts, SROIE with Tesseract 5, after a clerk's check); split into ocr, ocr_word, "
        "ocr_decimal and ocr_symbol by what the field holds.",
        "average",
    ),
    number(
        "typo_rate",
        "Share of fields with a keyboard-adjacent typo; with the next three, ~0.29% of fields keyed once "
        "(pooled single-entry error rate, Garza et al.'s meta-analysis of clinical data entry).",
        0.0013,
        ge=0,
        le=0.5,
    ),
    number("transposition_rate", "Share of fields with two characters swapped.", 0.0006, ge=0, le=0.5),
    number(
        "decimal_shift_rate", "Share of amounts with the decimal separator in the wrong place.", 0.0006, ge=0, le=0.5
    ),
    number("missing_field_rate", "Share of fields left empty.", 0.0008, ge=0, le=0.5),
    number(
        "double_entry_share",
        "Share of invoices keyed twice and compared, which cuts keying errors to 0.14/0.29 of single entry "
        "(double entry 0.14% of fields against 0.29%, the same meta-analysis); the share is an assumption.",
        0.2,
        ge=0,
        le=1,
    ),
    number(
        "name_variant_rate", "Share of supplier names typed as a variant (GmbH / Gmbh / G.m.b.H.).", 0.02, ge=0, le=1
    ),
    number("duplicate_rate", "Share of invoices entered twice.", 0.005, ge=0, le=0.5),
    number("correction_rate", "Share of invoices with an error that got a correcting second record.", 0.1, ge=0, le=1),
    number("skipped_line_rate", "Share of invoice lines never transcribed.", 0.003, ge=0, le=0.5),
    number("logbook_per_invoice", "Logbook entries per invoice.", 0.3, ge=0, le=100),
)


def _formatted(
    t: dict[str, Any], truth: dict[str, pa.Table], seed: int, knobs: Mapping[str, Any]
) -> tuple[dict[str, pa.Array], dict[str, pa.Array]]:
    """The records as their clerks present them, before any error: invoice fields and line fields, as text."""
    staff = clerks(seed, int(knobs["clerks"])).to_pydict()
    vocab = vocabulary()
    codes = list(vocab["currencies"])
    inv = truth["truth_invoices"]
    currency = pc.index_in(whole(inv["currency"]).dictionary_decode(), value_set=pa.array(codes))
    currency = currency.to_numpy(zero_copy_only=False).astype(np.int64)
    clerk = t["clerk"]

    def dates(days: np.ndarray) -> pa.Array:
        return dates_by_clerk(days, staff["date_style"], clerk)

    # how each clerk writes each currency (no symbol for a clerk who writes none), clerk by clerk
    styles = [
        AmountStyle(decimal, thousands, vocab["currencies"][c] if shown == "symbol" else "", first)
        for decimal, thousands, shown, first in zip(
            staff["decimal"], staff["thousands"], staff["currency_symbol"], staff["symbol_first"], strict=True
        )
        for c in codes
    ]

    def amounts(cents: np.ndarray, who: np.ndarray, cur: np.ndarray) -> pa.Array:
        return format_amounts(cents, who * len(codes) + cur, styles)

    paid = dates(t["paid"])
    invoice = {
        "supplier": suppliers(seed, int(knobs["suppliers"]))[0]["name"].take(pa.array(t["supplier"])),
        "invoice_no": whole(inv["invoice_no"]),
        "issued_on": dates(t["issued"]),
        "due_on": dates(t["due"]),
        "currency": whole(inv["currency"]).dictionary_decode(),
        "net": amounts(t["net"], clerk, currency),
        "vat_rate": pc.binary_join_element_wise(pc.cast(pa.array(np.round(t["rate"] * 100, 1)), pa.string()), "%", ""),
        "vat": amounts(t["vat"], clerk, currency),
        "gross": amounts(t["gross"], clerk, currency),
        "paid_on": pc.if_else(pa.array(t["unpaid"]), pa.nulls(len(paid), pa.string()), paid),
        "page_ref": whole(inv["page_ref"]),
    }
    who, cur = clerk[t["line_invoice"]], currency[t["line_invoice"]]
    lines = truth["truth_invoice_lines"]
    line = {
        "description": whole(lines["description"]).dictionary_decode(),
        "quantity": pc.cast(whole(lines["quantity"]), pa.string()),
        "unit_price": amounts(t["price"], who, cur),
        "line_total": amounts(t["line_total"], who, cur),
    }
    return invoice, line


def _records(
    t: dict[str, Any],
    fields: dict[str, pa.Array],
    clean: dict[str, pa.Array],
    touched: np.ndarray,
    staff: pa.Table,
    rng: np.random.Generator,
    log: DefectLog,
    knobs: Mapping[str, Any],
) -> pa.Table:
    """Observed invoice records: originals, some entered twice, some errors corrected by a second record."""
    n = len(t["ids"])
    record = t["ids"] * 10
    ocr = t["ocr"]
    month = (t["issued"].astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12) + 1
    batch = pc.binary_join_element_wise(
        digits(t["years"]),
        "-",
        digits(month, 2),
        "-C",
        digits(t["clerk"] + 1),
        "",
    )
    base = {
        "record_id": record,
        "clerk_id": t["clerk"] + 1,
        "source": labels(["typed", "ocr"], ocr.astype(int)),
        "batch_id": batch,
    }
    originals = pa.table({**base, **fields})
    twice = np.flatnonzero(rng.random(n) < float(knobs["duplicate_rate"]))
    fixed = np.flatnonzero(touched & (rng.random(n) < float(knobs["correction_rate"])))
    copies = originals.take(pa.array(twice)).set_column(0, "record_id", pa.array(record[twice] + 1))
    corrected = (
        pa.table({**base, **clean}).take(pa.array(fixed)).set_column(0, "record_id", pa.array(record[fixed] + 2))
    )
    keys = pa.table({"record_id": np.concatenate([record[twice] + 1, record[fixed] + 2])})
    if len(twice):
        log.add(
            "invoices",
            row_keys(keys, ["record_id"], np.arange(len(twice))),
            "duplicate_record",
            params=pc.binary_join_element_wise('{"of_record":', pc.cast(pa.array(record[twice]), pa.string()), "}", ""),
        )
    if len(fixed):
        log.add(
            "invoices",
            row_keys(keys, ["record_id"], np.arange(len(twice), len(keys))),
            "correction_record",
            params=pc.binary_join_element_wise('{"corrects":', pc.cast(pa.array(record[fixed]), pa.string()), "}", ""),
        )
    table = pa.concat_tables([originals, copies, corrected])
    return table.take(pa.array(np.argsort(table["record_id"].to_numpy(), kind="stable")))


class Ledger(Domain):
    name = "ledger"
    description = "Paper invoices and a plant logbook as clerks and OCR transcribed them, with the truth behind."
    unit = "invoices"
    views_module = "sandbox.domains.ledger.views"
    knobs = KNOBS
    measures = realised.MEASURES

    def tables(self, knobs: Mapping[str, Any]) -> list[TableInfo]:
        safe = {
            "iban": born_safe("iban", "iban"),
            "contact_phone": born_safe("phone", "phone"),
            "contact_name": advisory("person_name"),
            "address": advisory("street_address"),
        }
        return [
            TableInfo(
                "invoices", "Invoices as typed or read by OCR: every field text as transcribed.", key=("record_id",)
            ),
            TableInfo(
                "invoice_lines",
                "Invoice lines as transcribed.",
                key=("record_id", "line_no"),
                references={"record_id": "invoices.record_id"},
            ),
            TableInfo(
                "suppliers",
                "Suppliers (contact phones and IBANs from reserved space).",
                key=("supplier_id",),
                privacy=safe,
            ),
            TableInfo(
                "logbook",
                "A plant's handwritten shift log, as typed.",
                key=("entry_id",),
                privacy={"entry": redacted_text()},
            ),
            TableInfo(
                "truth_invoices",
                "The invoices as they were (money exact).",
                role="truth",
                key=("invoice_id",),
                directory="invoices",
            ),
            TableInfo(
                "truth_invoice_lines",
                "The invoice lines as they were.",
                role="truth",
                key=("invoice_id", "line_no"),
                directory="invoice_lines",
            ),
            TableInfo("journal", "Double-entry postings; every entry balances.", role="truth", key=("entry_id",)),
            TableInfo(
                "clerks",
                "Each clerk's era and format (the legitimate presentation, not errors).",
                role="truth",
                key=("clerk_id",),
            ),
        ]

    def plan(self, knobs: Mapping[str, Any], rows: int, chunk_rows: int) -> list[dict[str, Any]]:
        per_chunk = max(1, chunk_rows // 4)
        return [{"first": first + 1, "count": min(per_chunk, rows - first)} for first in range(0, rows, per_chunk)]

    def conformance(self, knobs: Mapping[str, Any], rows: int, reader: TableReader, faults: Faults) -> list[KnobCheck]:
        counted = realised.tally(reader)
        invoices, n_lines = counted.invoices, counted.lines
        # every field that holds a value; the supplier's name only ever gets another spelling of its legal form
        fields = invoices * len(INVOICE_FIELDS) + n_lines * len(LINE_FIELDS) - counted.unpaid
        read = {c: counted.ocr for c in INVOICE_FIELDS if c != "supplier"} | {c: counted.ocr_lines for c in LINE_FIELDS}
        read["paid_on"] -= counted.ocr_unpaid
        found: dict[str, int] = {}
        for (_, _, kind), count in faults.items():
            found[kind] = found.get(kind, 0) + count
        entry = 1 - float(knobs["double_entry_share"]) * (1 - DOUBLE_ENTRY)
        once = {
            "name_variant": ("name_variant_rate", invoices, "invoices"),
            "duplicate_record": ("duplicate_rate", invoices, "invoices"),
            "skipped_line": ("skipped_line_rate", n_lines, "invoice lines"),
        }
        return [
            KnobCheck("domain.rows", rows, reader.rows("truth_invoices"), 0.0, "invoices"),
            *realised.amount_checks(knobs, counted),
            *realised.keying_checks(
                knobs, found, fields, fields - invoices, counted.short, invoices * 3 + n_lines * 2, entry
            ),
            *realised.ocr_checks(knobs, found, read),
            realised.edit_distance_check(reader),
            *(share(f"domain.knobs.{k}", knobs[k], found.get(kind, 0), n, o) for kind, (k, n, o) in once.items()),
        ]

    def check(self, knobs: Mapping[str, Any]) -> Iterable[Finding]:
        if knobs["clerks"] < len(vocabulary()["eras"]):
            yield ("bad-range", ("clerks",), f"expected at least one clerk per era ({len(vocabulary()['eras'])})", None)

    def produce(self, knobs: Mapping[str, Any], payload: Mapping[str, Any], ctx: DomainContext) -> dict[str, pa.Table]:
        rng = ctx.rng("ledger")
        staff = clerks(ctx.seed, int(knobs["clerks"]))
        t = real_invoices(rng, ctx.seed, knobs, int(payload["first"]), int(payload["count"]))
        t["ocr"] = rng.random(len(t["ids"])) < float(knobs["ocr_share"]) * (t["years"] >= 1995)
        truth = truth_tables(t, ctx.seed, knobs)
        fields, line_fields = _formatted(t, truth, ctx.seed, knobs)
        clean = dict(fields)
        keyed_twice = rng.random(len(t["ids"])) < float(knobs["double_entry_share"])
        multiplier = staff["error_multiplier"].to_numpy()[t["clerk"]] * np.where(keyed_twice, DOUBLE_ENTRY, 1.0)
        decimal = np.array(staff["decimal"].to_pylist())[t["clerk"]]
        keys = pa.table({"record_id": t["ids"] * 10})
        touched = errors(rng, ctx.log, "invoices", fields, keys, knobs, multiplier, t["ocr"], decimal)
        li = t["line_invoice"]
        line_keys = pa.table({"record_id": t["ids"][li] * 10, "line_no": t["line_no"].astype(np.int64)})
        errors(rng, ctx.log, "invoice_lines", line_fields, line_keys, knobs, multiplier[li], t["ocr"][li], decimal[li])
        invoices = _records(t, fields, clean, touched, staff, rng, ctx.log, knobs)
        lines = pa.table({**{"record_id": line_keys["record_id"], "line_no": line_keys["line_no"]}, **line_fields})
        skipped = np.flatnonzero(rng.random(len(lines)) < float(knobs["skipped_line_rate"]))
        if len(skipped):
            ctx.log.add("invoice_lines", row_keys(lines, ["record_id", "line_no"], skipped), "skipped_line")
            keep = np.ones(len(lines), bool)
            keep[skipped] = False
            lines = lines.filter(pa.array(keep))
        first_chunk = ctx.chunk == 0
        count = round(len(t["ids"]) * float(knobs["logbook_per_invoice"]))
        return {
            "invoices": invoices,
            "invoice_lines": lines,
            "suppliers": suppliers(ctx.seed, int(knobs["suppliers"]))[0].slice(0, None if first_chunk else 0),
            "logbook": logbook(ctx.rng("logbook"), int(payload["first"]), count, staff),
            **truth,
            "clerks": staff.slice(0, None if first_chunk else 0),
        }
