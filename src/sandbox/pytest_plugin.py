"""pytest plugin: sandboxes as test fixtures, built once and cached across runs.

    def test_orders(sandbox_fixture):
        shop = sandbox_fixture("ecommerce", rows=1000, seed=7)
        assert len(shop.to_pandas("orders")) > 0

    @pytest.mark.sandbox(rows=200, seed=1)   # overrides rows and seed for this test
    def test_small(sandbox_fixture): ...

    def test_report(sandbox_db, sandbox_postgres):   # the sandbox in a database, loaded once per session
        db = sandbox_db("ecommerce", url=sandbox_postgres, rows=1000, seed=7)
        ...  # query db.schema's tables at sandbox_postgres

A sandbox is cached under `--sandbox-cache-dir` (default: pytest's cache folder) in a folder named by a hash
of the manifest's inputs: recipe sha256, seed, rows or scale, tool version and library lock. A later run
with the same inputs opens it instead of building it again; any change builds a new one.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sandbox.output.opened import Sandbox, open_sandbox

if TYPE_CHECKING:
    from sandbox.load import Loaded

CACHE_OPTION = "--sandbox-cache-dir"


@dataclass
class SandboxCache:
    """Where fixtures live, and what this session built or reused (reported in the terminal summary)."""

    #: Finds the folder on first use, so a session that uses no fixture creates nothing.
    locate: Callable[[], Path]
    built: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    opened: dict[str, Sandbox] = field(default_factory=dict)
    loaded: dict[tuple[str, str, str | None, bool], Loaded] = field(default_factory=dict)

    @functools.cached_property
    def folder(self) -> Path:
        return self.locate()

    def get(self, recipe: str | Path, rows: int | None, scale: float | None, seed: int | None) -> Sandbox:
        from sandbox.api import build, load_recipe
        from sandbox.output.manifest import lock

        model = load_recipe(recipe)
        inputs = {"recipe": model.sha256, "rows": rows, "scale": scale, "seed": seed, "lock": lock()}
        digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:20]
        name = f"{model.name}-{digest}"
        if name in self.opened:
            return self.opened[name]
        out = self.folder / name
        if (out / "manifest.json").exists():
            self.reused.append(name)
        else:
            build(model, out, rows=rows, scale=scale, seed=seed, overwrite=out.exists())
            self.built.append(name)
        self.opened[name] = open_sandbox(out)
        return self.opened[name]


_CACHE = pytest.StashKey[SandboxCache]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("sandbox").addoption(
        CACHE_OPTION, metavar="DIR", help="Where sandbox fixtures are cached between runs (default: pytest's cache)."
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox(rows=None, seed=None, scale=None): override a sandbox fixture's size")
    config.stash[_CACHE] = SandboxCache(lambda: _folder(config))


def _folder(config: pytest.Config) -> Path:
    """--sandbox-cache-dir, else pytest's cache folder, else (`-p no:cacheprovider`: no `config.cache` at all)
    `.sandbox-fixtures` in the root folder."""
    given = config.getoption(CACHE_OPTION)
    if given:
        return Path(given)
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("sandbox"))
    return Path(config.rootpath) / ".sandbox-fixtures"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    cache = config.stash.get(_CACHE, None)
    if cache is not None and (cache.built or cache.reused):
        terminalreporter.write_line(
            f"sandbox fixtures: {len(cache.built)} built, {len(cache.reused)} reused from {cache.folder}"
        )


@pytest.fixture
def sandbox_fixture(request: pytest.FixtureRequest) -> Callable[..., Sandbox]:
    """A factory: `sandbox_fixture(recipe, rows=None, seed=None, scale=None)` returns an opened Sandbox.

    The recipe is a built-in name or a path. A `@pytest.mark.sandbox(rows=..., seed=...)` on the test wins
    over the arguments.
    """
    cache = request.config.stash[_CACHE]
    marker = request.node.get_closest_marker("sandbox")
    override = dict(marker.kwargs) if marker else {}

    def make(
        recipe: str | Path, *, rows: int | None = None, seed: int | None = None, scale: float | None = None
    ) -> Sandbox:
        given: dict[str, Any] = {"rows": rows, "seed": seed, "scale": scale}
        if "rows" in override or "scale" in override:  # the marker's size replaces the call's
            given["rows"] = given["scale"] = None
        given.update(override)

        return cache.get(recipe, given["rows"], given["scale"], given["seed"])

    return make


@pytest.fixture(scope="session")
def sandbox_db(request: pytest.FixtureRequest) -> Callable[..., Loaded]:
    """A factory: `sandbox_db(recipe, url=..., rows=None, seed=None, schema=None, truth=False)` loads the cached
    sandbox into the database at `url` (`sandbox load --replace`) once per test session and returns what was
    loaded (`.schemas["data"]` is the schema; `.rows` the tables' rows)."""
    cache = request.config.stash[_CACHE]

    def make(
        recipe: str | Path,
        *,
        url: str,
        rows: int | None = None,
        seed: int | None = None,
        schema: str | None = None,
        truth: bool = False,
    ) -> Loaded:
        from sandbox.load import load

        box = cache.get(recipe, rows, None, seed)
        key = (str(box.path), url, schema, truth)
        if key not in cache.loaded:
            cache.loaded[key] = load(box.path, url, schema=schema, replace=True, truth=truth)
        return cache.loaded[key]

    return make


@pytest.fixture(scope="session")
def sandbox_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL for the test session (`sandbox.load.server`: initdb in a temporary folder, a free
    loopback port, a random password); its URL. Needs PostgreSQL's server programs (apt-get install postgresql)."""
    from sandbox.load.server import throwaway_postgres

    with throwaway_postgres() as url:
        yield url
