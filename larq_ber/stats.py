r"""Confidence intervals for accuracies measured in bit-error experiments. TF-free.

Two kinds of interval, both two-sided at a confidence $1 - \alpha$:

- `mean_interval` — the mean of a few independent measurements (e.g. each
  training run's Top1Max, or each run's mean accuracy under errors): Student's t
  interval with $n - 1$ degrees of freedom;
- `wilson_interval` — one accuracy measured as `correct` right answers out of `n`
  test images: Wilson's score interval for a binomial proportion.

`t_interval` gives the t interval from a mean and a sample standard deviation
already computed (e.g. by `larq_ber.tables.summarize`), so a table is never
aggregated twice. The quantiles are two-sided: $t_{n-1,\,1-\alpha/2}$ and
$z_{1-\alpha/2} = \Phi^{-1}(1 - \alpha/2)$ (a one-sided quantile, $1 - \alpha$,
would give a 90 % interval where 95 % is meant).

Example:
    >>> interval = mean_interval([0.97, 0.98, 0.96])
    >>> round(interval.low, 4), round(interval.high, 4)
    (0.9452, 0.9948)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterable

from scipy import special

__all__ = [
    "Interval",
    "mean_interval",
    "t_interval",
    "t_quantile",
    "wilson_interval",
    "z_quantile",
]


@dataclasses.dataclass(frozen=True)
class Interval:
    r"""A two-sided confidence interval around an estimate.

    Attributes:
        n: Number of measurements (values, or test images for `wilson_interval`).
        mean: The estimate: the sample mean, or the observed proportion.
        std: Sample standard deviation of the measurements (ddof = 1); NaN for one.
        low: Lower bound (NaN where the interval is undefined, n = 1 for a mean).
        high: Upper bound (NaN where undefined).
        half_width: Half the interval's length, `(high - low) / 2` (NaN where
            undefined); the margin of a symmetric interval.
        confidence: The confidence level $1 - \alpha$, in (0, 1).
        method: How it was computed: `"student-t"` or `"wilson"`.

    Example:
        >>> mean_interval([1.0, 3.0]).n
        2
    """

    n: int
    mean: float
    std: float
    low: float
    high: float
    half_width: float
    confidence: float
    method: str


def _check_confidence(confidence: float) -> float:
    """`confidence` as a float, or a ValueError naming it and its range."""
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
        raise ValueError(
            f"`confidence` must be a number in (0, 1), got {confidence!r}."
        )
    if not 0 < confidence < 1:
        raise ValueError(f"`confidence` must be in (0, 1), got {confidence!r}.")
    return float(confidence)


def _is_integer(value: object) -> bool:
    """Whether `value` is an integer (Python's or numpy's), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def z_quantile(confidence: float = 0.95) -> float:
    r"""The two-sided standard normal quantile $z_{1-\alpha/2} = \Phi^{-1}(1-\alpha/2)$.

    With $\alpha = 1 - \text{confidence}$; e.g. 1.959964 for 95 %.

    Args:
        confidence: The confidence level $1 - \alpha$, in (0, 1).

    Returns:
        The quantile (> 0).

    Raises:
        ValueError: If `confidence` is not in (0, 1).

    Example:
        >>> round(z_quantile(0.95), 6)
        1.959964
    """
    alpha = 1 - _check_confidence(confidence)
    return float(special.ndtri(1 - alpha / 2))


def t_quantile(confidence: float, df: int) -> float:
    r"""The two-sided Student's t quantile $t_{\nu,\,1-\alpha/2}$.

    Args:
        confidence: The confidence level $1 - \alpha$, in (0, 1).
        df: Degrees of freedom $\nu$ (>= 1), $n - 1$ for a mean of n values.

    Returns:
        The quantile (> 0); e.g. 12.706205 for 95 % and one degree of freedom.

    Raises:
        ValueError: If `confidence` is not in (0, 1) or `df` < 1.

    Example:
        >>> round(t_quantile(0.95, 4), 6)
        2.776445
    """
    alpha = 1 - _check_confidence(confidence)
    if not _is_integer(df) or df < 1:
        raise ValueError(f"`df` must be an integer >= 1, got {df!r}.")
    return float(special.stdtrit(int(df), 1 - alpha / 2))


