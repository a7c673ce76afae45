r"""The paper's binarized networks, larq-zoo style: LeNet-4, NiN and AlexNet.

Each model is a keyword-only function with the `keras.applications` signature
(`input_shape`, `input_tensor`, `num_classes`, `include_top`, `weights`) plus the error
model (`ber`, `ber_neg`, `ber_pos`), built by a factory class from block methods.

A *binary block* is BatchNorm → sign with bit errors (`BerSteSign`) → [dropout] →
convolution or dense layer with XNOR-Net binarized weights (larq's
`magnitude_aware_sign`: $\operatorname{sign}(W)$ scaled by the mean $|W|$ of each
output channel, latent weights clipped to $[-1, 1]$) → ReLU. The first layer and the
classifier stay real-valued, and no bit errors reach the first layer's input.

Choices made for Larq Compute Engine (LCE), which change nothing mathematically:

- Binary "same" convolutions pad with $+1$ (`pad_values=1.0`): LCE's binary
  convolution has no zero padding except on target "arm", and zero is not a binary
  value. The reference code pads the ±1 activations with zeros.
- Binary fully connected layers are built as $1 \times 1$ convolutions on the
  flattened input reshaped to a $1 \times 1$ map (BatchNorm still per feature). The
  result, parameter count and MACs equal a dense layer, but LCE turns them into
  `LceBconv2d`; a larq `QuantDense` would stay a float `FULLY_CONNECTED`. They keep
  the names `binary_dense_*`. They are `larq_ber.layers.DenseQuantConv2D`, which
  computes the product as a matmul in training (the convolution of a 1×1 map is
  2–3× slower on CPUs) and becomes a plain `QuantConv2D` in the copy `to_tflite`
  converts.
- Dropout inside a binary block sits between the sign and the convolution, as in the
  reference code; at inference it is the identity, so LCE still sees sign → conv.
- All binary convolutions have multiples of 32 input channels except LeNet-4's (20
  and 50); LCE packs bits in words of 32 and pads the rest, which costs speed only.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import larq as lq
import tensorflow as tf

from larq_ber import layers as _layers
from larq_ber.layers import input_quantizer_of
from larq_ber.quantizers import BerMagnitudeAwareSign, BerSteSign
from larq_ber.rates import Rates, check_rate, per_layer

__all__ = ["MODELS", "BinaryAlexNet", "LeNet4", "NiN", "binarized_layers"]


class _Factory:
    """Shared block methods; subclasses list their binarized layers and build()."""

    #: Names of the binarized layers in order, for the default configuration.
    binarized: tuple[str, ...] = ()
    #: Binarized layers that belong to the classifier (dropped by include_top=False).
    top_binarized: tuple[str, ...] = ()

    def __init__(
        self,
        num_classes: int,
        rates: dict[str, tuple[Any, Any, Any]],
        weight_ber: float | None = None,
    ):
        self.num_classes = num_classes
        self.rates = rates
        self.weight_ber = weight_ber

    def kernel_quantizer(self, name: str) -> Any:
        """Larq's `magnitude_aware_sign`, or its weight-error version."""
        if self.weight_ber is None:
            return "magnitude_aware_sign"
        return BerMagnitudeAwareSign(self.weight_ber, name=f"{name}_weight_sign")

    def quantizer(self, name: str) -> BerSteSign:
        ber, ber_neg, ber_pos = self.rates[name]
        try:
            return BerSteSign(
                ber, ber_neg=ber_neg, ber_pos=ber_pos, name=f"{name}_sign"
            )
        except ValueError as error:
            raise ValueError(f"{error} (binarized layer {name!r})") from None

    def real_conv(
        self, x: tf.Tensor, filters: int, kernel: int, name: str, **kwargs: Any
    ) -> tf.Tensor:
        x = tf.keras.layers.Conv2D(filters, kernel, name=name, **kwargs)(x)
        x = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-4)(x)
        return tf.keras.layers.ReLU()(x)

    def binary_conv(
        self,
        x: tf.Tensor,
        filters: int,
        kernel: int | tuple[int, ...],
        name: str,
        *,
        padding: str = "valid",
        dropout: float = 0.0,
        dense: bool = False,
    ) -> tf.Tensor:
        x = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-4)(x)
        options: dict[str, Any] = {
            "input_quantizer": self.quantizer(name),
            "kernel_quantizer": self.kernel_quantizer(name),
            "kernel_constraint": "weight_clip",
            "padding": padding,
            "pad_values": 1.0 if padding == "same" else 0.0,
            "name": name,
        }
        if dropout:
            cls = (
                _layers.InputDropoutDenseQuantConv2D
                if dense
                else _layers.InputDropoutQuantConv2D
            )
            layer = cls(filters, kernel, input_dropout=dropout, **options)
        else:
            cls = _layers.DenseQuantConv2D if dense else lq.layers.QuantConv2D
            layer = cls(filters, kernel, **options)
        return tf.keras.layers.ReLU()(layer(x))

    def binary_dense(
        self, x: tf.Tensor, units: int, name: str, *, dropout: float = 0.0
    ) -> tf.Tensor:
        """A binary fully connected layer: a 1×1 conv on the flattened 1×1 map.

        It is a `DenseQuantConv2D`: trained as a matmul, exported as the conv.
        """
        features = 1
        for d in x.shape[1:]:
            features *= int(d)
        x = tf.keras.layers.Reshape((1, 1, features))(x)
        return self.binary_conv(x, units, 1, name, dropout=dropout, dense=True)

    def build(self, x: tf.Tensor, include_top: bool) -> tf.Tensor:
        raise NotImplementedError


