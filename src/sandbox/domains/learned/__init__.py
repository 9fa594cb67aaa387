"""The learned domain: rows drawn from a model `sandbox learn` fitted on a team's own export (SDV)."""

from sandbox.domains.learned.domain import Learned

__all__ = ["Learned"]
