"""Statistics shared by the benchmarks."""

from __future__ import annotations

import math
import statistics


def median_interval(values: list[float]) -> tuple[float, float]:
    r"""A 95 % confidence interval of the median (distribution-free).

    The order statistics $k$ and $n + 1 - k$ with $k = \lfloor n/2 - 0.98\sqrt{n}
    \rfloor$ (normal approximation of the Binomial(n, 1/2) count below the median).
    """
    ordered = sorted(values)
    n = len(ordered)
    k = max(int(n / 2 - 0.98 * math.sqrt(n)), 0)
    return ordered[k], ordered[min(n - 1 - k, n - 1)]


def ratio_summary(ratios: list[float]) -> str:
    """Paired ratios as `1.17x [1.14, 1.19] (n = 15 rounds)`.

    The median, its 95 % interval (`median_interval`) and the number of rounds.
    """
    low, high = median_interval(ratios)
    middle = statistics.median(ratios)
    return f"{middle:.2f}x [{low:.2f}, {high:.2f}] (n = {len(ratios)} rounds)"