class _LeNet4(_Factory):
    binarized = ("binary_conv_2", "binary_dense_3")
    top_binarized = ("binary_dense_3",)

    def build(self, x: tf.Tensor, include_top: bool) -> tf.Tensor:
        x = self.real_conv(x, 20, 5, "real_conv_1")
        x = tf.keras.layers.MaxPool2D(2)(x)
        x = self.binary_conv(x, 50, 5, "binary_conv_2")
        x = tf.keras.layers.MaxPool2D(2)(x)
        if not include_top:
            return x
        x = self.binary_dense(x, 500, "binary_dense_3")
        x = tf.keras.layers.Flatten()(x)
        return tf.keras.layers.Dense(
            self.num_classes, activation="softmax", name="real_dense_4"
        )(x)


class _NiN(_Factory):
    binarized = tuple(f"binary_conv_{i}" for i in range(2, 9))

    def build(self, x: tf.Tensor, include_top: bool) -> tf.Tensor:
        x = self.real_conv(x, 192, 5, "real_conv_1", padding="same")
        x = self.binary_conv(x, 160, 1, "binary_conv_2")
        x = self.binary_conv(x, 96, 1, "binary_conv_3")
        x = tf.keras.layers.MaxPool2D(3, 2, padding="same")(x)

        x = self.binary_conv(x, 192, 5, "binary_conv_4", padding="same", dropout=0.5)
        x = self.binary_conv(x, 192, 1, "binary_conv_5")
        x = self.binary_conv(x, 192, 1, "binary_conv_6")
        x = tf.keras.layers.AveragePooling2D(3, 2, padding="same")(x)

        x = self.binary_conv(x, 192, 3, "binary_conv_7", padding="same", dropout=0.5)
        x = self.binary_conv(x, 192, 1, "binary_conv_8")
        if not include_top:
            return x
        x = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-4)(x)
        x = tf.keras.layers.Conv2D(self.num_classes, 1, name="real_conv_9")(x)
        x = tf.keras.layers.ReLU()(x)
        x = tf.keras.layers.GlobalAveragePooling2D()(x)
        return tf.keras.layers.Softmax()(x)


class _BinaryAlexNet(_Factory):
    binarized = (
        "binary_conv_2",
        "binary_conv_3",
        "binary_conv_4",
        "binary_conv_5",
        "binary_dense_6",
        "binary_dense_7",
    )
    top_binarized = ("binary_dense_6", "binary_dense_7")

    def build(self, x: tf.Tensor, include_top: bool) -> tf.Tensor:
        x = tf.keras.layers.ZeroPadding2D(2)(x)
        x = self.real_conv(x, 96, 11, "real_conv_1", strides=4)
        x = tf.keras.layers.MaxPool2D(3, 2)(x)
        x = self.binary_conv(x, 256, 5, "binary_conv_2", padding="same")
        x = tf.keras.layers.MaxPool2D(3, 2)(x)
        x = self.binary_conv(x, 384, 3, "binary_conv_3", padding="same")
        x = self.binary_conv(x, 384, 3, "binary_conv_4", padding="same")
        x = self.binary_conv(x, 256, 3, "binary_conv_5", padding="same")
        x = tf.keras.layers.MaxPool2D(3, 2)(x)
        if not include_top:
            return x
        x = self.binary_dense(x, 4096, "binary_dense_6")
        x = self.binary_dense(x, 4096, "binary_dense_7", dropout=0.5)
        x = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)(x)
        x = tf.keras.layers.Dropout(0.5)(x)
        x = tf.keras.layers.Flatten()(x)
        return tf.keras.layers.Dense(
            self.num_classes, activation="softmax", name="real_dense_8"
        )(x)


