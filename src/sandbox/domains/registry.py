"""Where domains come from: the `sandbox.domains` entry-point group, and domains registered at run time.

A package ships a domain by declaring it in its pyproject.toml (the built-in ones are declared the same way):

    [project.entry-points."sandbox.domains"]
    orders = "my_package.orders:Orders"

A recipe names it (`domain: {generator: orders}`), or points at a class directly (`"module:Class"`).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from sandbox.domains.interface import Domain

GROUP = "sandbox.domains"
#: Domains registered in this process (`register_domain`): name -> "module:Class".
_REGISTERED: dict[str, str] = {}


@functools.cache
def _installed() -> dict[str, str]:
    """name -> "module:Class" of every domain an installed package declares."""
    return {point.name: point.value for point in entry_points(group=GROUP)}


def _known() -> dict[str, str]:
    return {**_installed(), **_REGISTERED}


def register_domain(cls: type[Domain]) -> type[Domain]:
    """Register a domain class by its `name` for this process (usable as a decorator)."""
    _REGISTERED[cls.name] = f"{cls.__module__}:{cls.__qualname__}"
    return cls


def unregister_domain(name: str) -> None:
    """Forget a domain registered with `register_domain` (plugins and tests that register one for a while)."""
    _REGISTERED.pop(name, None)


def domain_names() -> list[str]:
    return sorted(_known())


def find_domain(reference: str) -> Domain:
    """A domain instance from a known name or a "module:Class" reference (workers use these)."""
    target = _known().get(reference, reference)
    module, _, qualname = target.partition(":")
    if not qualname:
        raise KeyError(reference)
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj()


def reference(name: str) -> str:
    """The "module:Class" a worker process imports to find this domain."""
    return _known()[name]


def domain_folders() -> list[Path]:
    """The folder of every known domain's module or package (where its data and `recipes/` live), found
    without importing the domain itself."""
    folders = []
    for target in _known().values():
        spec = importlib.util.find_spec(target.partition(":")[0])
        if spec is None:
            continue
        if spec.submodule_search_locations:
            folders.append(Path(next(iter(spec.submodule_search_locations))))
        elif spec.origin:
            folders.append(Path(spec.origin).parent)
    return sorted(set(folders))
