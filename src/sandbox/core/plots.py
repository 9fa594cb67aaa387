"""matplotlib for the report and the domains' views (the `report` extra), imported only when a report is made."""

from __future__ import annotations

from typing import Any

from sandbox.errors import MissingExtra


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, or an install hint."""
    try:
        import matplotlib
    except ImportError:
        raise MissingExtra("report", "matplotlib") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
