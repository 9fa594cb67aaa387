"""Build processes without pandas: pyarrow's speculative import of it refused, process-wide (`refuse`).

pyarrow imports pandas (0.25-0.3 s, the largest import a worker has) the first time it converts a numpy array
or a Python value, only to ask whether the value is a pandas object, and again on every conversion of a
Python sequence until that import succeeds. A build never hands it a pandas object, so the local pool's fork
server refuses the import before it loads the chunk task (sandbox.engines.preload), and the console script
does for a build or an anonymise run on this machine (sandbox.__main__): the import fails at once, pyarrow
carries on without its pandas integration, and the two cores spend that time on chunks instead.

Code that hands pyarrow pandas objects calls `allow()` first: importing `sandbox.learn` does (SDV samples
DataFrames), and so does a worker loading a domain of your own (`sandbox.domains.registry.resolve`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType


class _Refuse(MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname == "pandas":
            raise ModuleNotFoundError("pandas is refused in a build process (see sandbox.engines.lean)")
        return None


_REFUSE = _Refuse()


def refuse() -> None:
    if "pandas" not in sys.modules and _REFUSE not in sys.meta_path:
        sys.meta_path.insert(0, _REFUSE)


def refused() -> bool:
    return _REFUSE in sys.meta_path


def allow() -> None:
    """Let this process import pandas, and pyarrow convert pandas objects as pandas objects again."""
    if not refused():
        return
    sys.meta_path.remove(_REFUSE)
    import pyarrow as pa

    # pyarrow remembers the refused import; a conversion that needs pandas makes it import pandas again
    pa.table({}).to_pandas()
