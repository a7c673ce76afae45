"""Builds a Keras model from an `Architecture` (`larq_ber.models.specs`).

`build` validates the `keras.applications`-style arguments and the error model,
assigns each binarized layer its rates, and turns every block into layers:

- `RealConv`: Conv2D → BatchNorm → ReLU; followed by a max `Pool`, Conv2D →
  `BatchNormMaxPoolReLU` (BatchNorm → MaxPool → ReLU as one layer: the same
  function, since a ReLU commutes with a max; see `_Blocks.real_conv`);
- `BinaryConv`: BatchNorm → `QuantConv2D` whose input quantizer is `BerSteSign`
  (sign with bit errors while training) and whose kernel quantizer is larq's
  `magnitude_aware_sign` (or `BerMagnitudeAwareSign` with `weight_ber`) → ReLU;
  dropout on the binary input uses `larq_ber.layers.InputDropoutQuantConv2D`;
- `BinaryDense`: a reshape to a 1×1 map and a `DenseQuantConv2D`;
- `Pool`, `ZeroPad` and the `Head` as their Keras layers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import larq as lq
import tensorflow as tf

from larq_ber import layers as _layers
from larq_ber.batch_norm_pool import BatchNormMaxPoolReLU
from larq_ber.binary_conv import pack
from larq_ber.models.specs import (
    Architecture,
    BinaryConv,
    BinaryDense,
    Block,
    Head,
    Pool,
    RealConv,
)
from larq_ber.quantizers import BerMagnitudeAwareSign, BerSteSign
from larq_ber.rates import Rates, check_rate, per_layer

__all__ = ["build"]


class _Blocks:
    """Turns block specifications into layers, with the model's error model."""

    def __init__(
        self,
        num_classes: int,
        rates: dict[str, tuple[Any, Any, Any]],
        weight_ber: float | None,
    ) -> None:
        self.num_classes = num_classes
        self.rates = rates
        self.weight_ber = weight_ber

    def __call__(self, x: tf.Tensor, block: Block) -> tf.Tensor:
        if isinstance(block, RealConv):
            return self.real_conv(x, block)
        if isinstance(block, BinaryConv):
            return self.binary(
                x,
                block.filters,
                block.kernel,
                block.name,
                padding=block.padding,
                dropout=block.dropout,
            )
        if isinstance(block, BinaryDense):
            features = 1
            for d in x.shape[1:]:
                features *= int(d)
            x = tf.keras.layers.Reshape((1, 1, features))(x)
            return self.binary(
                x, block.units, 1, block.name, dropout=block.dropout, dense=True
            )
        if isinstance(block, Pool):
            cls = (
                tf.keras.layers.MaxPool2D
                if block.kind == "max"
                else tf.keras.layers.AveragePooling2D
            )
            return cls(block.size, block.strides, padding=block.padding)(x)
        return tf.keras.layers.ZeroPadding2D(block.amount)(x)

    def real_conv(
        self, x: tf.Tensor, block: RealConv, pool: Pool | None = None
    ) -> tf.Tensor:
        r"""Conv2D → BatchNorm → ReLU; with `pool` (a max pool), Conv2D → one layer.

        That layer is `BatchNormMaxPoolReLU`: BatchNorm → max pool → ReLU. Pooling
        before the ReLU computes the same values and gradients as after it
        ($\max_i \operatorname{relu}(x_i) = \operatorname{relu}(\max_i x_i)$),
        on a quarter of the elements for a 2×2 pool, and keeps grappler's remapper
        from fusing the BatchNorm with the ReLU (one oneDNN operation that, for
        LeNet-4's 20 channels, took 5.6 ms of a 30 ms training step on a 2-core
        CPU). As one layer, the three train in one pass each way where the
        compiled kernel is built (`larq_ber.batch_norm_pool`).
        """
        x = tf.keras.layers.Conv2D(
            block.filters,
            block.kernel,
            strides=block.strides,
            padding=block.padding,
            name=block.name,
        )(x)
        if pool is not None:
            return BatchNormMaxPoolReLU(
                pool.size, pool.strides, pool.padding, momentum=0.9, epsilon=1e-4
            )(x)
        x = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-4)(x)
        return tf.keras.layers.ReLU()(x)

    def quantizers(self, name: str) -> dict[str, Any]:
        """The input and kernel quantizers of binarized layer `name`."""
        ber, ber_neg, ber_pos = self.rates[name]
        try:
            sign = BerSteSign(
                ber, ber_neg=ber_neg, ber_pos=ber_pos, name=f"{name}_sign"
            )
        except ValueError as error:
            raise ValueError(f"{error} (binarized layer {name!r})") from None
        kernel: Any = (
            "magnitude_aware_sign"
            if self.weight_ber is None
            else BerMagnitudeAwareSign(self.weight_ber, name=f"{name}_weight_sign")
        )
        return {"input_quantizer": sign, "kernel_quantizer": kernel}

    def binary(
        self,
        x: tf.Tensor,
        filters: int,
        kernel: int,
        name: str,
        *,
        padding: str = "valid",
        dropout: float = 0.0,
        dense: bool = False,
    ) -> tf.Tensor:
        x = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-4)(x)
        options: dict[str, Any] = {
            **self.quantizers(name),
            "kernel_constraint": "weight_clip",
            "padding": padding,
            "pad_values": 1.0 if padding == "same" else 0.0,
            "name": name,
        }
        if dropout:
            cls: Any = (
                _layers.InputDropoutDenseQuantConv2D
                if dense
                else _layers.InputDropoutQuantConv2D
            )
            layer = cls(filters, kernel, input_dropout=dropout, **options)
        else:
            cls = _layers.DenseQuantConv2D if dense else lq.layers.QuantConv2D
            layer = cls(filters, kernel, **options)
        return tf.keras.layers.ReLU()(layer(x))

    def head(self, x: tf.Tensor, head: Head) -> tf.Tensor:
        if head.batch_norm_epsilon is not None:
            x = tf.keras.layers.BatchNormalization(
                momentum=0.9, epsilon=head.batch_norm_epsilon
            )(x)
        if head.dropout:
            x = tf.keras.layers.Dropout(head.dropout)(x)
        if head.kind == "dense":
            x = tf.keras.layers.Flatten()(x)
            return tf.keras.layers.Dense(
                self.num_classes, activation="softmax", name=head.name
            )(x)
        x = tf.keras.layers.Conv2D(self.num_classes, 1, name=head.name)(x)
        x = tf.keras.layers.ReLU()(x)
        x = tf.keras.layers.GlobalAveragePooling2D()(x)
        return tf.keras.layers.Softmax()(x)


