"""A recipe's lifetime keys: checked into a `LifetimePlan`. TF-free.

A recipe with `storage_times` evaluates every run on an MRAM chip after it trains
(`larq_ber.study.sweeps.lifetime`); the other keys refine the grid:

```toml
storage_times = [1, 3600, "1d", "1y", "10y"]   # time since write: s, or with a unit
temperatures = ["25C", "85C"]                   # K, or °C with a C
reads = [0]                                     # reads of each weight bit
delta_spread = [0.0, 0.1]                       # cell-to-cell spread of Delta
v_c0_spread = 0.0                               # ... and of V_c0
device = "tzoufras2019"                         # an MTJ preset
write_voltage = 0.6                             # activation write point (V, s);
write_pulse = 10e-9                             # none: error-free activations
read_polarity = "fixed"                         # or "bipolar"
lifetime_draws = 10                             # error draws per point
```

The spreads' grid is every (delta spread, V_c0 spread) pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from larq_ber.study.sweeps.lifetime_plan import LifetimePlan

__all__ = ["KEYS", "lifetime_plan", "lifetime_problems"]

#: Recipe key -> argument of `LifetimePlan.checked`.
KEYS = {
    "storage_times": "storage_times",
    "device": "device",
    "temperatures": "temperatures",
    "reads": "reads",
    "delta_spread": "delta_spread",
    "v_c0_spread": "v_c0_spread",
    "write_voltage": "write_voltage",
    "write_pulse": "write_pulse",
    "read_polarity": "read_polarity",
    "lifetime_draws": "draws",
}


def lifetime_plan(values: Mapping[str, Any], runs: int = 1) -> LifetimePlan | None:
    """The checked plan of a recipe's lifetime keys, or `None` without them.

    Args:
        values: The recipe's values.
        runs: The recipe's runs (the plan's size is bounded for all of them).

    Returns:
        The plan if the recipe has `storage_times`, else `None`.

    Raises:
        ValueError: If a value is out of range (the message names its argument).

    Example:
        >>> lifetime_plan({"storage_times": [1, "1y"], "temperatures": ["85C"]}).reads
        (0,)
    """
    if "storage_times" not in values:
        return None
    given = {argument: values[key] for key, argument in KEYS.items() if key in values}
    return LifetimePlan.checked(**given, runs=runs)


def lifetime_problems(values: Mapping[str, Any], runs: int = 1) -> list[str]:
    """One sentence per problem of a recipe's lifetime keys (empty if none).

    Args:
        values: The recipe's values.
        runs: The recipe's runs.

    Returns:
        The problems: a key out of its range (named, with the range), the plan
        too large, or lifetime keys without `storage_times`.
    """
    if "storage_times" not in values:
        return [
            f"{key} = {values[key]!r}: applies only with storage_times (the times "
            "since write of a lifetime evaluation)"
            for key in KEYS
            if key in values
        ]
    try:
        lifetime_plan(values, runs)
    except ValueError as error:
        message = str(error).replace("`draws`", "`lifetime_draws`")
        return [message.replace("`", "").rstrip(".")]
    return []
