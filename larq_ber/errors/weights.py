r"""Bit errors in the stored binary weights: `weight_errors`.

The binarized weights sit in memory; each stored sign flips independently. The
latent weights carry the signs, so a flip is $w \to -w$ and the exact weights come
back on leaving the block.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from larq_ber.errors.binary import binarized_kernels
from larq_ber.errors.registry import marked
from larq_ber.rates import ErrorRates, weight_rate

__all__ = ["weight_errors"]


def _flip_signs(value: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`value` with the entries of `mask` negated; a flipped 0 becomes $-10^{-12}$."""
    changed = np.where(mask, -value, value)
    changed[mask & (value == 0)] = -1e-12
    return changed


@contextlib.contextmanager
def weight_errors(
    model: tf.keras.Model, ber: float | ErrorRates, *, seed: int | None = None
) -> Iterator[int]:
    r"""Flips the stored sign of each binarized weight with probability `ber`.

    For every layer with a 1-bit kernel quantizer, each latent weight $w$ becomes
    $-w$ independently with probability `ber`, so its binarized value
    $\operatorname{sign}(w)$ flips while $|w|$ (and larq's per-channel scale
    $\alpha = \overline{|W|}$ of `magnitude_aware_sign`) stays. A latent weight of
    exactly 0 (sign $+1$) becomes $-10^{-12}$. The weights are restored bit for bit
    on leaving the block, also when it raises. Real-valued layers are untouched.

    Args:
        model: A Keras model with binarized layers.
        ber: Probability in $[0, 1]$ that a stored sign flips, or an
            `ErrorRates` (its `weight_ber`).
        seed: Seed of the draws (`None`: numpy's global generator, which
            `tf.keras.utils.set_random_seed` seeds).

    Yields:
        The number of signs flipped.

    Raises:
        ValueError: If `ber` is not in $[0, 1]$ or the model has no binarized
            kernel.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> with weight_errors(LeNet4(), 0.01, seed=0) as flipped:
        ...     print(flipped > 0)
        True
    """
    rate = weight_rate(ber)
    kernels = binarized_kernels(model)
    if not kernels:
        raise ValueError("`model` has no layer with a 1-bit kernel_quantizer.")
    rng = np.random.default_rng(seed) if seed is not None else np.random
    saved = [variable.numpy() for _, variable in kernels]
    flipped = 0
    try:
        for (_, variable), value in zip(kernels, saved, strict=True):
            mask = rng.random(value.shape) < rate
            variable.assign(_flip_signs(value, mask))
            flipped += int(mask.sum())
        with marked(model, "weight_errors"):
            yield flipped
    finally:
        for (_, variable), value in zip(kernels, saved, strict=True):
            variable.assign(value)
