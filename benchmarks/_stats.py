"""Statistics shared by the benchmarks."""

from __future__ import annotations

import math


def median_interval(values: list[float]) -> tuple[float, float]:
    r"""A 95 % confidence interval of the median (distribution-free).

    The order statistics $k$ and $n + 1 - k$ with $k = \lfloor n/2 - 0.98\sqrt{n}
    \rfloor$ (normal approximation of the Binomial(n, 1/2) count below the median).
    """
    ordered = sorted(values)
    n = len(ordered)
    k = max(int(n / 2 - 0.98 * math.sqrt(n)), 0)
    return ordered[k], ordered[min(n - 1 - k, n - 1)]
