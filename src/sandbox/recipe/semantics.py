"""The semantic stage of validation: what the schema cannot say (references, cycles, generator and domain
checks, columns that look like personal data and have no policy), each a located issue."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from sandbox.columns import GENERATORS
from sandbox.columns.correlated import REORDERABLE, cholesky
from sandbox.columns.registry import RecipeView
from sandbox.core.params import defaults
from sandbox.core.suggest import did_you_mean
from sandbox.domains.registry import find_domain
from sandbox.errors import Issue
from sandbox.noise.kinds import KINDS, value_family
from sandbox.privacy.columns import SAFE_KIND, policy_for
from sandbox.recipe.loader import Source
from sandbox.recipe.shapes import described, key_columns, key_rows, shape_issues


def semantic_issues(source: Source) -> Iterator[Issue]:
    data = source.data
    tables: dict[str, Any] = data.get("tables") or {}
    if not tables and "domain" not in data:
        yield source.issue("missing-key", (), "expected `tables` or `domain`")
    view = RecipeView(
        columns={**_domain_view(data, "columns"), **{t: spec["columns"] for t, spec in tables.items()}},
        rows={**_domain_view(data, "rows"), **{t: spec["rows"] for t, spec in tables.items()}},
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
        yield from _shaped_column_issues(source, data["domain"], view, privacy_defaults)


def _domain_view(data: Mapping[str, Any], what: str) -> dict[str, Any]:
    """The domain's tables as a recipe's `ref:` sees them (their id columns, their rows), or nothing."""
    spec = data.get("domain")
    if not isinstance(spec, dict):
        return {}
    domain = find_domain(spec["generator"])
    knobs = defaults(domain.knobs, spec.get("knobs", {}))
    rows = int(spec["rows"])
    return key_columns(domain, knobs, rows, spec) if what == "columns" else key_rows(domain, knobs, rows, spec)


def _shaped_column_issues(
    source: Source, spec: Mapping[str, Any], view: RecipeView, privacy_defaults: Mapping[str, str]
) -> Iterator[Issue]:
    """A domain table's added columns, checked like a recipe table's (generators, fail-closed privacy)."""
    for table, shape in (spec.get("tables") or {}).items():
        columns = shape.get("columns") or {}
        name = shape.get("as") or table
        here = ("domain", "tables", table, "columns")
        for column, col in columns.items():
            gen = GENERATORS[next(k for k in col if k in GENERATORS)]
            for code, sub, message, hint in gen.check(name, column, col, view) if gen.check else ():
                yield source.issue(code, (*here, column, *sub), message, hint)
        yield from _pii_issues(source, table, {"columns": columns}, privacy_defaults, ("domain", "tables", table))


def _table_issues(source: Source, table: str, spec: Mapping[str, Any], view: RecipeView) -> Iterator[Issue]:
    base = ("tables", table)
    columns = spec["columns"]
    for key in spec.get("key", []):
        if key not in columns:
            yield source.issue(
                "bad-ref", (*base, "key"), f"expected a column of {table}, got {key!r}", did_you_mean(key, columns)
            )
    yield from _join_key_issues(source, table, spec, view)
    for i, item in enumerate(spec.get("noise", [])):
        if KINDS[item["kind"]].applies_to != "table":
            yield source.issue(
                "bad-choice",
                (*base, "noise", i, "kind"),
                "expected a row fault (duplicate, "
                f"drop), got `{item['kind']}` (put column faults under the column's noise)",
            )
    yield from _correlation_issues(source, table, spec)
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


def _join_key_issues(source: Source, table: str, spec: Mapping[str, Any], view: RecipeView) -> Iterator[Issue]:
    """A key of several references takes each combination of parents once: there must be enough of them."""
    key = [k for k in spec.get("key", []) if k in spec["columns"]]
    if len(key) < 2 or not all("ref" in spec["columns"][k] for k in key):
        return
    parents = [str(spec["columns"][k]["ref"]).split(".")[0] for k in key]
    combinations = math.prod(view.rows.get(p, 0) for p in parents)
    if spec["rows"] > combinations:
        yield source.issue(
            "bad-range",
            ("tables", table, "rows"),
            f"expected at most {combinations:,} rows (each combination of {', '.join(parents)} once, the key "
            f"{', '.join(key)}), got {spec['rows']:,}",
        )


def _pii_issues(
    source: Source, table: str, spec: Mapping[str, Any], defaults: Mapping[str, str], base: tuple[str, ...] = ()
) -> Iterator[Issue]:
    """Fail closed: a column that is fatal-class PII with no policy and not born safe stops the build (`base`:
    where the columns are, when not under `tables.TABLE`)."""
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
            (*(base or ("tables", table)), "columns", name),
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
    infos = described(domain, knobs)
    yield from shape_issues(source, spec, infos, tables)
    for info in infos:
        if info.name in tables:
            yield source.issue(
                "bad-choice",
                ("tables", info.name),
                f"expected a table name the domain does not write, got {info.name!r} (written by {spec['generator']})",
                key=True,
            )


# -- model -----------------------------------------------------------------------------------------


def _correlation_issues(source: Source, table: str, spec: Mapping[str, Any]) -> Iterator[Issue]:
    """A table's correlations: columns of its own drawn independently per row, and a square, symmetric,
    positive definite matrix with ones on its diagonal."""
    found = spec.get("correlations")
    if not found:
        return
    here = ("tables", table, "correlations")
    columns = spec["columns"]
    for i, name in enumerate(found["columns"]):
        col = columns.get(name)
        gen = next((k for k in col if k in GENERATORS), None) if col is not None else None
        if col is None:
            yield source.issue(
                "bad-ref",
                (*here, "columns", i),
                f"expected a column of {table}, got {name!r}",
                did_you_mean(name, columns),
            )
        elif gen not in REORDERABLE:
            yield source.issue(
                "bad-choice",
                (*here, "columns", i),
                f"expected a column drawn per row ({', '.join(sorted(REORDERABLE))}), got {gen}",
            )
    k, matrix = len(found["columns"]), found["matrix"]
    if len(matrix) != k or any(len(row) != k for row in matrix):
        yield source.issue("bad-range", (*here, "matrix"), f"expected {k} rows of {k} numbers, one per column")
        return
    if any(matrix[i][i] != 1 for i in range(k)) or any(
        matrix[i][j] != matrix[j][i] for i in range(k) for j in range(i)
    ):
        yield source.issue("bad-range", (*here, "matrix"), "expected a symmetric matrix with ones on its diagonal")
    elif cholesky(matrix) is None:
        yield source.issue(
            "bad-range", (*here, "matrix"), "expected a positive definite matrix (a correlation some data could have)"
        )