def t_interval(mean: float, std: float, n: int, confidence: float = 0.95) -> Interval:
    r"""Student's t interval for a mean, from the mean and sample std of n values.

    $$\bar x \pm t_{n-1,\,1-\alpha/2}\,\frac{s}{\sqrt n},\qquad
    s^2 = \frac{1}{n-1}\sum_i (x_i - \bar x)^2,$$

    exact for independent normal values, and close for a few values of any
    distribution that is not strongly skewed (Student, *Biometrika* 6, 1908;
    e.g. Casella & Berger, *Statistical Inference*, 2nd ed., §9.2.2).

    Args:
        mean: The sample mean $\bar x$.
        std: The sample standard deviation $s$ (ddof = 1, >= 0); ignored for
            n = 1.
        n: Number of values (>= 1).
        confidence: The confidence level $1 - \alpha$, in (0, 1).

    Returns:
        The `Interval` (`method="student-t"`). For n = 1 the spread of the
        values is unknown: `std`, `low`, `high` and `half_width` are NaN.

    Raises:
        ValueError: If `confidence` is not in (0, 1), `n` < 1, or `mean` or `std`
            is not finite or `std` < 0 (for n > 1).

    Example:
        >>> t_interval(0.9, 0.0, 3).half_width
        0.0
    """
    confidence = _check_confidence(confidence)
    if not _is_integer(n) or n < 1:
        raise ValueError(f"`n` must be an integer >= 1, got {n!r}.")
    if not math.isfinite(mean):
        raise ValueError(f"`mean` must be a finite number, got {mean!r}.")
    if n == 1:
        nan = math.nan
        return Interval(1, float(mean), nan, nan, nan, nan, confidence, "student-t")
    if not (math.isfinite(std) and std >= 0):
        raise ValueError(f"`std` must be a finite number >= 0, got {std!r}.")
    half = t_quantile(confidence, n - 1) * std / math.sqrt(n)
    return Interval(
        int(n), float(mean), float(std), mean - half, mean + half, half, confidence,
        "student-t",
    )  # fmt: skip


def mean_interval(values: Iterable[float], confidence: float = 0.95) -> Interval:
    r"""Student's t interval for the mean of independent measurements.

    $$\bar x \pm t_{n-1,\,1-\alpha/2}\,\frac{s}{\sqrt n}$$

    with the sample standard deviation $s$ (ddof = 1); see `t_interval`. The
    quantile is two-sided, $1 - \alpha/2$. With one value the interval is
    undefined: its bounds, `std` and `half_width` are NaN (not a zero-width
    interval, which would claim certainty one run cannot give).

    Args:
        values: The measurements (finite numbers), e.g. each run's Top1Max.
        confidence: The confidence level $1 - \alpha$, in (0, 1).

    Returns:
        The `Interval` (`method="student-t"`).

    Raises:
        ValueError: If `confidence` is not in (0, 1), `values` is empty (n < 1)
            or holds a value that is not a finite number.

    Example:
        >>> interval = mean_interval([0.5, 0.7])
        >>> interval.mean, round(interval.half_width, 4)
        (0.6, 1.2706)
        >>> math.isnan(mean_interval([0.5]).low)
        True
    """
    confidence = _check_confidence(confidence)
    data = [float(v) for v in values]
    if not data:
        raise ValueError("`values` must hold at least one value (n >= 1), got none.")
    if not all(math.isfinite(v) for v in data):
        raise ValueError(f"`values` must be finite numbers, got {data!r}.")
    n = len(data)
    mean = math.fsum(data) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in data) / (n - 1)) if n > 1 else 0
    return t_interval(mean, std, n, confidence)


def wilson_interval(correct: int, n: int, confidence: float = 0.95) -> Interval:
    r"""Wilson's score interval for an accuracy: `correct` right out of `n`.

    With $\hat p = k / n$ and $z = z_{1-\alpha/2} = \Phi^{-1}(1 - \alpha/2)$:

    $$\frac{\hat p + \frac{z^2}{2n}}{1 + \frac{z^2}{n}} \pm
    \frac{z}{1 + \frac{z^2}{n}}\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}$$

    (Wilson, *JASA* 22, 1927; recommended over the Wald interval by Brown, Cai &
    DasGupta, *Statistical Science* 16, 2001). It stays inside [0, 1] and keeps
    its coverage near 0 and 1, where accuracies of good networks lie. It covers
    the sampling of the `n` test images only, not error draws or training runs.

    Args:
        correct: Right answers $k$, an integer in [0, n].
        n: Test images evaluated (>= 1).
        confidence: The confidence level $1 - \alpha$, in (0, 1).

    Returns:
        The `Interval` (`method="wilson"`): `mean` is $\hat p$, `std` the sample
        standard deviation of the n right/wrong outcomes,
        $\sqrt{\hat p(1-\hat p)\,n/(n-1)}$ (NaN for n = 1), and `half_width`
        half the interval's length (the interval is not centred on $\hat p$).

    Raises:
        ValueError: If `confidence` is not in (0, 1), `n` < 1, or `correct` is
            not an integer in [0, n].

    Example:
        >>> interval = wilson_interval(90, 100)
        >>> round(interval.low, 4), round(interval.high, 4)
        (0.8256, 0.9448)
    """
    confidence = _check_confidence(confidence)
    if not _is_integer(n) or n < 1:
        raise ValueError(f"`n` must be an integer >= 1, got {n!r}.")
    if not _is_integer(correct):
        raise ValueError(f"`correct` must be an integer in [0, {n}], got {correct!r}.")
    if not 0 <= correct <= n:
        raise ValueError(f"`correct` must be in [0, n] = [0, {n}], got {correct}.")
    z = z_quantile(confidence)
    p = correct / n
    scale = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z / scale * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    n = int(n)
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    std = math.sqrt(p * (1 - p) * n / (n - 1)) if n > 1 else math.nan
    return Interval(n, p, std, low, high, (high - low) / 2, confidence, "wilson")
