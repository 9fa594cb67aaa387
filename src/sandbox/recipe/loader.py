"""YAML text -> plain data plus a side table of line/column marks keyed by path.

Marks never enter the data (unlike Snowfakery's `__line__` keys): validation looks them up by path.
Timestamps stay strings here, so the JSON Schema sees exactly what the user typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from sandbox.errors import Issue, RecipeError

Path = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp type: dates stay strings until validated."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def dotted(path: Path) -> str:
    """`('tables', 'sessions', 'columns', 'device', 'weights', 1)` -> `tables.sessions...weights[1]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)  # a key YAML reads as a number or a date is still a name
    return out


@dataclass
class Source:
    """A parsed document and where each of its parts stood in the file."""

    file: str
    text: str
    data: Any = None
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column of a path (of its key with `key=True`), else of its nearest parent."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while True:
            if probe in table:
                return table[probe]
            if key and probe in self.values:
                return self.values[probe]
            if not probe:
                return (None, None)
            probe = probe[:-1]

    def issue(self, code: str, path: Path, message: str, hint: str | None = None, *, key: bool = False) -> Issue:
        line, col = self.locate(path, key=key)
        return Issue(code, dotted(path), message, self.file, line, col, hint)


#: Nodes a document may expand to (an alias counts each time it is used: a "billion laughs" file is a few
#: hundred bytes that expand to 10^9 nodes), and how deep it may nest. Recipes and policies use hundreds.
MAX_NODES = 100_000
MAX_DEPTH = 40


class _TooBig(Exception):
    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.node = node


def parse(text: str, file: str) -> Source:
    """Parse YAML text; a syntax error, a duplicate key, or a document past `MAX_NODES` or `MAX_DEPTH` raises
    a located RecipeError."""
    source = Source(file=file, text=text)
    try:
        loader = _Loader(text)  # the reader rejects control characters (a binary file) right here
    except yaml.reader.ReaderError as exc:
        raise RecipeError([_unprintable(exc, text, file)]) from None
    try:
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        raise RecipeError([_unprintable(exc, text, file)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        if exc.context and exc.context_mark and exc.problem:
            problem += f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise RecipeError([Issue("yaml-syntax", "", f"expected valid YAML, got {problem}", file, line, col)]) from None
    except yaml.YAMLError as exc:
        raise RecipeError([Issue("yaml-syntax", "", f"expected valid YAML, got {exc}", file)]) from None
    except RecursionError:  # the composer recurses once per level of nesting
        raise RecipeError(
            [Issue("bad-range", "", f"expected at most {MAX_DEPTH} levels of nesting, got far more", file)]
        ) from None
    finally:
        loader.dispose()
    if node is None:
        raise RecipeError([Issue("bad-type", "", "expected a mapping, got an empty document", file, 1, 1)])
    issues: list[Issue] = []
    source.values[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
    try:
        source.data = _build(node, (), source, loader, issues, [0])
    except _TooBig as exc:
        mark = exc.node.start_mark
        raise RecipeError([Issue("bad-range", "", str(exc), file, mark.line + 1, mark.column + 1)]) from None
    if issues:
        raise RecipeError(issues)
    return source


def _unprintable(exc: yaml.reader.ReaderError, text: str, file: str) -> Issue:
    """A control character where YAML allows none (a binary file, or a stray NUL), located by line and column."""
    position = min(exc.position, len(text))
    line = text.count("\n", 0, position) + 1
    col = position - (text.rfind("\n", 0, position) + 1) + 1
    character = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return Issue(
        "yaml-syntax", "", f"expected YAML text, got the control character {ord(character):#06x} (a binary file?)",
        file, line, col,
    )  # fmt: skip


def _build(node: yaml.Node, path: Path, source: Source, loader: _Loader, issues: list[Issue], seen: list[int]) -> Any:
    """The data of a node; `seen` counts the nodes built so far (aliases expanded)."""
    seen[0] += 1
    if seen[0] > MAX_NODES:
        raise _TooBig(
            f"expected at most {MAX_NODES:,} values once aliases are expanded, got more (an alias bomb?)", node
        )
    if len(path) > MAX_DEPTH:
        raise _TooBig(f"expected at most {MAX_DEPTH} levels of nesting, got more", node)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                key = str(key)
            here = (*path, str(key))
            key_mark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in out:
                issues.append(
                    Issue(
                        "yaml-syntax", dotted(here), f"expected unique keys, got `{key}` twice", source.file, *key_mark
                    )
                )
                continue
            source.keys[here] = key_mark
            source.values[here] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
            out[key] = _build(value_node, here, source, loader, issues, seen)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            here = (*path, i)
            source.values[here] = (item.start_mark.line + 1, item.start_mark.column + 1)
            items.append(_build(item, here, source, loader, issues, seen))
        return items
    return loader.construct_object(node, deep=True)


# PyYAML reads `1e-3` as a string (YAML 1.1 wants a dot); recipes mean a number.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
