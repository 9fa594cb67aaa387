"""The README's anonymise steps on a messy multi-locale export (tests/corpora/messy_export.py, made without
Faker), with the draft policy unedited: nothing the strict detectors find is left in a protected column, and an
independent leak check (DuckDB reads the output) finds no original value, digit run, name pair, street or
unsalted hash of one. Columns that hold no personal data are drafted `keep` and come out unchanged."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
import yaml

from sandbox.privacy.classes import classify_name
from sandbox.privacy.detect import spans
from sandbox.privacy.scan import scan_values
from tests.conftest import run
from tests.corpora.messy_export import PERSONAL, Row, export

FAST_ROWS = 3_000


def anonymised(folder: Path, rows: int, seed: int) -> tuple[pa.Table, list[Row], dict, list[dict]]:
    """The export written as CSV, the unedited draft, and the output rows as DuckDB reads them."""
    table, planted = export(rows, seed)
    folder.mkdir(parents=True, exist_ok=True)
    pcsv.write_csv(table, folder / "export.csv")
    code, draft, err = run("anonymise", str(folder / "export.csv"), "--suggest-policy")
    assert code == 0, err
    (folder / "p.yaml").write_text(draft)
    code, _out, err = run(
        "anonymise", str(folder / "export.csv"), "--policy", str(folder / "p.yaml"), "--out", str(folder / "clean")
    )
    assert code == 0, err
    assert run("scan", str(folder / "clean"))[0] == 0
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{folder / 'clean'}/tables/export/*.parquet')")
    out = [dict(zip(relation.columns, r, strict=True)) for r in relation.fetchall()]
    return table, planted, yaml.safe_load(draft)["tables"]["export"]["columns"], out


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def leaks(planted: list[Row], out: list[dict], table: pa.Table) -> list[tuple[str, str]]:
    """(kind, column) for every original value still in the output: anywhere, a whole value or an md5/sha1/sha256
    of one; in its own row, a run of 7 or more of a value's digits (separators between them allowed), a
    person's first and last name in one cell, a street's name. A cell of a column without personal data that
    comes out as it went in is no leak, whatever digits it shares by chance (a barcode, a tracking number)."""
    given = {c: table.column(c).to_pylist() for c in table.column_names if c not in PERSONAL}
    values = {v.strip().lower() for row in planted for v in row.values}
    hashes = {
        getattr(hashlib, name)(form.encode()).hexdigest()
        for v in values
        for form in (v, v.upper())
        for name in ("md5", "sha1", "sha256")
    }
    found = []
    for i, (row, record) in enumerate(zip(planted, out, strict=True)):
        numbers = {_digits(v) for v in row.values if len(_digits(v)) >= 7}
        people = [(first.lower(), last.lower()) for first, last in row.people]
        for column, cell in record.items():
            if cell is None or (column in given and str(cell) == str(given[column][i])):
                continue
            text = str(cell).strip().lower()
            if text in values or text in hashes:
                found.append(("value or hash", column))
            runs = [_digits(run) for run in re.findall(r"\d[\d ().\-/]*\d", text)]
            if any(number in run for number in numbers for run in runs):
                found.append(("digit run", column))
            if any(first in text and last in text for first, last in people):
                found.append(("name pair", column))
            if any(street.lower() in text for street in row.streets):
                found.append(("street", column))
    return found


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Table, list[Row], dict, list[dict]]:
    return anonymised(tmp_path_factory.mktemp("messy"), FAST_ROWS, seed=11)


def test_the_draft_protects_every_personal_column_and_keeps_the_rest(fast: tuple) -> None:
    table, _planted, draft, _out = fast
    for column in table.column_names:
        cls = PERSONAL.get(column, "none")
        assert draft[column]["class"] == cls, (column, draft[column])
        assert (draft[column]["policy"] == "keep") == (cls == "none"), (column, draft[column])


def test_nothing_original_is_left(fast: tuple) -> None:
    table, planted, _draft, out = fast
    assert leaks(planted, out, table) == []


def test_the_strict_detectors_find_nothing_in_a_protected_column(fast: tuple) -> None:
    _table, _planted, draft, out = fast
    protected = [c for c, rule in draft.items() if rule["policy"] != "keep" and c in out[0]]
    found = [
        (column, cls)
        for record in out
        for column in protected
        if isinstance(record[column], str)
        for _s, _e, cls, _v, _r in spans(record[column], strict=True)
    ]
    assert found == []


def test_columns_without_personal_data_come_out_unchanged(fast: tuple) -> None:
    table, _planted, draft, out = fast
    kept = [c for c, rule in draft.items() if rule["policy"] == "keep"]
    assert len(kept) == table.num_columns - len(PERSONAL)
    for column in ("ean13", "upc", "crm_uuid", "session_hex", "vat_id", "tracking_number", "order_no"):
        assert [str(r[column]) for r in out] == [str(v) for v in table.column(column).to_pylist()], column


@pytest.mark.slow
@pytest.mark.parametrize("seed", [101, 202])
def test_a_full_size_export_on_fresh_seeds(tmp_path: Path, seed: int) -> None:
    table, planted, draft, out = anonymised(tmp_path, 20_000, seed)
    assert leaks(planted, out, table) == []
    assert all(draft[c]["class"] == cls for c, cls in PERSONAL.items())


def detection_table(rows: int = 20_000, seed: int = 1) -> str:
    """Per column of the raw export: the class its name suggests and the share of distinct values in which the
    detectors find its class (personal columns) or anything (the rest). For README."""
    table, _planted = export(rows, seed)
    lines = [
        "| column | holds | distinct | found as its class | flagged as anything |",
        "| --- | --- | --- | --- | --- |",
    ]
    for column in table.column_names:
        values = table.column(column).combine_chunks()
        if pa.types.is_string(values.type):
            values = pa.array([v.strip() if v else v for v in values.to_pylist()], pa.string())
        distinct = len(values.unique())
        scan = scan_values(values, hint=classify_name(column)).classes
        cls = PERSONAL.get(column, "none")
        mine = scan[cls].distinct if cls in scan else 0
        anything = max((h.distinct for h in scan.values()), default=0)
        share = f"{mine / distinct:.1%}" if cls != "none" else "-"
        lines.append(f"| {column} | {cls} | {distinct:,} | {share} | {anything / distinct:.1%} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    sys.stdout.write(detection_table() + "\n")
