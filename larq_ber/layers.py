"""Binary layers of the paper's blocks that larq does not have as such.

The XNOR-Net reference blocks apply dropout to the *binarized* activations:
BatchNorm → sign → dropout → convolution. larq's `QuantConv2D` quantizes its input
with `input_quantizer` and convolves the result, so dropout after the sign is an
input quantizer too: `DropoutAfterQuantizer` wraps any larq quantizer and drops
some of its outputs while training. `InputDropoutQuantConv2D` is `QuantConv2D`
with such an input quantizer, configured as before (`input_quantizer` plus
`input_dropout`). At inference the dropout is the identity, so Larq Compute Engine
still sees sign → convolution and converts the layer to a binary convolution.
"""

from __future__ import annotations

import numbers
from typing import Any

import larq as lq
import tensorflow as tf

import larq_ber.quantizers  # noqa: F401  (registers the "ber_ste_sign" alias)

__all__ = ["DropoutAfterQuantizer", "InputDropoutQuantConv2D", "input_quantizer_of"]


def _check_fraction(name: str, value: Any) -> float:
    """`value` as a float in [0, 1), or a ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a number in [0, 1), got {value!r}.")
    if not 0.0 <= float(value) < 1.0:  # NaN fails too
        raise ValueError(f"`{name}` must be in the range [0, 1), got {value!r}.")
    return float(value)


@tf.keras.saving.register_keras_serializable(package="larq_ber")
@lq.utils.register_keras_custom_object
class DropoutAfterQuantizer(tf.keras.layers.Layer):
    r"""A larq input quantizer followed by dropout of its outputs while training.

    Args:
        quantizer: A larq quantizer (object, string alias or config), e.g.
            `BerSteSign(0.04)` or `"ste_sign"`.
        rate: Fraction of the quantized values to drop while training, in
            $[0, 1)$; the others are scaled by $1 / (1 - \text{rate})$ as in Keras's
            `Dropout`.
        **kwargs: Keyword arguments of `tf.keras.layers.Layer`.

    Call arguments:
        inputs: Input tensor.
        training: Python boolean or boolean tensor; dropout (and whatever the
            wrapped quantizer does only in training) happens only when it is true.

    Raises:
        ValueError: If `rate` is not in $[0, 1)$ or `quantizer` is `None`.

    Example:
        >>> q = DropoutAfterQuantizer("ste_sign", 0.5)
        >>> q(tf.constant([[-0.3, 0.2]])).numpy().tolist()
        [[-1.0, 1.0]]
    """

    def __init__(self, quantizer: Any, rate: float = 0.0, **kwargs: Any) -> None:
        rate = _check_fraction("rate", rate)
        resolved = lq.quantizers.get(quantizer)
        if resolved is None:
            raise ValueError("`quantizer` must be a larq quantizer, got None.")
        super().__init__(**kwargs)
        self.quantizer = resolved
        self.rate = rate
        self.dropout = tf.keras.layers.Dropout(self.rate)

    @property
    def precision(self) -> int:
        """The bit width of the wrapped quantizer (1 for sign quantizers)."""
        return int(getattr(self.quantizer, "precision", 32))

    def call(self, inputs: tf.Tensor, training: Any = None) -> tf.Tensor:
        """Quantizes `inputs`, then drops some of the values while training."""
        return self.dropout(
            self.quantizer(inputs, training=training), training=training
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the configuration, with the wrapped quantizer serialized."""
        return {
            **super().get_config(),
            "quantizer": lq.quantizers.serialize(self.quantizer),
            "rate": self.rate,
        }


@tf.keras.saving.register_keras_serializable(package="larq_ber")
@lq.utils.register_keras_custom_object
class InputDropoutQuantConv2D(lq.layers.QuantConv2D):
    """larq's `QuantConv2D` with dropout between its input quantizer and the kernel.

    The input quantizer becomes a `DropoutAfterQuantizer`; everything else is
    `QuantConv2D`. The configuration keeps the plain `input_quantizer` and
    `input_dropout`, so a saved model reloads with either.

    Args:
        *args: Positional arguments of `lq.layers.QuantConv2D`.
        input_dropout: Fraction of the quantized inputs to drop while training,
            in $[0, 1)$.
        **kwargs: Keyword arguments of `lq.layers.QuantConv2D`; `input_quantizer`
            is required.

    Raises:
        ValueError: If `input_dropout` is not in $[0, 1)$ or there is no
            `input_quantizer`.

    Example:
        >>> layer = InputDropoutQuantConv2D(
        ...     32, 3, input_quantizer="ber_ste_sign", input_dropout=0.5
        ... )
        >>> layer.input_dropout, type(input_quantizer_of(layer)).__name__
        (0.5, 'BerSteSign')
    """

    def __init__(self, *args: Any, input_dropout: float = 0.0, **kwargs: Any) -> None:
        input_dropout = _check_fraction("input_dropout", input_dropout)
        quantizer = kwargs.pop("input_quantizer", None)
        if isinstance(quantizer, DropoutAfterQuantizer):
            quantizer = quantizer.quantizer
        if quantizer is None:
            raise ValueError(
                "`input_quantizer` is required: the dropout acts on quantized inputs."
            )
        wrapped = DropoutAfterQuantizer(quantizer, input_dropout)
        super().__init__(*args, input_quantizer=wrapped, **kwargs)

    @property
    def input_dropout(self) -> float:
        """The dropout rate applied to the quantized inputs while training."""
        return float(self.input_quantizer.rate)

    def get_config(self) -> dict[str, Any]:
        """Returns the layer configuration: the plain quantizer and `input_dropout`."""
        return {
            **super().get_config(),
            "input_quantizer": lq.quantizers.serialize(self.input_quantizer.quantizer),
            "input_dropout": self.input_dropout,
        }


def input_quantizer_of(layer: tf.keras.layers.Layer) -> Any:
    """The quantizer that binarizes a layer's input, looking through dropout.

    Args:
        layer: Any Keras layer.

    Returns:
        The layer's `input_quantizer` (the wrapped one of a
        `DropoutAfterQuantizer`), or `None` if it has none.

    Example:
        >>> layer = lq.layers.QuantDense(4, input_quantizer="ste_sign")
        >>> type(input_quantizer_of(layer)).__name__
        'SteSign'
    """
    quantizer = getattr(layer, "input_quantizer", None)
    if isinstance(quantizer, DropoutAfterQuantizer):
        return quantizer.quantizer
    return quantizer
