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

__all__ = [
    "DenseQuantConv2D",
    "DropoutAfterQuantizer",
    "InputDropoutDenseQuantConv2D",
    "InputDropoutQuantConv2D",
    "as_convolutions",
    "export_copy",
    "input_quantizer_of",
]


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


class _DenseConvolution:
    """Computes a 1×1 convolution of a 1×1 map as the matrix product it is."""

    def convolution_op(self, inputs: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
        """The convolution of a `(batch, 1, 1, features)` map, as a matmul."""
        features, units = int(kernel.shape[-2]), int(kernel.shape[-1])
        flat = tf.matmul(
            tf.reshape(inputs, [-1, features]), tf.reshape(kernel, [features, units])
        )
        return tf.reshape(flat, [-1, 1, 1, units])

    def build(self, input_shape: Any) -> None:
        """Checks the shapes the matmul relies on, then builds the convolution."""
        shape = tf.TensorShape(input_shape)
        layer: Any = self
        if (
            shape.rank != 4
            or tuple(shape[1:3]) != (1, 1)
            or tuple(layer.kernel_size) != (1, 1)
            or tuple(layer.strides) != (1, 1)
            or tuple(layer.dilation_rate) != (1, 1)
            or layer.groups != 1
            or layer.data_format != "channels_last"
        ):
            raise ValueError(
                f"{type(self).__name__} is a dense layer on a (batch, 1, 1, features) "
                "map: it needs kernel_size, strides and dilation_rate 1, groups 1, "
                f"channels_last, and inputs of shape (batch, 1, 1, features); got "
                f"inputs {shape} and kernel_size {layer.kernel_size}."
            )
        super().build(input_shape)  # type: ignore[misc]


@tf.keras.saving.register_keras_serializable(package="larq_ber")
@lq.utils.register_keras_custom_object
class DenseQuantConv2D(_DenseConvolution, lq.layers.QuantConv2D):
    r"""A binary dense layer stored as a $1 \times 1$ `QuantConv2D`, trained as dense.

    Larq Compute Engine has no binary fully connected kernel, but it turns a
    $1 \times 1$ binary convolution of a $1 \times 1$ map into `LceBconv2d`. This
    layer has exactly the variables, configuration and results of such a
    `QuantConv2D` (so weights and saved models load either way), but computes the
    product as a matmul, which trains faster than the convolution on CPUs
    (`BinaryAlexNet` at 64 × 64, batch 32, 2 cores: 0.30–0.31 s per step, against
    0.65–0.99 s with its dense layers as convolutions). `as_convolutions` turns it
    into the plain `QuantConv2D` for export.

    It takes the arguments of `lq.layers.QuantConv2D` (`filters`, then
    `kernel_size`, which must be 1, and its keyword arguments).

    Raises:
        ValueError: When built on inputs that are not `(batch, 1, 1, features)`
            or with a kernel, stride or dilation other than 1.

    Example:
        >>> layer = DenseQuantConv2D(
        ...     8, 1, input_quantizer="ste_sign", kernel_quantizer="ste_sign"
        ... )
        >>> layer(tf.ones([2, 1, 1, 16])).shape
        TensorShape([2, 1, 1, 8])
    """


@tf.keras.saving.register_keras_serializable(package="larq_ber")
@lq.utils.register_keras_custom_object
class InputDropoutDenseQuantConv2D(_DenseConvolution, InputDropoutQuantConv2D):
    """`DenseQuantConv2D` with dropout between its input quantizer and the kernel.

    The dense counterpart of `InputDropoutQuantConv2D`: same variables and
    configuration, computed as a matmul.

    Args:
        *args: Positional arguments of `InputDropoutQuantConv2D`.
        **kwargs: Keyword arguments of `InputDropoutQuantConv2D`
            (`input_quantizer` and `input_dropout`).

    Raises:
        ValueError: As `InputDropoutQuantConv2D` and `DenseQuantConv2D`.

    Example:
        >>> layer = InputDropoutDenseQuantConv2D(
        ...     8, 1, input_quantizer="ste_sign", input_dropout=0.5
        ... )
        >>> layer(tf.ones([2, 1, 1, 16])).shape
        TensorShape([2, 1, 1, 8])
    """


#: The convolution each dense-as-convolution layer stands for.
_CONVOLUTION_OF = {
    DenseQuantConv2D: lq.layers.QuantConv2D,
    InputDropoutDenseQuantConv2D: InputDropoutQuantConv2D,
}


def as_convolutions(model: tf.keras.Model) -> tf.keras.Model:
    """A copy of `model` whose dense-as-convolution layers are real convolutions.

    Every `DenseQuantConv2D` becomes a `QuantConv2D` and every
    `InputDropoutDenseQuantConv2D` an `InputDropoutQuantConv2D` with the same
    configuration (names included) and weights; other layers are copied as they
    are. The copy computes the same outputs; Larq Compute Engine converts its
    binary convolutions to `LceBconv2d`. `model` is not changed.

    Args:
        model: A functional or sequential Keras model.

    Returns:
        The copy, or `model` itself if it has no such layer.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> copy = as_convolutions(LeNet4())
        >>> type(copy.get_layer("binary_dense_3")).__name__
        'QuantConv2D'
    """
    if not any(type(layer) in _CONVOLUTION_OF for layer in model.layers):
        return model
    return _copy(model, {})


def export_copy(model: tf.keras.Model) -> tf.keras.Model:
    r"""A copy of `model` as Larq Compute Engine should convert it.

    As `as_convolutions`, and every kernel with a 1-bit quantizer is replaced by
    its quantized value, computed once here (e.g. $\operatorname{sign}(W)$ scaled
    by the mean $|W|$ of each output channel for `magnitude_aware_sign`), with the
    quantizer removed. The converter then sees a constant $\pm\alpha$ filter and
    makes a binary convolution at every size; left to fold the quantizer itself, it
    gives up on large kernels (BinaryAlexNet's 9,216 × 4,096 dense layer stayed a
    float `CONV_2D` with a 144 MiB filter). The copy computes the same outputs at
    inference; `model` is not changed.

    Args:
        model: A functional or sequential Keras model.

    Returns:
        The copy.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> kernel = export_copy(LeNet4()).get_layer("binary_conv_2").kernel
        >>> len(set(abs(kernel.numpy()[..., 0].ravel())))  # one alpha per channel
        1
    """
    binary = {
        layer.name: layer
        for layer in model.layers
        if getattr(getattr(layer, "kernel_quantizer", None), "precision", None) == 1
        and getattr(layer, "kernel", None) is not None
    }
    copy = _copy(model, {name: {"kernel_quantizer": None} for name in binary})
    for name, layer in binary.items():
        latent = getattr(layer.kernel, "latent_variable", layer.kernel)
        quantized = layer.kernel_quantizer(tf.convert_to_tensor(latent)).numpy()
        copy.get_layer(name).kernel.assign(quantized)
    return copy


def _copy(model: tf.keras.Model, configs: dict[str, dict[str, Any]]) -> tf.keras.Model:
    """A clone with dense-as-convolution layers as convolutions.

    It has the weights of `model` and the configuration changes `configs` (by
    layer name).
    """

    def clone(layer: tf.keras.layers.Layer) -> tf.keras.layers.Layer:
        cls = _CONVOLUTION_OF.get(type(layer), type(layer))
        return cls.from_config({**layer.get_config(), **configs.get(layer.name, {})})

    copy = tf.keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


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
