"""Finding and setting the bit error rates of every `BerSteSign` of a model."""

from __future__ import annotations

from collections.abc import Iterable

import tensorflow as tf

from larq_ber.quantizers.activations import BerSteSign

__all__ = ["ber_quantizers", "set_ber"]


def ber_quantizers(model: tf.Module) -> list[BerSteSign]:
    """Lists every `BerSteSign` inside a model or layer.

    Args:
        model: A Keras model or layer (anything with `tf.Module.submodules`).

    Returns:
        The `BerSteSign` quantizers found, each once.

    Example:
        >>> layer = lq.layers.QuantDense(4, input_quantizer=BerSteSign(0.1))
        >>> len(ber_quantizers(layer))
        1
    """
    found = [m for m in model.submodules if isinstance(m, BerSteSign)]
    if isinstance(model, BerSteSign):
        found.insert(0, model)
    return found


def set_ber(
    model: tf.Module | Iterable[BerSteSign],
    ber: float | None = None,
    *,
    ber_neg: float | None = None,
    ber_pos: float | None = None,
) -> int:
    """Sets the bit error rates of every `BerSteSign` in a model.

    Useful with the string alias, which builds quantizers at rate 0:

    ```python
    model = build(input_quantizer="ber_ste_sign")
    larq_ber.quantizers.set_ber(model, 0.04)
    ```

    Args:
        model: A Keras model or layer, or an iterable of quantizers.
        ber: Symmetric rate in $[0, 1]$.
        ber_neg: Probability in $[0, 1]$ that a $-1$ is stored as $+1$.
        ber_pos: Probability in $[0, 1]$ that a $+1$ is stored as $-1$.

    Returns:
        The number of quantizers changed.

    Raises:
        ValueError: If a rate is not in $[0, 1]$, or `model` holds no `BerSteSign`.

    Example:
        >>> layer = lq.layers.QuantDense(4, input_quantizer="ber_ste_sign")
        >>> set_ber(layer, 0.02)
        1
    """
    if isinstance(model, tf.Module):
        quantizers = ber_quantizers(model)
    elif isinstance(model, Iterable) and not isinstance(model, str | bytes):
        quantizers = list(model)
    else:
        raise ValueError(
            "`model` must be a Keras model or layer, or an iterable of BerSteSign "
            f"quantizers, got {model!r}."
        )
    if not quantizers or not all(isinstance(q, BerSteSign) for q in quantizers):
        raise ValueError("`model` contains no BerSteSign quantizer to set.")
    for quantizer in quantizers:
        quantizer.set_ber(ber, ber_neg=ber_neg, ber_pos=ber_pos)
    return len(quantizers)
