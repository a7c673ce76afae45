r"""Bit errors in the binary activations at inference: `activation_errors`.

Activations are written afresh at every inference, so their errors are transient:
inside the block every `BerSteSign` of the model draws new flips at every call.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import tensorflow as tf

from larq_ber.errors.registry import marked, retrace
from larq_ber.quantizers import BerSteSign, ber_quantizers
from larq_ber.rates import ErrorRates, check_rate, split_rates

__all__ = ["activation_errors"]


def _directions(
    ber: float | ErrorRates, ber_neg: float | None, ber_pos: float | None
) -> tuple[float, float]:
    """The checked `(ber_neg, ber_pos)`: a direction not given is `ber`."""
    ber, ber_neg, ber_pos = split_rates(ber, ber_neg, ber_pos)
    check_rate("ber", ber)
    neg = check_rate("ber_neg", ber if ber_neg is None else ber_neg)
    pos = check_rate("ber_pos", ber if ber_pos is None else ber_pos)
    return neg, pos


@contextlib.contextmanager
def activation_errors(
    model: tf.keras.Model,
    ber: float | ErrorRates = 0.0,
    *,
    ber_neg: float | None = None,
    ber_pos: float | None = None,
    seed: int | None = None,
) -> Iterator[list[BerSteSign]]:
    r"""Bit errors in the binary activations at inference, inside a `with` block.

    Inside the block every `BerSteSign` of `model` flips its outputs at inference
    as it does while training: each $-1$ becomes $+1$ with probability `ber_neg`,
    each $+1$ becomes $-1$ with probability `ber_pos`, independently at every call.
    BatchNorm keeps its moving statistics and dropout stays off: only the flips
    are added. On leaving, inference is error-free again (the training rates are
    untouched throughout).

    Args:
        model: A Keras model or layer with `BerSteSign` quantizers.
        ber: Symmetric rate in $[0, 1]$, or an `ErrorRates` (its `ber_neg` and
            `ber_pos`).
        ber_neg: Probability in $[0, 1]$ that a $-1$ is read as $+1$; defaults to
            `ber`.
        ber_pos: Probability in $[0, 1]$ that a $+1$ is read as $-1$; defaults to
            `ber`.
        seed: Seed of the draws (quantizer $k$ uses `seed + k`); `None`: from
            Python's `random`, which `tf.keras.utils.set_random_seed` seeds.

    Yields:
        The quantizers that flip.

    Raises:
        ValueError: If a rate is not in $[0, 1]$ or the model has no `BerSteSign`.

    Example:
        >>> import numpy as np
        >>> from larq_ber.models import LeNet4
        >>> model = LeNet4()
        >>> x = np.random.default_rng(0).standard_normal((4, 28, 28, 1))
        >>> clean = model.predict(x, verbose=0)
        >>> with activation_errors(model, 0.5, seed=0) as flipping:
        ...     noisy = model.predict(x, verbose=0)
        >>> len(flipping), bool((noisy != clean).any())
        (2, True)
        >>> bool((model.predict(x, verbose=0) == clean).all())
        True
    """
    neg, pos = _directions(ber, ber_neg, ber_pos)
    quantizers = ber_quantizers(model)
    if not quantizers:
        raise ValueError(
            "`model` contains no BerSteSign quantizer; convert a larq model with "
            "larq_ber.errors.with_bit_errors first."
        )
    base = seed if seed is not None else random.getrandbits(62)
    for k, quantizer in enumerate(quantizers):
        generator = tf.random.Generator.from_seed(base + k)
        quantizer.set_inference_errors((neg, pos), generator)
    retrace(model)
    try:
        with marked(model, "activation_errors"):
            yield quantizers
    finally:
        for quantizer in quantizers:
            quantizer.set_inference_errors(None)
        retrace(model)
