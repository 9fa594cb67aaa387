"""`sandbox calibrate`: an editable, PII-free recipe fitted from a team's own export.

The export is read table by table (CSV or Parquet, as `anonymise` reads it) and checked against the policy
first: a column that holds personal data and that the policy does not name stops it (exit 2). Then each
table's rows, its id and foreign keys (`keys`), and each column's generator (`columns`) are written as a
commented recipe a reviewer can read and sign; building it gives a sandbox of any size, deterministically.
No value of a personal or id column is written: those become born-safe generators and sequences.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from sandbox._version import __version__
from sandbox.calibrate import clickstream, ledger, mapping, sensors
from sandbox.calibrate.columns import Fitted, fit, personal
from sandbox.calibrate.correlations import fit_correlations
from sandbox.calibrate.keys import ForeignKey, foreign_keys, primary_key
from sandbox.calibrate.private import Budget
from sandbox.calibrate.private_columns import Spend, fit_private
from sandbox.columns.correlated import REORDERABLE
from sandbox.errors import UsageError
from sandbox.exports.anonymise import read_inputs
from sandbox.exports.policy_file import Policy, load_policy
from sandbox.exports.suggest_policy import classify
from sandbox.privacy import classes

__all__ = ["calibrate"]


#: What a CSV column's text is tried as, in order: the first type every value casts to wins.
_TYPES = (pa.int64(), pa.float64(), pa.date32(), pa.timestamp("us", "UTC"), pa.timestamp("us"))


def _inferred(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text column as the numbers, dates or instants it holds (CSV is read as text), else as it is; a
    dictionary column as its values."""
    if pa.types.is_dictionary(values.type):
        return pa.chunked_array([c.dictionary_decode() for c in values.chunks], values.type.value_type)
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return values
    present = pc.drop_null(values)
    if not len(present):
        return values
    lowered = pc.utf8_lower(present)
    if pc.all(pc.is_in(lowered, value_set=pa.array(["true", "false"]))).as_py():
        return pc.equal(pc.utf8_lower(values), "true")
    for kind in _TYPES:
        try:
            return values.cast(kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return values


def _read(inputs: Iterable[str | Path], encoding: str | None) -> dict[str, pa.Table]:
    tables: dict[str, pa.Table] = {}
    for name, source in read_inputs(inputs, encoding):
        batches = list(source.batches())
        if not batches or not sum(b.num_rows for b in batches):
            raise UsageError(f"{source.files[0]}: expected rows to calibrate from, got none")
        table = pa.Table.from_batches(batches)
        tables[name] = pa.table({c: _inferred(table.column(c)) for c in table.column_names})
    return tables


def _refuse_unnamed(tables: dict[str, pa.Table], policy: Policy) -> None:
    """Exit 2 naming every column that holds personal data and that the policy does not name."""
    unnamed = []
    for name, table in tables.items():
        for column in table.column_names:
            if policy.rule(name, column) is None:
                cls, _ = classify(column, table.column(column))
                if classes.personal(cls) and cls != "date":
                    unnamed.append(f"{name}.{column} ({cls})")
    if unnamed:
        raise UsageError(
            f"{policy.file}: expected a policy for every column that holds personal data, got none for "
            + ", ".join(unnamed)
            + " (add them, or start from `sandbox anonymise INPUT... --suggest-policy`)"
        )


def _column(
    table: str, column: str, values: pa.ChunkedArray, policy: Policy, key: str | None, spend: Spend | None
) -> Fitted | None:
    rule = policy.rule(table, column)
    if rule is not None and rule.get("policy") == "drop":
        return None
    cls = rule.get("class") if rule is not None else None
    if classes.personal(cls) and cls not in ("date", "birth_date"):
        fitted = personal(str(cls), values)
        if spend is not None:  # only its null count is released, and that privately
            fitted.spec.pop("null_rate", None)
            nulls = spend.budget.count(spend.what, values.null_count, spend.epsilon, "null count")
            if nulls:
                fitted.spec["null_rate"] = round(min(nulls / max(spend.rows, 1), 1.0), 4)
        return fitted
    return fit(values, key) if spend is None else fit_private(values, spend)


def _order(tables: dict[str, pa.Table], fks: dict[str, list[ForeignKey]]) -> list[str]:
    """Parents before children (a cycle keeps the export's order)."""
    done: list[str] = []
    pending = list(tables)
    while pending:
        ready = [t for t in pending if all(f.parent in done or f.parent == t for f in fks.get(t, []))] or pending
        done.append(ready[0])
        pending.remove(ready[0])
    return done


def _flow(spec: Any) -> str:
    """A value as one line of YAML (a mapping in flow style, a name plain or quoted)."""
    text = yaml.safe_dump(spec, default_flow_style=True, width=10**9, sort_keys=False, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _table_lines(
    name: str, table: pa.Table, policy: Policy, key: str | None, fks: list[ForeignKey], budget: Budget | None
) -> list[str]:
    """A table's recipe lines; with a `budget` (this table's part), from private statistics only."""
    refs = {f.column: f for f in fks}
    share = budget.epsilon / (table.num_columns + 1) if budget else 0.0
    rows = budget.count(name, table.num_rows, share, "row count") if budget else table.num_rows
    lines = [f"  {_flow(name)}:", f"    rows: {max(rows, 1)}  # as in the export{' (noisy)' if budget else ''}"]
    columns: list[str] = []
    numeric: list[str] = []
    for column in table.column_names:
        values = table.column(column)
        spend = Spend(budget, f"{name}.{column}", share, rows) if budget else None
        if column == key:
            first = 1 if budget else int(values.combine_chunks().cast(pa.int64()).to_numpy().min())
            fitted: Fitted | None = Fitted({"sequence": first}, f"the table's id: unique integers from {first}")
        elif column in refs:
            ref = refs[column]
            skew = 0.0 if budget else ref.skew  # the children per parent are not released under --epsilon
            spec = {"ref": f"{ref.parent}.{ref.parent_key}", "skew": skew}
            note = f"{ref.contained:.1%} of its values are ids of {ref.parent}; children per parent: Zipf {skew}"
            fitted = Fitted(spec, f"ids of {ref.parent} (skew not released under --epsilon)" if budget else note)
        else:
            fitted = _column(name, column, values, policy, key, spend)
        if fitted is None:
            columns.append(f"      # {column}: dropped by the policy")
            continue
        if values.null_count and "null_rate" not in fitted.spec and column != key:
            fitted.spec["null_rate"] = round(values.null_count / len(values), 4)
        if REORDERABLE & set(fitted.spec) and _is_number(values.type):
            numeric.append(column)
        columns += [f"      # {fitted.note}", f"      {_flow(column)}: {_flow(fitted.spec)}"]
    found = None if budget else fit_correlations(table, numeric)  # not released under --epsilon
    if found:
        names, matrix = found
        lines += [
            "    # rank correlations of the numeric columns' normal scores, where some |r| >= 0.1",
            "    correlations:",
            f"      columns: {_flow(names)}",
            "      matrix:",
            *[f"        - {_flow(row)}" for row in matrix],
        ]
    return [*lines, "    columns:", *columns]


def _is_number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def calibrate(
    inputs: Iterable[str | Path],
    policy_path: str | Path,
    seed: int = 0,
    encoding: str | None = None,
    epsilon: float | None = None,
    delta: float = 1e-6,
    names: Mapping[str, str] | None = None,
) -> str:
    """The recipe's text, fitted from the export at `inputs` under the policy at `policy_path`; with `epsilon`,
    from differentially private statistics only (`private`); `names` maps a domain's table and column names
    onto the export's (`mapping`)."""
    if epsilon is not None and not epsilon > 0:
        raise UsageError(f"--epsilon: expected a number above 0, got {epsilon}")
    policy = load_policy(policy_path)
    paths = [Path(p) for p in inputs]
    tables = _read(paths, encoding)
    _refuse_unnamed(tables, policy)
    budget = Budget(epsilon, delta) if epsilon is not None else None
    keys = {name: primary_key(table) for name, table in tables.items()}
    fks = foreign_keys(tables, keys)
    digest = hashlib.sha256(Path(policy_path).read_bytes()).hexdigest()[:16]
    if budget:  # the tables' sizes are released noisily below, not here
        lines = [f"# Calibrated by `sandbox calibrate` {__version__} from: {', '.join(tables)}"]
    else:
        lines = [f"# Calibrated by `sandbox calibrate` {__version__} from:"]
        lines += [f"#   {name}: {t.num_rows:,} rows, {t.num_columns} columns" for name, t in tables.items()]
    lines += [
        f"# under the policy {Path(policy_path).name} (sha256 {digest}). Each column's comment says what its",
        "# numbers were fitted from; no value of a personal or id column is written here (born-safe generators",
        "# and sequences stand in for them). Review it, edit it, then `sandbox build` it at any size (--scale).",
        *mapping.header(names or {}),
    ]
    body = [
        "version: 1",
        "name: calibrated",
        f"description: {_flow('Fitted from ' + ', '.join(p.name for p in paths))}",
        f"seed: {seed}",
        "",
    ]
    generic = list(tables)
    shape = _shape(tables, names or {}) if budget is None else None
    if shape is not None:
        view = mapping.renamed(tables, names or {})
        body += _domain_lines(view, shape)
        written = {mapping.export_name(t, names or {}) for t in mapping.writes(shape)}
        generic = [t for t in tables if t not in written]
        body += ["", "tables:"] if generic else []
        keys = {t: k for t, k in keys.items() if t in generic}
        fks = {t: [f for f in found if f.parent in generic] for t, found in fks.items()}
    else:
        body.append("tables:")
    for name in _order({t: tables[t] for t in generic}, fks):
        part = budget.part(len(generic)) if budget else None
        body += _table_lines(name, tables[name], policy, keys[name], fks.get(name, []), part)
        body.append("")
    header = budget.header() if budget else []
    return "\n".join([*lines, *header, *body]).rstrip() + "\n"


def _shape(tables: dict[str, pa.Table], names: Mapping[str, str]) -> ModuleType | None:
    """The domain shape the export (under `names`) has; given a mapping and no shape, an error naming what the
    nearest shape still lacks."""
    view = mapping.renamed(tables, names)
    shape = next((m for m in SHAPES if mapping.shaped(view, m)), None)
    if shape is None and names:
        near = min(SHAPES, key=lambda m: len(mapping.missing(view, m)))
        raise UsageError(
            f"--map: expected the export, mapped, to have the {near.GENERATOR} domain's shape; it still lacks "
            + ", ".join(mapping.missing(view, near))
        )
    return shape


def _domain_lines(tables: dict[str, pa.Table], shape: ModuleType) -> list[str]:
    """The domain whose shape the export has, with its knobs fitted, each with what it was measured from."""
    rows, knobs, notes = shape.fit_knobs(tables)
    lines = [
        f"# An export shaped like the {shape.GENERATOR} domain's tables ({', '.join(shape.NEEDS)}): the domain's",
        "# knobs are fitted instead of its tables' columns. The domain writes its own tables:",
        "#   " + ", ".join(sorted(mapping.writes(shape))) + ".",
        "domain:",
        f"  generator: {shape.GENERATOR}",
        f"  rows: {rows}  # {shape.UNIT}, as in the export",
        "  knobs:",
    ]
    for name, value in knobs.items():
        lines += [f"    # {notes[name]}", f"    {name}: {_flow(value)}"]
    return lines


#: The domains an export can be shaped like (`GENERATOR`, `NEEDS`, `fit_knobs`), tried in order.
SHAPES: tuple[ModuleType, ...] = (clickstream, sensors, ledger)
