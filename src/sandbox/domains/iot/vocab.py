"""The sensors domain's vocabulary (`data.json`): kinds, vendors, climates, causes, regimes, note templates."""

from __future__ import annotations

import functools
from typing import Any

from sandbox.domains.interface import package_data


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    return package_data(__name__, "data.json")
