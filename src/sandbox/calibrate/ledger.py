"""An invoice-shaped export (transcribed `invoices` and `invoice_lines`, every field text, with the ledger
domain's column names) fitted to the ledger domain's knobs.

An export carries no truth, so its error rates are estimated from what errors leave behind, each an
observable `signal`: the share of first entries whose amounts do not parse or do not add up (net + vat =
gross, vat = net x rate, quantity x unit price = line total), for typed and for OCR-read invoices apart;
empty fields; gaps in line numbers (skipped lines); exact second entries (duplicates) and differing ones
(corrections). How much of an error rate shows in its signal depends on the domain (a typo in a supplier name
breaks no sum), so the knobs are found by simulation (indirect inference): the domain is built at the
current knobs with the export's size, its signals measured the same way, and each knob scaled by the ratio of
the export's signal to the simulated one (as hazards, -log(1 - share)); `ROUNDS` rounds. The three keying
kinds (typo, transposition, decimal shift) keep the published split and are scaled together; the OCR scan
quality is the tier nearest the rate found.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import yaml

GENERATOR, UNIT = "ledger", "invoices"
NEEDS = {
    "invoices": ("record_id", "source", "invoice_no", "net", "vat_rate", "vat", "gross"),
    "invoice_lines": ("record_id", "line_no", "quantity", "unit_price", "line_total"),
}
#: Simulation rounds, and the most invoices a simulation builds (its signals' noise against its time).
ROUNDS, SIMULATED = 2, 30_000
KEYING = ("typo_rate", "transposition_rate", "decimal_shift_rate")
SCALED = {"missing_field_rate": "missing", "correction_rate": "correction"}
_AMOUNT = r"^-?(\d{1,3}([.,' ]\d{3})+|\d+)[.,]\d{2}$"
_RATE = r"^\d{1,2}([.,]\d)?%$"


def _text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    return pc.fill_null(values.cast(pa.string()), "")


def _cents(values: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(parsed, cents) of amounts as any clerk writes them: a currency symbol or code anywhere, thousands
    grouped by `.`, `,`, `'` or a space, two decimals after `.` or `,`."""
    bare = pc.utf8_trim_whitespace(pc.replace_substring_regex(_text(values), r"[^\d,.' \-]", ""))
    ok = pc.match_substring_regex(bare, _AMOUNT)
    digits = pc.if_else(ok, pc.replace_substring_regex(bare, r"\D", ""), "0")
    cents = pc.cast(digits, pa.int64()).to_numpy()
    return ok.to_numpy(zero_copy_only=False), np.where(
        pc.starts_with(bare, "-").to_numpy(zero_copy_only=False), -cents, cents
    )


def _number(values: pa.ChunkedArray, pattern: str, strip: str = "") -> tuple[np.ndarray, np.ndarray]:
    text = _text(values)
    ok = pc.match_substring_regex(text, pattern)
    clean = pc.replace_substring(
        pc.replace_substring(pc.if_else(ok, text, "0"), strip, "") if strip else text, ",", "."
    )
    clean = pc.if_else(ok, clean, "0")
    return ok.to_numpy(zero_copy_only=False), pc.cast(clean, pa.float64()).to_numpy()


