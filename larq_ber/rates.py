"""Bit error rates: the one check of a rate, and rates given per binarized layer.

A rate is a probability in $[0, 1]$. `check_rate` is the check every entry point
uses (quantizers, recipes, schedules, the command line), so a bad value gets the same
message everywhere, naming the argument and the accepted range. `per_layer` expands
the forms the model functions accept — one rate, one per binarized layer, or a
mapping from layer name to rate — into one value per layer. Nothing here imports
TensorFlow.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Rates", "check_rate", "per_layer"]

#: A rate for every binarized layer, one per layer in order, or by layer name.
Rates = float | Sequence[float] | Mapping[str, float] | None


def check_rate(name: str, value: Any) -> float:
    """Returns `value` as a float probability or raises naming the argument.

    Args:
        name: The argument's name, for the message.
        value: The rate to check.

    Returns:
        `float(value)`.

    Raises:
        ValueError: If `value` is not a real number (booleans are not) or is
            outside $[0, 1]$ (NaN included).

    Example:
        >>> check_rate("ber", 0.04)
        0.04
        >>> check_rate("ber", 1.5)
        Traceback (most recent call last):
        ...
        ValueError: `ber` must be in the range [0, 1], got 1.5.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"`{name}` must be a number in the range [0, 1], got {value!r} "
            f"of type {type(value).__name__}."
        )
    rate = float(value)
    if not 0.0 <= rate <= 1.0:  # NaN fails both comparisons
        raise ValueError(f"`{name}` must be in the range [0, 1], got {value!r}.")
    return rate


def per_layer(argument: str, value: Rates, names: Sequence[str]) -> list[Any]:
    """One value per binarized layer from a number, a sequence or a mapping.

    The values themselves are not checked here: the quantizer each one reaches
    checks it (with `check_rate`).

    Args:
        argument: `"ber"`, `"ber_neg"` or `"ber_pos"`, for messages; layers a
            mapping leaves out get 0 for `"ber"` and `None` (= `ber`) otherwise.
        value: A number or `None` (every layer), a sequence (one per layer, in
            order) or a mapping from layer name to rate.
        names: The binarized layers, in order.

    Returns:
        One value per name.

    Raises:
        ValueError: If a sequence has the wrong length, a mapping names an unknown
            layer, or `value` is none of the accepted forms; the message lists the
            binarized layers in order.

    Example:
        >>> per_layer("ber", {"b": 0.1}, ["a", "b"])
        [0.0, 0.1]
    """
    listing = ", ".join(names)
    if value is None or isinstance(value, numbers.Real):
        return [value] * len(names)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(
                f"`{argument}` names unknown layers {unknown}; the binarized layers "
                f"are, in order: {listing}."
            )
        return [value.get(name, None if argument != "ber" else 0.0) for name in names]
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        if len(value) != len(names):
            raise ValueError(
                f"`{argument}` has {len(value)} rates but the model has {len(names)} "
                f"binarized layers, in order: {listing}."
            )
        return list(value)
    raise ValueError(
        f"`{argument}` must be a number in [0, 1], a sequence with one rate per "
        f"binarized layer or a mapping from layer name to rate, got {value!r}. "
        f"The binarized layers are, in order: {listing}."
    )
