"""Privacy: born-safe generators, planted leaks caught and cleaned, keys, fail-closed builds."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import sandbox
from sandbox.cli import cli
from sandbox.errors import CheckFailed, RecipeError
from sandbox.exports.scanning import scan_path
from sandbox.noise.defects import DEFECTS_SCHEMA
from sandbox.privacy.classes import classify_name
from sandbox.privacy.columns import ColumnPrivacy
from sandbox.privacy.detect import spans
from sandbox.privacy.protect import protect
from sandbox.recipe.validate import load

BORN_SAFE = """\
version: 1
name: pii
seed: 1
tables:
  people:
    rows: 300
    columns:
      person_id: {sequence: 1}
      email: {safe: email, noise: [{kind: typo, rate: 0.1}, {kind: ocr, rate: 0.1}]}
      faker_email: {faker: email}
      phone: {safe: phone, country: [US, GB, AU], noise: [{kind: transpose, rate: 0.1}]}
      phone_masked: {safe: phone, country: [DE, FR, JP]}
      ipv4: {safe: ipv4}
      ipv6: {safe: ipv6}
      card: {safe: credit_card}
      iban: {safe: iban}
      ssn: {safe: ssn}
      nino: {safe: nino}
      mac: {safe: mac}
      ad_id: {safe: advertising_id}
