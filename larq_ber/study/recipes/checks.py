"""Each recipe key's check on its own: what its value must be. TF-free.

`CHECKS` maps a key to its test and to the words that say what it expects;
`value_problems` applies them to the keys a recipe has. Checks that relate several
keys (the seeds, the datasets, the plan's size, `layer_bers` against the model) are
with the keys they relate (`larq_ber.study.recipes.loading`, `limits`,
`layer_bers`).

Example:
    >>> value_problems({"epochs": 0, "bers": [0.0, 0.04]})
    ['epochs = 0: expected an integer from 1 to 100,000']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from larq_ber.rates import check_rate
from larq_ber.study.defaults import OPTIMIZERS, STRATEGIES
from larq_ber.study.recipes.limits import MAX_BATCH_SIZE, MAX_EPOCHS

__all__ = ["CHECKS", "is_int", "is_shape", "value_problems"]


def is_int(value: Any) -> TypeGuard[int]:
    """Whether `value` is an integer (a bool is not).

    Example:
        >>> is_int(3), is_int(True), is_int(3.0)
        (True, False, False)
    """
    return isinstance(value, int) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    """An integer >= 1."""
    return is_int(value) and value >= 1


def _is_number(value: Any) -> bool:
    """A finite real number (not a bool, not NaN or infinite)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _are_rates(value: Any) -> bool:
    """A list of distinct rates in [0, 1] (`larq_ber.rates.check_rate`)."""
    if not isinstance(value, list):
        return False
    try:
        rates = [check_rate("rate", v) for v in value]
    except ValueError:
        return False
    return len(set(rates)) == len(rates)


def is_shape(value: Any) -> TypeGuard[list[int]]:
    """Whether `value` is an image shape `[height, width, channels]`, each >= 1.

    Example:
        >>> is_shape([32, 32, 3]), is_shape([32, 32])
        (True, False)
    """
    return (
        isinstance(value, list) and len(value) == 3 and all(_is_count(d) for d in value)
    )


_RATES = "list of distinct rates in [0, 1]"
_COUNT = "an integer >= 1"

#: Each key's check and what it expects, applied to the keys a recipe has.
CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "bers": (lambda v: _are_rates(v) and bool(v), f"a non-empty {_RATES}"),
    "test_bers": (_are_rates, f"a {_RATES}"),
    "weight_bers": (_are_rates, f"a {_RATES}"),
    "test_repeats": (lambda v: _is_count(v) or v == "auto", f'{_COUNT} or "auto"'),
    "strategy": (lambda v: v in STRATEGIES, f"one of {list(STRATEGIES)}"),
    "repeats": (_is_count, _COUNT),
    "epochs": (
        lambda v: _is_count(v) and v <= MAX_EPOCHS,
        f"an integer from 1 to {MAX_EPOCHS:,}",
    ),
    "batch_size": (
        lambda v: _is_count(v) and v <= MAX_BATCH_SIZE,
        f"an integer from 1 to {MAX_BATCH_SIZE:,}",
    ),
    "optimizer": (lambda v: v in OPTIMIZERS, f"one of {list(OPTIMIZERS)}"),
    "learning_rate": (lambda v: _is_number(v) and v > 0, "a finite number > 0"),
    "momentum": (lambda v: _is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "weight_decay": (lambda v: _is_number(v) and v >= 0, "a finite number >= 0"),
    "decay_factor": (lambda v: _is_number(v) and 0 < v <= 1, "a number in (0, 1]"),
    "decay_epochs": (
        lambda v: isinstance(v, list | tuple) and all(_is_count(e) for e in v),
        "a list of epochs >= 1",
    ),
    "input_shape": (lambda v: v is None or is_shape(v), "[height, width, channels]"),
    "subsets": (
        lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
        "a list of 'classes=K,subset_seed=S' strings",
    ),
}


def value_problems(values: Mapping[str, Any]) -> list[str]:
    """One sentence per value that fails its check in `CHECKS`.

    Args:
        values: A recipe's values; keys without a check are not looked at.

    Returns:
        `"key = value: expected …"` for each value that fails its check.
    """
    return [
        f"{key} = {values[key]!r}: expected {expected}"
        for key, (ok, expected) in CHECKS.items()
        if key in values and not ok(values[key])
    ]
