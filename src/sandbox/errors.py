"""Errors the library raises. The CLI maps each class to an exit code; the library never exits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

#: The small, stable set of issue codes (see STYLE.md).
CODES = (
    "yaml-syntax",
    "unknown-key",
    "missing-key",
    "bad-type",
    "bad-choice",
    "bad-range",
    "bad-ref",
    "cycle",
    "pii-unhandled",
)


@dataclass(frozen=True)
class Issue:
    """One problem in an input, located by file, line, column and dotted path."""

    code: str
    path: str
    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    hint: str | None = None

    def format(self) -> str:
        """`FILE:LINE:COL: CODE: path: expected X, got Y (did you mean Z?)`."""
        where = self.file or "<recipe>"
        if self.line is not None:
            where += f":{self.line}:{self.col or 1}"
        text = f"{where}: {self.code}: {self.path or '<root>'}: {self.message}"
        if self.hint:
            text += f" (did you mean {self.hint}?)"
        return text

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def sort_key(self) -> tuple[int, int, str]:
        return (self.line or 0, self.col or 0, self.path)


class SandboxError(Exception):
    """Root of every error the library raises on purpose."""

    exit_code = 3


class UsageError(SandboxError):
    """Bad input or usage that is not a recipe: nothing was written."""

    exit_code = 2


class MissingExtra(UsageError):
    """An optional extra is needed for this command."""

    def __init__(self, extra: str, module: str) -> None:
        note = " (the CPU build of torch first: see the README's Install)" if extra == "learn" else ""
        super().__init__(
            f"this needs the optional extra '{extra}' ({module} is not installed): {install_command(extra)}{note}"
        )


def install_command(extra: str) -> str:
    """The pip command that adds an extra to this installation: from the checkout it was installed from
    (editable), else the extra's own requirements (the package is not on PyPI under its name)."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file():
        return f"pip install -e '{root}[{extra}]'"
    try:
        requires = metadata.requires("sandbox-data") or []
    except metadata.PackageNotFoundError:
        requires = []
    wanted = [r.split(";")[0].strip() for r in requires if f'extra == "{extra}"' in r]
    return "pip install " + " ".join(f"'{r}'" for r in wanted) if wanted else f"pip install 'sandbox-data[{extra}]'"


class RecipeError(UsageError):
    """A recipe (or policy) with one or more located issues, all collected before raising."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = sorted(issues, key=Issue.sort_key)
        super().__init__("\n".join(issue.format() for issue in self.issues))


class CheckFailed(SandboxError):
    """A check ran and found something (exit 1)."""

    exit_code = 1


class BuildFailed(SandboxError):
    """A runtime failure during a build: disk full, a worker died (exit 3)."""

    exit_code = 3
