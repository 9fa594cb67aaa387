"""The package's shape, read from its source: layers, no import cycles, no module or function too long.

Imports inside `if TYPE_CHECKING:` are annotations only and do not count; imports inside functions do (a lazy
import is still a dependency). See README, "Architecture".
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "sandbox"
#: Each part of the package and its layer: a module imports only from its own layer or the layers below.
LAYERS: dict[str, int] = {
    "errors": 0,
    "_version": 0,
    "core": 0,
    "runtime": 0,
    "output": 1,
    "privacy": 2,
    "columns": 3,
    "noise": 3,
    "scoring": 3,
    "domains": 4,
    "recipe": 5,
    "engine": 6,
    "explain": 7,
    "api": 8,
    "share": 9,
    "exports": 9,
    "load": 9,
    "calibrate": 10,
    "draft": 10,
    "replay": 10,
    "learn": 10,
    "cli": 11,
    "pytest_plugin": 11,
    "__main__": 12,
    "__init__": 12,
}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `name` imports (TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node) for n in ast.walk(node)
    }
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def part_of(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def test_every_part_of_the_package_has_a_layer() -> None:
    assert sorted({part_of(m) for m in modules()} - set(LAYERS)) == []


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    broken = [
        f"{source} (layer {LAYERS[part_of(source)]}) imports {target} (layer {LAYERS[part_of(target)]})"
        for source, targets in graph().items()
        for target in sorted(targets)
        if LAYERS[part_of(target)] > LAYERS[part_of(source)]
    ]
    assert broken == []


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [("domains", {"engine", "api", "cli", "explain", "share"}), ("privacy", {"domains", "engine", "api", "cli"})],
)
def test_the_named_rules_hold(importer: str, forbidden: set[str]) -> None:
    """Domains never import the engine or the API; privacy never imports domains."""
    broken = [
        f"{s} imports {t}" for s, ts in graph().items() if part_of(s) == importer for t in ts if part_of(t) in forbidden
    ]
    assert broken == []


def test_nothing_imports_the_cli_but_the_console_script() -> None:
    broken = [
        f"{s} imports {t}"
        for s, ts in graph().items()
        for t in ts
        if part_of(t) == "cli" and part_of(s) not in ("cli", "__main__")
    ]
    assert broken == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_import_reader_sees_lazy_imports_and_skips_type_checking(tmp_path: Path) -> None:
    module = PACKAGE / "core" / "seeding.py"
    code = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sandbox.api import build\n"
        "def f():\n    from sandbox.engine import plan\n"
    )
    path = tmp_path / "m.py"
    path.write_text(code)
    assert imports("sandbox.core.m", path, set(modules())) == {"sandbox.engine.plan"}
    assert module.exists()


def test_no_module_is_over_400_lines() -> None:
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_over_60_lines() -> None:
    long = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert long == []
