"""Learn from real data: fit SDV on an anonymised export (`learn`), sample sandboxes from it (`sample`).

Needs the optional extra `sandbox-data[learn]` (SDV and SDMetrics; SDV is source-available under the
Business Source License). Everything here imports SDV lazily, so the core works without it.
"""

from sandbox.learn.draw import sample
from sandbox.learn.fit import SYNTHESIZERS, learn

__all__ = ["SYNTHESIZERS", "learn", "sample"]
