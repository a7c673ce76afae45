"""Confidence intervals: closed forms against scipy, coverage by simulation."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from larq_ber.stats import (
    Interval,
    mean_interval,
    t_interval,
    t_quantile,
    wilson_interval,
    z_quantile,
)


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
def test_quantiles_are_two_sided(confidence):
    alpha = 1 - confidence
    assert z_quantile(confidence) == pytest.approx(scipy_stats.norm.ppf(1 - alpha / 2))
    for df in (1, 2, 4, 30):
        assert t_quantile(confidence, df) == pytest.approx(
            scipy_stats.t.ppf(1 - alpha / 2, df), rel=1e-12
        )
    # the common mistake, the one-sided quantile, is smaller
    assert z_quantile(0.95) > scipy_stats.norm.ppf(0.95)


@pytest.mark.parametrize("values", [[0.97, 0.98, 0.96], [0.5, 0.7], np.arange(10.0)])
def test_mean_interval_is_scipys_t_interval(values):
    interval = mean_interval(values, confidence=0.9)
    low, high = scipy_stats.t.interval(
        0.9, len(values) - 1, loc=np.mean(values), scale=scipy_stats.sem(values)
    )
    assert isinstance(interval, Interval) and interval.method == "student-t"
    assert interval.n == len(values)
    assert interval.mean == pytest.approx(np.mean(values))
    assert interval.std == pytest.approx(np.std(values, ddof=1))
    assert (interval.low, interval.high) == pytest.approx((low, high))
    assert interval.half_width == pytest.approx((high - low) / 2)
    assert interval.confidence == 0.9
    assert t_interval(interval.mean, interval.std, interval.n, 0.9) == interval


def test_one_value_has_no_interval_and_equal_values_a_zero_width_one():
    single = mean_interval([0.8])
    assert (single.n, single.mean) == (1, 0.8)
    assert all(math.isnan(v) for v in (single.std, single.low, single.high,
                                       single.half_width))  # fmt: skip
    equal = mean_interval([0.8, 0.8, 0.8])
    assert (equal.low, equal.high, equal.half_width) == pytest.approx(
        (0.8, 0.8, 0.0), abs=1e-12
    )


@pytest.mark.parametrize("correct,n", [(0, 10), (3, 10), (90, 100), (100, 100),
                                       (9_000, 10_000), (1, 1)])  # fmt: skip
def test_wilson_interval_matches_its_closed_form_and_scipy(correct, n):
    interval = wilson_interval(correct, n)
    z = scipy_stats.norm.ppf(0.975)
    p = correct / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert (interval.low, interval.high) == pytest.approx(
        (max(0, centre - half), min(1, centre + half)), abs=1e-12
    )
    expected = scipy_stats.binomtest(correct, n).proportion_ci(0.95, method="wilson")
    assert (interval.low, interval.high) == pytest.approx(
        (expected.low, expected.high), abs=1e-12
    )
    assert interval.mean == p and interval.method == "wilson"
    assert 0 <= interval.low <= p <= interval.high <= 1
    if n > 1:
        outcomes = [1] * correct + [0] * (n - correct)
        assert interval.std == pytest.approx(np.std(outcomes, ddof=1))


def test_numpy_integers_are_accepted():
    assert wilson_interval(np.int64(9), np.int64(10)) == wilson_interval(9, 10)
    assert t_quantile(np.float64(0.95), np.int32(3)) == t_quantile(0.95, 3)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: mean_interval([1.0, 2.0], confidence=1.0), "`confidence` must be in"),
        (lambda: mean_interval([1.0, 2.0], confidence=0), "`confidence` must be in"),
        (lambda: mean_interval([1.0], confidence="high"), "must be a number"),
        (lambda: mean_interval([]), r"at least one value \(n >= 1\)"),
        (lambda: mean_interval([1.0, math.nan]), "`values` must be finite"),
        (lambda: wilson_interval(3, 0), "`n` must be an integer >= 1"),
        (lambda: wilson_interval(11, 10), r"`correct` must be in \[0, n\] = \[0, 10\]"),
        (lambda: wilson_interval(-1, 10), r"`correct` must be in \[0, n\]"),
        (lambda: wilson_interval(2.5, 10), r"`correct` must be an integer"),
        (lambda: wilson_interval(1, 2, confidence=-0.1), r"`confidence` must be in"),
        (lambda: t_quantile(0.95, 0), "`df` must be an integer >= 1"),
        (lambda: t_interval(0.5, -0.1, 3), "`std` must be a finite number >= 0"),
        (lambda: t_interval(0.5, 0.1, 0), "`n` must be an integer >= 1"),
    ],
)  # fmt: skip
def test_bad_input_names_the_argument_and_its_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_t_interval_covers_a_normal_mean_95_percent_of_the_time():
    """2,000 campaigns of n = 5 measurements of a known mean."""
    rng = np.random.default_rng(2024)
    true_mean = 0.97
    samples = rng.normal(true_mean, 0.004, size=(2_000, 5))
    covered = [(i := mean_interval(row)).low <= true_mean <= i.high for row in samples]
    assert 0.93 <= np.mean(covered) <= 0.97
    # the one-sided quantile's interval would undercover (about 88 % at n = 5)
    narrow = [
        abs(row.mean() - true_mean)
        <= scipy_stats.t.ppf(0.95, 4) * row.std(ddof=1) / math.sqrt(5)
        for row in samples
    ]
    assert np.mean(narrow) < 0.92


def test_wilson_interval_covers_a_known_accuracy_95_percent_of_the_time():
    """2,000 evaluations of n = 200 images at a true accuracy of 0.9."""
    rng = np.random.default_rng(7)
    correct = rng.binomial(200, 0.9, size=2_000)
    covered = [(i := wilson_interval(int(k), 200)).low <= 0.9 <= i.high
               for k in correct]  # fmt: skip
    assert 0.93 <= np.mean(covered) <= 0.97
