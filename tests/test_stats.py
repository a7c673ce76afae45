"""Confidence intervals: closed forms against scipy, coverage by simulation."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from larq_ber.stats import (
    Interval,
    cell_interval,
    draws_to_settle,
    leveugle_size,
    mean_interval,
    plan_draws,
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
        (lambda: plan_draws(0.5, 0.0), r"`margin` must be a finite number > 0"),
        (lambda: plan_draws(0.5, -1), r"`margin` must be a finite number > 0"),
        (lambda: plan_draws(-0.1, 0.25), r"`pilot_std` must be a finite number >= 0"),
        (lambda: plan_draws(0.5, 0.25, 1.5), r"`confidence` must be in \(0, 1\)"),
        (lambda: plan_draws(0.5, 0.25, minimum=1), "`minimum` must be an"),
        (lambda: plan_draws(0.5, 0.25, minimum=5, maximum=4),
         r"`maximum` must be an integer >= minimum = 5, got 4"),
        (lambda: leveugle_size(0, 0.01), r"`population` must be an integer >= 1"),
        (lambda: leveugle_size(100, 0), r"`margin` must be a fraction in \(0, 1\]"),
        (lambda: leveugle_size(100, 0.01, p=1), r"`p` must be a number in \(0, 1\)"),
        (lambda: leveugle_size(100, 0.01, 0), r"`confidence` must be in \(0, 1\)"),
        (lambda: draws_to_settle(mean_interval([1, 2]), math.inf), "`threshold`"),
        (lambda: cell_interval({"mean": 0.5}), "`cell` lacks std, n"),
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


def _plan_by_search(std, margin, confidence=0.95, minimum=2):
    """The smallest m >= minimum with t_{m-1} s / sqrt(m) <= margin, by search."""
    m = minimum
    while scipy_stats.t.ppf(1 - (1 - confidence) / 2, m - 1) * std / m**0.5 > margin:
        m += 1
    return m


@pytest.mark.parametrize(
    "std,margin",
    [(0.5, 0.25), (1.0, 0.25), (0.1, 0.25), (3.0, 0.25), (2.0, 1.0), (0.3, 0.01)],
)
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_plan_draws_is_the_smallest_size_whose_t_interval_meets_the_margin(
    std, margin, confidence
):  # fmt: skip
    m = plan_draws(std, margin, confidence)
    assert m == _plan_by_search(std, margin, confidence)
    t = scipy_stats.t.ppf(1 - (1 - confidence) / 2, m - 1)
    assert t * std / math.sqrt(m) <= margin
    # more than the normal approximation (z s / e)^2, which undercounts
    assert m >= (scipy_stats.norm.ppf(1 - (1 - confidence) / 2) * std / margin) ** 2
    assert plan_draws(std, margin, confidence, minimum=m + 3) == m + 3
    assert plan_draws(std, margin, confidence, maximum=2) == 2


def test_plan_draws_of_no_spread_is_the_minimum():
    assert plan_draws(0.0, 0.25) == 2
    assert plan_draws(0.0, 0.25, minimum=5, maximum=5) == 5


def test_leveugle_size_is_the_papers_formula():
    t = scipy_stats.norm.ppf(0.975)
    for population, margin, p in [(10**6, 0.01, 0.5), (1_000, 0.05, 0.5),
                                  (50_000, 0.02, 0.1), (10, 0.1, 0.5)]:  # fmt: skip
        expected = math.ceil(
            population * t**2 * p * (1 - p)
            / (margin**2 * (population - 1) + t**2 * p * (1 - p))
        )  # fmt: skip
        assert leveugle_size(population, margin, p=p) == expected
    # an infinite population: the binomial size t^2 p(1-p) / e^2; a tiny one: all
    assert leveugle_size(10**15, 0.01) == math.ceil(t**2 / 4 / 0.01**2) == 9604
    assert leveugle_size(1, 0.01) == 1 and leveugle_size(20, 0.001) == 20
    assert leveugle_size(10**6, 0.01, 0.99) > leveugle_size(10**6, 0.01)


def test_draws_to_settle_says_how_many_more_draws_decide():
    interval = t_interval(0.905, 0.01, 5)
    assert draws_to_settle(interval, 0.95) == 0  # above the interval: decided
    assert draws_to_settle(interval, 0.85) == 0
    more = draws_to_settle(interval, 0.9)
    assert more == _plan_by_search(0.01, 0.005, minimum=5) - 5 > 0
    # with that many draws at the same mean and spread, the threshold is outside
    wider = t_interval(0.905, 0.01, 5 + more)
    assert not wider.low <= 0.9 <= wider.high
    narrower = t_interval(0.905, 0.01, 5 + more - 1)
    assert narrower.low <= 0.9  # one fewer would not do
    assert draws_to_settle(interval, 0.905) is None  # the mean itself: never
    assert draws_to_settle(mean_interval([0.9]), 0.9) is None  # no spread known
    assert draws_to_settle(mean_interval([0.9, 0.9]), 0.8) == 0


def test_cell_interval_reads_a_summarize_record():
    from larq_ber.tables import summarize

    rows = [{"ber": 0.0, "run_id": r, "test_top1": v}
            for r, v in (("a", 0.9), ("b", 0.92), ("c", 0.91))]  # fmt: skip
    cell = summarize(rows, by=("ber",))[0]
    expected = mean_interval([0.9, 0.92, 0.91])
    assert cell_interval(cell).low == pytest.approx(expected.low, abs=1e-12)
    assert cell_interval(cell).high == pytest.approx(expected.high, abs=1e-12)
    assert math.isnan(cell_interval({"mean": 0.9, "std": 0.0, "n": 1}).low)


def test_wilson_interval_covers_a_whole_test_set_95_percent_of_the_time():
    """2,000 evaluations of a 10,000-image test set at true accuracies near 1."""
    rng = np.random.default_rng(11)
    for p in (0.9, 0.99):
        correct = rng.binomial(10_000, p, size=2_000)
        covered = [(i := wilson_interval(int(k), 10_000)).low <= p <= i.high
                   for k in correct]  # fmt: skip
        assert 0.93 <= np.mean(covered) <= 0.97


def test_a_planned_size_covers_binomial_draws_95_percent_of_the_time():
    """2,000 cells: per-draw accuracies Binomial(n_test, p)/n_test, a pilot of 10,
    then `plan_draws` for ±0.25 points, then the t interval over all draws."""
    rng = np.random.default_rng(3)
    n_test, p = 2_000, 0.85  # per-draw std ~0.8 points
    covered, sizes = [], []
    for _ in range(2_000):
        pilot = rng.binomial(n_test, p, size=10) / n_test
        m = plan_draws(100 * pilot.std(ddof=1), 0.25, minimum=10, maximum=200)
        draws = np.concatenate([pilot, rng.binomial(n_test, p, size=m - 10) / n_test])
        interval = mean_interval(draws)
        covered.append(interval.low <= p <= interval.high)
        sizes.append(m)
    assert 0.93 <= np.mean(covered) <= 0.97
    assert 30 < np.mean(sizes) < 60  # (1.96 * 0.8 / 0.25)^2 ~ 39


def test_two_level_intervals_cover_the_mean_over_training_runs():
    """2,000 campaigns of 3 trained runs (run effects, sd 0.5 points) with 10
    draws each (sd 0.3 points): the interval over run means covers the mean over
    runs; one over the 30 pooled draws treats them as independent and does not."""
    rng = np.random.default_rng(5)
    mu = 0.88
    runs = mu + rng.normal(0, 0.005, size=(2_000, 3, 1))
    draws = runs + rng.normal(0, 0.003, size=(2_000, 3, 10))
    two_level = [(i := mean_interval(c.mean(axis=1))).low <= mu <= i.high
                 for c in draws]  # fmt: skip
    pooled = [(i := mean_interval(c.ravel())).low <= mu <= i.high for c in draws]
    assert 0.93 <= np.mean(two_level) <= 0.97
    assert np.mean(pooled) < 0.8
