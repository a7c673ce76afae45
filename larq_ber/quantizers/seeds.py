"""The seed argument of the quantizers, checked in one place. TF-free."""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["check_seed"]


def check_seed(seed: Any) -> int | None:
    """`seed` checked: `None` or an integer >= 0.

    Args:
        seed: The seed given to a quantizer.

    Returns:
        `None` or the seed as an `int`.

    Raises:
        ValueError: If `seed` is neither `None` nor an integer >= 0.

    Example:
        >>> check_seed(3)
        3
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"`seed` must be None or an integer >= 0, got {seed!r}.")
    return int(seed)