def _build(
    factory_class: type[_Factory],
    name: str,
    default_shape: tuple[int, int, int],
    *,
    input_shape: Sequence[int] | None,
    input_tensor: tf.Tensor | None,
    num_classes: int,
    include_top: bool,
    weights: str | os.PathLike[str] | None,
    ber: Rates,
    ber_neg: Rates,
    ber_pos: Rates,
    weight_ber: float | None,
) -> tf.keras.Model:
    if weight_ber is not None:
        weight_ber = check_rate("weight_ber", weight_ber)
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"`num_classes` must be an integer >= 1, got {num_classes!r}.")
    if weights is not None and not os.path.exists(weights):
        raise ValueError(
            f"`weights` must be None or the path of a local weights file; "
            f"{str(weights)!r} does not exist. larq-ber never downloads weights."
        )
    names = list(factory_class.binarized)
    if not include_top:
        names = [n for n in names if n not in factory_class.top_binarized]
    columns = [
        per_layer(a, v, names)
        for a, v in (("ber", ber), ("ber_neg", ber_neg), ("ber_pos", ber_pos))
    ]
    rates = {layer: (b, n, p) for layer, b, n, p in zip(names, *columns, strict=True)}
    if input_tensor is not None:
        inputs = (
            input_tensor
            if tf.keras.backend.is_keras_tensor(input_tensor)
            else tf.keras.Input(tensor=input_tensor)
        )
    else:
        shape = tuple(input_shape) if input_shape is not None else default_shape
        if len(shape) != 3:
            raise ValueError(
                f"`input_shape` must be (height, width, channels), got {input_shape!r}."
            )
        inputs = tf.keras.Input(shape)
    factory = factory_class(num_classes, rates, weight_ber)
    outputs = factory.build(inputs, include_top)
    model = tf.keras.Model(inputs, outputs, name=name)
    if weights is not None:
        try:
            model.load_weights(weights)
        except (OSError, ValueError) as error:
            reason = " ".join(str(error).split())
            raise ValueError(
                f"`weights` {os.fspath(weights)!r} cannot be loaded into {name} "
                f"({reason})."
            ) from None
    return model


_COMMON_DOC = """
    Args:
        input_shape: Shape of one input image, `(height, width, channels)`;
            `None` means the dataset's native shape given above.
        input_tensor: Optional Keras tensor (output of `tf.keras.Input`) to use
            as the input instead of `input_shape`.
        num_classes: Number of classes of the softmax output.
        include_top: Whether to include the classifier; without it the model
            ends after its last convolution stage (LeNet-4 and AlexNet lose
            their binary dense layers too).
        weights: `None` (random initialisation) or the path of a local weights
            file saved with `model.save_weights`; never downloaded.
        ber: Bit error rate of the binary activations while training: one number
            in $[0, 1]$ for every binarized layer, a sequence with one rate per
            binarized layer in order, or a mapping from layer name to rate (layers
            left out get 0).
        ber_neg: Like `ber`, the probability that a $-1$ is stored as $+1$;
            `None` means `ber`.
        ber_pos: Like `ber`, the probability that a $+1$ is stored as $-1$;
            `None` means `ber`.
        weight_ber: `None` (larq's `magnitude_aware_sign` kernels, the paper's
            models) or a probability in $[0, 1]$ that each binary weight's sign
            flips afresh in every training step (`BerMagnitudeAwareSign`), for
            weight-error-aware training; inference and export are unchanged.

    Returns:
        A `tf.keras.Model` (softmax outputs with `include_top`).

    Raises:
        ValueError: If a rate is outside $[0, 1]$, a sequence of rates has the
            wrong length or a mapping names an unknown layer (the message lists
            the binarized layers in order), `weights` is not an existing file, or
            `num_classes`/`input_shape` is invalid.
"""


