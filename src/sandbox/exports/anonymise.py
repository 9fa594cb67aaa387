"""Anonymise a team's own export (CSV or Parquet, one or many tables) into a sandbox, fail closed.

Every column named in the policy gets its policy (over distinct values); every column is scanned; a column
that holds fatal PII and that the policy does not name stops the run (exit 2), a named column kept with a
leak fails it (exit 1), and in both cases nothing is written.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from sandbox.engine import local
from sandbox.errors import UsageError
from sandbox.explain.card import write_card
from sandbox.exports.policy_file import Policy, load_policy, typed_values
from sandbox.exports.sources import Source, sources
from sandbox.noise.defects import DEFECTS_SCHEMA
from sandbox.output.manifest import Manifest, header, tables_section, write_manifest
from sandbox.output.result import BuildResult
from sandbox.output.writer import Part, Staging, write_part
from sandbox.privacy import kanonymity, keys, report
from sandbox.privacy.classes import FATAL_CLASSES, classify_name
from sandbox.privacy.columns import ColumnPrivacy
from sandbox.privacy.protect import protect
from sandbox.privacy.scan import scan_table

_SUFFIXES = (".csv.gz", ".tsv.gz", ".csv", ".tsv", ".parquet")


def table_name(name: str) -> str:
    """`exports/customers.csv.gz` -> `customers` (folders keep their relative path, with `/` as `__`)."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.replace("/", "__")


def read_inputs(inputs: Iterable[str | Path], encoding: str | None = None) -> list[tuple[str, Source]]:
    """Every data table of the inputs, by table name; CSV read as `encoding` (else UTF-8, or UTF-16 by its BOM)."""
    found: list[tuple[str, Source]] = []
    for path in inputs:
        found += [(table_name(s.name), s) for s in sources(Path(path), encoding) if s.role == "data"]
    names = [name for name, _ in found]
    if len(set(names)) != len(names):
        raise UsageError(f"expected tables with different names, got {sorted(n for n in names if names.count(n) > 1)}")
    return found


def resolve_key(key_file: str | Path | None) -> keys.Key:
    """--key-file, else $SANDBOX_KEY, else a random key, used for this run and forgotten."""
    if key_file is not None or os.environ.get(keys.ENV):
        return keys.key_for(0, Path(key_file) if key_file else None)
    return keys.Key(secrets.token_bytes(32), "random: used for this run only and forgotten")


def _typed(table: pa.Table, name: str, policy: Policy, file: str) -> pa.Table:
    for i, column in enumerate(table.column_names):
        rule = policy.rule(name, column)
        if rule and rule.get("type", "string") != "string":
            try:
                values = typed_values(table.column(i), rule["type"])
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise UsageError(
                    f"{file}: column {column!r}: expected {rule['type']} values (the policy's type), "
                    "got text that is not"
                ) from None
            table = table.set_column(i, pa.field(column, values.type), values)
    return table


def _unhandled_names(found: list[tuple[str, Source]], policy: Policy) -> list[str]:
    """Columns whose name says fatal PII and that the policy does not name: refused before reading the data."""
    out = []
    for name, source in found:
        first = next(source.batches(), None)
        for column in first.schema.names if first is not None else []:
            cls = classify_name(column)
            if cls in FATAL_CLASSES and policy.rule(name, column) is None:
                out.append(f"{name}.{column} (its name says {cls})")
    return out


def _protect_batch(
    name: str, batch: pa.RecordBatch, rules: Policy, secret: bytes, file: str
) -> tuple[pa.Table, dict[str, ColumnPrivacy]]:
    """One batch typed as the policy says, with every column's policy applied."""
    data = _typed(pa.Table.from_batches([batch]), name, rules, file)
    privacy = {c: p for c in data.column_names if (p := rules.privacy(name, c)) is not None}
    return protect(data, DEFECTS_SCHEMA.empty_table(), name, privacy, secret)[0], privacy


def _protected(name: str, source: Source, rules: Policy, key: keys.Key) -> Iterator[pa.Table]:
    for batch in source.batches():
        yield _protect_batch(name, batch, rules, key.secret, source.name)[0]


