"""Learn from real data: fit SDV on an anonymised export (`learn`), sample sandboxes from it (`sample`).

Needs the optional extra `sandbox-data[learn]` (SDV and SDMetrics; SDV is source-available under the
Business Source License). Everything here imports SDV lazily, so the core works without it. The model folder,
and drawing rows from it, belong to the learned domain (`sandbox.domains.learned`).
"""

from sandbox.learn.fit import SYNTHESIZERS, learn
from sandbox.learn.sample import sample

__all__ = ["SYNTHESIZERS", "learn", "sample"]
