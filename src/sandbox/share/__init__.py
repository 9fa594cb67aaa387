"""Handing sandboxes around: deterministic archives (pack, unpack), verify and diff (scoring is `sandbox.scoring`)."""
