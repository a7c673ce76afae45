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
  the names `binary_dense_*`.
- Dropout inside a binary block sits between the sign and the convolution, as in the
  reference code; at inference it is the identity, so LCE still sees sign → conv.
- All binary convolutions have multiples of 32 input channels except LeNet-4's (20
  and 50); LCE packs bits in words of 32 and pads the rest, which costs speed only.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import larq as lq
import tensorflow as tf

from larq_ber.quantizers import BerSteSign

__all__ = [
    "MODELS",
    "STATS_HEADER",
    "BinaryAlexNet",
    "InputDropoutQuantConv2D",
    "LeNet4",
    "ModelStats",
    "NiN",
    "TrainingDefaults",
    "binarized_layers",
    "model_stats",
    "stats_table",
    "training_defaults",
]

Rates = float | Sequence[float] | Mapping[str, float] | None


@tf.keras.saving.register_keras_serializable(package="larq_ber")
@lq.utils.register_keras_custom_object
class InputDropoutQuantConv2D(lq.layers.QuantConv2D):
    """larq's `QuantConv2D` with dropout between its input quantizer and the kernel.

    The XNOR-Net reference blocks apply dropout to the binarized activations
    (BatchNorm → sign → dropout → convolution). At inference the dropout is the
    identity, so the layer converts with LCE exactly like `QuantConv2D`.

    Args:
        *args: Positional arguments of `lq.layers.QuantConv2D`.
        input_dropout: Fraction of the quantized inputs to drop while training,
            in $[0, 1)$.
        **kwargs: Keyword arguments of `lq.layers.QuantConv2D`.

    Raises:
        ValueError: If `input_dropout` is not in $[0, 1)$.

    Example:
        >>> layer = InputDropoutQuantConv2D(
        ...     32, 3, input_quantizer="ber_ste_sign", input_dropout=0.5
        ... )
        >>> layer.input_dropout
        0.5
    """

    def __init__(self, *args: Any, input_dropout: float = 0.0, **kwargs: Any) -> None:
        if not 0.0 <= input_dropout < 1.0:
            raise ValueError(
                f"`input_dropout` must be in the range [0, 1), got {input_dropout!r}."
            )
        super().__init__(*args, **kwargs)
        self.input_dropout = float(input_dropout)
        self._dropout = tf.keras.layers.Dropout(self.input_dropout)

    def call(self, inputs: tf.Tensor, training: Any = None) -> tf.Tensor:
        """Quantizes `inputs`, drops some while training, then convolves."""
        if self.input_quantizer:
            inputs = self.input_quantizer(inputs, training=training)
        inputs = self._dropout(inputs, training=training)
        with lq.context.quantized_scope(True):
            # The next class after larq's BaseLayer pads (pad_values) and convolves.
            return super(lq.layers_base.BaseLayer, self).call(inputs)

    def get_config(self) -> dict[str, Any]:
        """Returns the layer configuration, with `input_dropout`."""
        return {**super().get_config(), "input_dropout": self.input_dropout}


class _Factory:
    """Shared block methods; subclasses list their binarized layers and build()."""

    #: Names of the binarized layers in order, for the default configuration.
    binarized: tuple[str, ...] = ()
    #: Binarized layers that belong to the classifier (dropped by include_top=False).
    top_binarized: tuple[str, ...] = ()

    def __init__(self, num_classes: int, rates: dict[str, tuple[Any, Any, Any]]):
        self.num_classes = num_classes
        self.rates = rates

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
    ) -> tf.Tensor:
        x = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-4)(x)
        options: dict[str, Any] = {
            "input_quantizer": self.quantizer(name),
            "kernel_quantizer": "magnitude_aware_sign",
            "kernel_constraint": "weight_clip",
            "padding": padding,
            "pad_values": 1.0 if padding == "same" else 0.0,
            "name": name,
        }
        if dropout:
            layer = InputDropoutQuantConv2D(
                filters, kernel, input_dropout=dropout, **options
            )
        else:
            layer = lq.layers.QuantConv2D(filters, kernel, **options)
        return tf.keras.layers.ReLU()(layer(x))

    def binary_dense(
        self, x: tf.Tensor, units: int, name: str, *, dropout: float = 0.0
    ) -> tf.Tensor:
        """A binary fully connected layer: flatten to a 1×1 map, then a 1×1 conv."""
        features = 1
        for d in x.shape[1:]:
            features *= int(d)
        x = tf.keras.layers.Reshape((1, 1, features))(x)
        return self.binary_conv(x, units, 1, name, dropout=dropout)

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


