r"""Bit errors at deployment: in activations at inference, in stored weights.

The paper trains *with* activation write errors and evaluates without them. A
deployed network meets errors too:

- `activation_errors(model, ber)`: every `BerSteSign` of the model also flips
  while the model infers (`evaluate`, `predict`, `model(x)`), at the given rates —
  activations are written afresh at every inference, so the errors are transient,
  a new independent draw each time. Leaving the context restores error-free
  inference.
- `weight_errors(model, ber)`: the binarized weights sit in memory; each stored sign
  flips independently with probability `ber` (for a `magnitude_aware_sign` or
  `ste_sign` kernel: the sign of the latent weight, its magnitude kept). The exact
  weights come back on leaving the context, also after an exception.

Both work on any Larq model whose binary layers use `BerSteSign` (the paper's
models, or any larq model after `with_bit_errors`, which swaps its sign input
quantizers for `BerSteSign` without changing what it computes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from larq_ber.quantizers import BerSteSign, ber_quantizers
from larq_ber.rates import check_rate

__all__ = ["activation_errors", "binarized_kernels", "weight_errors", "with_bit_errors"]


def _retrace(model: tf.keras.Model) -> None:
    """Makes Keras trace its inference functions again.

    The quantizers' inference setting is read when a function is traced.
    """
    if isinstance(model, tf.keras.Model):
        model.make_predict_function(force=True)
        model.make_test_function(force=True)


@contextlib.contextmanager
def activation_errors(
    model: tf.keras.Model,
    ber: float = 0.0,
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
        ber: Symmetric rate in $[0, 1]$.
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
        >>> from larq_ber.models import LeNet4
        >>> model = LeNet4()
        >>> with activation_errors(model, 0.5, seed=0):  # doctest: +SKIP
        ...     model.evaluate(x_test, y_test)  # about chance
    """
    import random

    check_rate("ber", ber)
    neg = check_rate("ber_neg", ber if ber_neg is None else ber_neg)
    pos = check_rate("ber_pos", ber if ber_pos is None else ber_pos)
    quantizers = ber_quantizers(model)
    if not quantizers:
        raise ValueError(
            "`model` contains no BerSteSign quantizer; convert a larq model with "
            "larq_ber.with_bit_errors first."
        )
    base = seed if seed is not None else random.getrandbits(62)
    for k, quantizer in enumerate(quantizers):
        generator = tf.random.Generator.from_seed(base + k)
        quantizer.set_inference_errors((neg, pos), generator)
    _retrace(model)
    try:
        yield quantizers
    finally:
        for quantizer in quantizers:
            quantizer.set_inference_errors(None)
        _retrace(model)


def binarized_kernels(model: tf.keras.Model) -> list[tuple[str, tf.Variable]]:
    """The latent kernels whose signs are the stored binary weights.

    A kernel counts when its layer's `kernel_quantizer` is 1-bit (larq's
    `magnitude_aware_sign`, `ste_sign`, …). Real-valued layers are left out.

    Args:
        model: A Keras model.

    Returns:
        `(layer name, kernel variable)` pairs in the order of `model.layers`.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> [name for name, _ in binarized_kernels(LeNet4())]
        ['binary_conv_2', 'binary_dense_3']
    """
    found = []
    for layer in model.layers:
        quantizer = getattr(layer, "kernel_quantizer", None)
        if getattr(quantizer, "precision", None) == 1 and hasattr(layer, "kernel"):
            found.append((layer.name, layer.kernel))
    return found


@contextlib.contextmanager
def weight_errors(
    model: tf.keras.Model, ber: float, *, seed: int | None = None
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
        ber: Probability in $[0, 1]$ that a stored sign flips.
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
    rate = check_rate("ber", ber)
    kernels = binarized_kernels(model)
    if not kernels:
        raise ValueError("`model` has no layer with a 1-bit kernel_quantizer.")
    rng = np.random.default_rng(seed) if seed is not None else np.random
    saved = [variable.numpy() for _, variable in kernels]
    flipped = 0
    try:
        for (_, variable), value in zip(kernels, saved, strict=True):
            mask = rng.random(value.shape) < rate
            changed = np.where(mask, -value, value)
            changed[mask & (value == 0)] = -1e-12
            variable.assign(changed)
            flipped += int(mask.sum())
        yield flipped
    finally:
        for (_, variable), value in zip(kernels, saved, strict=True):
            variable.assign(value)


def with_bit_errors(
    model: tf.keras.Model,
    ber: float = 0.0,
    *,
    ber_neg: float | None = None,
    ber_pos: float | None = None,
) -> tf.keras.Model:
    """A copy of a larq model whose sign input quantizers can flip bits.

    Every 1-bit sign input quantizer (`"ste_sign"`/`SteSign` with its
    `clip_value`, `"approx_sign"`, `"swish_sign"`/`SwishSign`) becomes a
    `BerSteSign` with the same forward pass and, at rate 0, the same gradient (the
    original becomes its `surrogate`, or its `clip_value` is kept), so the copy
    infers and trains exactly like the original until a rate is set; the weights
    are copied. Use it to fine-tune any larq model (e.g. from larq-zoo) with errors
    or to evaluate it under `activation_errors`. The original is not changed.

    Args:
        model: A functional or sequential Keras model built from larq layers.
        ber: Training bit error rate of the new quantizers, in [0, 1].
        ber_neg: Rate of −1 → +1 flips; defaults to `ber`.
        ber_pos: Rate of +1 → −1 flips; defaults to `ber`.

    Returns:
        The converted copy.

    Raises:
        ValueError: If a layer's input quantizer is 1-bit but not a sign quantizer
            this function knows (the message names the layer), or a rate is not in
            [0, 1].

    Example:
        >>> import larq as lq
        >>> inputs = tf.keras.Input((8,))
        >>> outputs = lq.layers.QuantDense(4, input_quantizer="approx_sign",
        ...                                kernel_quantizer="ste_sign")(inputs)
        >>> copy = with_bit_errors(tf.keras.Model(inputs, outputs), 0.01)
        >>> type(copy.layers[1].input_quantizer).__name__
        'BerSteSign'
    """
    import larq as lq

    check_rate("ber", ber)

    def convert(layer: tf.keras.layers.Layer) -> tf.keras.layers.Layer:
        config = layer.get_config()
        quantizer = getattr(layer, "input_quantizer", None)
        if quantizer is None or isinstance(quantizer, BerSteSign):
            return layer.__class__.from_config(config)
        if getattr(quantizer, "precision", None) != 1:  # not a binary activation
            return layer.__class__.from_config(config)
        if type(quantizer) is lq.quantizers.SteSign:
            new = BerSteSign(
                ber, ber_neg=ber_neg, ber_pos=ber_pos, clip_value=quantizer.clip_value
            )
        elif type(quantizer) in (lq.quantizers.ApproxSign, lq.quantizers.SwishSign):
            new = BerSteSign(
                ber,
                ber_neg=ber_neg,
                ber_pos=ber_pos,
                surrogate=lq.quantizers.serialize(quantizer),
            )
        else:
            raise ValueError(
                f"layer {layer.name!r}: its input quantizer "
                f"{type(quantizer).__name__} is 1-bit but not a sign quantizer "
                "with_bit_errors can convert (SteSign, ApproxSign, SwishSign)."
            )
        config["input_quantizer"] = lq.quantizers.serialize(new)
        return layer.__class__.from_config(config)

    copy = tf.keras.models.clone_model(model, clone_function=convert)
    copy.set_weights(model.get_weights())
    return copy
