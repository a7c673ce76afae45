"""How large a recipe may be: epochs, batch, runs and its robustness plan. TF-free.

Beyond these limits a value is a typo, not an experiment (2**63 - 1 epochs would
never finish; 10**12 draws would never end either), and the recipe is refused with
the count in the message before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from larq_ber.study.sweeps.plan import AutoRepeats, RobustnessPlan

__all__ = ["MAX_BATCH_SIZE", "MAX_EPOCHS", "MAX_RUNS", "run_count", "size_problems"]

#: Most runs (bers × repeats × subsets) one sweep may plan. Every run gets a folder
#: and keras-tuner keeps every trial in memory and in a file of its own, so a
#: larger study is better split into several sweeps (several output folders).
MAX_RUNS = 100_000

#: The most epochs and the largest batch a recipe may ask for.
MAX_EPOCHS = 100_000
MAX_BATCH_SIZE = 1_000_000


def run_count(values: Mapping[str, Any]) -> int | None:
    """The runs of a recipe's grid (bers × repeats × subsets); `None` if invalid.

    Example:
        >>> run_count({"bers": [0.0, 0.1], "repeats": 3})
        6
    """
    bers, subsets, repeats = (values.get(k) for k in ("bers", "subsets", "repeats"))
    if not (isinstance(bers, list) and isinstance(repeats, int) and repeats > 0):
        return None
    return (
        len(bers) * repeats * max(1, len(subsets) if isinstance(subsets, list) else 1)
    )


def size_problems(
    values: Mapping[str, Any],
    auto_rule: Callable[[Mapping[str, Any]], int | AutoRepeats],
    *,
    plan: bool = True,
) -> list[str]:
    """The run grid and the robustness plan of checked recipe values, bounded.

    Args:
        values: The recipe's values (each already checked on its own).
        auto_rule: Gives the `test_repeats = "auto"` rule of `values`.
        plan: Whether to check the robustness plan too (not when a value it
            needs was already refused, so nothing is said twice).

    Returns:
        The problems: the grid over `MAX_RUNS` runs, or a robustness plan over
        `larq_ber.study.sweeps.plan.MAX_EVALUATIONS` evaluations for all its runs.

    Example:
        >>> size_problems({"bers": [0.0], "repeats": 2, "test_bers": [0.1],
        ...                "test_repeats": 10**12}, lambda values: 10)[0][:40]
        'The robustness plan needs 2,000,000,000,'
    """
    count = run_count(values)
    if count is None:
        return []  # invalid: said by the value checks
    if count > MAX_RUNS:
        return [
            f"the grid has {count:,} runs (bers × repeats × subsets); a sweep plans "
            f"at most {MAX_RUNS:,}: each run gets a folder and keras-tuner keeps "
            "every trial in memory and in a file, so split the study into several "
            "sweeps"
        ]
    if not plan or not values.get("test_bers"):
        return []
    draws = values.get("test_repeats", 10)
    try:
        rule = auto_rule(values) if draws == "auto" else draws
    except ValueError:
        return []  # an invalid rule: said by its own check
    try:
        RobustnessPlan.checked(
            values["test_bers"], values.get("weight_bers") or [0.0], rule, runs=count
        )
    except (TypeError, ValueError) as error:
        return [str(error).rstrip(".")]
    return []
