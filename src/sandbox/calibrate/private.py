"""`calibrate --epsilon`: every statistic the recipe releases made differentially private through OpenDP.

Row-level privacy: two exports are neighbours when one row of one table is added or removed. The budget is
split evenly over the tables, then over each table's row count and columns, then over each column's
statistics (basic composition), and every spend is recorded (`spent`) for the recipe's header, which the built
sandbox's manifest keeps. Counts and histograms get OpenDP's (discrete) Laplace mechanism; quantiles its
private quantile mechanism (exponential mechanism over candidates fixed in advance, never taken from the
data). Which categories are released is chosen by a noisy threshold, which costs `delta` (a category held by
one row passes it with probability below `delta`). OpenDP draws its noise from the operating system, so two
runs give different recipes, as they must; a recipe, once written, builds the same bytes every time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Public quantile candidates: 0, and +-10^(k/20) from 1e-3 to 1e9 (a 12% grid, whatever the column's scale).
_MAGNITUDES = [10 ** (k / 20) for k in range(-60, 181)]
CANDIDATES = sorted({0.0, *(-m for m in _MAGNITUDES), *_MAGNITUDES})
#: Days from 1970 to 2100, as microseconds: the candidates for an instant column's range.
DAY_US = 86_400 * 10**6
DAYS = [float(d * DAY_US) for d in range(0, 47_482)]


def _prelude() -> Any:
    try:
        import opendp.prelude as dp
    except ImportError:
        from sandbox.errors import MissingExtra

        raise MissingExtra("dp", "opendp") from None
    dp.enable_features("contrib")
    return dp


@dataclass
class Budget:
    epsilon: float
    delta: float = 1e-6
    spent: list[tuple[str, str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dp = _prelude()

    def part(self, parts: int) -> Budget:
        """A share of this budget (epsilon / parts) that records its spends here."""
        return Budget(self.epsilon / parts, self.delta, self.spent)

    def _spend(self, what: str, statistic: str, epsilon: float) -> None:
        self.spent.append((what, statistic, epsilon))

    def count(self, what: str, value: int, epsilon: float, statistic: str = "count") -> int:
        dp = self.dp
        noisy = dp.m.make_laplace(dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=1.0 / epsilon)
        self._spend(what, statistic, epsilon)
        return max(int(noisy(int(value))), 0)

    def histogram(self, what: str, counts: list[int], epsilon: float) -> list[int]:
        """Noisy counts of categories or fixed bins (one row changes one count by one)."""
        if not counts:
            return []
        dp = self.dp
        noisy = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=1.0 / epsilon)
        self._spend(what, "histogram", epsilon)
        return [max(int(c), 0) for c in noisy([int(c) for c in counts])]

    def threshold(self, epsilon: float) -> float:
        """The noisy count a category must reach to be released, beyond the K_MIN rule: one row's category
        passes with probability below delta."""
        return (1.0 / epsilon) * math.log(1 / (2 * self.delta)) + 1

    def quantiles(
        self, what: str, x: np.ndarray, alphas: list[float], epsilon: float, candidates: list[float] | None = None
    ) -> list[float]:
        dp = self.dp
        domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))
        grid = candidates or CANDIDATES
        share = epsilon / len(alphas)
        out = []
        for alpha in alphas:

            def make(scale: float, alpha: float = alpha) -> Any:
                return dp.m.make_private_quantile(
                    domain, dp.symmetric_distance(), dp.max_divergence(), grid, alpha, scale
                )

            measure = make(dp.binary_search_param(make, d_in=1, d_out=share))
            out.append(float(measure([float(v) for v in x])))
        self._spend(what, f"quantiles {', '.join(f'{a:g}' for a in alphas)}", epsilon)
        return out

    def header(self) -> list[str]:
        spent = math.fsum(eps for _, _, eps in self.spent)
        lines = [
            f"# Differentially private (OpenDP): epsilon {self.epsilon:g} in all, delta {self.delta:g}, row-level",
            f"# (neighbours differ in one row of one table); {spent:.4g} spent (a column's unused share, e.g. the",
            "# quantiles of one its histogram already describes, is not), each statistic's share:",
        ]
        lines += [f"#   {what}: {statistic}, epsilon {eps:.4g}" for what, statistic, eps in self.spent]
        return lines
