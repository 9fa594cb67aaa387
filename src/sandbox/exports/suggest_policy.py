"""`sandbox anonymise --suggest-policy`: a draft policy with the evidence for each column, to review."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.exports.policy_file import typed_values
from sandbox.exports.sources import Source
from sandbox.privacy.classes import FATAL_CLASSES, classify_name
from sandbox.privacy.scan import ColumnScan, scan_values

#: Rows read per table for the draft (the run itself reads everything).
SAMPLE_ROWS = 200_000
PROPOSAL = {
    "free_text": "redact",
    "postcode": "generalise",
    "birth_date": "generalise",
    "geo_coordinates": "generalise",
    "person_name": "pseudonymise",
    "street_address": "pseudonymise",
    "user_agent": "keep",
    "location": "pseudonymise",
    None: "keep",
}
#: Column names that say a place a person lives in: with a birth date and a postcode it narrows to a few people,
#: so the draft does not keep it (drafts only: a build's `city` column is drawn, not anyone's).
LOCATION_NAMES = frozenset(
    {"city", "town", "ort", "wohnort", "stadt", "ville", "ciudad", "localidad", "citta", "città"}
)


def _sample(batches: Iterable[pa.RecordBatch]) -> pa.Table | None:
    taken, rows = [], 0
    for batch in batches:
        taken.append(batch)
        rows += len(batch)
        if rows >= SAMPLE_ROWS:
            break
    return pa.Table.from_batches(taken) if taken else None


#: Column names that say free text: notes are redacted whatever else their words happen to match.
FREE_TEXT_NAMES = frozenset(
    {"note", "notes", "comment", "comments", "remark", "remarks", "message", "memo", "description", "text", "body"}
)


def _free_text(name: str, values: pa.ChunkedArray) -> bool:
    """Most values have several words and some length (notes, comments, messages), or the name says free text
    and most values have a space."""
    if not _textual(values):
        return False
    text = pc.drop_null(values.combine_chunks())
    if not len(text):
        return False
    wordy = pc.mean(pc.cast(pc.greater_equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 25), pa.int8())).as_py()
    spaced = pc.mean(pc.cast(pc.match_substring(text, " "), pa.int8())).as_py()
    named = bool(FREE_TEXT_NAMES & set(re.split(r"[^a-z]+", name.lower())))
    return (wordy > 0.5 and spaced > 0.8) or (named and spaced > 0.5)


def _textual(values: pa.ChunkedArray) -> bool:
    return pa.types.is_string(values.type) or pa.types.is_large_string(values.type)


def value_type(values: pa.ChunkedArray) -> str | None:
    """The type a text column (a CSV's) reads as, for the policy's `type:`: int, float, date or timestamp when
    every value parses as one; None for text (and for numbers with leading zeros: codes, not quantities)."""
    if not _textual(values):
        return None
    text = pc.drop_null(values.combine_chunks())
    if not len(text) or pc.any(pc.match_substring_regex(text, r"^[+-]?0\d")).as_py():
        return None
    for name in ("int", "float", "timestamp"):
        try:
            typed_values(text, name)  # as the anonymise run will read it
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if name == "timestamp" and pc.all(pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}$")).as_py():
            return "date"
        return name
    return None


def classify(name: str, values: pa.ChunkedArray) -> tuple[str | None, list[str]]:
    """The class to propose for a column, and the evidence as short phrases (examples masked)."""
    by_name = classify_name(name)
    scan: ColumnScan = scan_values(values, hint=by_name)
    plain = values.combine_chunks()
    if pa.types.is_dictionary(plain.type):  # count_distinct has no dictionary kernel
        plain = plain.dictionary_decode()
    distinct = max(1, pc.count_distinct(plain).as_py())
    evidence = [f"name says {by_name}"] if by_name else []
    for cls, hits in sorted(scan.classes.items(), key=lambda item: -item[1].distinct):
        evidence.append(
            f"{cls} in {hits.distinct / distinct:.0%} of {distinct:,} distinct values (e.g. {hits.example})"
        )
    fatal = [c for c, h in sorted(scan.classes.items(), key=lambda item: -item[1].distinct) if c in FATAL_CLASSES]
    if _free_text(name, values):
        return "free_text", evidence + ["free text: most values are several words long"]
    if by_name in FATAL_CLASSES:
        return by_name, evidence
    if fatal:
        return fatal[0], evidence
    if by_name:
        return by_name, evidence
    if LOCATION_NAMES & set(re.split(r"[^\w]+|_", name.lower())):
        return "location", [*evidence, "name says a place of residence"]
    names = scan.classes.get("person_name")
    if names and names.distinct / distinct >= 0.3:
        return "person_name", evidence
    return None, evidence


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][\w-]*", name) else json.dumps(name)


def suggest(found: list[tuple[str, Source]]) -> str:
    """Draft policy YAML for the tables found (name, Source), with comments that show the evidence."""
    lines = [
        "# Draft from `sandbox anonymise --suggest-policy`. Review every line, then commit it next to the",
        "# export. Classes come from column names and from the values (share of distinct values matched).",
        "version: 1",
        "tables:",
    ]
    for name, source in found:
        lines += [f"  {_key(name)}:", "    columns:"]
        sample = _sample(source.batches())
        if sample is None:
            continue
        for column in sample.column_names:
            cls, evidence = classify(column, sample.column(column))
            policy = "pseudonymise" if cls in FATAL_CLASSES else PROPOSAL.get(cls, "keep")
            # a type for clean columns and birth dates (decades need dates); other personal columns stay text
            kind = value_type(sample.column(column)) if cls in (None, "birth_date") else None
            typed = f", type: {kind}" if kind else ""
            lines.append(f"      # {'; '.join(evidence) if evidence else 'no personal data found'}")
            lines.append(f"      {_key(column)}: {{class: {cls or 'none'}, policy: {policy}{typed}}}")
    return "\n".join(lines) + "\n"


def suggest_for(inputs: Iterable[str | Path], encoding: str | None = None) -> str:
    from sandbox.exports.anonymise import read_inputs

    return suggest(list(read_inputs(inputs, encoding)))
