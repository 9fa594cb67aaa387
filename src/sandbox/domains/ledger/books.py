"""The ledger's books as they really were: clerks and their formats, suppliers, invoices with exact money,
their lines, and a double-entry journal that balances per entry."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.columns.arrays import decimal_from_unscaled
from sandbox.columns.safe import safe_pool
from sandbox.core import exact
from sandbox.core.chunks import whole
from sandbox.core.pools import faker_pool
from sandbox.core.seeding import stream
from sandbox.domains.common import labels
from sandbox.domains.interface import package_data
from sandbox.domains.ledger.formats import digits

EPOCH_1985 = 5479  # days from 1970-01-01 to 1985-01-01
DAYS = 40 * 365


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    return package_data(__name__, "data.json")


@functools.lru_cache(maxsize=4)
def clerks(seed: int, count: int) -> pa.Table:
    """Clerks: an era each, a presentation (the legitimate format) and an error multiplier (mean 1 per era)."""
    vocab = vocabulary()
    rng = stream(seed, "clerks", 0, "profiles")
    era = np.arange(count) % len(vocab["eras"])
    styles = [vocab["eras"][e][2][int(rng.integers(len(vocab["eras"][e][2])))] for e in era]
    comma = rng.random(count) < 0.6
    multiplier = exact.lognormal(rng, 0, 0.4, count)
    for e in range(len(vocab["eras"])):
        mine = multiplier[era == e]
        multiplier[era == e] /= math.fsum(mine.tolist()) / len(mine)
    return pa.table(
        {
            "clerk_id": np.arange(1, count + 1, dtype=np.int64),
            "era_start": np.array([vocab["eras"][e][0] for e in era], dtype=np.int64),
            "era_end": np.array([vocab["eras"][e][1] for e in era], dtype=np.int64),
            "date_style": pa.array(styles),
            "decimal": pa.array(np.where(comma, ",", ".")),
            "thousands": pa.array(np.where(rng.random(count) < 0.5, np.where(comma, ".", ","), "")),
            "currency_symbol": pa.array(np.where(rng.random(count) < 0.6, "symbol", "none")),
            "symbol_first": pa.array(rng.random(count) < 0.5),
            "error_multiplier": np.round(multiplier, 3),
        }
    )


@functools.lru_cache(maxsize=4)
def suppliers(seed: int, count: int) -> tuple[pa.Table, np.ndarray, list[str]]:
    """Suppliers, their trade (index into trades) and their legal form."""
    vocab = vocabulary()
    rng = stream(seed, "suppliers", 0, "entities")
    trades = list(vocab["trades"])
    trade = rng.integers(0, len(trades), count)
    forms = list(vocab["legal_forms"])
    form = [forms[i] for i in rng.integers(0, len(forms), count)]
    names = [
        f"{vocab['company_stems'][s]} {vocab['company_kinds'][k]} {f}"
        for s, k, f in zip(rng.integers(0, 20, count), rng.integers(0, 10, count), form, strict=True)
    ]
    streets = faker_pool("street_address", ("de_DE",), 2000).to_pylist()
    cities = faker_pool("city", ("de_DE",), 500).to_pylist()
    contacts = faker_pool("name", ("de_DE",), 2000).to_pylist()
    ibans, phones = safe_pool("iban", ("US", "GB"), 10_000), safe_pool("phone", ("GB", "US"), 2000)
    table = pa.table(
        {
            "supplier_id": np.arange(1, count + 1, dtype=np.int64),
            "name": pa.array(names),
            "trade": labels(trades, trade),
            "vat_id": pa.array([f"DE{v:09d}" for v in rng.integers(100_000_000, 999_999_999, count)]),
            "iban": ibans.take(pa.array(rng.integers(0, len(ibans), count))),
            "address": pa.array(
                [
                    f"{streets[a]}, {cities[c]}"
                    for a, c in zip(
                        rng.integers(0, len(streets), count), rng.integers(0, len(cities), count), strict=True
                    )
                ]
            ),
            "contact_name": pa.array([contacts[i] for i in rng.integers(0, len(contacts), count)]),
            "contact_phone": phones.take(pa.array(rng.integers(0, len(phones), count))),
            "currency": labels(list(vocab["currencies"]), rng.choice(3, count, p=[0.8, 0.1, 0.1])),
            "vat_rate": pa.array(np.array(vocab["vat_rates"])[rng.choice(4, count, p=[0.7, 0.1, 0.15, 0.05])]),
        }
    )
    return table, trade, form


def era_of(years: np.ndarray) -> np.ndarray:
    bounds = [e[1] for e in vocabulary()["eras"]]
    return np.searchsorted(np.array(bounds), years)


def real_invoices(rng: np.random.Generator, seed: int, knobs: Mapping[str, Any], first: int, n: int) -> dict[str, Any]:
    """The invoices as they really were: ids, dates, lines and exact money, and who transcribed each."""
    vocab = vocabulary()
    table, trade, _ = suppliers(seed, int(knobs["suppliers"]))
    staff = clerks(seed, int(knobs["clerks"]))
    ids = np.arange(first, first + n, dtype=np.int64)
    supplier = rng.integers(0, len(table), n)
    issued = EPOCH_1985 + rng.integers(0, DAYS, n)
    due = issued + rng.choice([14, 30, 60], n)
    paid = due + rng.integers(-10, 30, n)
    unpaid = rng.random(n) < 0.05
    years = issued.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    clerk = _clerks_of(rng, era_of(years), era_of(staff["era_start"].to_numpy()))
    count = np.minimum(1 + rng.poisson(1.5, n), 8)
    line_invoice = np.repeat(np.arange(n), count)
    starts = np.r_[0, np.cumsum(count)[:-1]]
    line_no = np.arange(len(line_invoice)) - np.repeat(starts, count) + 1
    goods = [vocab["trades"][name]["goods"] for name in vocab["trades"]]
    catalogue = [(t, i) for t, g in enumerate(goods) for i in range(len(g))]
    item, price = _line_items(rng, goods, catalogue, trade[supplier[line_invoice]], float(knobs["round_price_share"]))
    quantity = 1 + rng.poisson(4, len(item))
    line_total = quantity * price
    net = np.add.reduceat(line_total, starts) if n else np.zeros(0, np.int64)  # every invoice has a line
    rate = table["vat_rate"].to_numpy()[supplier]
    vat = (net * np.rint(rate * 10_000).astype(np.int64) + 5_000) // 10_000
    return {
        "ids": ids,
        "supplier": supplier,
        "issued": issued,
        "due": due,
        "paid": paid,
        "unpaid": unpaid,
        "years": years,
        "clerk": clerk,
        "line_invoice": line_invoice,
        "line_no": line_no,
        "item": item,
        "catalogue": catalogue,
        "goods": goods,
        "price": price,
        "quantity": quantity,
        "line_total": line_total,
        "net": net,
        "vat": vat,
        "gross": net + vat,
        "rate": rate,
        "trade": trade[supplier],
    }


def _clerks_of(rng: np.random.Generator, era: np.ndarray, staff_era: np.ndarray) -> np.ndarray:
    """A clerk for each invoice, among those who worked in its era."""
    clerk = np.empty(len(era), dtype=np.int64)
    for e in np.unique(era):
        choices = np.flatnonzero(staff_era == e)
        rows = np.flatnonzero(era == e)
        clerk[rows] = choices[rng.integers(0, len(choices), len(rows))]
    return clerk


def _line_items(
    rng: np.random.Generator,
    goods: list[Any],
    catalogue: list[tuple[int, int]],
    line_trade: np.ndarray,
    round_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each line's catalogue item (one of its supplier's trade's goods) and unit price in cents: `round_share`
    of the prices on a 10-cent grid (where the one who priced it rounded), the rest to the cent."""
    good = rng.integers(0, 1 << 20, len(line_trade)) % np.array([len(g) for g in goods])[line_trade]
    offsets = np.cumsum([0] + [len(g) for g in goods])  # catalogue position of each trade's first good
    item = offsets[line_trade] + good
    low = np.array([goods[t][i][2] for t, i in catalogue])[item]
    high = np.array([goods[t][i][3] for t, i in catalogue])[item]
    cents = np.rint(rng.uniform(low, high) * 100).astype(np.int64)
    rounded = rng.random(len(cents)) < round_share
    return item, np.where(rounded, np.maximum((cents + 5) // 10 * 10, 10), np.maximum(cents, 1))


def money(cents: np.ndarray) -> pa.Array:
    """Cents as decimal(14, 2)."""
    return decimal_from_unscaled(np.asarray(cents, dtype=np.int64), 14, 2)


def truth_tables(t: dict[str, Any], seed: int, knobs: Mapping[str, Any]) -> dict[str, pa.Table]:
    """What the books really said: the invoices, their lines and the double-entry journal."""
    table, _, _ = suppliers(seed, int(knobs["suppliers"]))
    ids = t["ids"]
    page = (ids // 30) % 500 + 1
    invoices = pa.table(
        {
            "invoice_id": ids,
            "supplier_id": t["supplier"].astype(np.int64) + 1,
            "invoice_no": _invoice_numbers(t, table),
            "issued_on": pa.array(t["issued"].astype(np.int32), pa.date32()),
            "due_on": pa.array(t["due"].astype(np.int32), pa.date32()),
            "currency": table["currency"].take(pa.array(t["supplier"])),
            "net": money(t["net"]),
            "vat_rate": pa.array(t["rate"]),
            "vat": money(t["vat"]),
            "gross": money(t["gross"]),
            "paid_on": pa.array(t["paid"].astype(np.int32), pa.date32(), mask=t["unpaid"]),
            "page_ref": pc.binary_join_element_wise(
                "B",
                digits(t["years"] - 1984),
                "/p",
                digits(page),
                "/l",
                digits(ids % 30 + 1),
                "",
            ),
        }
    )
    names = [t["goods"][a][b][0] for a, b in t["catalogue"]]
    lines = pa.table(
        {
            "invoice_id": ids[t["line_invoice"]],
            "line_no": t["line_no"].astype(np.int64),
            "description": labels(names, t["item"]),
            "quantity": t["quantity"].astype(np.int64),
            "unit_price": money(t["price"]),
            "line_total": money(t["line_total"]),
        }
    )
    return {"truth_invoices": invoices, "truth_invoice_lines": lines, "journal": _journal(t)}


def _journal(t: dict[str, Any]) -> pa.Table:
    """Each invoice booked (expense and input VAT against payables), and each paid one settled from the bank."""
    ids, n = t["ids"], len(t["ids"])
    booking, paid = np.repeat(ids * 10 + 1, 3), ids[~t["unpaid"]] * 10 + 2
    expense = np.array([5400, 5800, 5600])[t["trade"]]
    return pa.table(
        {
            "entry_id": np.concatenate([booking, np.repeat(paid, 2)]),
            "invoice_id": np.concatenate([np.repeat(ids, 3), np.repeat(ids[~t["unpaid"]], 2)]),
            "account": np.concatenate(
                [np.stack([expense, np.full(n, 1576), np.full(n, 3300)], 1).ravel(), np.tile([3300, 1200], len(paid))]
            ).astype(np.int64),
            "debit": money(
                np.concatenate(
                    [
                        np.stack([t["net"], t["vat"], np.zeros(n, np.int64)], 1).ravel(),
                        np.stack([t["gross"][~t["unpaid"]], np.zeros(len(paid), np.int64)], 1).ravel(),
                    ]
                )
            ),
            "credit": money(
                np.concatenate(
                    [
                        np.stack([np.zeros(n, np.int64), np.zeros(n, np.int64), t["gross"]], 1).ravel(),
                        np.stack([np.zeros(len(paid), np.int64), t["gross"][~t["unpaid"]]], 1).ravel(),
                    ]
                )
            ),
        }
    )


def _invoice_numbers(t: dict[str, Any], table: pa.Table) -> pa.Array:
    prefix = pc.utf8_upper(pc.utf8_slice_codeunits(whole(table["name"]), 0, 2)).take(pa.array(t["supplier"]))
    seq = pc.utf8_lpad(pc.cast(pa.array(t["ids"] % 100_000), pa.string()), 5, padding="0")
    return pc.binary_join_element_wise(prefix, digits(t["years"]), seq, "-")
