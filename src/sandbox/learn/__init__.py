"""Learn from real data: fit SDV on an anonymised export (`learn`), sample sandboxes from it (`sample`).

Needs the optional extra `sandbox-data[learn]` (SDV and SDMetrics; SDV is source-available under the
Business Source License). Everything here imports SDV lazily, so the core works without it. It works on
pandas frames: a build process that refused pandas (sandbox.engines.lean) takes it back on importing this.
"""

from sandbox.engines import lean

lean.allow()

from sandbox.learn.draw import sample  # noqa: E402
from sandbox.learn.fit import SYNTHESIZERS, learn  # noqa: E402

__all__ = ["SYNTHESIZERS", "learn", "sample"]
