"""Which quantizers, kernels and layer inputs of a model are binary (1-bit).

One test serves every error model and the export report: a quantizer is binary when
its `precision` is 1 (larq's sign quantizers, `BerSteSign`,
`BerMagnitudeAwareSign`, `DropoutAfterQuantizer` around one of them).
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from larq_ber.quantizers.setting import walk_layers

__all__ = [
    "binarized_kernels",
    "binary_input",
    "binary_kernel",
    "is_binarized",
    "is_one_bit",
    "kernels_of",
]


def is_one_bit(quantizer: Any) -> bool:
    """Whether `quantizer` quantizes to 1 bit.

    Args:
        quantizer: A larq quantizer, or `None`.

    Returns:
        True if its `precision` is 1; False for `None` and for other widths.

    Example:
        >>> import larq as lq
        >>> is_one_bit(lq.quantizers.SteSign()), is_one_bit(None)
        (True, False)
    """
    return getattr(quantizer, "precision", None) == 1


def binary_kernel(layer: tf.keras.layers.Layer) -> tf.Variable | None:
    """The latent kernel of `layer` if its `kernel_quantizer` is 1-bit.

    Args:
        layer: A Keras layer.

    Returns:
        The kernel variable, whose signs are the stored binary weights, or `None`
        for a layer without a kernel or with a real-valued one.
    """
    if not is_one_bit(getattr(layer, "kernel_quantizer", None)):
        return None
    return getattr(layer, "kernel", None)


def binary_input(layer: tf.keras.layers.Layer) -> bool:
    """Whether `layer` binarizes its input (its `input_quantizer` is 1-bit).

    Args:
        layer: A Keras layer.

    Returns:
        True for a larq layer with a 1-bit input quantizer.
    """
    return is_one_bit(getattr(layer, "input_quantizer", None))


def is_binarized(layer: tf.keras.layers.Layer) -> bool:
    """Whether both the input and the kernel of `layer` are 1-bit.

    Such a layer computes an XNOR-popcount product; Larq Compute Engine can make
    a binary operator of it.

    Args:
        layer: A Keras layer.

    Returns:
        True if `binary_input` and `binary_kernel` both hold.
    """
    return binary_input(layer) and binary_kernel(layer) is not None


def binarized_kernels(model: tf.keras.Model) -> list[tuple[str, tf.Variable]]:
    """The latent kernels whose signs are the stored binary weights.

    A kernel counts when its layer's `kernel_quantizer` is 1-bit (larq's
    `magnitude_aware_sign`, `ste_sign`, …). Real-valued layers are left out.
    Nested models are looked into (a layer of one is named
    `"<nested model>/<layer>"`); a shared layer's kernel is listed once.

    Args:
        model: A Keras model or layer.

    Returns:
        `(layer path, kernel variable)` pairs in the order of
        `larq_ber.quantizers.setting.walk_layers`.

    Raises:
        TypeError: If `model` is not a Keras model or layer.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> [name for name, _ in binarized_kernels(LeNet4())]
        ['binary_conv_2', 'binary_dense_3']
    """
    if not isinstance(model, tf.keras.layers.Layer):
        raise TypeError(
            "`model` must be a Keras model or layer, got "
            f"{type(model).__name__} {model!r}."
        )
    return kernels_of(walk_layers(model))


def kernels_of(
    layers: list[tuple[str, tf.keras.layers.Layer]],
) -> list[tuple[str, tf.Variable]]:
    """`binarized_kernels` of the `(path, layer)` pairs of a walk already made.

    Args:
        layers: What `larq_ber.quantizers.setting.walk_layers` returned (nested
            models in it, with `models=True`, hold no kernel of their own).

    Returns:
        `(layer path, kernel variable)` pairs, each kernel once.
    """
    found, seen = [], set()
    for path, layer in layers:
        kernel = binary_kernel(layer)
        if kernel is not None and id(kernel) not in seen:
            seen.add(id(kernel))
            found.append((path, kernel))
    return found
