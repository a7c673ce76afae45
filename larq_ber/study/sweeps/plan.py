"""A robustness plan — test BERs × weight BERs × draws — checked before anything runs.

Every cell of the plan is one `evaluate` of the whole test set, so the plan's size is
its cost. `RobustnessPlan.checked` validates the rates once (each in [0, 1], no
duplicates), the number of draws, and the total number of evaluations against
`MAX_EVALUATIONS`, the one cap, with the reason in the message. Recipes and
`larq-ber robustness` check their plans with it; TF-free.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from larq_ber.rates import check_rate

__all__ = ["MAX_EVALUATIONS", "RobustnessPlan"]

#: The most evaluations (test-set passes) one robustness command or recipe may plan:
#: LeNet-4 takes about 0.2 s per pass over 10,000 images on 2 cores, so this is
#: already days of work; more is a typo, not an experiment.
MAX_EVALUATIONS = 1_000_000


def _rates(argument: str, values: Any) -> tuple[float, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise ValueError(
            f"`{argument}` must be a list of rates in [0, 1], got {values!r}."
        )
    if not values:
        raise ValueError(f"`{argument}` must hold at least one rate in [0, 1].")
    if len(values) > MAX_EVALUATIONS:
        raise ValueError(
            f"`{argument}` holds {len(values):,} rates; at most {MAX_EVALUATIONS:,} "
            "evaluations can be planned."
        )
    rates = tuple(check_rate(argument, value) for value in values)
    repeated = sorted({r for r in rates if rates.count(r) > 1})
    if repeated:
        raise ValueError(
            f"`{argument}` lists {', '.join(f'{r:g}' for r in repeated)} more than "
            "once; each rate is one column of the table."
        )
    return rates


@dataclasses.dataclass(frozen=True)
class RobustnessPlan:
    """The cells of a robustness evaluation of one trained run.

    Attributes:
        test_bers: Activation BERs at inference, each in [0, 1], distinct.
        weight_bers: Weight BERs at inference, each in [0, 1], distinct.
        repeats: Draws per (test BER, weight BER) pair, >= 1.
    """

    test_bers: tuple[float, ...]
    weight_bers: tuple[float, ...]
    repeats: int

    @classmethod
    def checked(
        cls,
        test_bers: Sequence[float],
        weight_bers: Sequence[float] = (0.0,),
        repeats: int = 10,
        *,
        runs: int = 1,
    ) -> RobustnessPlan:
        """The plan, validated, for `runs` trained runs.

        Args:
            test_bers: Activation BERs at inference, each in [0, 1].
            weight_bers: Weight BERs at inference, each in [0, 1].
            repeats: Draws per pair (an integer >= 1).
            runs: How many trained runs the plan is applied to (>= 1).

        Returns:
            The plan.

        Raises:
            ValueError: If a rate is outside [0, 1] or listed twice, a list is
                empty, `repeats` is not an integer >= 1, or the plan needs more than
                `MAX_EVALUATIONS` evaluations (the message gives the count).

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
        if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
            raise ValueError(f"`repeats` must be an integer >= 1, got {repeats!r}.")
        plan = cls(tests, weights, repeats)
        total = plan.evaluations(runs)
        if total > MAX_EVALUATIONS:
            raise ValueError(
                f"The robustness plan needs {total:,} evaluations ({len(tests)} test "
                f"BERs × {len(weights)} weight BERs × {repeats:,} draws"
                + (f" × {runs:,} runs" if runs > 1 else "")
                + f"); at most {MAX_EVALUATIONS:,} are allowed, each one a pass over "
                "the whole test set. Lower `repeats` or the number of rates."
            )
        return plan

    def evaluations(self, runs: int = 1) -> int:
        """The number of cells (test-set passes) for `runs` runs.

        Args:
            runs: Trained runs the plan is applied to.

        Returns:
            `len(test_bers) * len(weight_bers) * repeats * runs`.
        """
        return len(self.test_bers) * len(self.weight_bers) * self.repeats * runs
