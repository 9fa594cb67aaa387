"""'Did you mean' hints for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: object, choices: Iterable[object]) -> str | None:
    """The closest choice, quoted in backticks, or None when nothing is close."""
    options = [str(c) for c in choices]
    match = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"`{match[0]}`" if match else None
