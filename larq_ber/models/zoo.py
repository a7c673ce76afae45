r"""The paper's binarized networks, larq-zoo style: LeNet-4, NiN and AlexNet.

Each model is a keyword-only function with the `keras.applications` signature
(`input_shape`, `input_tensor`, `num_classes`, `include_top`, `weights`) plus the error
model (`ber`, `ber_neg`, `ber_pos`), built by `larq_ber.models.builder.build` from
the architecture specifications of `larq_ber.models.specs`.

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

import os
from collections.abc import Callable, Sequence

import tensorflow as tf

from larq_ber.layers import input_quantizer_of
from larq_ber.models.builder import build
from larq_ber.models.specs import BINARY_ALEXNET, LENET4, NIN
from larq_ber.quantizers import BerSteSign
from larq_ber.quantizers.setting import walk_layers
from larq_ber.rates import Rates

__all__ = ["MODELS", "BinaryAlexNet", "LeNet4", "NiN", "binarized_layers"]


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

    1. real conv 20 filters 5×5 (valid) → BatchNorm → max-pool 2×2 → ReLU (the
       paper's ReLU → max-pool, computed in the order that trains faster);
    2. binary block `binary_conv_2`: conv 50 filters 5×5 (valid) → max-pool 2×2;
    3. binary block `binary_dense_3`: fully connected 800 → 500 (as a 1×1 conv);
    4. real fully connected `real_dense_4`: 500 → `num_classes` → softmax.

    LCE: both binary layers become `LceBconv2d`.

    Measured with `larq_ber.models.profile.model_stats` at the default input shape:

    | model | input | parameters | 1-bit parameters | binarized layers | memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |
    |---|---|---|---|---|---|---|---|---|
    | lenet4 | 28×28×1 | 432,760 | 425,000 | 2 | 82.19 KiB | 1.65 MiB | 2.3 M | 87.2% |
    {common}

    Example:
        >>> model = LeNet4(ber=0.04)
        >>> [name for name, _ in binarized_layers(model)]
        ['binary_conv_2', 'binary_dense_3']
    """
    return build(LENET4, **locals())


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

    Measured with `larq_ber.models.profile.model_stats` at the default input shape:

    | model | input | parameters | 1-bit parameters | binarized layers | memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |
    |---|---|---|---|---|---|---|---|---|
    | nin | 32×32×3 | 970,186 | 949,248 | 7 | 197.66 KiB | 3.70 MiB | 222.5 M | 93.3% |
    {common}

    Example:
        >>> model = NiN(num_classes=100, ber={"binary_conv_2": 0.08})
        >>> binarized_layers(model)[0][1].ber
        0.08
    """
    return build(NIN, **locals())


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

    Real conv 96 11×11 stride 4 (zero-padded by 2, so 224 → 55) → BatchNorm →
    max-pool 3/2 → ReLU (the paper's ReLU → max-pool, the same function); binary
    conv 256 5×5 → max-pool 3/2; binary conv 384 3×3; binary conv 384 3×3; binary
    conv 256 3×3 → max-pool 3/2; binary dense 4096; binary dense 4096 (dropout 0.5
    on its binary input); BatchNorm; dropout 0.5; real dense `num_classes` →
    softmax. This is not larq-zoo's `BinaryAlexNet`, a
    BinaryNet-style variant without scaled weights.

    The binary layers are `binary_conv_2` … `binary_conv_5`, `binary_dense_6` and
    `binary_dense_7`. LCE: all six become `LceBconv2d` (the dense ones are built as
    1×1 convolutions on a 1×1 map); the "same" convolutions pad
    with +1. Smaller inputs (e.g. 64×64, for tests) work: the dense layers take
    whatever map size is left.

    Measured with `larq_ber.models.profile.model_stats` at the default input shape:

    | model | input | parameters | 1-bit parameters | binarized layers | memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |
    |---|---|---|---|---|---|---|---|---|
    | binary_alexnet | 224×224×3 | 62,415,592 | 58,236,928 | 6 | 22.88 MiB | 238.10 MiB | 1,135.3 M | 90.4% |
    {common}

    Example:
        >>> model = BinaryAlexNet(input_shape=(64, 64, 3), num_classes=10)
        >>> len(binarized_layers(model))
        6
    """
    return build(BINARY_ALEXNET, **locals())


for _function in (LeNet4, NiN, BinaryAlexNet):
    assert _function.__doc__ is not None
    _function.__doc__ = _function.__doc__.replace("    {common}\n", _COMMON_DOC)


def binarized_layers(model: tf.keras.Model) -> list[tuple[str, BerSteSign]]:
    """Lists the binarized layers of a model with the quantizer of their input.

    Nested models are looked into: a layer of one is named by its path,
    `"<nested model>/<layer>"`; a shared layer is listed once.

    Args:
        model: A Keras model, e.g. from `LeNet4`, `NiN` or `BinaryAlexNet`.

    Returns:
        `(layer path, BerSteSign)` pairs in the order of `model.layers`
        (depth first), for each layer whose `input_quantizer` is a `BerSteSign`.

    Raises:
        TypeError: If `model` is not a Keras model or layer.

    Example:
        >>> [(n, q.ber) for n, q in binarized_layers(LeNet4(ber=[0.01, 0.02]))]
        [('binary_conv_2', 0.01), ('binary_dense_3', 0.02)]
    """
    if not isinstance(model, tf.keras.layers.Layer):
        raise TypeError(
            "`model` must be a Keras model or layer, got "
            f"{type(model).__name__} {model!r}."
        )
    return [
        (path, input_quantizer_of(layer))
        for path, layer in walk_layers(model)
        if isinstance(input_quantizer_of(layer), BerSteSign)
    ]


#: Model functions by the names `training_defaults` and the recipes use.
MODELS: dict[str, Callable[..., tf.keras.Model]] = {
    "lenet4": LeNet4,
    "nin": NiN,
    "binary_alexnet": BinaryAlexNet,
}