def _per_layer(argument: str, value: Rates, names: Sequence[str]) -> list[Any]:
    """One value per binarized layer from a number, a sequence or a mapping."""
    listing = ", ".join(names)
    if value is None or isinstance(value, int | float):
        return [value] * len(names)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(
                f"`{argument}` names unknown layers {unknown}; the binarized layers "
                f"are, in order: {listing}."
            )
        return [value.get(name, None if argument != "ber" else 0.0) for name in names]
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != len(names):
            raise ValueError(
                f"`{argument}` has {len(value)} rates but the model has {len(names)} "
                f"binarized layers, in order: {listing}."
            )
        return list(value)
    raise ValueError(
        f"`{argument}` must be a number in [0, 1], a sequence with one rate per "
        f"binarized layer or a mapping from layer name to rate, got {value!r}. "
        f"The binarized layers are, in order: {listing}."
    )


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
) -> tf.keras.Model:
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
        _per_layer(a, v, names)
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
    factory = factory_class(num_classes, rates)
    outputs = factory.build(inputs, include_top)
    model = tf.keras.Model(inputs, outputs, name=name)
    if weights is not None:
        model.load_weights(weights)
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
) -> tf.keras.Model:
    """Binarized LeNet-4 for MNIST (SPEC §2), four weight layers.

    1. real conv 20 filters 5×5 (valid) → BatchNorm → ReLU → max-pool 2×2;
    2. binary block `binary_conv_2`: conv 50 filters 5×5 (valid) → max-pool 2×2;
    3. binary block `binary_dense_3`: fully connected 800 → 500 (as a 1×1 conv);
    4. real fully connected `real_dense_4`: 500 → `num_classes` → softmax.

    LCE: both binary layers become `LceBconv2d`.

    Measured with `larq_ber.models.model_stats` at the default input shape:

    | model | input | parameters | 1-bit parameters | binarized layers | memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |
    |---|---|---|---|---|---|---|---|---|
    | lenet4 | 28×28×1 | 432,760 | 425,000 | 2 | 82.19 KiB | 1.65 MiB | 2.3 M | 87.2% |
    {common}

    Example:
        >>> model = LeNet4(ber=0.04)
        >>> [name for name, _ in binarized_layers(model)]
        ['binary_conv_2', 'binary_dense_3']
    """
    return _build(_LeNet4, "lenet4", (28, 28, 1), **locals())


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
) -> tf.keras.Model:
    """Binarized Network-in-Network for CIFAR-10/100 and SVHN (SPEC §2).

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

    Measured with `larq_ber.models.model_stats` at the default input shape:

    | model | input | parameters | 1-bit parameters | binarized layers | memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |
    |---|---|---|---|---|---|---|---|---|
    | nin | 32×32×3 | 970,186 | 949,248 | 7 | 197.66 KiB | 3.70 MiB | 222.5 M | 93.3% |
    {common}

    Example:
        >>> model = NiN(num_classes=100, ber={"binary_conv_2": 0.08})
        >>> binarized_layers(model)[0][1].ber
        0.08
    """
    return _build(_NiN, "nin", (32, 32, 3), **locals())


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
) -> tf.keras.Model:
    """The paper's binary AlexNet (XNOR-Net style) for ImageNet (SPEC §2).

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

    Measured with `larq_ber.models.model_stats` at the default input shape:

    | model | input | parameters | 1-bit parameters | binarized layers | memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |
    |---|---|---|---|---|---|---|---|---|
    | binary_alexnet | 224×224×3 | 62,415,592 | 58,236,928 | 6 | 22.88 MiB | 238.10 MiB | 1,135.3 M | 90.4% |
    {common}

    Example:
        >>> model = BinaryAlexNet(input_shape=(64, 64, 3), num_classes=10)
        >>> len(binarized_layers(model))
        6
    """
    return _build(_BinaryAlexNet, "binary_alexnet", (224, 224, 3), **locals())


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
        (layer.name, layer.input_quantizer)
        for layer in model.layers
        if isinstance(getattr(layer, "input_quantizer", None), BerSteSign)
    ]


