"""`sandbox load`: a built sandbox into PostgreSQL, DuckDB or SQLite, with exact types, keys and comments,
atomically (`postgres`, `duck`, `sqlite`: one transaction each, swapped in only when complete).

The steps: parse the URL (`targets`), refuse an existing schema without `replace` (exit 2), decide the tables
and which keys hold (`plan`), then write. PostgreSQL declares foreign keys NOT VALID (DuckDB has checked them)
unless `validate`; DuckDB and SQLite always check them. A password never reaches a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from sandbox.errors import SandboxError, UsageError
from sandbox.load import duck, postgres, sqlite
from sandbox.load.plan import plan
from sandbox.load.targets import Target, default_schema, parse_target, schema_name
from sandbox.output.opened import open_sandbox

__all__ = ["LoadFailed", "Loaded", "load"]

_MODULES: dict[str, ModuleType] = {"postgresql": postgres, "duckdb": duck, "sqlite": sqlite}
#: A driver's words for a refused login: bad input (exit 2), not a failure of the machine (exit 3).
_REFUSED = ("password authentication failed", "authentication failed", "no password supplied", 'role "')


class LoadFailed(SandboxError):
    """The database refused or lost the load (exit 3); the target is as it was."""

    exit_code = 3


@dataclass
class Loaded:
    """What a load wrote: the target (password masked), its schemas, each table's rows, the keys declared."""

    target: str
    schemas: dict[str, str]
    rows: dict[str, int] = field(default_factory=dict)
    primary_keys: int = 0
    foreign_keys: int = 0
    withheld: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _failed(target: Target, error: BaseException, doing: str) -> SandboxError:
    text = target.scrub(" ".join(str(error).split()))
    if any(word in text for word in _REFUSED):
        return UsageError(f"{target.shown}: the database refused the login: {text}")
    return LoadFailed(f"{target.shown}: {doing}: {text} (the target is as it was)")


def _connect(module: ModuleType, target: Target) -> Any:
    try:
        return module.connect(target.path if target.path is not None else target.url)
    except SandboxError:
        raise
    except Exception as error:  # a driver's own error types: shown scrubbed, never as a traceback
        raise _failed(target, error, "could not connect") from None


def load(
    sandbox: str | Path,
    url: str,
    *,
    schema: str | None = None,
    replace: bool = False,
    truth: bool = False,
    only: Iterable[str] = (),
    validate: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Loaded:
    """Load the sandbox at `sandbox` into the database at `url` (see the module's text)."""
    target = parse_target(url)
    box = open_sandbox(sandbox)
    if target.kind == "sqlite" and schema:
        raise UsageError(f"--schema: SQLite has no schemas; the tables keep their names in {target.shown}")
    recipe = box.manifest.get("recipe", {}).get("name") or Path(sandbox).name
    name = schema_name(schema, "--schema") if schema else default_schema(str(recipe))
    schemas = {"data": name, "truth": f"{name}_truth"}
    module = _MODULES[target.kind]
    started = time.perf_counter()
    conn = _connect(module, target)
    try:
        if target.kind == "sqlite":
            wanted = [t for t, e in box.manifest["tables"].items() if e["role"] == "data" or truth]
        else:
            wanted = [name, schemas["truth"]] if truth else [name]
        clash = module.existing(conn, wanted)
        if clash and not replace:
            what = "tables" if target.kind == "sqlite" else "schema"
            raise UsageError(f"{target.shown}: {what} {', '.join(clash)} exists (pass --replace to replace it)")
        laid = plan(box, truth, only, progress)
        counted: dict[str, int] = {t.name: 0 for t in laid.tables}

        def streamed(table: str, rows: int) -> None:
            counted[table] += rows
            if progress:
                progress(f"loading {table}: {counted[table]:,} rows")

        try:
            if target.kind == "postgresql":
                postgres.write(conn, laid, schemas, replace, streamed, validate)
            else:  # DuckDB checks each key as it inserts, SQLite runs its foreign_key_check: always validated
                module.write(conn, laid, schemas, replace, streamed)
        except SandboxError:
            raise
        except Exception as error:
            raise _failed(target, error, "the load failed") from None
    finally:
        conn.close()
    used = {t.role for t in laid.tables}
    return Loaded(
        target.shown,
        {} if target.kind == "sqlite" else {r: s for r, s in schemas.items() if r in used},
        {t.name: t.rows for t in laid.tables},
        sum(1 for t in laid.tables if t.primary_key),
        sum(len(t.foreign_keys) for t in laid.tables),
        laid.withheld,
        time.perf_counter() - started,
    )
