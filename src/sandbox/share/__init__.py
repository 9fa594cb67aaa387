"""Handing sandboxes around: deterministic archives (pack, unpack), verify, diff and score."""