@dataclasses.dataclass(frozen=True)
class ModelStats:
    """Size and compute of a model, as counted by larq's `ModelProfile`.

    Attributes:
        name: Model name.
        input_shape: Shape of one input.
        params: Number of parameters (weights, biases, BatchNorm statistics fused as
            larq counts them).
        binary_params: Parameters stored with 1 bit.
        binarized_layers: Number of layers with binary inputs and weights.
        memory_bits: Model size with binary weights in 1 bit, others in 32 bits.
        float_memory_bits: Size if every parameter took 32 bits.
        macs: Multiply-accumulate operations for one input.
        binary_macs: MACs with 1-bit inputs and weights.
    """

    name: str
    input_shape: tuple[int, ...]
    params: int
    binary_params: int
    binarized_layers: int
    memory_bits: int
    float_memory_bits: int
    macs: int
    binary_macs: int

    def markdown_row(self) -> str:
        """Formats the statistics as one row of the README's table.

        Returns:
            A Markdown table row.

        Example:
            >>> model_stats(LeNet4()).markdown_row().startswith("| lenet4 |")
            True
        """
        memory = lq.models.memory_as_readable_str
        return (
            f"| {self.name} | {'×'.join(map(str, self.input_shape))} "
            f"| {self.params:,} | {self.binary_params:,} | {self.binarized_layers} "
            f"| {memory(self.memory_bits)} | {memory(self.float_memory_bits)} "
            f"| {self.macs / 1e6:,.1f} M | {self.binary_macs / max(self.macs, 1):.1%} |"
        )


#: Header of the table that `ModelStats.markdown_row` fills.
STATS_HEADER = (
    "| model | input | parameters | 1-bit parameters | binarized layers "
    "| memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def model_stats(model: tf.keras.Model) -> ModelStats:
    """Measures a model's parameters, memory and MACs with larq's `ModelProfile`.

    These are the numbers `lq.models.summary` prints.

    Args:
        model: A built Keras model.

    Returns:
        The `ModelStats` of `model`.

    Example:
        >>> model_stats(LeNet4()).binarized_layers
        2
    """
    profile = lq.models.ModelProfile(model)
    return ModelStats(
        name=model.name,
        input_shape=tuple(int(d) for d in model.input_shape[1:]),
        params=profile.weight_count(),
        binary_params=profile.weight_count(bitwidth=1),
        binarized_layers=len(binarized_layers(model)),
        memory_bits=profile.memory,
        float_memory_bits=profile.fp_equivalent_memory,
        macs=profile.op_count("mac"),
        binary_macs=profile.op_count("mac", 1),
    )


@dataclasses.dataclass(frozen=True)
class TrainingDefaults:
    r"""Reference training settings of a model (SPEC §2).

    Attributes:
        optimizer: `"sgd"` or `"adam"`.
        learning_rate: Initial learning rate.
        momentum: SGD momentum (`None` for Adam).
        weight_decay: Weight decay coefficient.
        decay_epochs: Epochs after which the learning rate is multiplied by
            `decay_factor`.
        decay_factor: Learning-rate factor at each of `decay_epochs`.
        epochs: Number of training epochs.
        batch_size: Training batch size.
        input_mean: Per-channel mean subtracted from inputs scaled to $[0, 1]$.
        input_std: Per-channel standard deviation they are divided by.
        source: Where the values come from.
    """

    optimizer: str
    learning_rate: float
    momentum: float | None
    weight_decay: float
    decay_epochs: tuple[int, ...]
    decay_factor: float
    epochs: int
    batch_size: int
    input_mean: tuple[float, ...]
    input_std: tuple[float, ...]
    source: str

    def learning_rate_schedule(
        self, steps_per_epoch: int
    ) -> tf.keras.optimizers.schedules.PiecewiseConstantDecay | float:
        """The step-wise learning-rate schedule, in optimizer steps.

        Args:
            steps_per_epoch: Optimizer steps in one epoch (>= 1).

        Returns:
            A Keras `PiecewiseConstantDecay` schedule, or the constant
            `learning_rate` when `decay_epochs` is empty.

        Raises:
            ValueError: If `steps_per_epoch` < 1.

        Example:
            >>> schedule = training_defaults("lenet4").learning_rate_schedule(10)
            >>> round(float(schedule(150)), 6)  # epoch 16 starts at step 150
            0.01
        """
        if steps_per_epoch < 1:
            raise ValueError(
                f"`steps_per_epoch` must be >= 1, got {steps_per_epoch!r}."
            )
        if not self.decay_epochs:
            return self.learning_rate
        values = [
            self.learning_rate * self.decay_factor**i
            for i in range(len(self.decay_epochs) + 1)
        ]
        # Keras gives values[i] while step <= boundaries[i]; the optimizer's first
        # step of epoch e (0-based) is step e * steps_per_epoch.
        boundaries = [e * steps_per_epoch - 1 for e in self.decay_epochs]
        return tf.keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)

    def make_optimizer(self, steps_per_epoch: int) -> tf.keras.optimizers.Optimizer:
        """Builds the optimizer with its schedule and weight decay.

        Keras applies `weight_decay` decoupled from the gradient (scaled by the
        learning rate), the PyTorch reference couples it as an L2 term; for SGD the
        two agree up to the momentum, for Adam they differ slightly.

        Args:
            steps_per_epoch: Optimizer steps in one epoch (>= 1).

        Returns:
            A Keras optimizer.

        Example:
            >>> training_defaults("nin").make_optimizer(390).name
            'Adam'
        """
        schedule = self.learning_rate_schedule(steps_per_epoch)
        if self.optimizer == "sgd":
            return tf.keras.optimizers.SGD(
                schedule, momentum=self.momentum or 0.0, weight_decay=self.weight_decay
            )
        return tf.keras.optimizers.Adam(schedule, weight_decay=self.weight_decay)


