"""Staged validation: YAML syntax -> structure (the JSON Schema) -> semantics. Collect all, raise once."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from sandbox.columns import GENERATORS, ColumnSpec
from sandbox.columns.registry import RecipeView
from sandbox.core.params import defaults
from sandbox.core.suggest import did_you_mean
from sandbox.domains.registry import find_domain, reference
from sandbox.errors import Issue, RecipeError
from sandbox.noise.kinds import KINDS, value_family
from sandbox.privacy.columns import SAFE_KIND, policy_for
from sandbox.recipe.loader import Source, parse
from sandbox.recipe.model import DomainSpec, Recipe, TableSpec
from sandbox.recipe.schema import COMMON_COLUMN_PROPERTIES, recipe_schema

_RANGE_WORDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
_JSON_TYPES = {
    dict: "a mapping",
    list: "a list",
    str: "text",
    bool: "true/false",
    int: "an integer",
    float: "a number",
    type(None): "nothing (null)",
}


def _describe(value: Any) -> str:
    kind = _JSON_TYPES.get(type(value), type(value).__name__)
    if isinstance(value, dict | list):
        return kind
    return f"{kind} {value!r}" if value is not None else kind


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


def structural_issues(source: Source, schema: Mapping[str, Any]) -> list[Issue]:
    validator = Draft202012Validator(schema)
    seen: set[str] = set()
    issues = []
    for error in validator.iter_errors(source.data):
        for issue in _translate(error, (), source, validator):
            if issue.format() not in seen:
                seen.add(issue.format())
                issues.append(issue)
    return issues


def _translate(
    error: ValidationError, prefix: tuple[Any, ...], source: Source, validator: Draft202012Validator
) -> Iterator[Issue]:
    path = (*prefix, *error.absolute_path)
    instance: Any = error.instance
    expected: Any = error.validator_value
    kind = str(error.validator)
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    if kind == "oneOf" and isinstance(instance, dict) and len(path) == 4 and path[2] == "columns":
        yield from _column_issues(instance, path, source, validator)
    elif kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                listed = ", ".join(allowed) if len(allowed) <= 12 else "see `sandbox schema`"
                yield source.issue(
                    "unknown-key",
                    (*path, key),
                    f"expected one of: {listed}; got `{key}`",
                    did_you_mean(key, allowed),
                    key=True,
                )
    elif kind == "required":
        for key in expected:
            if key not in instance:
                yield source.issue("missing-key", path, f"expected key `{key}`", key=bool(path))
    elif kind == "type":
        yield source.issue("bad-type", path, f"expected {_type_words(expected)}, got {_describe(instance)}")
    elif kind == "enum" and not expected:
        yield source.issue("bad-choice", path, f"expected a registered name (none are installed), got {instance!r}")
    elif kind == "enum":
        yield source.issue(
            "bad-choice",
            path,
            f"expected one of {'|'.join(map(str, expected))}, got {instance!r}",
            did_you_mean(instance, expected),
        )
    elif kind == "const":
        yield source.issue("bad-choice", path, f"expected {expected!r}, got {instance!r}")
    elif kind in _RANGE_WORDS:
        yield source.issue("bad-range", path, f"expected a value {_RANGE_WORDS[kind]} {expected}, got {instance}")
    elif kind in ("minItems", "maxItems"):
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        want = f"exactly {lo}" if lo == hi else (f"at least {lo}" if kind == "minItems" else f"at most {hi}")
        yield source.issue("bad-range", path, f"expected {want} items, got {len(instance)}")
    elif kind == "minProperties":
        yield source.issue("missing-key", path, f"expected at least {expected} entry", key=True)
    elif kind == "pattern":
        what = schema.get("x-expected") or "a name of letters, digits, _ and -, starting with a letter"
        parent = _get(source.data, path)
        at_key = isinstance(parent, dict) and isinstance(instance, str) and instance in parent
        where = (*path, instance) if at_key else path
        yield source.issue("bad-type", where, f"expected {what}, got {instance!r}", key=at_key)
    elif kind == "anyOf":
        options = " or ".join(_type_words(s.get("type", "value")) for s in expected)
        yield source.issue("bad-type", path, f"expected {options}, got {_describe(instance)}")
    else:
        yield source.issue("bad-type", path, f"expected {error.message}")


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _type_words(expected: Any) -> str:
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "text",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true/false",
        "null": "null",
    }
    if isinstance(expected, list):
        return " or ".join(names.get(str(e), str(e)) for e in expected)
    return names.get(expected, str(expected))


def _column_issues(
    instance: dict, path: tuple[Any, ...], source: Source, validator: Draft202012Validator
) -> Iterator[Issue]:
    gens = [k for k in instance if k in GENERATORS]
    if len(gens) == 1:
        root: dict[str, Any] = dict(validator.schema)  # type: ignore[arg-type]
        variant = validator.evolve(schema={**root, **root["$defs"][f"column_{gens[0]}"]})
        for error in variant.iter_errors(instance):
            yield from _translate(error, path, source, validator)
        return
    if len(gens) > 1:
        yield source.issue("bad-type", path, f"expected exactly one generator key, got {len(gens)}: " + ", ".join(gens))
        return
    # an option of some generator (clip, round, type...) is not the typo: the generator key is
    options = {p.name for gen in GENERATORS.values() for p in gen.params}
    unknown = [k for k in instance if k not in COMMON_COLUMN_PROPERTIES and k not in options]
    for key in unknown:
        yield source.issue(
            "unknown-key",
            (*path, key),
            f"expected a generator key, got `{key}`",
            did_you_mean(key, list(GENERATORS)),
            key=True,
        )
    if not unknown:
        yield source.issue("missing-key", path, "expected a generator key: " + ", ".join(sorted(GENERATORS)), key=True)


# -- semantics -------------------------------------------------------------------------------------


def semantic_issues(source: Source) -> Iterator[Issue]:
    data = source.data
    tables: dict[str, Any] = data.get("tables") or {}
    if not tables and "domain" not in data:
        yield source.issue("missing-key", (), "expected `tables` or `domain`")
    view = RecipeView(
        columns={t: spec["columns"] for t, spec in tables.items()},
        rows={t: spec["rows"] for t, spec in tables.items()},
    )
    primary = data.get("primary")
    if primary is not None and primary not in tables:
        yield source.issue(
            "bad-ref", ("primary",), f"expected a table name, got {primary!r}", did_you_mean(primary, tables)
        )
    privacy_defaults = (data.get("privacy") or {}).get("defaults", {})
    for table, spec in tables.items():
        yield from _table_issues(source, table, spec, view)
        yield from _pii_issues(source, table, spec, privacy_defaults)
    yield from _cycle_issues(source, tables)
    if "domain" in data:
        yield from _domain_issues(source, data["domain"], tables)


def _table_issues(source: Source, table: str, spec: Mapping[str, Any], view: RecipeView) -> Iterator[Issue]:
    base = ("tables", table)
    columns = spec["columns"]
    for key in spec.get("key", []):
        if key not in columns:
            yield source.issue(
                "bad-ref", (*base, "key"), f"expected a column of {table}, got {key!r}", did_you_mean(key, columns)
            )
    for i, item in enumerate(spec.get("noise", [])):
        if KINDS[item["kind"]].applies_to != "table":
            yield source.issue(
                "bad-choice",
                (*base, "noise", i, "kind"),
                "expected a row fault (duplicate, "
                f"drop), got `{item['kind']}` (put column faults under the column's noise)",
            )
    for name, col in columns.items():
        here = (*base, "columns", name)
        gen_name = next(k for k in col if k in GENERATORS)
        gen = GENERATORS[gen_name]
        if gen.check:
            for code, sub, message, hint in gen.check(table, name, col, view):
                yield source.issue(code, (*here, *sub), message, hint)
        if col.get("unique") and gen.unique == "never":
            yield source.issue(
                "bad-choice",
                (*here, "unique"),
                "expected unique only on sequence ids or faker "
                f"pools, got unique on a {gen_name} column (independent draws repeat)",
            )
        family = value_family(gen_name, col)
        for i, item in enumerate(col.get("noise", [])):
            applies = KINDS[item["kind"]].applies_to
            if applies == "table" or applies not in ("any", family):
                want = "a row fault under the table" if applies == "table" else f"a {applies} column"
                yield source.issue(
                    "bad-choice",
                    (*here, "noise", i, "kind"),
                    f"expected a fault for a {family} column, got `{item['kind']}` (needs {want})",
                )
        if col.get("noise") and name in spec.get("key", [k for k, c in columns.items() if "sequence" in c]):
            yield source.issue(
                "bad-choice",
                (*here, "noise"),
                "expected no noise on a key column, got some (defects are located by the key)",
            )


def _pii_issues(source: Source, table: str, spec: Mapping[str, Any], defaults: Mapping[str, str]) -> Iterator[Issue]:
    """Fail closed: a column that is fatal-class PII with no policy and not born safe stops the build."""
    for name, col in spec["columns"].items():
        gen = next(k for k in col if k in GENERATORS)
        privacy = policy_for(name, gen, col[gen], col.get("pii"), defaults)
        if not privacy.unhandled:
            continue
        why = {
            "generator": f"{gen} {col[gen]} with none (it can make real-world values)",
            "name": f"a column named like {privacy.cls} with none",
            "declared": f"pii class {privacy.cls} with none",
        }[privacy.reason]
        hint = f"`safe: {SAFE_KIND[privacy.cls]}`" if privacy.cls in SAFE_KIND else None
        yield source.issue(
            "pii-unhandled",
            ("tables", table, "columns", name),
            f"expected a policy for {privacy.cls} PII (pii: {{policy: pseudonymise|mask|fake|"
            f"redact|drop|keep}}) or a born-safe generator, got {why}",
            hint,
            key=True,
        )


def _cycle_issues(source: Source, tables: Mapping[str, Any]) -> Iterator[Issue]:
    """Reference cycles between tables, and template cycles within a table."""
    edges: dict[str, list[tuple[str, str]]] = {}
    for table, spec in tables.items():
        for name, col in spec["columns"].items():
            if "ref" in col:
                parent = str(col["ref"]).split(".")[0]
                if parent != table and parent in tables:
                    edges.setdefault(table, []).append((parent, name))
    reported: set[frozenset[str]] = set()
    for start in tables:
        for cycle, column in _find_cycles(start, edges):
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                yield source.issue(
                    "cycle",
                    ("tables", start, "columns", column, "ref"),
                    "expected tables without reference cycles, got " + " -> ".join(cycle),
                )
    for table, spec in tables.items():
        deps = {}
        for name, col in spec["columns"].items():
            gen = GENERATORS[next(k for k in col if k in GENERATORS)]
            deps[name] = [(d, name) for d in (gen.depends(col) if gen.depends else []) if d in spec["columns"]]
        seen: set[frozenset[str]] = set()
        for start in deps:
            for cycle, _ in _find_cycles(start, deps):
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    yield source.issue(
                        "cycle",
                        ("tables", table, "columns", start, "template"),
                        "expected templates without cycles, got " + " -> ".join(cycle),
                    )


def _find_cycles(start: str, edges: Mapping[str, list[tuple[str, str]]]) -> Iterator[tuple[list[str], str]]:
    """Cycles through `start`, as (path of nodes, the first edge's label)."""
    stack = [(start, [start], "")]
    while stack:
        node, trail, first = stack.pop()
        for nxt, label in edges.get(node, []):
            if nxt == start:
                yield [*trail, start], first or label
            elif nxt not in trail and len(trail) < 32:
                stack.append((nxt, [*trail, nxt], first or label))


def _domain_issues(source: Source, spec: Mapping[str, Any], tables: Mapping[str, Any]) -> Iterator[Issue]:
    domain = find_domain(spec["generator"])
    knobs = defaults(domain.knobs, spec.get("knobs", {}))
    for code, sub, message, hint in domain.check(knobs):
        yield source.issue(code, ("domain", "knobs", *sub), message, hint)
    for info in domain.tables(knobs):
        if info.name in tables:
            yield source.issue(
                "bad-choice",
                ("tables", info.name),
                f"expected a table name the domain does not write, got {info.name!r} (written by {spec['generator']})",
                key=True,
            )


# -- model -----------------------------------------------------------------------------------------


def build_model(source: Source) -> Recipe:
    data = source.data
    privacy_defaults = (data.get("privacy") or {}).get("defaults", {})
    tables = tuple(_table_model(name, spec, privacy_defaults) for name, spec in (data.get("tables") or {}).items())
    domain = None
    if "domain" in data:
        spec = data["domain"]
        knobs = defaults(find_domain(spec["generator"]).knobs, spec.get("knobs", {}))
        domain = DomainSpec(spec["generator"], reference(spec["generator"]), int(spec["rows"]), knobs)
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


def _table_model(name: str, spec: Mapping[str, Any], privacy_defaults: Mapping[str, str]) -> TableSpec:
    columns = []
    for col_name, col in spec["columns"].items():
        gen_name = next(k for k in col if k in GENERATORS)
        gen = GENERATORS[gen_name]
        params = defaults(gen.params, {p.name: col[p.name] for p in gen.params if p.name in col})
        columns.append(
            ColumnSpec(
                name=col_name,
                gen=gen_name,
                head=col[gen_name],
                params=params,
                null_rate=float(col.get("null_rate", 0.0)),
                unique=bool(col.get("unique", False)),
                description=col.get("description"),
                pii=col.get("pii"),
                noise=tuple(col.get("noise", ())),
                privacy=policy_for(col_name, gen_name, col[gen_name], col.get("pii"), privacy_defaults),
            )
        )
    key = tuple(spec.get("key") or [c.name for c in columns if c.gen == "sequence"])
    return TableSpec(
        name,
        int(spec["rows"]),
        tuple(columns),
        _generation_order(columns),
        key,
        tuple(spec.get("noise", ())),
        spec.get("description"),
    )


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