def LeNet4(  # noqa: N802 - keras.applications naming
    *,
    input_shape: Sequence[int] | None = None,
    input_tensor: tf.Tensor | None = None,
    num_classes: int = 10,
    include_top: bool = True,
    weights: str | os.PathLike[str] | None = None,
    ber: Rates = 0.0,
    ber_neg: Rates = None,
    ber_pos: Rates = None,
    weight_ber: float | None = None,
) -> tf.keras.Model:
    """Binarized LeNet-4 for MNIST, four weight layers.

    1. real conv 20 filters 5×5 (valid) → BatchNorm → ReLU → max-pool 2×2;
    2. binary block `binary_conv_2`: conv 50 filters 5×5 (valid) → max-pool 2×2;
    3. binary block `binary_dense_3`: fully connected 800 → 500 (as a 1×1 conv);
    4. real fully connected `real_dense_4`: 500 → `num_classes` → softmax.

    LCE: both binary layers become `LceBconv2d`.

    Measured with `larq_ber.profile.model_stats` at the default input shape:

    | model | input | parameters | 1-bit parameters | binarized layers | memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |
    |---|---|---|---|---|---|---|---|---|
    | lenet4 | 28×28×1 | 432,760 | 425,000 | 2 | 82.19 KiB | 1.65 MiB | 2.3 M | 87.2% |
    {common}

    Example:
        >>> model = LeNet4(ber=0.04)
        >>> [name for name, _ in binarized_layers(model)]
        ['binary_conv_2', 'binary_dense_3']
    """
    return _build(
        _LeNet4,
        "lenet4",
        (28, 28, 1),
        input_shape=input_shape,
        input_tensor=input_tensor,
        num_classes=num_classes,
        include_top=include_top,
        weights=weights,
        ber=ber,
        ber_neg=ber_neg,
        ber_pos=ber_pos,
        weight_ber=weight_ber,
    )


def NiN(  # noqa: N802 - keras.applications naming
    *,
    input_shape: Sequence[int] | None = None,
    input_tensor: tf.Tensor | None = None,
    num_classes: int = 10,
    include_top: bool = True,
    weights: str | os.PathLike[str] | None = None,
    ber: Rates = 0.0,
    ber_neg: Rates = None,
    ber_pos: Rates = None,
    weight_ber: float | None = None,
) -> tf.keras.Model:
    """Binarized Network-in-Network for CIFAR-10/100 and SVHN.

    Three stages of three convolutions, the first real-valued:

    1. real conv 192 5×5 (same) → BatchNorm → ReLU; binary 160 1×1; binary 96 1×1;
       max-pool 3×3 stride 2;
    2. binary 192 5×5 (dropout 0.5 on its binary input); binary 192 1×1; binary
       192 1×1; average-pool 3×3 stride 2;
    3. binary 192 3×3 (dropout 0.5); binary 192 1×1; BatchNorm; real conv
       `num_classes` 1×1 → ReLU → global average pool → softmax.

    The binary layers are `binary_conv_2` … `binary_conv_8`. LCE: all seven become
    `LceBconv2d`; the 5×5 and 3×3 ones pad with +1 instead of 0 (see the module
    documentation).

    Measured with `larq_ber.profile.model_stats` at the default input shape:

    | model | input | parameters | 1-bit parameters | binarized layers | memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |
    |---|---|---|---|---|---|---|---|---|
    | nin | 32×32×3 | 970,186 | 949,248 | 7 | 197.66 KiB | 3.70 MiB | 222.5 M | 93.3% |
    {common}

    Example:
        >>> model = NiN(num_classes=100, ber={"binary_conv_2": 0.08})
        >>> binarized_layers(model)[0][1].ber
        0.08
    """
    return _build(
        _NiN,
        "nin",
        (32, 32, 3),
        input_shape=input_shape,
        input_tensor=input_tensor,
        num_classes=num_classes,
        include_top=include_top,
        weights=weights,
        ber=ber,
        ber_neg=ber_neg,
        ber_pos=ber_pos,
        weight_ber=weight_ber,
    )