"""
DETECTED_AS = {
    "email": "email",
    "faker_email": "email",
    "phone": "phone",
    "ipv4": "ip_address",
    "ipv6": "ip_address",
    "card": "credit_card",
    "iban": "iban",
    "ssn": "national_id",
    "nino": "national_id",
    "mac": "online_identifier",
}


@pytest.mark.parametrize("seed", range(20))
def test_born_safe_generators_stay_in_reserved_space(
    write_recipe: Callable[..., Path], tmp_path: Path, seed: int
) -> None:
    out = tmp_path / "out"
    manifest = sandbox.build(write_recipe(BORN_SAFE), out, seed=seed).manifest
    assert manifest["privacy"]["summary"]["fatal"] == 0
    people = pq.read_table(out / "tables/people")
    defects = pq.read_table(out / "truth/defects").to_pylist()
    assert defects, "the noisy columns should have faults"
    corrupted = {row["observed_value"] for row in defects}
    first_truths: dict[tuple[str, str], str] = {}
    for row in sorted(defects, key=lambda r: r["defect_id"]):  # a field's first fault starts from its truth
        first_truths.setdefault((row["row_key"], row["column"]), row["truth_value"])
    for truth in first_truths.values():  # reserved; what noise made of it may no longer parse at all
        assert all(reserved for *_, reserved in spans(truth)), truth
    for column, cls in DETECTED_AS.items():
        for value in set(people.column(column).to_pylist()) - corrupted:
            found = list(spans(value))
            assert found and {c for _, _, c, _, _ in found} == {cls}, (column, value)
            assert all(reserved for *_, reserved in found), (column, value)
    assert all("X" in v for v in people.column("phone_masked").to_pylist())
    assert all(v.startswith("00000000-0000-") for v in people.column("ad_id").to_pylist())


LEAKS = {
    "email": ["anna.schmidt@gmail.com", "j.dupont@orange.fr", "taro.yamada@yahoo.co.jp"],
    "phone_en": ["+1 415-555-2671", "(212) 736-5000", "+44 20 7123 4567"],
    "phone_de": ["+49 30 12345678", "030 23125000", "0171 2345678"],
    "phone_fr": ["06 12 34 56 78", "+33 1 42 68 53 00", "01 42 68 53 00"],
    "phone_ja": ["03-1234-5678", "090-1234-5678", "+81 3-3211-4111"],
    "card": ["4539 1488 0343 6467", "5425233430109903", "374245455400126"],
    "iban": ["DE44500105175407324931", "FR7630006000011234567890189", "GB33BUKB20201555555555"],
    "ip": ["81.2.69.160", "2001:4860:4860::8888", "8.8.4.4"],
}
NOTES = [
    "Called +49 30 12345678, asked to write to anna.schmidt@gmail.com",
    "Refund to DE44500105175407324931, card 4539 1488 0343 6467 blocked",
    "Login from 81.2.69.160; callback 06 12 34 56 78 or 090-1234-5678",
]


def planted(tmp_path: Path) -> Path:
    columns = {name: values for name, values in LEAKS.items()}
    columns["notes"] = NOTES
    columns["product"] = ["garden hose", "kettle", "bike lamp"]
    path = tmp_path / "leaks.parquet"
    pq.write_table(pa.table(columns), path)
    return path


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_planted_leaks_are_found_then_cleaned_by_policies(tmp_path: Path) -> None:
    source = planted(tmp_path)
    result = CliRunner().invoke(cli, ["scan", str(source)])
    assert result.exit_code == 1
    named = set(re.findall(r"leaks\.parquet\.(\w+) \(", result.stdout))
    assert named == set(LEAKS) | {"notes"}
    table = pq.read_table(source)
    policies = {name: ColumnPrivacy(classify_name(name) or "email", "pseudonymise", False) for name in LEAKS}
    policies["notes"] = ColumnPrivacy("free_text", "redact", False)
    cleaned, _ = protect(table, DEFECTS_SCHEMA.empty_table(), "leaks", policies, b"k" * 32)
    out = tmp_path / "clean.parquet"
    pq.write_table(cleaned, out)
    assert CliRunner().invoke(cli, ["scan", str(out)]).exit_code == 0
    cells = [str(v) for column in pq.read_table(out).columns for v in column.to_pylist()]
    for value in [v for values in LEAKS.values() for v in values] + ["anna.schmidt@gmail.com"]:
        needle = digits(value) if sum(c.isdigit() for c in value) >= 6 else value
        for cell in cells:
            assert needle not in (digits(cell) if needle.isdigit() else cell), (value, cell)
    assert pq.read_table(out).column("product").to_pylist() == ["garden hose", "kettle", "bike lamp"]


def test_free_mail_without_policy_fails_validation_at_its_line() -> None:
    text = BORN_SAFE.replace("faker_email: {faker: email}", "faker_email: {faker: free_email}")
    with pytest.raises(RecipeError) as caught:
        load(text, "pii.yaml")
    issue = caught.value.issues[0]
    assert (issue.code, issue.line, issue.path) == ("pii-unhandled", 10, "tables.people.columns.faker_email")
    assert "got faker free_email with none (it can make real-world values)" in issue.message
    load(text.replace("{faker: free_email}", "{faker: free_email, pii: {policy: pseudonymise}}"), "pii.yaml")
    load(text.replace("tables:", "privacy: {defaults: {email: fake}}\ntables:"), "pii.yaml")


KEYED = """\
version: 1
name: keyed
seed: 5
tables:
  customers:
    rows: 200
    columns:
      customer_id: {sequence: 1}
      email: {template: "c{customer_id}@{domain}", pii: {class: email, policy: pseudonymise}}
      domain: {choice: [gmail.com, web.de]}
  orders:
    rows: 600
    columns:
      order_id: {sequence: 1}
      customer_id: {ref: customers.customer_id}
      email: {template: "c{customer_id}@{domain}", pii: {class: email, policy: pseudonymise}}
      domain: {choice: [gmail.com]}
