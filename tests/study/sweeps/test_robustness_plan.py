"""Draws planned to a margin (`test_repeats = "auto"`): the rule, its checks, and a
simulation showing that its 95 % intervals cover the true mean 93-97 % of the time."""

import math

import numpy as np
import pytest

from larq_ber.stats import mean_interval, plan_draws
from larq_ber.study.sweeps.plan import (
    MAX_EVALUATIONS,
    AutoRepeats,
    RobustnessPlan,
    draw_rule,
)


def _campaigns(rule, draw, count=2_000, seed=0):
    """`count` cells planned by `rule`: (covered, draws, at_cap) per cell, where
    `draw(rng, k)` gives k per-draw accuracies (fractions) of true mean `draw.mean`."""
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(count):
        pilot = draw(rng, rule.minimum)
        m, at_cap = rule.planned(list(pilot))
        values = np.concatenate([pilot, draw(rng, m - rule.minimum)])
        interval = mean_interval(values, rule.confidence)
        results.append((interval.low <= draw.mean <= interval.high, m, at_cap,
                        interval.half_width))  # fmt: skip
    covered, sizes, capped, halves = map(np.array, zip(*results, strict=True))
    return covered.mean(), sizes, capped, halves


def _normal(mean, std):
    def draw(rng, k):
        return rng.normal(mean, std, size=k)

    draw.mean = mean
    return draw


def _binomial(n_test, p):
    def draw(rng, k):
        return rng.binomial(n_test, p, size=k) / n_test

    draw.mean = p
    return draw


@pytest.mark.parametrize(
    "draw",
    [_normal(0.88, 0.005), _normal(0.75, 0.02), _binomial(10_000, 0.85),
     _binomial(1_000, 0.3)],
    ids=["normal-0.5pt", "normal-2pt", "binomial-10k", "binomial-1k"],
)  # fmt: skip
def test_the_auto_rule_covers_the_true_mean_95_percent_of_the_time(draw):
    """2,000 cells each: a pilot of 10, the planned size for ±0.25 points (cap
    2,000), all of it drawn, then the 95 % t interval over every draw."""
    rule = AutoRepeats.checked(0.25, 0.95, minimum=10, maximum=2_000)
    coverage, sizes, capped, halves = _campaigns(rule, draw)
    assert 0.93 <= coverage <= 0.97, coverage
    assert capped.mean() < 0.01
    assert sizes.min() >= 10
    # the planned margin is met on average (each cell's own spread scatters)
    assert np.median(halves) <= 0.0025 * 1.1


def test_a_pilot_of_five_would_make_the_interval_slightly_too_narrow():
    """Why the default pilot is 10: m planned from 5 draws whose spread is small by
    chance is small too, and the interval over all m draws undercovers."""
    rule = AutoRepeats.checked(0.25, minimum=5, maximum=2_000)
    coverage = _campaigns(rule, _normal(0.88, 0.005))[0]
    assert coverage < 0.93


def test_stopping_as_soon_as_the_interval_is_narrow_would_undercover():
    """The rule the module avoids: draw until t s / sqrt(n) <= margin, from n = 2.
    Small samples with a spread that is small by chance stop early."""
    rng = np.random.default_rng(1)
    covered = []
    for _ in range(2_000):
        values = list(rng.normal(0.88, 0.005, size=2))
        while mean_interval(values).half_width > 0.0025 and len(values) < 400:
            values.append(rng.normal(0.88, 0.005))
        interval = mean_interval(values)
        covered.append(interval.low <= 0.88 <= interval.high)
    assert np.mean(covered) < 0.93


def test_a_cell_that_needs_more_than_the_cap_stops_there_and_still_covers():
    rule = AutoRepeats.checked(0.25, maximum=20)
    coverage, sizes, capped, halves = _campaigns(rule, _normal(0.6, 0.03), seed=4)
    assert capped.mean() > 0.95 and (sizes[capped] == 20).all()
    assert 0.93 <= coverage <= 0.97  # a fixed n = 20: the plain t interval
    assert np.median(halves) > 0.0025  # but wider than the margin: said so


