"""sandbox: build data sandboxes - realistic, related, messy Parquet tables with personal data stripped.

import sandbox
result = sandbox.build("starter", "shop/", rows=10_000, seed=7)
"""

from sandbox._version import __version__
from sandbox.api import BuildResult, build, builtin_recipes, inspect, load_recipe
from sandbox.errors import RecipeError, SandboxError
from sandbox.opened import Sandbox, open_sandbox

__all__ = [
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