"""


def test_known_key_never_written_same_key_same_tokens(
    write_recipe: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = write_recipe(KEYED)
    key = "correct horse battery staple 0123456789"
    monkeypatch.setenv("SANDBOX_KEY", key)
    first = sandbox.build(recipe, tmp_path / "a").manifest
    sandbox.build(recipe, tmp_path / "b")
    monkeypatch.setenv("SANDBOX_KEY", "another key, just as long as the first one")
    sandbox.build(recipe, tmp_path / "c")
    assert first["privacy"]["key"]["source"] == "SANDBOX_KEY"
    for path in (tmp_path / "a").rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
    tokens = {n: pq.read_table(tmp_path / n / "tables/customers").column("email").to_pylist() for n in "abc"}
    assert tokens["a"] == tokens["b"] != tokens["c"]
    assert all(t.startswith("tok_") for t in tokens["a"])
    customers = dict(
        zip(pq.read_table(tmp_path / "a/tables/customers").column("customer_id").to_pylist(), tokens["a"], strict=True)
    )
    orders = pq.read_table(tmp_path / "a/tables/orders").to_pylist()
    gmail = [o for o in orders if o["email"] == customers[o["customer_id"]]]
    assert gmail, "the same value gives the same token in both tables, so joins survive"


def test_key_file_and_fingerprint(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(b"0123456789abcdef0123456789abcdef\n")
    a = sandbox.build(write_recipe(KEYED), tmp_path / "a", key_file=key_file).manifest["privacy"]["key"]
    b = sandbox.build(write_recipe(KEYED), tmp_path / "b").manifest["privacy"]["key"]
    assert a["source"] == "key file" and b["source"].startswith("derived from the recipe seed")
    assert a["fingerprint"] != b["fingerprint"] and len(a["fingerprint"]) == 16


def test_a_leak_fails_the_build_closed(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    leaky = KEYED.replace("pii: {class: email, policy: pseudonymise}", "pii: {class: email, policy: keep}")
    with pytest.raises(CheckFailed) as caught:
        sandbox.build(write_recipe(leaky), tmp_path / "out")
    assert "customers.email: email (" in str(caught.value)
    assert "@" not in str(caught.value).split("e.g.")[1].split("@")[0] or "*" in str(caught.value)
    assert list(tmp_path.iterdir()) == [tmp_path / "recipe.yaml"]
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "recipe.yaml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "nothing was written" in result.stderr
    assert not (tmp_path / "o").exists()


def test_manifest_records_class_policy_and_scan(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    manifest = sandbox.build(write_recipe(BORN_SAFE), tmp_path / "out").manifest
    email = manifest["privacy"]["tables"]["people"]["email"]
    assert (email["class"], email["policy"], email["born_safe"]) == ("email", "keep", True)
    assert email["space"].startswith("RFC 2606")
    assert email["scan"]["email"]["reserved"] == email["scan"]["email"]["distinct"] > 0


def test_scan_reads_csv_as_text_and_reports_json(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    pacsv.write_csv(pa.table({"id": ["001", "002"], "tel": ["0301234567", "0711234567"]}), path)
    report = scan_path(path)
    assert report.tables["export.csv"]["tel"].fatal == ["phone"]
    result = CliRunner().invoke(cli, ["scan", str(path), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["tables"]["export.csv"]["tel"]["name_class"] == "phone"
    assert "0301234567" not in result.stdout


def test_scan_of_a_clean_sandbox_exits_0(tmp_path: Path) -> None:
    sandbox.build("starter", tmp_path / "s", scale=0.02)
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "s")])
    assert result.exit_code == 0, result.stdout


def test_name_redaction_of_a_text_does_not_depend_on_the_texts_beside_it() -> None:
    """Words are looked at once per distinct word of the batch: a text comes out the same redacted alone or in
    a batch, whatever the letters (accents, titlecase, modifier letters, CJK, combining marks), digits,
    punctuation and newlines."""
    import random

    from sandbox.privacy import names

    rng = random.Random(7)
    given = ["Anna", "Hans", "Zoë", "Łukasz", "José"]
    pieces = [*given, "Müller", "o'Neil", "ǅemal", "ʰa", "東京", "e\u0301", "Ärger", "x1", "42", "+49", "(", ").", "\n"]
    pieces += ["Schmidt", "ab\ncd", "Mo\nRe", "\nLee", "Kim\n", "-", "", "\t", "«Zoë»", "Anna,", "Bo"]
    texts = [" ".join(rng.choice(pieces) + rng.choice(["", ".", ",", ";"]) for _ in range(rng.randint(0, 9)))]
    texts += [" ".join(rng.choices(pieces, k=rng.randint(1, 12))) for _ in range(400)] + [None]
    values = pa.array(texts, pa.string())
    together = names.redact_names(values).to_pylist()
    alone = [names.redact_names(pa.array([t], pa.string()))[0].as_py() for t in texts]
    assert together == alone
    assert "[NAME]" in "".join(t for t in together if t)


def test_the_scan_cache_key_changes_with_the_scans_own_matching_code(tmp_path: Path) -> None:
    """The findings cache was keyed on detect.py and reserved.py only: a change to scan.py (or the 0.1.0 version
    that never moved) left stale verdicts behind the fail-closed gate."""
    import sandbox

    package = Path(sandbox.__file__).resolve().parent
    probe = "from sandbox.privacy.findings import detector_signature as d; print(d().hex())"

    def signature(root: Path) -> str:
        env = {**os.environ, "PYTHONPATH": str(root)}
        return subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout

    copy = tmp_path / "sandbox"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = signature(tmp_path)
    assert before == signature(package.parent)
    scan = copy / "privacy" / "scan.py"
    scan.write_text(scan.read_text(encoding="utf-8").replace("_BIG_INT = 10**6", "_BIG_INT = 10**7"), encoding="utf-8")
    assert signature(tmp_path) != before


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ORD-01000000", []),  # an order number's digits after its code: not an Italian phone
        ("INV-0301234567", []),
        ("Tel-0301234567", ["phone"]),  # a phone label before the dash is still a phone
        ("call 0301234567 today", ["phone"]),
        ("ORD-01000000 or 030 1234 5678", ["phone"]),
    ],
)
def test_digits_after_a_codes_letters_and_dash_are_the_code_not_a_phone(text: str, found: list[str]) -> None:
    from sandbox.privacy.detect import spans

    assert [cls for _, _, cls, _, _ in spans(text)] == found


def test_the_starter_recipe_at_a_million_orders_passes_its_own_scan(tmp_path: Path) -> None:
    """Order numbers from ORD-01000000 up parsed as Italian phone numbers: the build failed its scan."""
    result = sandbox.build("starter", tmp_path / "big", rows=1_000_000, seed=5, workers=2)
    assert result.manifest["privacy"]["summary"]["fatal"] == 0
    assert result.manifest["tables"]["orders"]["rows"] >= 1_000_000


@pytest.mark.parametrize(
    ("cls", "spellings"),
    [
        ("email", [" Bob@X.com", "bob@x.com", "mailto:BOB@x.com"]),
        ("phone", ["+49 30 1234567", "030 1234567", "+49 (30) 123-4567", "tel:+49301234567"]),
        ("iban", ["DE89 3704 0044 0532 0130 00", "de89370400440532013000", "DE89-3704-0044-0532-0130-00"]),
        ("online_identifier", ["00-1A-2B-3C-4D-5E", "00:1a:2b:3c:4d:5e"]),
    ],
)
def test_spellings_of_one_value_get_one_token_and_one_fake(cls: str, spellings: list[str]) -> None:
    """Tokens are made from one spelling per class, so joins survive an export's formatting."""
    from sandbox.privacy.policies import apply

    for policy in ("pseudonymise", "fake"):
        out = apply(pa.array(spellings), policy, cls, b"k" * 32)
        assert out is not None and len(set(out.to_pylist())) == 1, (policy, out.to_pylist())
    assert len(set(apply(pa.array([spellings[0], "someone else"]), "pseudonymise", cls, b"k" * 32).to_pylist())) == 2


