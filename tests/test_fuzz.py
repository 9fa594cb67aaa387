"""Random mutations of the built-in recipes never produce a traceback: a located error or a valid build."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sandbox
from sandbox.errors import CheckFailed, RecipeError, UsageError
from sandbox.recipe.validate import load
from tests.conftest import ROOT

SOURCES = sorted((ROOT / "recipes").glob("*.yaml")) + [ROOT / "bench/generic10.yaml"]
ODD_VALUES = st.sampled_from(
    [
        -1,
        0,
        1,
        3,
        2**63,
        0.5,
        -0.25,
        1e-3,
        "",
        "x",
        "2024-01-01",
        "a.b",
        "{x}",
        None,
        True,
        [],
        {},
        [1, 2],
        {"a": 1},
        [0.5, 0.5],
        "decimal(40,2)",
        "name",
        "sequence",
    ]
)
MAX_ROWS = 300


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += paths(value, (*prefix, i))
    return out


def mutate(data: Any, path: tuple, action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{last}x" if isinstance(last, str) else str(value)] = parent.pop(last)
    else:
        parent[last] = value
    return data


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    source = draw(st.sampled_from(SOURCES))
    text = source.read_text(encoding="utf-8")
    if draw(st.booleans()):
        lines = text.splitlines()
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "garble"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        else:
            col = draw(st.integers(0, len(lines[i])))
            lines[i] = (
                lines[i][:col] + draw(st.sampled_from([":", "{", "]", "\t", "- ", "&a", "*b", "'"])) + lines[i][col:]
            )
        return "\n".join(lines) + "\n"
    data = json.loads(json.dumps(yaml.safe_load(text), default=str))
    return yaml.safe_dump(mutations(draw, data, ODD_VALUES, 3), sort_keys=False)


def mutations(draw: st.DrawFn, data: Any, values: st.SearchStrategy[Any], most: int) -> Any:
    """`data` after 1 to `most` random replacements, deletions or renames anywhere in it."""
    for _ in range(draw(st.integers(1, most))):
        path = draw(st.sampled_from(paths(data)))
        action = draw(st.sampled_from(["replace", "delete", "rename"]))
        try:
            data = mutate(data, path, action, copy.deepcopy(draw(values)))
        except (KeyError, IndexError, TypeError):
            continue
    return data


def build_small(text: str) -> None:
    recipe = load(text, "mutant.yaml")
    largest = max([t.rows for t in recipe.tables] + [recipe.domain.rows if recipe.domain else 0])
    scale = min(1.0, MAX_ROWS / largest) if largest else 1.0
    with tempfile.TemporaryDirectory() as tmp:
        sandbox.build(recipe.sized(scale=scale) if scale < 1 else recipe, Path(tmp) / "out")


def check(text: str) -> None:
    """A mutant either builds, or is refused as bad input (exit 2) with a located reason, or its own scan finds
    personal data in what it would write (exit 1). A runtime failure (exit 3) or any other exception is a bug."""
    try:
        build_small(text)
    except RecipeError as exc:
        assert exc.issues and all(i.code and i.message for i in exc.issues)
    except (UsageError, CheckFailed) as exc:
        assert str(exc).strip(), type(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_text())
def test_mutations_never_crash(text: str) -> None:
    check(text)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_text())
def test_many_mutations_never_crash(text: str) -> None:
    check(text)