_TRAINING_DEFAULTS = {
    "lenet4": TrainingDefaults(
        optimizer="sgd",
        learning_rate=0.1,
        momentum=0.9,
        weight_decay=1e-4,
        decay_epochs=(15, 30, 45),
        decay_factor=0.1,
        epochs=60,
        batch_size=128,
        input_mean=(0.1307,),
        input_std=(0.3081,),
        source="SPEC §2 (the paper's reference LeNet-4 training)",
    ),
    "nin": TrainingDefaults(
        optimizer="adam",
        learning_rate=0.01,
        momentum=None,
        weight_decay=1e-5,
        decay_epochs=(40, 80, 120, 160),
        decay_factor=0.1,
        epochs=200,
        batch_size=128,
        input_mean=(0.4914, 0.4822, 0.4465),
        input_std=(0.2470, 0.2435, 0.2616),
        source=(
            "SPEC §2 for the optimizer and schedule; the normalisation (CIFAR-10 "
            "channel statistics) is not given there and is this library's choice"
        ),
    ),
    "binary_alexnet": TrainingDefaults(
        optimizer="adam",
        learning_rate=1e-3,
        momentum=None,
        weight_decay=5e-6,
        decay_epochs=(25, 50),
        decay_factor=0.1,
        epochs=60,
        batch_size=256,
        input_mean=(0.485, 0.456, 0.406),
        input_std=(0.229, 0.224, 0.225),
        source=(
            "not given in SPEC §2: Adam with a step schedule as in XNOR-Net's "
            "reference ImageNet training, ImageNet channel statistics"
        ),
    ),
}


def training_defaults(name: str) -> TrainingDefaults:
    """Returns the reference training settings of a model.

    Args:
        name: `"lenet4"`, `"nin"` or `"binary_alexnet"`.

    Returns:
        The model's `TrainingDefaults`.

    Raises:
        ValueError: If `name` is not one of the three.

    Example:
        >>> training_defaults("lenet4").batch_size
        128
    """
    try:
        return _TRAINING_DEFAULTS[name]
    except KeyError:
        raise ValueError(
            f"`name` must be one of {sorted(_TRAINING_DEFAULTS)}, got {name!r}."
        ) from None


#: Model functions by the names `training_defaults` and the recipes use.
MODELS: dict[str, Callable[..., tf.keras.Model]] = {
    "lenet4": LeNet4,
    "nin": NiN,
    "binary_alexnet": BinaryAlexNet,
}


def stats_table() -> str:
    """Measures the three models at their default input shapes as a Markdown table.

    Returns:
        The table, as in the README (`python -m larq_ber.models` prints it).

    Example:
        >>> stats_table().splitlines()[0].startswith("| model |")  # doctest: +SKIP
        True
    """
    rows = [STATS_HEADER]
    for function in MODELS.values():
        rows.append(model_stats(function()).markdown_row())
        tf.keras.backend.clear_session()
    return "\n".join(rows)


if __name__ == "__main__":
    print(stats_table())
