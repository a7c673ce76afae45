r"""Confidence intervals and sample sizes for bit-error experiments. TF-free.

Two kinds of interval, both two-sided at a confidence $1 - \alpha$:

- `mean_interval` — the mean of a few independent measurements (e.g. each
  training run's Top1Max, or each run's mean accuracy under errors): Student's t
  interval with $n - 1$ degrees of freedom;
- `wilson_interval` — one accuracy measured as `correct` right answers out of `n`
  test images: Wilson's score interval for a binomial proportion.

`t_interval` gives the t interval from a mean and a sample standard deviation
already computed (e.g. by `larq_ber.tables.summarize`), so a table is never
aggregated twice; `cell_interval` does it for one record of `summarize`. The
quantiles are two-sided: $t_{n-1,\,1-\alpha/2}$ and
$z_{1-\alpha/2} = \Phi^{-1}(1 - \alpha/2)$ (a one-sided quantile, $1 - \alpha$,
would give a 90 % interval where 95 % is meant).

Three planners say how many measurements are enough:

- `plan_draws` — error draws for a t interval of a given half-width, from a
  pilot's standard deviation;
- `leveugle_size` — injections for a margin over a finite fault population
  (Leveugle et al., DATE 2009);
- `draws_to_settle` — further draws that would decide whether a mean lies above
  or below a threshold its interval straddles.

Example:
    >>> interval = mean_interval([0.97, 0.98, 0.96])
    >>> round(interval.low, 4), round(interval.high, 4)
    (0.9452, 0.9948)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

from scipy import special

__all__ = [
    "Interval",
    "cell_interval",
    "check_confidence",
    "draws_to_settle",
    "leveugle_size",
    "mean_interval",
    "plan_draws",
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


def check_confidence(confidence: float) -> float:
    """`confidence` as a float, or a ValueError naming it and its range.

    Args:
        confidence: A confidence level.

    Returns:
        `float(confidence)`.

    Raises:
        ValueError: If it is not a real number in (0, 1) (a bool is not).
    """
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
    alpha = 1 - check_confidence(confidence)
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
    alpha = 1 - check_confidence(confidence)
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
    confidence = check_confidence(confidence)
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

    The interval covers the variation *between the values given*, and nothing
    else. The accuracies of independent error draws of one trained network on a
    fixed test set give an interval for that network's mean accuracy under
    errors on that test set: it covers the error draws, not the sampling of the
    test images (see `wilson_interval`) nor training. The means of several
    trained runs (each run's mean over its draws, the two-level design of
    `larq_ber.tables.summarize(..., within="run_id")`) give an interval that
    covers training runs as well: the draws of one run share its weights, so
    the runs, not the draws, are the independent unit.

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
    confidence = check_confidence(confidence)
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
    confidence = check_confidence(confidence)
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


def cell_interval(cell: Mapping[str, Any], confidence: float = 0.95) -> Interval:
    r"""The t interval of one record of `larq_ber.tables.summarize`.

    The record's `mean`, `std` and `n` (values, or run means with `within`)
    go to `t_interval`; its `low` is the cell's lower bound, the number a
    decision on estimates is made on.

    Args:
        cell: A record with `mean`, `std` (ddof = 1) and `n`.
        confidence: The confidence level $1 - \alpha$, in (0, 1).

    Returns:
        The `Interval` (NaN bounds for n = 1).

    Raises:
        ValueError: As `t_interval`, or if a key is missing.

    Example:
        >>> round(cell_interval({"mean": 0.9, "std": 0.01, "n": 4}).low, 4)
        0.8841
    """
    missing = [key for key in ("mean", "std", "n") if key not in cell]
    if missing:
        raise ValueError(f"`cell` lacks {', '.join(missing)}; it has {sorted(cell)}.")
    return t_interval(cell["mean"], cell["std"], cell["n"], confidence)


def _check_positive(name: str, value: Any) -> float:
    """`value` as a float > 0, or a ValueError naming `name`."""
    if not _is_number(value) or not value > 0:
        raise ValueError(f"`{name}` must be a finite number > 0, got {value!r}.")
    return float(value)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def plan_draws(
    pilot_std: float,
    margin: float,
    confidence: float = 0.95,
    *,
    minimum: int = 2,
    maximum: int | None = None,
) -> int:
    r"""Draws for a t interval of half-width at most `margin`, from a pilot's spread.

    The smallest $m \ge$ `minimum` with

    $$t_{m-1,\,1-\alpha/2}\,\frac{s}{\sqrt m} \le e,$$

    $s$ the pilot's sample standard deviation and $e$ the margin (the same
    unit, e.g. accuracy points). The normal approximation
    $m \approx (z_{1-\alpha/2}\,s/e)^2$ is too small for few draws, so $m$
    starts there and grows until the t quantile of $m - 1$ degrees of freedom
    meets the margin ("iterate t with m"; e.g. Montgomery, *Design and
    Analysis of Experiments*, §2.4; the two-stage design of Stein, *Ann. Math.
    Statist.* 16, 1945). The half-width reached depends on the spread of all
    $m$ draws, which scatters around $s$.

    Args:
        pilot_std: Sample standard deviation $s$ of the pilot (>= 0, finite).
        margin: Target half-width $e$ (> 0, the unit of `pilot_std`).
        confidence: The confidence level $1 - \alpha$, in (0, 1).
        minimum: The fewest draws to return (>= 2), e.g. the pilot's size.
        maximum: The cap (>= `minimum`); `None`: none.

    Returns:
        $m$, at most `maximum`.

    Raises:
        ValueError: If `confidence` is not in (0, 1), `margin` <= 0, `pilot_std`
            < 0, `minimum` < 2 or `maximum` < `minimum` (the message names it).

    Example:
        >>> plan_draws(0.5, 0.25)  # pilot std 0.5 points, ±0.25 points at 95 %
        18
        >>> plan_draws(0.5, 0.25, maximum=10)
        10
    """
    confidence = check_confidence(confidence)
    margin = _check_positive("margin", margin)
    if not _is_number(pilot_std) or pilot_std < 0:
        raise ValueError(
            f"`pilot_std` must be a finite number >= 0, got {pilot_std!r}."
        )
    if not _is_integer(minimum) or minimum < 2:
        raise ValueError(f"`minimum` must be an integer >= 2, got {minimum!r}.")
    if maximum is not None and (not _is_integer(maximum) or maximum < minimum):
        raise ValueError(
            f"`maximum` must be an integer >= minimum = {minimum}, got {maximum!r}."
        )
    ratio = float(pilot_std) / margin
    normal = (z_quantile(confidence) * ratio) ** 2
    m = max(int(minimum), math.ceil(normal) if math.isfinite(normal) else 2**62)
    while maximum is None or m < maximum:
        if t_quantile(confidence, m - 1) * ratio / math.sqrt(m) <= 1:
            return m
        m += 1
    return int(maximum)


def leveugle_size(
    population: int, margin: float, confidence: float = 0.95, p: float = 0.5
) -> int:
    r"""Injections for a margin over a finite fault population (Leveugle et al.).

    $$n = \frac{N\,t^2\,p(1-p)}{e^2\,(N-1) + t^2\,p(1-p)},$$

    rounded up, with $N$ the number of possible faults, $e$ the margin (a
    fraction), $p$ the expected proportion of faults that cause a failure (0.5,
    the worst case, when nothing is known) and $t = \Phi^{-1}(1 - \alpha/2)$
    the two-sided normal quantile (Leveugle, Calvez, Maistri & Vanhauwaert,
    "Statistical fault injection: quantified error and confidence", DATE 2009;
    validated on CNNs by Ruospo et al., DATE 2023). For large $N$ it tends to
    $t^2 p(1-p)/e^2$, e.g. 9604 for ±1 % at 95 %.

    Args:
        population: $N$, the number of distinct faults (>= 1).
        margin: $e$, the half-width of the failure-rate estimate, in (0, 1].
        confidence: The confidence level $1 - \alpha$, in (0, 1).
        p: The expected failure proportion, in (0, 1).

    Returns:
        $n$, in [1, N].

    Raises:
        ValueError: If an argument is out of its range (the message names it).

    Example:
        >>> leveugle_size(10**9, 0.01)
        9604
        >>> leveugle_size(1000, 0.05)
        278
    """
    confidence = check_confidence(confidence)
    if not _is_integer(population) or population < 1:
        raise ValueError(f"`population` must be an integer >= 1, got {population!r}.")
    if not _is_number(margin) or not 0 < margin <= 1:
        raise ValueError(f"`margin` must be a fraction in (0, 1], got {margin!r}.")
    if not _is_number(p) or not 0 < p < 1:
        raise ValueError(f"`p` must be a number in (0, 1), got {p!r}.")
    spread = z_quantile(confidence) ** 2 * p * (1 - p)
    size = population * spread / (margin**2 * (population - 1) + spread)
    return min(int(population), math.ceil(size - 1e-9))


def draws_to_settle(interval: Interval, threshold: float) -> int | None:
    r"""Further draws that would put a threshold outside the interval.

    An interval that straddles a threshold leaves a decision ("is the mean above
    it?") open. At the same spread $s$, the interval excludes the threshold once
    its half-width is at most $d = |\bar x - \text{threshold}|$:
    $m$ = `plan_draws`$(s, d)$ draws in all, so $m - n$ more. It is a planning
    figure, not a promise: the new draws move the mean and the spread.

    Args:
        interval: A t interval (`mean_interval`, `t_interval`, `cell_interval`).
        threshold: The value the decision compares the mean with (the unit of
            the interval).

    Returns:
        0 if the threshold lies outside the interval (decided); `None` if no
        number of draws can tell (the mean equals the threshold, or the spread
        is unknown because n = 1); else the further draws.

    Raises:
        ValueError: If `threshold` is not a finite number.

    Example:
        >>> interval = t_interval(0.905, 0.01, 5)  # [0.8926, 0.9174]
        >>> draws_to_settle(interval, 0.95), draws_to_settle(interval, 0.9)
        (0, 13)
    """
    if not _is_number(threshold):
        raise ValueError(f"`threshold` must be a finite number, got {threshold!r}.")
    if not (math.isfinite(interval.low) and math.isfinite(interval.high)):
        return None
    if not interval.low <= threshold <= interval.high:
        return 0
    distance = abs(interval.mean - threshold)
    if distance == 0:
        return None
    total = plan_draws(
        interval.std, distance, interval.confidence, minimum=max(2, interval.n)
    )
    return total - interval.n