def _firsts(invoices: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first entries, exact repeats, differing repeats) as row masks: records of one invoice number after the
    first are duplicates when every field but the record id is the same, else corrections."""
    number = _text(invoices["invoice_no"]).to_numpy(zero_copy_only=False)
    fields = [c for c in invoices.column_names if c != "record_id"]
    whole = pc.binary_join_element_wise(*[_text(invoices[c]) for c in fields], "\x1f").to_numpy(zero_copy_only=False)
    order = np.argsort(invoices["record_id"].to_numpy(), kind="stable")
    _, first = np.unique(number[order], return_index=True)
    firsts = np.zeros(len(number), bool)
    firsts[order[first]] = True
    _, seen = np.unique(whole[order], return_index=True)
    unique = np.zeros(len(number), bool)
    unique[order[seen]] = True
    return firsts, ~firsts & ~unique, ~firsts & unique


def _line_failures(lines: pa.Table) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(record ids of lines that fail, of lines with an empty field, skipped line numbers, line numbers below
    their record's last)."""
    q_ok, qty = _number(lines["quantity"], r"^\d+([.,]\d+)?$")
    u_ok, unit = _cents(lines["unit_price"])
    t_ok, total = _cents(lines["line_total"])
    fails = ~(q_ok & u_ok & t_ok) | (np.abs(np.round(qty * unit) - total) > 1)
    record = lines["record_id"].to_numpy()
    empty = np.zeros(len(record), bool)
    for column in ("quantity", "unit_price", "line_total", "description"):
        if column in lines.column_names:
            empty |= pc.equal(_text(lines[column]), "").to_numpy(zero_copy_only=False)
    per = pa.table({"r": record, "n": lines["line_no"]}).group_by("r").aggregate([("n", "max"), ("n", "count")])
    last, kept = per["n_max"].to_numpy(), per["n_count"].to_numpy()
    # a skipped last line leaves no gap: below each record's last line, every line is kept or skipped alike
    return np.unique(record[fails & ~empty]), np.unique(record[empty]), int(np.sum(last - kept)), int(np.sum(last - 1))


def signals(tables: dict[str, pa.Table]) -> dict[str, float]:
    """What errors leave behind in the export, as shares (see the module's text)."""
    invoices, lines = tables["invoices"], tables["invoice_lines"]
    firsts, duplicates, corrections = _firsts(invoices)
    ok = np.ones(invoices.num_rows, bool)
    amounts = {}
    for column in ("net", "vat", "gross"):
        parsed, amounts[column] = _cents(invoices[column])
        ok &= parsed
    rate_ok, rate = _number(invoices["vat_rate"], _RATE, "%")
    ok &= rate_ok & (np.abs(amounts["net"] + amounts["vat"] - amounts["gross"]) <= 1)
    ok &= np.abs(np.round(amounts["net"] * rate / 100) - amounts["vat"]) <= 1
    fields = [c for c in invoices.column_names if c not in ("record_id", "clerk_id", "source", "batch_id")]
    empty = np.zeros(invoices.num_rows, bool)
    blanks = 0
    for column in fields:
        blank = pc.equal(_text(invoices[column]), "").to_numpy(zero_copy_only=False)
        empty |= blank
        blanks += int(np.sum(blank & firsts)) if column != "paid_on" else 0  # an empty paid_on may be unpaid
    failing, line_blank, skipped, below = _line_failures(lines)
    record = invoices["record_id"].to_numpy()
    empty |= np.isin(record, line_blank)
    fails = (~ok | np.isin(record, failing)) & ~empty
    ocr = pc.equal(_text(invoices["source"]), "ocr").to_numpy(zero_copy_only=False)
    n = max(int(firsts.sum()), 1)

    def share(mask: np.ndarray, among: np.ndarray) -> float:
        return float(np.sum(mask & among)) / max(int(np.sum(among)), 1)

    return {
        "invoices": float(n),
        "typed": share(fails, firsts & ~ocr & ~empty),
        "ocr": share(fails, firsts & ocr & ~empty),
        "ocr_share": float(np.sum(firsts & ocr)) / n,
        "missing": blanks / max(n * (len(fields) - ("paid_on" in fields)), 1),
        "duplicate": float(duplicates.sum()) / n,
        "correction": float(corrections.sum()) / n,
        "skipped": skipped / max(below, 1),
        "suppliers": float(len(set(_text(invoices["supplier"]).to_pylist()))) if "supplier" in fields else 0.0,
    }


def _hazard(share: float) -> float:
    return -math.log1p(-min(share, 0.999))


def _simulated(knobs: dict[str, Any], rows: int) -> dict[str, float]:
    """The signals of the domain built at `knobs` with `rows` invoices (seed 0: calibrate stays deterministic)."""
    from sandbox.api import build
    from sandbox.recipe.builtin import load_recipe_text

    recipe = {"version": 1, "name": "simulated", "seed": 0}
    recipe["domain"] = {"generator": GENERATOR, "rows": rows, "knobs": knobs}
    with tempfile.TemporaryDirectory(prefix="sandbox-calibrate-") as folder:
        build(load_recipe_text(yaml.safe_dump(recipe), "<the simulated ledger>"), Path(folder) / "box")
        read = {t: ds.dataset(Path(folder) / "box/tables" / t).to_table() for t in NEEDS}
    return signals(read)


