"""sandbox: build data sandboxes - realistic, related, messy Parquet tables with personal data stripped.

import sandbox
result = sandbox.build("starter", "shop/", rows=10_000, seed=7)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sandbox._version import __version__

if TYPE_CHECKING:
    from sandbox.api import BuildProgress, BuildResult, build, builtin_recipes, inspect, load_recipe
    from sandbox.errors import RecipeError, SandboxError
    from sandbox.output.opened import Sandbox, open_sandbox

#: Where each public name lives; imported on first use, so `sandbox` itself loads in milliseconds (the CLI
#: starts its worker pool before pyarrow and numpy are imported).
_EXPORTS = {
    "BuildProgress": "sandbox.api",
    "BuildResult": "sandbox.api",
    "build": "sandbox.api",
    "builtin_recipes": "sandbox.api",
    "inspect": "sandbox.api",
    "load_recipe": "sandbox.api",
    "RecipeError": "sandbox.errors",
    "SandboxError": "sandbox.errors",
    "Sandbox": "sandbox.output.opened",
    "open_sandbox": "sandbox.output.opened",
}

__all__ = [
    "BuildProgress",
    "BuildResult",
    "RecipeError",
    "Sandbox",
    "SandboxError",
    "__version__",
    "build",
    "builtin_recipes",
    "inspect",
    "load_recipe",
    "open_sandbox",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