def _id_columns(n: int = 20_000) -> dict[str, list[str]]:
    """20,000 values each of ids that are not personal, made with numpy and stdnum's check digits."""
    import hashlib
    import uuid

    import numpy as np
    from stdnum import ean

    rng = np.random.default_rng(4)

    def with_check(digits: int) -> list[str]:
        bodies = [str(v).zfill(digits) for v in rng.integers(0, 10**digits, n).tolist()]
        return [b + ean.calc_check_digit(b) for b in bodies]

    isbn = [f"978{b}" for b in (str(v).zfill(9) for v in rng.integers(0, 10**9, n).tolist())]
    return {
        "ean13": with_check(12),
        "upc_a": with_check(11),
        "isbn13": [b + ean.calc_check_digit(b) for b in isbn],
        "crm_uuid": [str(uuid.UUID(int=int(v))) for v in rng.integers(0, 2**63, n).tolist()],
        "session_hash": [hashlib.md5(str(i).encode()).hexdigest() for i in range(n)],
        "ups_tracking": [f"1Z{int(v):016X}"[:18] for v in rng.integers(0, 2**62, n).tolist()],
    }


def test_ids_of_known_shapes_are_not_personal() -> None:
    """Barcodes (check digits), UUIDs and hex digests looked like phones and cards to the digit patterns."""
    from sandbox.privacy.scan import scan_values

    for name, values in _id_columns().items():
        assert scan_values(pa.array(values), hint=classify_name(name)).classes == {}, name


def test_a_column_of_dates_is_never_a_name() -> None:
    for name in ("last_contact_date", "first_order_at", "last_login_ts", "last_seen_on"):
        assert classify_name(name) is None, name
    assert classify_name("last_name") == "person_name"