@dataclass(frozen=True)
class _Batch:
    """One batch of one table to anonymise and write, for this process or a worker."""

    table: str
    index: int
    batch: pa.RecordBatch
    rules: Policy
    secret: bytes
    plan: _KPlan | None
    root: str
    file: str

    def __repr__(self) -> str:  # never show the key, not even in a traceback
        return f"_Batch({self.table!r}, {self.index})"


#: A batch's part, the fatal classes found per column the policy does not name, its columns' privacy, rows dropped.
_Anonymised = tuple[Part, dict[str, set[str]], dict[str, ColumnPrivacy], int]


def _anonymise_batch(item: _Batch) -> _Anonymised:
    """Protect, enforce k, scan and write one batch; returns the part, unnamed leaks, policies, rows dropped."""
    data, privacy = _protect_batch(item.table, item.batch, item.rules, item.secret, item.file)
    dropped = 0
    if item.plan is not None:
        if item.plan.generalise:
            data = kanonymity.generalised(data, item.plan.columns)
        data, dropped = kanonymity.suppress(data, item.plan.columns, item.plan.small)
    scan = scan_table(data)
    leaks = {column: set(found.fatal) for column, found in scan.items() if found.fatal and column not in privacy}
    part = write_part(Path(item.root), item.table, "data", f"part-{item.index:05d}.parquet", data, scan)
    return part, leaks, privacy, dropped


@dataclass(frozen=True)
class _KPlan:
    columns: list[str]
    generalise: bool
    small: pa.Array


def _k_plan(
    name: str,
    source: Source,
    rules: Policy,
    key: keys.Key,
    enforce_k: int | None,
    report_to: dict[str, dict[str, Any]],
) -> _KPlan | None:
    """Count equivalence classes (a first pass over the table); with `enforce_k`, what to enforce."""
    config = rules.k_anonymity
    if not config:
        return None
    columns = list(config["quasi_identifiers"])
    first = next(source.batches(), None)
    if first is None or not set(columns) <= set(first.schema.names):
        return None
    k = enforce_k or int(config["k"])
    step = enforce_k is not None and config.get("action", "generalise") == "generalise"
    before, after = kanonymity.Classes(columns, k), kanonymity.Classes(columns, k)
    for data in _protected(name, source, rules, key):
        before.add(data)
        if step:
            after.add(kanonymity.generalised(data, columns))
    counted = after if step else before
    report_to[name] = {
        "quasi_identifiers": columns,
        "k": k,
        "smallest_class": before.smallest,
        "rows_below_k": before.rows_below_k,
        "enforced": enforce_k is not None,
        "generalised": step,
        "suppressed_rows": 0,
    }
    return _KPlan(columns, step, counted.small()) if enforce_k is not None else None


