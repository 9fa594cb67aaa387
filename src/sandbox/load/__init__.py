"""`sandbox load`: a built sandbox into PostgreSQL, DuckDB or SQLite, with exact types, keys and comments,
atomically (`postgres`, `duck`, `sqlite`: one transaction each, swapped in only when complete).

The steps: parse the URL (`targets`), refuse an existing schema without `replace` (exit 2), decide the tables
and which keys hold (`plan`), then write. PostgreSQL declares foreign keys NOT VALID (DuckDB has checked them)
unless `validate`; DuckDB and SQLite always check them. A password never reaches a message.
"""

from __future__ import annotations

import functools
import re
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
#: Where `--into-existing` looks without `--schema`.
_EXISTING_SCHEMA = {"postgresql": "public", "duckdb": "main", "sqlite": "main"}
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
    #: Appended to existing tables (`--into-existing`): their own keys, none declared.
    into_existing: bool = False


#: What a driver's message quotes that must not reach ours: the statement it ran, and a failing row's values.
_QUOTED = (re.compile(r"Failed to execute query '.*?': "), re.compile(r"DETAIL: Failing row contains \(.*?\)\. ?"))


def driver_error(target: Target, error: BaseException, doing: str, wrote: bool = True) -> SandboxError:
    """A driver's error as ours: the password masked, no statement or row values, exit 2 for a refused login
    (`wrote`: the failed step was writing, and the message says the target is as it was)."""
    text = target.scrub(" ".join(str(error).split()))
    for quoted in _QUOTED:
        text = quoted.sub("", text)
    if any(word in text for word in _REFUSED):
        return UsageError(f"{target.shown}: the database refused the login: {text}")
    return LoadFailed(f"{target.shown}: {doing}: {text}" + (" (the target is as it was)" if wrote else ""))


def _connect(module: ModuleType, target: Target) -> Any:
    try:
        return module.connect(target.path if target.path is not None else target.url)
    except SandboxError:
        raise
    except Exception as error:  # a driver's own error types: shown scrubbed, never as a traceback
        raise driver_error(target, error, "could not connect") from None


def load(
    sandbox: str | Path,
    url: str,
    *,
    schema: str | None = None,
    replace: bool = False,
    truth: bool = False,
    only: Iterable[str] = (),
    validate: bool = False,
    into_existing: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Loaded:
    """Load the sandbox at `sandbox` into the database at `url` (see the module's text)."""
    target = parse_target(url)
    box = open_sandbox(sandbox)
    _refuse_options(target, schema, truth, into_existing)
    recipe = box.manifest.get("recipe", {}).get("name") or Path(sandbox).name
    fallback = _EXISTING_SCHEMA[target.kind] if into_existing else default_schema(str(recipe))
    schemas = _schemas(schema_name(schema, "--schema") if schema else fallback)
    name = schemas["data"]
    module = _MODULES[target.kind]
    started = time.perf_counter()
    conn = _connect(module, target)
    try:
        _refuse_clash(module, conn, target, box, schemas, truth, replace, into_existing)
        laid = plan(box, truth, only, progress, self_references=target.kind != "duckdb")
        counted: dict[str, int] = {t.name: 0 for t in laid.tables}

        def streamed(table: str, rows: int) -> None:
            counted[table] += rows
            if progress:
                progress(f"loading {table}: {counted[table]:,} rows")

        try:
            if into_existing:  # the target's own constraints check every row
                module.write_existing(conn, laid, name, replace, streamed)
            else:  # DuckDB checks each key as it inserts, SQLite runs its foreign_key_check: always validated
                write = functools.partial(postgres.write, validate=validate) if module is postgres else module.write
                write(conn, laid, schemas, replace, streamed)
        except SandboxError:
            raise
        except Exception as error:
            raise driver_error(target, error, "the load failed") from None
    finally:
        conn.close()
    used = {t.role for t in laid.tables}
    declared = not into_existing
    return Loaded(
        target.shown,
        {} if target.kind == "sqlite" else {r: s for r, s in schemas.items() if r in used},
        {t.name: t.rows for t in laid.tables},
        sum(1 for t in laid.tables if t.primary_key) if declared else 0,
        sum(len(t.foreign_keys) for t in laid.tables) if declared else 0,
        laid.withheld if declared else [],
        time.perf_counter() - started,
        into_existing,
    )


def _refuse_options(target: Target, schema: str | None, truth: bool, into_existing: bool) -> None:
    if target.kind == "sqlite" and schema:
        raise UsageError(f"--schema: SQLite has no schemas; the tables keep their names in {target.shown}")
    if into_existing and truth:
        raise UsageError("--truth: the answer keys have no tables in an existing schema; load them without it")


def _schemas(name: str) -> dict[str, str]:
    return {"data": name, "truth": f"{name}_truth"}


def _refuse_clash(
    module: ModuleType,
    conn: Any,
    target: Target,
    box: Any,
    schemas: dict[str, str],
    truth: bool,
    replace: bool,
    into_existing: bool,
) -> None:
    """Exit 2 when the load would replace what exists without `replace` (or, into existing tables, when the
    schema is not there)."""
    if target.kind == "sqlite":
        wanted = [t for t, e in box.manifest["tables"].items() if e["role"] == "data" or truth]
    else:
        wanted = [schemas["data"], schemas["truth"]] if truth else [schemas["data"]]
    clash = module.existing(conn, wanted)
    if into_existing:
        if target.kind != "sqlite" and not clash:
            raise UsageError(f"{target.shown}: --into-existing: expected schema {schemas['data']} to exist, found none")
        return
    if clash and not replace:
        what = "tables" if target.kind == "sqlite" else "schema"
        raise UsageError(f"{target.shown}: {what} {', '.join(clash)} exists (pass --replace to replace it)")