def _defaults() -> dict[str, Any]:
    from sandbox.domains.registry import find_domain

    return {p.name: p.default for p in find_domain(GENERATOR).knobs}


def _scaled(value: float, seen: float, simulated: float) -> float:
    """A rate scaled by its signal's ratio (as hazards), kept where the simulation shows no signal."""
    if _hazard(simulated) <= 0:
        return value
    return value * _hazard(seen) / _hazard(simulated)


def _step(knobs: dict[str, Any], seen: dict[str, float], sim: dict[str, float], quality: float) -> float:
    """Scale `knobs` in place by one simulation's signals; the OCR error rate per field found."""
    from sandbox.domains.ledger.ocr import QUALITY

    factor = _hazard(seen["typed"]) / _hazard(sim["typed"]) if _hazard(sim["typed"]) > 0 else 1.0
    for name in KEYING:
        knobs[name] = float(knobs[name]) * factor
    for name, signal in SCALED.items():
        knobs[name] = min(_scaled(float(knobs[name]), seen[signal], sim[signal]), 0.5)
    knobs["ocr_share"] = min(float(knobs["ocr_share"]) * seen["ocr_share"] / max(sim["ocr_share"], 1e-9), 1.0)
    quality = _scaled(quality, seen["ocr"], sim["ocr"])
    knobs["ocr_quality"] = min(QUALITY, key=lambda tier: abs(math.log(QUALITY[tier] / max(quality, 1e-6))))
    if sim["suppliers"] and seen["suppliers"]:
        knobs["suppliers"] = max(1, round(int(knobs["suppliers"]) * seen["suppliers"] / sim["suppliers"]))
    return quality


def fit_knobs(tables: dict[str, pa.Table]) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(invoices, knobs, a note per knob saying what it was measured from)."""
    from sandbox.domains.ledger.ocr import QUALITY

    seen = signals(tables)
    invoices = max(int(seen["invoices"]), 1)
    rows = min(invoices, SIMULATED)
    knobs: dict[str, Any] = {k: _defaults()[k] for k in (*KEYING, *SCALED, "ocr_share", "ocr_quality", "suppliers")}
    knobs["duplicate_rate"] = round(seen["duplicate"], 5)
    knobs["skipped_line_rate"] = round(seen["skipped"], 5)
    if "clerk_id" in tables["invoices"].column_names:
        knobs["clerks"] = max(3, int(pc.count_distinct(tables["invoices"]["clerk_id"]).as_py()))
    quality = QUALITY[str(knobs["ocr_quality"])]
    for _ in range(ROUNDS):
        quality = _step(knobs, seen, _simulated(knobs, rows), quality)
    first = f"of the {invoices:,} invoices' first entries"
    sims = f"{ROUNDS} simulations of {rows:,} invoices"
    notes = {
        "duplicate_rate": f"exact second entries of an invoice: {seen['duplicate']:.4%} {first}",
        "clerks": "distinct clerk ids in the export",
        "ocr_share": f"{seen['ocr_share']:.1%} {first} read by OCR, scaled by {sims} (none before 1995)",
        "ocr_quality": f"OCR errors ~{quality:.2%} of fields (the nearest tier): {seen['ocr']:.2%} of OCR-read "
        f"entries do not parse or add up, against the tier's share in {sims}",
        "suppliers": f"{seen['suppliers']:.0f} distinct supplier names, name variants discounted by {sims}",
        "missing_field_rate": f"{seen['missing']:.4%} of the invoice fields but paid_on (empty when unpaid) "
        f"empty, scaled by {sims}",
        "correction_rate": f"differing second entries: {seen['correction']:.4%} {first}, scaled by {sims}",
        "skipped_line_rate": f"gaps in line numbers: {seen['skipped']:.4%} of the lines below each invoice's last",
    }
    keyed = f"{seen['typed']:.2%} of typed entries do not parse or add up; the published split kept, scaled by {sims}"
    notes |= {k: keyed for k in KEYING}
    rounded = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in knobs.items()}
    return invoices, {k: rounded[k] for k in notes if k in rounded}, notes
