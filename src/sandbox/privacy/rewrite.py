"""Regex rewriting of string arrays, paying the rewrite only where the pattern matches."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def replace_matches(text: pa.Array, pattern: str, replacement: str) -> pa.Array:
    """`pc.replace_substring_regex` over the values `pattern` matches, the others as they are: the same array.

    Finding whether a value matches is a third of the cost of rewriting it (RE2 needs a match's groups only to
    rewrite it), and a redaction pattern matches few of a column's values (bench/RESULTS.md)."""
    hit = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    found = int(np.count_nonzero(hit.to_numpy(zero_copy_only=False)))
    if not found:
        return text
    if found == len(text):
        return pc.replace_substring_regex(text, pattern, replacement)
    return pc.replace_with_mask(text, hit, pc.replace_substring_regex(text.filter(hit), pattern, replacement))