def test_the_rule_plans_from_the_pilot_in_accuracy_points():
    rule = AutoRepeats(margin=0.25, minimum=5)
    pilot = [0.800, 0.805, 0.810, 0.795, 0.790]
    std = 100 * float(np.std(pilot, ddof=1))
    assert rule.planned(pilot) == (plan_draws(std, 0.25, minimum=5), False)
    assert rule.planned([0.5] * 5) == (5, False)  # no spread: the pilot is enough
    assert AutoRepeats(0.25, minimum=5, maximum=30).planned(pilot) == (30, True)
    with pytest.raises(ValueError, match="the 5 pilot draws, got 4"):
        rule.planned(pilot[:4])


def test_a_plan_with_the_rule_counts_its_cap_and_the_clean_cell_once():
    rule = AutoRepeats.checked(0.25, maximum=50)
    plan = RobustnessPlan.checked([0.0, 0.1], [0.0, 0.01], rule)
    assert (plan.repeats, plan.auto) == (50, rule)
    assert plan.evaluations() == 3 * 50 + 1 and plan.evaluations(runs=2) == 302
    assert (plan.first(0.0, 0.0), plan.first(0.1, 0.0)) == (1, 10)
    assert plan.draws(0.0, 0.0, {}) == (1, False)
    assert plan.draws(0.1, 0.0, {0: 0.5, 1: 0.5}) is None  # pilot incomplete
    assert plan.draws(0.1, 0.01, dict.fromkeys(range(10), 0.7)) == (10, False)
    fixed = RobustnessPlan.checked([0.0, 0.1], [0.0], 4)
    assert fixed.auto is None and fixed.first(0.0, 0.0) == 4
    assert fixed.draws(0.1, 0.0, {}) == (4, False)
    with pytest.raises(ValueError, match=r"up to 100,000 draws.*`max_repeats`"):
        RobustnessPlan.checked(
            [0.1, 0.2], [0.0, 0.01], AutoRepeats.checked(1.0, maximum=100_000),
            runs=MAX_EVALUATIONS // 100_000,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: draw_rule("auto"), "`margin` is needed with repeats = 'auto'"),
        (lambda: draw_rule("many"), "`repeats` must be an integer >= 1 or 'auto'"),
        (lambda: draw_rule(0), "`repeats` must be an integer >= 1 or 'auto', got 0"),
        (lambda: draw_rule(True), "`repeats` must be an integer >= 1 or 'auto'"),
        (lambda: draw_rule(5, margin=0.25), "`margin` applies only with repeats"),
        (lambda: draw_rule("auto", margin=0), r"`margin` must be a number of "
         r"accuracy points in \(0, 100\], got 0"),
        (lambda: draw_rule("auto", margin=math.nan), "`margin` must be"),
        (lambda: draw_rule("auto", margin="x"), "`margin` must be"),
        (lambda: draw_rule("auto", margin=0.25, confidence=1), "`confidence` must"),
        (lambda: draw_rule("auto", margin=0.25, min_repeats=1),
         "`min_repeats` must be an integer >= 2, got 1"),
        (lambda: draw_rule("auto", margin=0.25, min_repeats=10, max_repeats=9),
         "`max_repeats` must be an integer >= min_repeats = 10, got 9"),
        (lambda: RobustnessPlan.checked([0.1], repeats="auto"), "`margin` is needed"),
    ],
)  # fmt: skip
def test_bad_rules_name_the_argument_and_its_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_draw_rule_passes_good_rules_through():
    rule = AutoRepeats.checked(0.5)
    assert draw_rule(rule) is rule
    assert draw_rule(7) == 7
    expected = AutoRepeats(0.5, 0.95, 10, 40)
    assert draw_rule("auto", margin=0.5, max_repeats=40) == expected
