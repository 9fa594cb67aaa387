"""`sandbox anonymise` on a hand-written export with planted PII of every fatal class in several formats."""

from __future__ import annotations

import csv
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import run

CUSTOMERS = [
    # customer_id, email, phone, card, iban, ip, ssn_like, mac, zip, note, product
    [
        "0001",
        "anna.schmidt@gmail.com",
        "+49 30 12345678",
        "4539 1488 0343 6467",
        "DE44500105175407324931",
        "81.2.69.160",
        "536-90-4399",
        "00:1A:2B:3C:4D:5E",
        "01067",
        "Call Anna on +49 30 12345678 about the refund",
        "garden hose",
    ],
    [
        "0002",
        "j.dupont@orange.fr",
        "06 12 34 56 78",
        "5425233430109903",
        "FR7630006000011234567890189",
        "2001:4860:4860::8888",
        "AB123456C",
        "00:1A:2B:3C:4D:5F",
        "75011",
        "Client wants invoice to j.dupont@orange.fr, card 5425233430109903",
        "kettle",
    ],
    [
        "0003",
        "taro.yamada@yahoo.co.jp",
        "03-1234-5678",
        "374245455400126",
        "GB33BUKB20201555555555",
        "8.8.4.4",
        "2 55 08 14 168 025 38",
        "00:1A:2B:3C:4D:60",
        "100-0001",
        "Delivery failed, ring 090-1234-5678 or write taro.yamada@yahoo.co.jp",
        "bike lamp",
    ],
    [
        "0004",
        "mike.jones@outlook.com",
        "+1 415-555-2671",
        "4539148803436467",
        "DE89370400440532013000",
        "198.51.100.77",
        "536-90-4399",
        "00:1A:2B:3C:4D:61",
        "94103",
        "Prefers phone: (415) 555-2671",
        "tent",
    ],
]
HEADER = [
    "customer_id",
    "email",
    "phone",
    "card",
    "iban",
    "last_ip",
    "national_id",
    "device_mac",
    "zip",
    "note",
    "product",
]
ORDERS = [
    ["1", "anna.schmidt@gmail.com", "0012.50"],
    ["2", "j.dupont@orange.fr", "0007.00"],
    ["3", "anna.schmidt@gmail.com", "0103.99"],
    ["4", "taro.yamada@yahoo.co.jp", "0042.00"],
]
NON_PII = {"customers": ["product"], "orders": ["order_id", "amount"]}


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    with open(folder / "customers.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *CUSTOMERS])
    with gzip.open(folder / "orders.csv.gz", "wt", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=";").writerows([["order_id", "customer_email", "amount"], *ORDERS])
    return folder


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_suggested_policy_names_every_pii_column_and_the_run_leaves_none(export: Path, tmp_path: Path) -> None:
    code, draft, _ = run("anonymise", str(export), "--suggest-policy")
    assert code == 0
    policy = yaml.safe_load(draft)
    columns = policy["tables"]["customers"]["columns"]
    for name in ["email", "phone", "card", "iban", "last_ip", "national_id", "device_mac"]:
        assert columns[name]["policy"] == "pseudonymise", (name, columns[name])
    assert columns["note"] == {"class": "free_text", "policy": "redact"}
    assert columns["product"]["policy"] == "keep"
    assert policy["tables"]["orders"]["columns"]["customer_email"]["class"] == "email"
    for value in [v for row in CUSTOMERS for v in row[1:9]]:
        assert value not in draft  # the evidence shows masked examples only
    (tmp_path / "policy.yaml").write_text(draft)
    code, out, err = run(
        "anonymise", str(export), "--policy", str(tmp_path / "policy.yaml"), "--out", str(tmp_path / "clean")
    )
    assert code == 0, err
    assert run("scan", str(tmp_path / "clean"))[0] == 0
    cells = [
        str(v)
        for table in ("customers", "orders")
        for column in pq.read_table(tmp_path / "clean" / "tables" / table).columns
        for v in column.to_pylist()
    ]
    planted = [v for row in CUSTOMERS for v in row[1:8]] + ["Anna", "taro.yamada"]
    for value in planted:
        numeric = sum(ch.isdigit() for ch in value) >= 6
        for cell in cells:
            assert (digits(value) not in digits(cell)) if numeric else (value not in cell), (value, cell)
    customers = pq.read_table(tmp_path / "clean/tables/customers").to_pylist()
    orders = pq.read_table(tmp_path / "clean/tables/orders").to_pylist()
    assert [c["product"] for c in customers] == [row[10] for row in CUSTOMERS]
    assert [o["amount"] for o in orders] == [row[2] for row in ORDERS]  # text: leading zeros survive
    tokens = {c["email"] for c in customers}
    assert all(o["customer_email"] in tokens for o in orders)  # pseudonymised keys still join
    assert sum(o["customer_email"] == customers[0]["email"] for o in orders) == 2
    manifest = json.loads((tmp_path / "clean/manifest.json").read_text())
    assert manifest["privacy"]["key"]["source"].startswith("random")
    assert manifest["source"]["inputs"][0]["table"] == "customers"


def test_a_policy_that_omits_a_detected_column_exits_2_naming_it(export: Path, tmp_path: Path) -> None:
    draft = yaml.safe_load(run("anonymise", str(export), "--suggest-policy")[1])
    del draft["tables"]["customers"]["columns"]["iban"]
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(draft))
    code, _, err = run(
        "anonymise", str(export), "--policy", str(tmp_path / "policy.yaml"), "--out", str(tmp_path / "clean")
    )
    assert code == 2
    assert "pii-unhandled" in err and "customers.iban (its name says iban)" in err
    assert not (tmp_path / "clean").exists()
    del draft["tables"]["customers"]["columns"]["note"]  # named like nothing: caught by its content
    draft["tables"]["customers"]["columns"]["iban"] = {"class": "iban", "policy": "pseudonymise"}
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(draft))
    code, _, err = run(
        "anonymise", str(export), "--policy", str(tmp_path / "policy.yaml"), "--out", str(tmp_path / "clean")
    )
    assert code == 2 and "customers.note (it holds " in err
    assert not (tmp_path / "clean").exists() and not list(tmp_path.glob(".clean*"))


