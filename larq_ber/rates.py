"""Bit error rates: the one check of a rate, and rates given per binarized layer.

A rate is a probability in $[0, 1]$. `check_rate` is the check every entry point
uses (quantizers, recipes, schedules, the command line), so a bad value gets the same
message everywhere, naming the argument and the accepted range. `per_layer` expands
the forms the model functions accept — one rate, one per binarized layer, or a
mapping from layer name to rate — into one value per layer. `ErrorRates` carries
the rates of one deployment condition (the two write directions of the activations
and the weight error rate), as `larq_ber.mtj.error_rates` computes them from the
device physics; the quantizer and the context managers of `larq_ber.errors`
accept it wherever they take a rate. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ErrorRates",
    "Rates",
    "check_rate",
    "per_layer",
    "split_rates",
    "weight_rate",
]

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


@dataclasses.dataclass(frozen=True)
class ErrorRates:
    r"""The bit error rates of one deployment condition.

    Binary values map to MTJ states as $-1 \leftrightarrow$ parallel (P) and
    $+1 \leftrightarrow$ antiparallel (AP); a write of $-1$ is an AP→P switch and a
    write of $+1$ a P→AP switch, so the two directions can fail at different rates.

    Attributes:
        ber_neg: Probability in $[0, 1]$ that a written $-1$ is stored as $+1$.
        ber_pos: Probability in $[0, 1]$ that a written $+1$ is stored as $-1$.
        weight_ber: Probability in $[0, 1]$ that a stored binary weight reads as
            the opposite sign (retention and read disturb).

    Raises:
        ValueError: If a rate is not a number in $[0, 1]$ (the message names it).

    Example:
        >>> rates = ErrorRates(0.01, 0.03, weight_ber=1e-4)
        >>> rates.ber
        0.02
    """

    ber_neg: float
    ber_pos: float
    weight_ber: float = 0.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            object.__setattr__(
                self, field.name, check_rate(field.name, getattr(self, field.name))
            )

    @property
    def ber(self) -> float:
        """The mean of the two write directions (equal numbers of ±1 written)."""
        return (self.ber_neg + self.ber_pos) / 2

    def as_dict(self) -> dict[str, float]:
        """The three rates by name (e.g. for a CSV row or a JSON file).

        Returns:
            `{"ber_neg": …, "ber_pos": …, "weight_ber": …}`.
        """
        return dataclasses.asdict(self)


def split_rates(
    ber: Any, ber_neg: Any = None, ber_pos: Any = None
) -> tuple[Any, Any, Any]:
    r"""Splits `ErrorRates` into `(ber, ber_neg, ber_pos)`; given directions win.

    Args:
        ber: A symmetric rate, `None`, or an `ErrorRates`.
        ber_neg: An explicit $-1 \to +1$ rate, or `None`.
        ber_pos: An explicit $+1 \to -1$ rate, or `None`.

    Returns:
        `(ber, ber_neg, ber_pos)`, unchecked; for an `ErrorRates` its mean and its
        two directions, each replaced by `ber_neg`/`ber_pos` where given.

    Example:
        >>> split_rates(ErrorRates(0.01, 0.03), ber_pos=0.05)
        (0.02, 0.01, 0.05)
    """
    if isinstance(ber, ErrorRates):
        return (
            ber.ber,
            ber.ber_neg if ber_neg is None else ber_neg,
            ber.ber_pos if ber_pos is None else ber_pos,
        )
    return ber, ber_neg, ber_pos


def weight_rate(ber: Any) -> float:
    """The weight bit error rate of a number or of an `ErrorRates`, checked.

    Args:
        ber: A probability in $[0, 1]$, or an `ErrorRates` (its `weight_ber`).

    Returns:
        The rate as a float.

    Raises:
        ValueError: If the rate is not a number in $[0, 1]$ (the message names
            `ber`).

    Example:
        >>> weight_rate(ErrorRates(0.01, 0.03, weight_ber=1e-4))
        0.0001
    """
    return check_rate("ber", ber.weight_ber if isinstance(ber, ErrorRates) else ber)


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