def _inputs(
    architecture: Architecture,
    input_shape: Sequence[int] | None,
    input_tensor: tf.Tensor | None,
) -> tf.Tensor:
    """The model's input: `input_tensor`, or an `Input` of the checked shape."""
    if input_tensor is not None:
        if tf.keras.backend.is_keras_tensor(input_tensor):
            return input_tensor
        return tf.keras.Input(tensor=input_tensor)
    shape = tuple(input_shape) if input_shape is not None else architecture.input_shape
    if len(shape) != 3:
        raise ValueError(
            f"`input_shape` must be (height, width, channels), got {input_shape!r}."
        )
    return tf.keras.Input(shape)


def _check(num_classes: Any, weights: Any) -> None:
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, int)
        or num_classes < 1
    ):
        raise ValueError(f"`num_classes` must be an integer >= 1, got {num_classes!r}.")
    if weights is not None and not isinstance(weights, str | os.PathLike):
        raise ValueError(f"`weights` must be None or a path, got {weights!r}.")
    if weights is not None and not (
        os.path.exists(weights) or os.path.exists(f"{os.fsdecode(weights)}.index")
    ):
        raise ValueError(
            f"`weights` must be None or the path of a local weights file (or of a "
            f"TensorFlow checkpoint, without its '.index'); {str(weights)!r} does "
            "not exist. larq-ber never downloads weights."
        )


def _load(model: tf.keras.Model, weights: str | os.PathLike[str]) -> None:
    try:
        status = model.load_weights(weights)
        if status is not None:  # a TensorFlow checkpoint: it must hold every weight
            status.assert_existing_objects_matched()
    except (OSError, ValueError, AssertionError, tf.errors.OpError) as error:
        reason = " ".join(str(error).split())
        raise ValueError(
            f"`weights` {os.fspath(weights)!r} cannot be loaded into {model.name} "
            f"({reason})."
        ) from None


def build(
    architecture: Architecture,
    *,
    input_shape: Sequence[int] | None = None,
    input_tensor: tf.Tensor | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
    weights: str | os.PathLike[str] | None = None,
    ber: Rates = 0.0,
    ber_neg: Rates = None,
    ber_pos: Rates = None,
    weight_ber: float | None = None,
) -> tf.keras.Model:
    r"""Builds the Keras model of an architecture with its error model.

    Args:
        architecture: The network, e.g. `larq_ber.models.specs.LENET4`.
        input_shape: Shape of one input `(height, width, channels)`; `None`: the
            architecture's default.
        input_tensor: Optional Keras tensor to use as the input.
        num_classes: Classes of the softmax output; `None`: the default.
        include_top: Whether to include the classifier.
        weights: `None`, the path of a local weights file (`.h5`), or the prefix of
            a TensorFlow checkpoint written by `save_weights`.
        ber: Bit error rate(s) of the binary activations while training: a number in
            $[0, 1]$, one per binarized layer, or a mapping layer name → rate.
        ber_neg: Like `ber`, for $-1 \to +1$; `None` means `ber`.
        ber_pos: Like `ber`, for $+1 \to -1$; `None` means `ber`.
        weight_ber: `None` or the training-time flip probability of binary weights.

    Returns:
        The `tf.keras.Model`, named after the architecture.

    Raises:
        ValueError: If a rate, `num_classes`, `input_shape` or `weights` is invalid
            (the message names the argument and, for rates, the layer).

    Example:
        >>> from larq_ber.models.specs import LENET4
        >>> build(LENET4, num_classes=3).output_shape
        (None, 3)
    """
    num_classes = architecture.num_classes if num_classes is None else num_classes
    _check(num_classes, weights)
    if weight_ber is not None:
        weight_ber = check_rate("weight_ber", weight_ber)
    names = list(architecture.binarized(include_top))
    columns = [
        per_layer(a, v, names)
        for a, v in (("ber", ber), ("ber_neg", ber_neg), ("ber_pos", ber_pos))
    ]
    rates = {layer: (b, n, p) for layer, b, n, p in zip(names, *columns, strict=True)}
    blocks = _Blocks(num_classes, rates, weight_ber)
    inputs = _inputs(architecture, input_shape, input_tensor)
    x = inputs
    features = list(architecture.features)
    while features:
        block = features.pop(0)
        following = features[0] if features else None
        if (
            isinstance(block, RealConv)
            and isinstance(following, Pool)
            and following.kind == "max"  # a ReLU commutes with a max
        ):
            features.pop(0)
            x = blocks.real_conv(x, block, pool=following)
        else:
            x = blocks(x, block)
    if include_top:
        for block in architecture.top:
            x = blocks(x, block)
        x = blocks.head(x, architecture.head)
    model = tf.keras.Model(inputs, x, name=architecture.name)
    pack(model)  # binary convolutions bit-packed where the kernel applies
    if weights is not None:
        _load(model, weights)
    return model