def test_malformed_csv_names_its_line_not_its_content(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("id,email\n1,a@gmail.com\n2,b@gmail.com,EXTRA\n")
    (tmp_path / "policy.yaml").write_text("version: 1\ncolumns:\n  email: {class: email, policy: pseudonymise}\n")
    code, _, err = run(
        "anonymise",
        str(tmp_path / "bad.csv"),
        "--policy",
        str(tmp_path / "policy.yaml"),
        "--out",
        str(tmp_path / "clean"),
    )
    assert code == 2
    assert err == f"error: {tmp_path / 'bad.csv'}:3: expected 2 fields, got 3; nothing was written\n"
    assert not (tmp_path / "clean").exists()


def test_policy_errors_are_located(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("version: 1\ncolumns:\n  email: {class: email, policy: hide}\n")
    (tmp_path / "x.csv").write_text("email\na@example.com\n")
    code, _, err = run(
        "anonymise", str(tmp_path / "x.csv"), "--policy", str(tmp_path / "p.yaml"), "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert err.startswith(f"{tmp_path / 'p.yaml'}:3:33: bad-choice: columns.email.policy: expected one of keep|drop")


def test_k_anonymity_report_and_enforcement(tmp_path: Path) -> None:
    import duckdb

    rows = (
        [["10115", "1980", "f"]] * 6
        + [["10117", "1980", "m"]] * 5
        + [["20095", "1975", "f"]] * 2
        + [["80331", "1990", "m"]]
    )
    with open(tmp_path / "people.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(
            [["zip", "birth_year", "gender", "visits"]] + [[*r, str(i)] for i, r in enumerate(rows)]
        )
    (tmp_path / "policy.yaml").write_text(
        "version: 1\ncolumns:\n  zip: {class: postcode, policy: keep}\n"
        "allow: {postcode: k-anonymity is reported and enforced over it}\n"
        "k_anonymity: {quasi_identifiers: [zip, birth_year, gender], k: 5, action: suppress}\n"
    )
    code, out, err = run(
        "anonymise",
        str(tmp_path / "people.csv"),
        "--policy",
        str(tmp_path / "policy.yaml"),
        "--out",
        str(tmp_path / "a"),
    )
    assert code == 0, err
    assert "smallest class 1, 3 rows below k=5" in out
    code, out, err = run(
        "anonymise",
        str(tmp_path / "people.csv"),
        "--policy",
        str(tmp_path / "policy.yaml"),
        "--out",
        str(tmp_path / "b"),
        "--enforce-k",
        "5",
    )
    assert code == 0, err
    assert "3 rows suppressed" in out
    sizes = (
        duckdb.connect()
        .execute(f"""select count(*) from '{tmp_path}/b/tables/people/*.parquet'
                                         group by zip, birth_year, gender""")
        .fetchall()
    )
    assert min(n for (n,) in sizes) >= 5 and sum(n for (n,) in sizes) == 11


def test_workers_give_the_same_bytes(export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox.exports import sources
    from tests.conftest import part_hashes

    monkeypatch.setattr(sources, "BATCH_BYTES", 400)  # a few rows per batch: several batches per table
    code, draft, err = run("anonymise", str(export), "--suggest-policy")
    assert code == 0, err
    (tmp_path / "policy.yaml").write_text(draft)

    monkeypatch.setenv("SANDBOX_KEY", "a key for this test only, long enough")
    for workers, out in (("1", "one"), ("2", "two")):
        code, _, err = run(
            "anonymise",
            str(export),
            "--policy",
            str(tmp_path / "policy.yaml"),
            "--out",
            str(tmp_path / out),
            "--workers",
            workers,
        )
        assert code == 0, err
    one, two = part_hashes(tmp_path / "one"), part_hashes(tmp_path / "two")
    assert one == two and len(one) > 2


def test_the_console_script_anonymises_to_the_bytes_of_a_run_in_this_process(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console script settles its processes (sandbox.runtime); the bytes are those of a run here."""
    from tests.conftest import part_hashes

    (tmp_path / "policy.yaml").write_text(run("anonymise", str(export), "--suggest-policy")[1])
    monkeypatch.setenv("SANDBOX_KEY", "a key for this test only, long enough")
    argv = ["anonymise", str(export), "--policy", str(tmp_path / "policy.yaml"), "--out"]
    assert run(*argv, str(tmp_path / "here"))[0] == 0
    for workers in ("1", "2"):
        subprocess.run([sys.executable, "-m", "sandbox", *argv, str(tmp_path / workers), "-w", workers], check=True)
        assert part_hashes(tmp_path / workers) == part_hashes(tmp_path / "here")


LEGACY = "name;city\nJürgen Müller;Köln\n"
KEEP_CITY = "version: 1\ncolumns:\n  name: {class: person_name, policy: pseudonymise}\n"


def _anonymise_legacy(tmp_path: Path, data: bytes, *extra: str) -> tuple[int, str]:
    (tmp_path / "legacy.csv").write_bytes(data)
    (tmp_path / "policy.yaml").write_text(KEEP_CITY)
    argv = ["anonymise", str(tmp_path / "legacy.csv"), "--policy", str(tmp_path / "policy.yaml"), "--out"]
    code, _, err = run(*argv, str(tmp_path / "o"), *extra)
    return code, err


@pytest.mark.parametrize(
    ("data", "byte"),
    [
        ("name;city\nJürgen\xff;Berlin\n".encode("latin-1").replace(b"\xfc", "ü".encode()), 0xFF),
        (LEGACY.encode("cp1252"), 0xFC),
    ],
    ids=["invalid-utf-8", "cp1252-bytes"],
)
def test_text_that_is_not_utf_8_is_refused_with_its_byte_offset(tmp_path: Path, data: bytes, byte: int) -> None:
    code, err = _anonymise_legacy(tmp_path, data)
    assert (code, err) == (
        2,
        f"error: {tmp_path / 'legacy.csv'}: byte {data.index(bytes([byte]))}: expected utf-8 text, got byte "
        f"0x{byte:02x} that does not decode; give --encoding to read it as another encoding (e.g. --encoding "
        "cp1252); nothing was written\n",
    )
    assert not (tmp_path / "o").exists()


def test_encoding_names_how_to_read_a_cp1252_export(tmp_path: Path) -> None:
    code, err = _anonymise_legacy(tmp_path, LEGACY.encode("cp1252"), "--encoding", "cp1252")
    assert code == 0, err
    assert pq.read_table(tmp_path / "o/tables/legacy").column("city").to_pylist() == ["Köln"]


def test_utf_16_with_a_byte_order_mark_is_read_as_such(tmp_path: Path) -> None:
    code, err = _anonymise_legacy(tmp_path, LEGACY.encode("utf-16"))
    assert code == 0, err
    assert pq.read_table(tmp_path / "o/tables/legacy").column("city").to_pylist() == ["Köln"]


def test_a_byte_the_given_encoding_does_not_define_is_refused_not_a_crash(tmp_path: Path) -> None:
    data = LEGACY.encode("cp1252").replace(b"K", b"\x81")  # 0x81 is undefined in Windows-1252
    code, err = _anonymise_legacy(tmp_path, data, "--encoding", "cp1252")
    offset = data.index(b"\x81")
    assert (code, err) == (
        2,
        f"error: {tmp_path / 'legacy.csv'}: byte {offset}: expected cp1252 text, got byte 0x81 that does not "
        "decode; nothing was written\n",
    )
    code, err = _anonymise_legacy(tmp_path, data, "--encoding", "klingon")
    assert (code, err) == (2, "error: --encoding: expected a text encoding (e.g. cp1252, latin-1), got 'klingon'\n")


def test_keeping_a_column_that_identifies_people_needs_a_reason(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("name,city\nJürgen Müller,Köln\n", encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\ncolumns:\n  name: {class: person_name, policy: keep}\n"
        "tables:\n  people: {columns: {city: {class: street_address, policy: keep}}}\n"
    )
    argv = ["anonymise", str(tmp_path / "people.csv"), "--policy", str(policy), "--out", str(tmp_path / "o")]
    code, _, err = run(*argv)
    change = "(pseudonymise, mask, fake, generalise, redact or drop), got keep; to keep it as it is, say why"
    assert (code, err) == (
        2,
        f"{policy}:3:9: pii-unhandled: columns.name: expected a policy that changes a person_name column {change}: "
        "allow: {person_name: REASON}\n"
        f"{policy}:5:28: pii-unhandled: tables.people.columns.city: expected a policy that changes a street_address "
        f"column {change}: allow: {{street_address: REASON}}\n2 issues; nothing was written\n",
    )
    assert not (tmp_path / "o").exists()
    policy.write_text(
        policy.read_text() + "allow:\n  person_name: test users who agreed\n  street_address: cities only\n"
    )
    code, _, err = run(*argv)
    assert code == 0
    assert err == (
        "warning: person_name kept as it is in people.name, as the policy allows: test users who agreed\n"
        "warning: street_address kept as it is in people.city, as the policy allows: cities only\n"
    )
    allowed = json.loads((tmp_path / "o" / "manifest.json").read_text())["privacy"]["allowed"]
    assert allowed == {
        "person_name": {"reason": "test users who agreed", "columns": ["people.name"]},
        "street_address": {"reason": "cities only", "columns": ["people.city"]},
    }


def test_a_drafted_policys_clean_columns_are_not_personal_in_the_manifest_card_or_report(tmp_path: Path) -> None:
    """`class: none` (what the draft writes for clean columns) was read as personal: the report plotted nothing."""
    from sandbox.explain.card import personal_columns

    export = tmp_path / "orders.csv"
    export.write_text("total,channel,email\n" + "".join(f"{i}.5,web,u{i}@example.com\n" for i in range(50)))
    code, draft, err = run("anonymise", str(export), "--suggest-policy")
    assert code == 0, err
    assert "total: {class: none" in draft
    (tmp_path / "p.yaml").write_text(draft)
    assert run("anonymise", str(export), "--policy", str(tmp_path / "p.yaml"), "--out", str(tmp_path / "clean"))[0] == 0
    manifest = json.loads((tmp_path / "clean" / "manifest.json").read_text())
    assert personal_columns(manifest) == {"orders": {"email"}}
    assert manifest["privacy"]["tables"]["orders"]["total"]["class"] is None
    code, _, err = run("report", str(tmp_path / "clean"))
    assert code == 0, err
    assert "orders: 2 columns" in (tmp_path / "clean" / "report.html").read_text()


def test_every_column_a_policy_misses_is_named_in_one_run(tmp_path: Path) -> None:
    """Columns named like PII were refused before the data was read, so a column found holding PII by its
    content was reported only on the next run."""
    export = tmp_path / "people.csv"
    rows = "".join(f"{i},DE89370400440532013{i:03d},friend{i}@gmail.com,{i * 3}\n" for i in range(40))
    export.write_text("id,iban,contact,visits\n" + rows)
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\ncolumns:\n  id: {class: none, policy: keep}\n")
    code, _, err = run("anonymise", str(export), "--policy", str(policy), "--out", str(tmp_path / "clean"))
    assert code == 2 and not (tmp_path / "clean").exists()
    assert "people.iban (its name says iban)" in err and "people.contact (it holds email)" in err, err


def test_the_draft_proposes_types_decades_for_birth_dates_and_redaction_for_notes(tmp_path: Path) -> None:
    """The draft proposed no `type:` (everything came out as text), a text birth date generalised to `19*` and
    a notes column holding phone numbers was drafted `class: phone` instead of `redact`."""
    import duckdb

    export = tmp_path / "e.csv"
    export.write_text(
        "id,total,birth_date,signed_up,notes,zip\n"
        "1,9.99,1984-03-02,2024-01-01 10:00:00,call me at 0201 234 5678 please,01234\n"
        "2,5.00,1990-12-31,2024-01-02 11:00:00,left at the door,02345\n"
    )
    code, draft, err = run("anonymise", str(export), "--suggest-policy")
    assert code == 0, err
    lines = [line.strip() for line in draft.splitlines() if not line.strip().startswith("#")]
    assert "id: {class: none, policy: keep, type: int}" in lines
    assert "total: {class: none, policy: keep, type: float}" in lines
    assert "birth_date: {class: birth_date, policy: generalise, type: date}" in lines
    assert "signed_up: {class: none, policy: keep, type: timestamp}" in lines
    assert "notes: {class: free_text, policy: redact}" in lines
    assert "zip: {class: postcode, policy: generalise}" in lines  # leading zeros: a code, kept as text
    (tmp_path / "p.yaml").write_text(draft)
    assert run("anonymise", str(export), "--policy", str(tmp_path / "p.yaml"), "--out", str(tmp_path / "c"))[0] == 0
    rows = duckdb.sql(f"SELECT * FROM '{tmp_path}/c/tables/e/*.parquet' ORDER BY id")
    assert [str(t) for t in rows.types[:4]] == ["BIGINT", "DOUBLE", "VARCHAR", "TIMESTAMP WITH TIME ZONE"]
    assert [r[2] for r in rows.fetchall()] == ["1980-1989", "1990-1999"]
    assert duckdb.sql(f"SELECT notes FROM '{tmp_path}/c/tables/e/*.parquet' ORDER BY id").fetchall()[0] == (
        "call me at [PHONE] please",
    )
