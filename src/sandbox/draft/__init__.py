"""`sandbox init --from SOURCE`: a commented, editable recipe drafted from a database's schema or a `.sql` DDL
file, that builds data the database accepts (lengths, NOT NULL, keys, foreign keys, CHECK lists) and is born
safe. `schema` parses DDL (sqlglot), `introspect` turns a live database's catalog into DDL, `columns` picks a
generator per column, `recipe` writes the draft; the draft is validated before it is returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sandbox.draft.columns import known
from sandbox.draft.introspect import ddl_of
from sandbox.draft.recipe import to_recipe
from sandbox.draft.schema import Schema, parse
from sandbox.errors import RecipeError, SandboxError, UsageError
from sandbox.load.targets import parse_target

__all__ = ["Draft", "draft", "read_schema"]


@dataclass
class Draft:
    text: str
    tables: int
    #: What the reviewer must look at first: columns of a type with no generator (drafted as words).
    warnings: list[str]


def read_schema(source: str, schema: str | None = None) -> Schema:
    """The schema at `source`: a `.sql` file, or a database URL (postgresql://, duckdb:///, sqlite:///)."""
    if "://" not in source:
        path = Path(source)
        if not path.is_file():
            found = "a folder" if path.is_dir() else "no such file"
            raise UsageError(f"{source}: expected a .sql file or a database URL, found {found}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise UsageError(f"{source}: expected UTF-8 text, got {error.reason}") from None
        return parse(text, source)
    target = parse_target(source)
    try:
        text, dialect = ddl_of(target, schema)
    except SandboxError:
        raise
    except Exception as error:  # a driver's own errors: scrubbed, never a traceback
        from sandbox.load import driver_error

        raise driver_error(target, error, "could not read the schema", wrote=False) from None
    return parse(text, target.shown, dialect)


def draft(source: str, *, schema: str | None = None, rows: int = 1000, name: str | None = None) -> Draft:
    """The draft recipe's text for the schema at `source` (see the module's text)."""
    from sandbox.recipe.validate import load

    found = read_schema(source, schema)
    stem = name or schema or Path(source.rstrip("/").rsplit("/", 1)[-1]).stem or "drafted"
    recipe_name = re.sub(r"[^A-Za-z0-9_-]", "_", stem)[:64]
    if not recipe_name[:1].isalpha():
        recipe_name = f"r_{recipe_name}"[:64]
    text = to_recipe(found, recipe_name, rows)
    try:
        load(text, f"{recipe_name}.yaml")
    except RecipeError as error:  # a draft that does not validate is this module's bug, said plainly
        raise SandboxError(f"the draft of {found.source} does not validate: {error}") from None
    warnings = [
        f"{found.source}:{c.line or t.line}: {t.name}.{c.name}: unknown type {c.declared}, drafted as words "
        "(edit the column)"
        for t in found.tables
        for c in t.columns
        if not known(c) and not any(fk.column == c.name for fk in t.foreign_keys)
    ]
    return Draft(text, len(found.tables), warnings)