def BinaryAlexNet(  # noqa: N802 - keras.applications naming
    *,
    input_shape: Sequence[int] | None = None,
    input_tensor: tf.Tensor | None = None,
    num_classes: int = 1000,
    include_top: bool = True,
    weights: str | os.PathLike[str] | None = None,
    ber: Rates = 0.0,
    ber_neg: Rates = None,
    ber_pos: Rates = None,
    weight_ber: float | None = None,
) -> tf.keras.Model:
    """The paper's binary AlexNet (XNOR-Net style) for ImageNet.

    Real conv 96 11×11 stride 4 (zero-padded by 2, so 224 → 55) → BatchNorm → ReLU
    → max-pool 3/2; binary conv 256 5×5 → max-pool 3/2; binary conv 384 3×3; binary
    conv 384 3×3; binary conv 256 3×3 → max-pool 3/2; binary dense 4096; binary
    dense 4096 (dropout 0.5 on its binary input); BatchNorm; dropout 0.5; real dense
    `num_classes` → softmax. This is not larq-zoo's `BinaryAlexNet`, a
    BinaryNet-style variant without scaled weights.

    The binary layers are `binary_conv_2` … `binary_conv_5`, `binary_dense_6` and
    `binary_dense_7`. LCE: all six become `LceBconv2d` (the dense ones are built as
    1×1 convolutions on a 1×1 map); the "same" convolutions pad
    with +1. Smaller inputs (e.g. 64×64, for tests) work: the dense layers take
    whatever map size is left.

    Measured with `larq_ber.profile.model_stats` at the default input shape:

    | model | input | parameters | 1-bit parameters | binarized layers | memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |
    |---|---|---|---|---|---|---|---|---|
    | binary_alexnet | 224×224×3 | 62,415,592 | 58,236,928 | 6 | 22.88 MiB | 238.10 MiB | 1,135.3 M | 90.4% |
    {common}

    Example:
        >>> model = BinaryAlexNet(input_shape=(64, 64, 3), num_classes=10)
        >>> len(binarized_layers(model))
        6
    """
    return _build(
        _BinaryAlexNet,
        "binary_alexnet",
        (224, 224, 3),
        input_shape=input_shape,
        input_tensor=input_tensor,
        num_classes=num_classes,
        include_top=include_top,
        weights=weights,
        ber=ber,
        ber_neg=ber_neg,
        ber_pos=ber_pos,
        weight_ber=weight_ber,
    )


for _function in (LeNet4, NiN, BinaryAlexNet):
    assert _function.__doc__ is not None
    _function.__doc__ = _function.__doc__.replace("    {common}\n", _COMMON_DOC)


def binarized_layers(model: tf.keras.Model) -> list[tuple[str, BerSteSign]]:
    """Lists the binarized layers of a model with the quantizer of their input.

    Args:
        model: A Keras model, e.g. from `LeNet4`, `NiN` or `BinaryAlexNet`.

    Returns:
        `(layer name, BerSteSign)` pairs in the order of `model.layers`, for each
        layer whose `input_quantizer` is a `BerSteSign`.

    Example:
        >>> [(n, q.ber) for n, q in binarized_layers(LeNet4(ber=[0.01, 0.02]))]
        [('binary_conv_2', 0.01), ('binary_dense_3', 0.02)]
    """
    return [
        (layer.name, input_quantizer_of(layer))
        for layer in model.layers
        if isinstance(input_quantizer_of(layer), BerSteSign)
    ]


#: Model functions by the names `training_defaults` and the recipes use.
MODELS: dict[str, Callable[..., tf.keras.Model]] = {
    "lenet4": LeNet4,
    "nin": NiN,
    "binary_alexnet": BinaryAlexNet,
}

# Names that lived here in 0.1, kept for one release.
_MOVED = {
    "InputDropoutQuantConv2D": "larq_ber.layers",
    "TrainingDefaults": "larq_ber.defaults",
    "training_defaults": "larq_ber.defaults",
    "ModelStats": "larq_ber.profile",
    "STATS_HEADER": "larq_ber.profile",
    "model_stats": "larq_ber.profile",
    "stats_table": "larq_ber.profile",
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        warnings.warn(
            f"larq_ber.models.{name} moved to {_MOVED[name]}.{name}; the old name "
            "goes away in larq-ber 0.3.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":  # 0.1's `python -m larq_ber.models`
    from larq_ber.profile import stats_table

    print(stats_table())
