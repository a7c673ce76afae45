"""Finding and setting the bit error rates of every `BerSteSign` of a model.

`walk_layers` lists every layer of a model once, looking into nested models (a
Sequential inside a functional model, a model used as a layer) and into layers that
hold quantized layers: everything that looks for quantizers or kernels in a model
(`larq_ber.errors`, `larq_ber.models.binarized_layers`) walks the model this way.
"""

from __future__ import annotations

from collections.abc import Iterable

import tensorflow as tf

from larq_ber.quantizers.activations import BerSteSign
from larq_ber.quantizers.modules import submodules

__all__ = ["ber_quantizers", "set_ber", "walk_layers"]


def _children(layer: tf.keras.layers.Layer) -> list[tf.keras.layers.Layer]:
    """The layers directly inside `layer` that may hold quantizers or kernels."""
    if isinstance(layer, tf.keras.Model):
        return list(layer.layers)
    return [
        sub
        for sub in submodules(layer)
        if isinstance(sub, tf.keras.Model)
        or hasattr(sub, "kernel_quantizer")
        or hasattr(sub, "input_quantizer")
    ]


def walk_layers(
    model: tf.keras.layers.Layer, *, models: bool = False
) -> list[tuple[str, tf.keras.layers.Layer]]:
    """Every layer of `model` once, nested models and wrapped layers included.

    The walk is depth-first in the order of `model.layers`. A layer of a nested
    model is named by its path, `"<nested model>/<layer>"`; a layer of the top
    model by its name (a layer wrapped by another, e.g. by `TimeDistributed`, by
    `"<wrapper>/<layer>"`). A layer shared by several models (or used twice) is listed
    once, under the first path that reaches it.

    Args:
        model: A Keras model or layer. A layer that is not a model is listed
            itself, followed by the quantized layers it wraps.
        models: Whether to list the nested models themselves too (each before its
            layers); the top model is never listed.

    Returns:
        `(path, layer)` pairs.

    Example:
        >>> inner = tf.keras.Sequential([tf.keras.layers.Dense(2, name="d")],
        ...                             name="inner")
        >>> inputs = tf.keras.Input((3,), name="x")
        >>> outer = tf.keras.Model(inputs, inner(inputs))
        >>> [path for path, _ in walk_layers(outer)]
        ['x', 'inner/d']
    """
    found: list[tuple[str, tf.keras.layers.Layer]] = []
    seen = {id(model)}

    def visit(layer: tf.keras.layers.Layer, prefix: str) -> None:
        for child in _children(layer):
            if id(child) in seen:
                continue
            seen.add(id(child))
            path = prefix + child.name
            nested = isinstance(child, tf.keras.Model)
            if models or not nested:
                found.append((path, child))
            visit(child, path + "/")

    if not isinstance(model, tf.keras.Model):
        found.append((model.name, model))
    visit(model, "")
    return found


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
    # `tf.Module.submodules`' order (not Keras's tracking order): quantizer k of a
    # model is seeded `seed + k` by `larq_ber.errors`, so this order is part of
    # every draw.
    found = [m for m in submodules(model) if isinstance(m, BerSteSign)]
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