WALLETS = [
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",  # P2PKH (the Bitcoin wiki's example)
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",  # P2SH
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",  # bech32, witness v0
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",  # BIP-173's test vector, upper case
    "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",  # bech32m (taproot), BIP-350
]


@pytest.mark.parametrize("address", WALLETS)
def test_crypto_wallets_are_found_by_their_checksums_alone_and_in_text(address: str) -> None:
    from sandbox.privacy.detect import spans

    for text in (address, f"refund to {address}, thanks"):
        assert [cls for _, _, cls, _, _ in spans(text)] == ["online_identifier"], text
    broken = address[:-1] + ("3" if address[-1] != "3" else "4")  # one character off: the checksum fails
    assert [cls for _, _, cls, _, _ in spans(broken)] == []


def test_a_column_of_wallet_addresses_is_fatal_and_the_draft_pseudonymises_it(tmp_path: Path) -> None:
    from sandbox.exports.suggest_policy import suggest_for
    from sandbox.privacy.scan import scan_values

    found = scan_values(pa.array(WALLETS * 4))
    assert found.fatal == ["online_identifier"]
    (tmp_path / "payments.csv").write_text(
        "id,payment_reference\n" + "".join(f"{i},{w}\n" for i, w in enumerate(WALLETS))
    )
    draft = suggest_for([tmp_path / "payments.csv"])
    assert "payment_reference: {class: online_identifier, policy: pseudonymise}" in draft


@pytest.mark.parametrize("pattern", [r"\d+", r"^z", r"[aeiou]{2}", r"(b)(a)", r"q{9}"])
def test_replacing_only_the_matching_values_is_the_whole_arrays_rewrite(pattern: str) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from sandbox.privacy.rewrite import replace_matches

    rng = np.random.default_rng(3)
    words = ["".join(rng.choice(list("abz9eio "), rng.integers(0, 12))) for _ in range(3000)]
    text = pa.array([w if i % 17 else None for i, w in enumerate(words)], pa.string())
    for values in (text, text.slice(5, 400), pa.array(["9"] * 20)):
        assert replace_matches(values, pattern, r"<\0>").equals(pc.replace_substring_regex(values, pattern, r"<\0>"))


@pytest.mark.parametrize("pattern", [r"市\d+", r"[\p{Han}ー]{1,3}(様|さん)", r"〒\s?\d{3}", r"z"])
def test_a_wide_pattern_searches_only_text_beyond_ascii_and_rewrites_the_same(pattern: str) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from sandbox.privacy.rewrite import replace_matches

    rng = np.random.default_rng(4)
    words = ["".join(rng.choice(list("a9 市様さん〒ーz山"), rng.integers(0, 10))) for _ in range(3000)]
    text = pa.array([w if i % 13 else None for i, w in enumerate(words)], pa.string())
    for values in (text, text.slice(3, 500), pa.array(["abc"] * 5)):
        whole = pc.replace_substring_regex(values, pattern, "[X]")
        if pattern != "z":  # every match of the others holds a character beyond ASCII
            assert replace_matches(values, pattern, "[X]", wide=True).equals(whole)
    ascii_only = replace_matches(pa.array(["z", "市z"]), "z", "[X]", wide=True)
    assert ascii_only.to_pylist() == ["z", "市[X]"]  # an ASCII value is not searched: wide is the caller's promise


def test_only_recurring_value_sets_reach_the_scan_cache(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    """A pool recurs in every chunk and is cached on disk; a set made for one chunk (the logbook's redacted
    entries) is not, so builds do not fill the cache with one file per chunk."""
    import os

    import sandbox

    recipe = write_recipe("version: 1\nname: t\nchunk_rows: 8000\ndomain:\n  generator: ledger\n  rows: 8000\n")
    folder = Path(os.environ["SANDBOX_CACHE_DIR"]) / "scan"
    cached = []
    for seed in (1, 2, 3):  # a pool written once a build (the suppliers') recurs from the second build on
        sandbox.build(recipe, tmp_path / str(seed), seed=seed, workers=1)
        cached.append(set(folder.glob("*.npz")))
    assert sandbox.inspect(tmp_path / "3")["tables"]["logbook"]["files"] == 4  # four chunks a build
    assert cached[0] and cached[2] == cached[1]
