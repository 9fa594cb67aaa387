"""Fuzzing what users hand over besides recipes' builds: recipe documents (validation), policy files (loaded and
applied to a small export) and CSV headers (drafted and scanned). Every example ends in success or in a clear
refusal (RecipeError with located issues, UsageError or CheckFailed with a message); any other exception is a
bug. The slow suite runs 10,000 examples of each."""

from __future__ import annotations

import copy
import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.errors import CheckFailed, RecipeError, UsageError
from sandbox.exports.anonymise import anonymise
from sandbox.exports.scanning import scan_path
from sandbox.exports.suggest_policy import suggest_for
from sandbox.recipe.validate import load
from tests.test_fuzz import ODD_VALUES, mutated_text, mutations

EXPORT = (
    "customer_id,full_name,email,phone,city,note,amount\n"
    "1,Ann Example,ann@example.com,+1 202 555 0143,Springfield,call after 5,12.50\n"
    "2,Bo Sample,bo@example.org,+44 20 7946 0991,Leeds,,7.00\n"
    '3,Cy Test,cy@example.net,(415) 555-0132,Lyon,"Tel. 030 1234567, bitte",19.99\n'
)
POLICY = {
    "version": 1,
    "tables": {
        "export": {
            "columns": {
                "customer_id": {"class": "none", "policy": "keep"},
                "full_name": {"class": "person_name", "policy": "pseudonymise"},
                "email": {"class": "email", "policy": "fake"},
                "phone": {"class": "phone", "policy": "mask"},
                "city": {"class": "location", "policy": "generalise"},
                "note": {"class": "free_text", "policy": "redact"},
                "amount": {"class": "none", "policy": "keep"},
            }
        }
    },
}
POLICY_VALUES = st.one_of(
    ODD_VALUES,
    st.sampled_from(["keep", "drop", "fake", "mask", "redact", "pseudonymise", "generalise", "hash", "email", "phone"]),
)
REFUSALS = (RecipeError, UsageError, CheckFailed)
_BASE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def examples(count: int) -> settings:
    return settings(_BASE, max_examples=count)


def _refused_clearly(exc: Exception) -> None:
    if isinstance(exc, RecipeError):
        assert exc.issues and all(i.code and i.message for i in exc.issues)
    else:
        assert str(exc).strip(), type(exc)


def check_recipe(text: str) -> None:
    try:
        load(text, "mutant.yaml")
    except REFUSALS as exc:
        _refused_clearly(exc)


@st.composite
def policy_text(draw: st.DrawFn) -> str:
    text = yaml.safe_dump(mutations(draw, copy.deepcopy(POLICY), POLICY_VALUES, 4), sort_keys=False)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.sampled_from([":", "{", "]", "\t", "- ", "&a", "*b", "'", "\x00", "\ufeff"]))
            + text[at:]
        )
    return text


def check_policy(text: str, folder: Path) -> None:
    export = folder / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    policy = folder / "policy.yaml"
    policy.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        anonymise([export], folder / "clean", policy, overwrite=True)
    except REFUSALS as exc:
        _refused_clearly(exc)


HEADER_NAMES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "id", "ID", "email", "e-mail", "phone", "name", "name", "x" * 300, '"', ",", "\n"]),
)


@st.composite
def csv_text(draw: st.DrawFn) -> str:
    header = draw(st.lists(HEADER_NAMES, min_size=1, max_size=8))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    width = len(header) + draw(st.integers(-1, 1))  # rows one field short or long, too
    for row in range(3):
        writer.writerow([f"{row}-{i}" for i in range(max(width, 0))])
    text = out.getvalue()
    if draw(st.booleans()):
        text = draw(st.sampled_from(["\ufeff", "", "sep=;\n", "\x00"])) + text
    return text


def check_csv(text: str, folder: Path) -> None:
    export = folder / "export.csv"
    export.write_bytes(text.encode("utf-8", "surrogatepass"))
    for step in (lambda: suggest_for([export]), lambda: scan_path(export)):
        try:
            step()
        except REFUSALS as exc:
            _refused_clearly(exc)


@examples(200)
@given(mutated_text())
def test_recipe_documents_never_crash_validation(text: str) -> None:
    check_recipe(text)


@examples(60)
@given(policy_text())
def test_policy_files_never_crash(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_policy(text, Path(tmp))


@examples(100)
@given(csv_text())
def test_csv_headers_never_crash(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_csv(text, Path(tmp))


@pytest.mark.slow
@examples(10_000)
@given(mutated_text())
def test_ten_thousand_recipe_documents(text: str) -> None:
    check_recipe(text)


@pytest.mark.slow
@examples(10_000)
@given(policy_text())
def test_ten_thousand_policy_files(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_policy(text, Path(tmp))


@pytest.mark.slow
@examples(10_000)
@given(csv_text())
def test_ten_thousand_csv_headers(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_csv(text, Path(tmp))


def test_the_base_policy_applies_cleanly(tmp_path: Path) -> None:
    check_policy(json.dumps(POLICY), tmp_path)  # JSON is YAML
    assert (tmp_path / "clean" / "manifest.json").is_file()