def anonymise(
    inputs: Iterable[str | Path],
    out: str | Path,
    policy: str | Path | Policy,
    *,
    key_file: str | Path | None = None,
    overwrite: bool = False,
    enforce_k: int | None = None,
    workers: int = 1,
    encoding: str | None = None,
) -> BuildResult:
    """Apply the policy to every table of the inputs and write a sandbox to `out`, or nothing.

    With a `k_anonymity` section the manifest reports each table's smallest equivalence class and rows below
    k; `enforce_k` generalises the quasi-identifiers one step (action generalise) and suppresses the rows
    still in classes below k, so none is left. `workers` > 1 processes batches on the local worker pool;
    the output does not depend on it. CSV is read as `encoding`, else as UTF-8 (UTF-16 after its byte-order
    mark); a file that does not decode is refused with the offset of its first bad byte.
    """
    started = time.perf_counter()
    rules = policy if isinstance(policy, Policy) else load_policy(policy)
    key = resolve_key(key_file)
    found = read_inputs(list(inputs), encoding)
    # columns named like PII and columns found holding it are refused together, after one pass over the data
    unnamed = _unhandled_names(found, rules)
    with Staging(Path(out), overwrite) as staging:
        parts: list[Part] = []
        leaks: dict[str, set[str]] = {}  # table.column -> fatal classes found in a column the policy does not name
        privacy_of: dict[str, dict[str, ColumnPrivacy]] = {}
        kanon: dict[str, dict[str, Any]] = {}
        plans = {name: _k_plan(name, source, rules, key, enforce_k, kanon) for name, source in found}
        items = (
            _Batch(name, i, batch, rules, key.secret, plans[name], str(staging.path), source.name)
            for name, source in found
            for i, batch in enumerate(source.batches())
        )
        for part, batch_leaks, privacy, dropped in _run(items, workers):
            parts.append(part)
            privacy_of.setdefault(part.table, {}).update(privacy)
            if part.table in kanon:
                kanon[part.table]["suppressed_rows"] += dropped
            for column, classes in batch_leaks.items():
                leaks.setdefault(f"{part.table}.{column}", set()).update(classes)
        _refuse_unhandled(rules, unnamed, leaks)
        scans = report.merged_scans(parts)
        report.fail_closed(scans)
        infos = {name: {"role": "data", "description": f"Anonymised from {source.name}."} for name, source in found}
        section = {**report.privacy_section(key, privacy_of, scans), "k_anonymity": kanon}
        manifest: Manifest = {
            **header(),
            "source": _source_section(found, rules, key.secret),
            "tables": tables_section(parts, infos),
            "privacy": {**section, "allowed": _allowed(rules, privacy_of)},
        }
        write_manifest(staging.path, manifest)
        write_card(staging.path, manifest, {})
        staging.commit()
    return BuildResult(Path(out), manifest, time.perf_counter() - started)


def _run(
    items: Iterable[_Batch], workers: int
) -> list[tuple[Part, dict[str, set[str]], dict[str, ColumnPrivacy], int]]:
    """Every batch anonymised, in input order (on the local pool when workers > 1)."""
    if workers > 1:
        return [result for _, result in sorted(local.pool_map(_anonymise_batch, items, workers), key=lambda p: p[0])]
    return [_anonymise_batch(item) for item in items]


def _refuse_unhandled(rules: Policy, unnamed: list[str], leaks: dict[str, set[str]]) -> None:
    """Columns named like PII, and columns found holding it, that the policy does not name: one error for all."""
    by_name = {entry.split(" ")[0] for entry in unnamed}
    held = [f"{column} (it holds {', '.join(sorted(classes))})" for column, classes in leaks.items()]
    missing = unnamed + [entry for entry in held if entry.split(" ")[0] not in by_name]
    if missing:
        raise UsageError(
            f"{rules.file}: pii-unhandled: expected a policy for every column that holds personal "
            f"data, got none for {', '.join(missing)}; nothing was written"
        )


def _allowed(rules: Policy, privacy_of: dict[str, dict[str, ColumnPrivacy]]) -> dict[str, dict[str, Any]]:
    """Identifying classes the policy keeps as they are (its `allow:`): the reason and every column kept."""
    out: dict[str, dict[str, Any]] = {}
    for table, columns in sorted(privacy_of.items()):
        for column, privacy in sorted(columns.items()):
            cls = privacy.cls
            if privacy.policy == "keep" and cls is not None and cls in rules.allow:
                entry = out.setdefault(cls, {"reason": rules.allow[cls], "columns": []})
                entry["columns"].append(f"{table}.{column}")
    return out


def _source_section(found: list[tuple[str, Source]], rules: Policy, secret: bytes) -> dict[str, Any]:
    """The manifest's record of the inputs (names, sizes, keyed digests) and the policy applied."""
    return {
        "inputs": [
            {
                "table": name,
                "file": s.name,
                "bytes": sum(f.stat().st_size for f in s.files),
                "hmac_sha256": _digest(s.files, secret),
            }
            for name, s in found
        ],
        "policy": {"file": Path(rules.file).name, "sha256": rules.sha256},
    }


def _digest(files: Iterable[Path], secret: bytes) -> str:
    """HMAC-SHA256 of the files under the run's key: a plain digest would confirm a guessed small input to anyone
    who reads the manifest; this one only to a holder of the key."""
    digest = hmac.new(secret, digestmod=hashlib.sha256)
    for path in files:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
