r"""A robustness plan — test BERs × weight BERs × draws — checked before anything runs.

Every cell of the plan is one `evaluate` of the whole test set, so the plan's size is
its cost. `RobustnessPlan.checked` validates the rates once (each in [0, 1], no
duplicates), the draws per cell, and the most evaluations the plan can need against
`MAX_EVALUATIONS`, the one cap, with the reason in the message. Recipes and
`larq-ber robustness` check their plans with it; TF-free.

Draws per cell are either a fixed number, or planned to a margin (`AutoRepeats`,
`test_repeats = "auto"`). The planned rule, fixed before any draw so that stopping
does not bias the interval (optional stopping: "draw until the interval is narrow
enough" stops more often just after a draw that happened to shrink the spread):

1. a pilot of `minimum` draws, $d = 0, …, \text{minimum} - 1$;
2. the planned size from the pilot's sample standard deviation $s$ (in accuracy
   points): $m$ = `larq_ber.stats.plan_draws`$(s, e)$, the smallest
   $m \ge$ `minimum` with $t_{m-1,\,1-\alpha/2}\,s/\sqrt m \le e$, capped at
   `maximum`;
3. draws $d = \text{minimum}, …, m - 1$, all of them, whatever the interval says
   after each. A cell whose $m$ would exceed `maximum` "stopped at the cap": its
   interval may be wider than $\pm e$, and summaries say so.

The pilot is part of the final sample. Its default size, 10, is chosen by that
simulation: the interval over all $m$ draws is slightly too narrow when $m$ is
small and planned from a pilot whose spread was small by chance (coverage
0.92–0.93 with a pilot of 5, 0.93–0.96 with 10; Stein's two-stage interval,
from the pilot's spread alone, would be exact). Draw $d$ is seeded by
`larq_ber.study.sweeps.robustness.draw_seed` as with a fixed number of draws, so
$m$ depends on the seeds alone: a resumed or extended evaluation plans the same
$m$ and writes the same rows. The error-free cell (test BER 0, weight BER 0) has no
randomness: it is evaluated once per run. A simulation
(`tests/study/sweeps/test_robustness_plan.py`) checks that the 95 % interval of
this rule covers the true mean 93–97 % of the time.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from larq_ber.rates import check_rate
from larq_ber.stats import plan_draws, z_quantile

__all__ = ["MAX_EVALUATIONS", "AutoRepeats", "RobustnessPlan", "draw_rule"]

#: The most evaluations (test-set passes) one robustness command or recipe may plan:
#: LeNet-4 takes about 0.2 s per pass over 10,000 images on 2 cores, so this is
#: already days of work; more is a typo, not an experiment.
MAX_EVALUATIONS = 1_000_000


def _rates(argument: str, values: Any) -> tuple[float, ...]:
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise ValueError(
            f"`{argument}` must be a list of rates in [0, 1], got {values!r}."
        )
    values = list(itertools.islice(values, MAX_EVALUATIONS + 1))  # bounded
    if not values:
        raise ValueError(f"`{argument}` must hold at least one rate in [0, 1].")
    if len(values) > MAX_EVALUATIONS:
        raise ValueError(
            f"`{argument}` holds more than {MAX_EVALUATIONS:,} rates; at most "
            f"{MAX_EVALUATIONS:,} evaluations can be planned."
        )
    rates = tuple(check_rate(argument, value) for value in values)
    repeated = sorted(r for r, k in collections.Counter(rates).items() if k > 1)
    if repeated:
        raise ValueError(
            f"`{argument}` lists {', '.join(f'{r:g}' for r in repeated)} more than "
            "once; each rate is one column of the table."
        )
    return rates


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclasses.dataclass(frozen=True)
class AutoRepeats:
    """Draws per cell planned to a margin: a pilot, then a planned size, capped.

    Attributes:
        margin: Target half-width of a cell's interval, in accuracy points (%),
            e.g. 0.25 for ±0.25 points.
        confidence: Confidence level of the interval, in (0, 1).
        minimum: Draws of the pilot (>= 2), the fewest a cell gets.
        maximum: The cap on a cell's draws (>= `minimum`).
    """

    margin: float
    confidence: float = 0.95
    minimum: int = 10
    maximum: int = 100

    @classmethod
    def checked(
        cls,
        margin: float,
        confidence: float = 0.95,
        minimum: int = 10,
        maximum: int = 100,
    ) -> AutoRepeats:
        """The rule, validated.

        Args:
            margin: Target half-width, accuracy points (> 0, at most 100).
            confidence: Confidence level, in (0, 1).
            minimum: Pilot draws (an integer >= 2).
            maximum: Cap on the draws of a cell (an integer >= `minimum`).

        Returns:
            The rule.

        Raises:
            ValueError: Naming the argument and its range.

        Example:
            >>> AutoRepeats.checked(0.25, maximum=3)
            Traceback (most recent call last):
            ...
            ValueError: `max_repeats` must be an integer >= min_repeats = 10, got 3.
        """
        if isinstance(margin, bool) or not isinstance(margin, numbers.Real):
            margin = math.nan
        if not (math.isfinite(margin) and 0 < margin <= 100):
            raise ValueError(
                f"`margin` must be a number of accuracy points in (0, 100], got "
                f"{margin!r}."
            )
        z_quantile(confidence)  # checks `confidence`
        if not _is_int(minimum) or minimum < 2:
            raise ValueError(f"`min_repeats` must be an integer >= 2, got {minimum!r}.")
        if not _is_int(maximum) or maximum < minimum:
            raise ValueError(
                f"`max_repeats` must be an integer >= min_repeats = {minimum}, got "
                f"{maximum!r}."
            )
        return cls(float(margin), float(confidence), int(minimum), int(maximum))

    def planned(self, pilot: Sequence[float]) -> tuple[int, bool]:
        """A cell's draws in all, from the accuracies of its pilot draws.

        Args:
            pilot: Top-1 accuracies (fractions) of draws 0 … `minimum` − 1.

        Returns:
            `(m, at_cap)`: the draws the cell gets (`minimum` … `maximum`), and
            whether the margin needed more than `maximum`.

        Raises:
            ValueError: If `pilot` does not hold `minimum` accuracies.

        Example:
            >>> rule = AutoRepeats(margin=0.25, minimum=5)
            >>> rule.planned([0.800, 0.805, 0.810, 0.795, 0.790])  # s = 0.79 points
            (41, False)
        """
        if len(pilot) != self.minimum:
            raise ValueError(
                f"`pilot` must hold the accuracies of the {self.minimum} pilot draws, "
                f"got {len(pilot)}."
            )
        mean = math.fsum(pilot) / len(pilot)
        spread = math.fsum((v - mean) ** 2 for v in pilot) / (len(pilot) - 1)
        std = 100 * math.sqrt(spread)
        m = plan_draws(
            std, self.margin, self.confidence, minimum=self.minimum,
            maximum=self.maximum + 1,
        )  # fmt: skip
        return min(m, self.maximum), m > self.maximum


def draw_rule(
    repeats: int | str | AutoRepeats,
    *,
    margin: float | None = None,
    confidence: float = 0.95,
    min_repeats: int = 10,
    max_repeats: int = 100,
) -> int | AutoRepeats:
    """The draws per cell of a robustness evaluation, checked.

    Args:
        repeats: An integer >= 1 (that many draws per cell), `"auto"` (planned
            to `margin`, see the module's rule) or an `AutoRepeats`.
        margin: With `"auto"`: the target half-width, accuracy points.
        confidence: With `"auto"`: the interval's confidence level, in (0, 1).
        min_repeats: With `"auto"`: the pilot's draws (>= 2).
        max_repeats: With `"auto"`: the cap (>= `min_repeats`).

    Returns:
        `repeats` as an `int`, or the `AutoRepeats` rule.

    Raises:
        ValueError: If `repeats` is neither, `"auto"` has no `margin`, an
            argument of the rule is out of range, or `margin` is given with a
            fixed number of draws.

    Example:
        >>> draw_rule("auto", margin=0.5).maximum
        100
    """
    if isinstance(repeats, AutoRepeats):
        return repeats
    if repeats == "auto":
        if margin is None:
            raise ValueError(
                "`margin` is needed with repeats = 'auto': the half-width to plan "
                "the draws for, in accuracy points (e.g. 0.25)."
            )
        return AutoRepeats.checked(margin, confidence, min_repeats, max_repeats)
    if not _is_int(repeats) or repeats < 1:  # type: ignore[operator]
        raise ValueError(
            f"`repeats` must be an integer >= 1 or 'auto', got {repeats!r}."
        )
    if margin is not None:
        raise ValueError(
            f"`margin` applies only with repeats = 'auto', not {repeats!r} draws."
        )
    return int(repeats)


@dataclasses.dataclass(frozen=True)
class RobustnessPlan:
    """The cells of a robustness evaluation of one trained run.

    Attributes:
        test_bers: Activation BERs at inference, each in [0, 1], distinct.
        weight_bers: Weight BERs at inference, each in [0, 1], distinct.
        repeats: Draws per (test BER, weight BER) pair, >= 1: the fixed number,
            or the most the rule `auto` can plan (its `maximum`).
        auto: The rule that plans the draws per cell (`None`: `repeats` each).
    """

    test_bers: tuple[float, ...]
    weight_bers: tuple[float, ...]
    repeats: int
    auto: AutoRepeats | None = None

    @classmethod
    def checked(
        cls,
        test_bers: Sequence[float],
        weight_bers: Sequence[float] = (0.0,),
        repeats: int | AutoRepeats = 10,
        *,
        runs: int = 1,
    ) -> RobustnessPlan:
        """The plan, validated, for `runs` trained runs.

        Args:
            test_bers: Activation BERs at inference, each in [0, 1].
            weight_bers: Weight BERs at inference, each in [0, 1].
            repeats: Draws per pair (an integer >= 1), or an `AutoRepeats` rule
                (then its `maximum` is the planned maximum for the cap).
            runs: How many trained runs the plan is applied to (>= 1).

        Returns:
            The plan.

        Raises:
            ValueError: If a rate is outside [0, 1] or listed twice, a list is
                empty, `repeats` is not an integer >= 1 or a rule, or the plan
                can need more than `MAX_EVALUATIONS` evaluations (the message
                gives the count).

        Example:
            >>> RobustnessPlan.checked([0, 0.04], [0, 0.01], 3).evaluations()
            12
            >>> RobustnessPlan.checked([0.1, 0.1])
            Traceback (most recent call last):
            ...
            ValueError: `test_bers` lists 0.1 more than once; each rate is one column of the table.
        """  # noqa: E501
        tests = _rates("test_bers", test_bers)
        weights = _rates("weight_bers", weight_bers)
        rule = draw_rule(repeats)
        auto = rule if isinstance(rule, AutoRepeats) else None
        count = rule.maximum if isinstance(rule, AutoRepeats) else rule
        plan = cls(tests, weights, count, auto)
        total = plan.evaluations(runs)
        if total > MAX_EVALUATIONS:
            draws = f"up to {plan.repeats:,}" if auto else f"{plan.repeats:,}"
            raise ValueError(
                f"The robustness plan needs {total:,} evaluations ({len(tests)} test "
                f"BERs × {len(weights)} weight BERs × {draws} draws"
                + (f" × {runs:,} runs" if runs > 1 else "")
                + f"); at most {MAX_EVALUATIONS:,} are allowed, each one a pass over "
                "the whole test set. Lower `repeats` (or `max_repeats`) or the "
                "number of rates."
            )
        return plan

    def first(self, test_ber: float, weight_ber: float) -> int:
        """The draws a cell gets before any planning.

        Args:
            test_ber: The cell's activation BER.
            weight_ber: The cell's weight BER.

        Returns:
            `repeats` for a fixed number; with a rule, the pilot's `minimum`, or
            1 for the error-free cell (0, 0), which has no randomness.
        """
        if self.auto is None:
            return self.repeats
        return 1 if test_ber == 0 and weight_ber == 0 else self.auto.minimum

    def draws(
        self, test_ber: float, weight_ber: float, known: Mapping[int, float]
    ) -> tuple[int, bool] | None:
        """The draws a cell gets in all, once its first draws are known.

        Args:
            test_ber: The cell's activation BER.
            weight_ber: The cell's weight BER.
            known: Top-1 accuracy (a fraction) by draw number, of the cell's
                draws measured so far.

        Returns:
            `(m, at_cap)`: the cell's draws and whether the rule wanted more
            than its cap (`AutoRepeats.planned`); `(first, False)` without a
            rule or for the error-free cell; `None` while a draw of `first` is
            missing.

        Example:
            >>> plan = RobustnessPlan.checked([0.1], [0.0], AutoRepeats(0.25))
            >>> plan.draws(0.1, 0.0, {0: 0.5}) is None  # the pilot is not complete
            True
            >>> plan.draws(0.1, 0.0, dict.fromkeys(range(10), 0.5))
            (10, False)
        """
        first = self.first(test_ber, weight_ber)
        if self.auto is None or first == 1:
            return first, False
        if any(d not in known for d in range(first)):
            return None
        return self.auto.planned([known[d] for d in range(first)])

    def evaluations(self, runs: int = 1) -> int:
        """The most draws (rows, test-set passes) the plan can need for `runs` runs.

        Args:
            runs: Trained runs the plan is applied to.

        Returns:
            `len(test_bers) * len(weight_bers) * repeats * runs`; with a rule the
            error-free cell counts once per run.
        """
        cells = len(self.test_bers) * len(self.weight_bers)
        if self.auto is None:
            return cells * self.repeats * runs
        clean = int(0.0 in self.test_bers and 0.0 in self.weight_bers)
        return ((cells - clean) * self.repeats + clean) * runs
