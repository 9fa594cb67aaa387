"""Staged validation: YAML syntax -> structure (the JSON Schema) -> semantics. Collect all, raise once."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sandbox.columns import GENERATORS, ColumnSpec
from sandbox.core.params import defaults
from sandbox.domains.registry import find_domain, reference
from sandbox.errors import Issue, RecipeError
from sandbox.privacy.columns import policy_for
from sandbox.recipe.loader import Source, parse
from sandbox.recipe.model import DomainSpec, Recipe, TableShape, TableSpec
from sandbox.recipe.schema import recipe_schema
from sandbox.recipe.semantics import semantic_issues
from sandbox.recipe.structure import structural_issues


def load(text: str, file: str) -> Recipe:
    """Parse, validate and build a recipe from its text; raises RecipeError with every issue."""
    source = parse(text, file)
    schema = recipe_schema()
    issues = structural_issues(source, schema)
    if not issues:
        issues = list(semantic_issues(source))
    else:  # every error at once: the semantic checks still run on the parts whose structure is sound
        seen = {issue.format() for issue in issues}
        issues += [i for i in _semantics_of_sound_parts(source, issues) if i.format() not in seen]
        issues.sort(key=lambda i: (i.line or 0, i.col or 0))
    if issues:
        raise RecipeError(issues)
    return build_model(source)


#: What a column whose structure is broken stands in as for the semantic checks: a valid id column, so a
#: reference to it or a template using it raises nothing more (its own issue is already reported).
_PLACEHOLDER = {"sequence": 1}


def _semantics_of_sound_parts(source: Source, structural: list[Issue]) -> list[Issue]:
    """The semantic issues of a recipe with structural issues, checked on a copy where each broken column is a
    placeholder, a broken table setting is dropped, and a broken domain is left out."""
    data = source.data
    if not isinstance(data, dict):
        return []
    broken = [tuple(_split_path(i.path)) for i in structural]
    tables = data.get("tables")
    sound: dict[str, Any] = {k: v for k, v in data.items() if k != "domain"}
    if isinstance(tables, dict):
        sound["tables"] = {
            name: _sound_table(spec, [p[2:] for p in broken if p[:2] == ("tables", name)])
            for name, spec in tables.items()
            if isinstance(spec, dict)
        }
    elif "tables" in sound:
        sound["tables"] = {}
    domain_ok = "domain" in data and not any(p[:1] == ("domain",) for p in broken)
    if domain_ok:
        sound["domain"] = data["domain"]
    try:
        found = semantic_issues(Source(source.file, source.text, sound, source.values, source.keys))
        return [i for i in found if i.path]  # the root's own keys are the structural checks' to report
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return []  # a shape the structural issues already describe; they stand on their own


def _sound_table(spec: dict[str, Any], broken: list[tuple[str, ...]]) -> dict[str, Any]:
    bad_settings = {p[0] for p in broken if p and p[0] != "columns"}
    table = {k: v for k, v in spec.items() if k not in bad_settings or k in ("rows", "columns")}
    if "rows" in bad_settings or not isinstance(table.get("rows"), int):
        table["rows"] = 1
    given = table.get("columns")
    columns: dict[str, Any] = given if isinstance(given, dict) else {}
    bad_columns = {p[1] for p in broken if len(p) > 1 and p[0] == "columns"}
    if any(p == ("columns",) for p in broken):
        bad_columns = set(columns)
    table["columns"] = {
        name: (_PLACEHOLDER if name in bad_columns or not isinstance(col, dict) else col)
        for name, col in columns.items()
    }
    return table


def _split_path(dotted_path: str) -> list[str]:
    """`tables.orders.columns.price.clip[1]` -> ['tables', 'orders', 'columns', 'price', 'clip']."""
    return [part for part in re.split(r"\.|\[\d+\]", dotted_path) if part]


def load_file(path: Path) -> Recipe:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RecipeError([Issue("yaml-syntax", "", f"expected UTF-8 text, got {exc.reason}", str(path))]) from None
    return load(text, str(path))


# -- structure -------------------------------------------------------------------------------------


def build_model(source: Source) -> Recipe:
    data = source.data
    privacy_defaults = (data.get("privacy") or {}).get("defaults", {})
    tables = tuple(_table_model(name, spec, privacy_defaults) for name, spec in (data.get("tables") or {}).items())
    domain = None
    if "domain" in data:
        spec = data["domain"]
        knobs = defaults(find_domain(spec["generator"]).knobs, spec.get("knobs", {}))
        shapes = _shapes(spec, privacy_defaults)
        domain = DomainSpec(spec["generator"], reference(spec["generator"]), int(spec["rows"]), knobs, shapes)
    return Recipe(
        name=data["name"],
        seed=int(data.get("seed", 0)),
        chunk_rows=int(data.get("chunk_rows", 250_000)),
        tables=tables,
        domain=domain,
        primary=data.get("primary"),
        file=source.file,
        text=source.text,
        sha256=hashlib.sha256(source.text.encode("utf-8")).hexdigest(),
        description=data.get("description", ""),
        privacy_defaults=dict((data.get("privacy") or {}).get("defaults", {})),
    )


def _column_model(col_name: str, col: Mapping[str, Any], privacy_defaults: Mapping[str, str]) -> ColumnSpec:
    gen_name = next(k for k in col if k in GENERATORS)
    gen = GENERATORS[gen_name]
    params = defaults(gen.params, {p.name: col[p.name] for p in gen.params if p.name in col})
    return ColumnSpec(
        name=col_name,
        gen=gen_name,
        head=col[gen_name],
        params=params,
        null_rate=float(col.get("null_rate", 0.0)),
        unique=bool(col.get("unique", False)),
        max_length=col.get("max_length"),
        description=col.get("description"),
        pii=col.get("pii"),
        noise=tuple(col.get("noise", ())),
        privacy=policy_for(col_name, gen_name, col[gen_name], col.get("pii"), privacy_defaults),
    )


def _shapes(spec: Mapping[str, Any], privacy_defaults: Mapping[str, str]) -> tuple[TableShape, ...]:
    out = []
    for table, shape in (spec.get("tables") or {}).items():
        columns = [_column_model(n, c, privacy_defaults) for n, c in (shape.get("columns") or {}).items()]
        out.append(
            TableShape(
                table,
                shape.get("as") or table,
                tuple(shape.get("drop") or ()),
                tuple(columns),
                _generation_order(columns),
            )
        )
    return tuple(out)


def _table_model(name: str, spec: Mapping[str, Any], privacy_defaults: Mapping[str, str]) -> TableSpec:
    columns = [_column_model(col_name, col, privacy_defaults) for col_name, col in spec["columns"].items()]
    key = tuple(spec.get("key") or [c.name for c in columns if c.gen == "sequence"])
    if len(key) > 1 and all(c.gen == "ref" for c in columns if c.name in key):  # a join table's composite key
        columns = [
            dataclasses.replace(c, params={**c.params, "together": key}) if c.name in key else c for c in columns
        ]
    return TableSpec(
        name,
        int(spec["rows"]),
        tuple(columns),
        _generation_order(columns),
        key,
        tuple(spec.get("noise", ())),
        spec.get("description"),
        _correlations(spec.get("correlations")),
    )


def _correlations(spec: Mapping[str, Any] | None) -> tuple[tuple[str, ...], tuple[tuple[float, ...], ...]] | None:
    if not spec:
        return None
    return tuple(spec["columns"]), tuple(tuple(float(v) for v in row) for row in spec["matrix"])


def _generation_order(columns: Iterable[ColumnSpec]) -> tuple[str, ...]:
    cols = list(columns)
    done: list[str] = []
    pending = {c.name: GENERATORS[c.gen].depends for c in cols}
    while len(done) < len(cols):
        for c in cols:
            if c.name in done:
                continue
            depends = pending[c.name]
            needs = depends({c.gen: c.head}) if depends else []
            if all(d in done for d in needs):
                done.append(c.name)
    return tuple(done)
