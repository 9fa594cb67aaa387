"""The values of Presidio's own recognizer tests (tests/corpora/presidio_values.json, extracted by
tests/corpora/presidio_extract.py): every positive is found alone and inside a sentence, and at most 2% of the
negatives are flagged as anything at all."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from sandbox.privacy.detect import spans

CORPUS = json.loads((Path(__file__).parent / "corpora" / "presidio_values.json").read_text(encoding="utf-8"))
#: How a person would write each kind of value into a note: the label in front of it.
LABELS = {
    "credit_card": "paid with card",
    "crypto": "send it to my wallet",
    "email": "write to",
    "iban": "transfer to IBAN",
    "ip": "logged in from",
    "mac": "device MAC",
    "phone": "call me on",
    "us_ssn": "my SSN is",
    "us_itin": "ITIN",
    "uk_nino": "NI number",
    "es_nif": "NIF",
    "es_nie": "NIE",
    "it_fiscal_code": "codice fiscale",
    "de_tax_id": "Steuer-ID",
}
#: Presidio negatives for one recognizer that hold another kind of personal data, which sandbox rightly finds.
OTHER_PII = {
    "Dalla's Pizza | 3843 Peartree Road, Bamblee, SD 20241 440-600-5124": "phone",
    "MAC address aa:bb:cc:dd:ee:ff": "online_identifier",
}
#: Presidio positives sandbox disagrees with, and why.
DISAGREE = {
    "192.168.1.1.1": "five dotted numbers are a version or an OID, not an address with a suffix",
}


def found(text: str, hint: str | None = None) -> set[str]:
    return {cls for _s, _e, cls, _v, _r in spans(text, hint=hint)}


def embedded(case: dict) -> str:
    return f"Kunde schrieb: {LABELS[case['file']]} {case['text']} - bitte prüfen."


POSITIVES = [c for c in CORPUS["cases"] if c["positive"] and c["text"] not in DISAGREE]
NEGATIVES = [c for c in CORPUS["cases"] if not c["positive"] and c["text"] not in OTHER_PII]


def test_the_corpus_is_presidios_values() -> None:
    assert CORPUS["source"]["repository"] == "microsoft/presidio" and len(CORPUS["source"]["files"]) == 14
    assert len(POSITIVES) >= 300 and len(NEGATIVES) >= 240


@pytest.mark.parametrize("case", POSITIVES, ids=lambda c: f"{c['file']}:{c['text'][:40]}")
def test_every_positive_is_found_alone_and_embedded(case: dict) -> None:
    assert case["class"] in found(case["text"], hint=case["class"]), "alone, in a column named for it"
    assert case["class"] in found(embedded(case)), "inside a sentence"


def test_at_most_two_percent_of_negatives_are_flagged() -> None:
    flagged = [c for c in NEGATIVES if found(c["text"], hint=c["class"]) or found(embedded(c))]
    assert len(flagged) <= 0.02 * len(NEGATIVES), [(c["file"], c["text"]) for c in flagged]


def test_negatives_that_hold_other_personal_data_are_found_as_that() -> None:
    for text, cls in OTHER_PII.items():
        assert cls in found(text)


def recall_table() -> str:
    """Per Presidio test file: positives found alone (column named for the class), embedded with a label,
    embedded with no label and no column name; negatives flagged. For README."""
    rows: Counter[tuple[str, str]] = Counter()
    for case in CORPUS["cases"]:
        name = case["file"]
        if case["positive"]:
            rows[name, "pos"] += 1
            rows[name, "alone"] += case["class"] in found(case["text"], hint=case["class"])
            rows[name, "embedded"] += case["class"] in found(embedded(case))
            rows[name, "bare"] += case["class"] in found(f"Kunde schrieb: {case['text']} - bitte prüfen.")
        elif case["text"] not in OTHER_PII:
            rows[name, "neg"] += 1
            rows[name, "flagged"] += bool(found(case["text"], hint=case["class"]) or found(embedded(case)))
    head = "| Presidio test file | positives | alone | embedded, labelled | embedded, bare | negatives | flagged |"
    lines = [head, "| --- | --- | --- | --- | --- | --- | --- |"]
    for name in LABELS:
        r = {k: rows[name, k] for k in ("pos", "alone", "embedded", "bare", "neg", "flagged")}
        lines.append(
            f"| {name} | {r['pos']} | {r['alone']} | {r['embedded']} | {r['bare']} | {r['neg']} | {r['flagged']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(recall_table() + "\n")
