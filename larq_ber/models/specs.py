"""The paper's architectures as data: block specifications, no TensorFlow.

An `Architecture` lists its blocks in order; `larq_ber.models.builder` turns each
block into Keras layers. The binarized layers, their order and which of them belong
to the classifier all follow from the specification, so nothing is listed twice.

Example:
    >>> LENET4.binarized(include_top=True)
    ('binary_conv_2', 'binary_dense_3')
    >>> NIN.binarized(include_top=False)[-1]
    'binary_conv_8'
"""

from __future__ import annotations

import dataclasses
from typing import Literal

__all__ = [
    "ARCHITECTURES",
    "BINARY_ALEXNET",
    "LENET4",
    "NIN",
    "Architecture",
    "BinaryConv",
    "BinaryDense",
    "Block",
    "Head",
    "Pool",
    "RealConv",
    "ZeroPad",
]


@dataclasses.dataclass(frozen=True)
class RealConv:
    """A real-valued convolution → BatchNorm → ReLU (the first layer).

    Followed by a max `Pool`, the builder pools before the ReLU (the same function).

    Attributes:
        filters: Output channels.
        kernel: Kernel size (square).
        name: Layer name.
        padding: `"valid"` or `"same"`.
        strides: Stride (square).
    """

    filters: int
    kernel: int
    name: str
    padding: str = "valid"
    strides: int = 1


@dataclasses.dataclass(frozen=True)
class BinaryConv:
    """A binary block: BatchNorm → sign with bit errors → [dropout] → conv → ReLU.

    Attributes:
        filters: Output channels.
        kernel: Kernel size (square).
        name: Layer name (also names its quantizers).
        padding: `"valid"` or `"same"` (padded with +1 for LCE).
        dropout: Dropout rate on the binary input (0: none).
    """

    filters: int
    kernel: int
    name: str
    padding: str = "valid"
    dropout: float = 0.0


@dataclasses.dataclass(frozen=True)
class BinaryDense:
    """A binary fully connected block, built as a 1×1 convolution on a 1×1 map.

    Attributes:
        units: Output features.
        name: Layer name.
        dropout: Dropout rate on the binary input (0: none).
    """

    units: int
    name: str
    dropout: float = 0.0


@dataclasses.dataclass(frozen=True)
class Pool:
    """Max or average pooling.

    Attributes:
        kind: `"max"` or `"average"`.
        size: Window (square).
        strides: Stride; `None` means `size`.
        padding: `"valid"` or `"same"`.
    """

    kind: Literal["max", "average"]
    size: int
    strides: int | None = None
    padding: str = "valid"


@dataclasses.dataclass(frozen=True)
class ZeroPad:
    """Zero padding of the input image.

    Attributes:
        amount: Pixels added on every side.
    """

    amount: int


@dataclasses.dataclass(frozen=True)
class Head:
    """The real-valued classifier with a softmax output.

    `"dense"`: [BatchNorm] → [dropout] → flatten → dense `num_classes`. `"conv"`:
    [BatchNorm] → 1×1 conv `num_classes` → ReLU → global average pool.

    Attributes:
        kind: `"dense"` or `"conv"`.
        name: Name of the classifier's weight layer.
        batch_norm_epsilon: Epsilon of a BatchNorm before it; `None`: no BatchNorm.
        dropout: Dropout rate before it (0: none).
    """

    kind: Literal["dense", "conv"]
    name: str
    batch_norm_epsilon: float | None = None
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("dense", "conv"):
            raise ValueError(f"`kind` must be 'dense' or 'conv', got {self.kind!r}.")


#: Any block of the feature extractor or of the classifier's binary part.
Block = RealConv | BinaryConv | BinaryDense | Pool | ZeroPad


@dataclasses.dataclass(frozen=True)
class Architecture:
    """A binarized network: its blocks, classifier and default input.

    Attributes:
        name: Model name (`"lenet4"`, ...).
        input_shape: Default input shape `(height, width, channels)`.
        num_classes: Default number of classes.
        features: Blocks kept with `include_top=False`.
        top: Binary blocks of the classifier (dropped with `include_top=False`).
        head: The real-valued classifier.
    """

    name: str
    input_shape: tuple[int, int, int]
    num_classes: int
    features: tuple[Block, ...]
    top: tuple[BinaryDense, ...]
    head: Head

    def binarized(self, include_top: bool = True) -> tuple[str, ...]:
        """Names of the binarized layers, in order.

        Args:
            include_top: Whether the classifier's binary layers count.

        Returns:
            The layer names.
        """
        blocks = self.features + (self.top if include_top else ())
        return tuple(b.name for b in blocks if isinstance(b, BinaryConv | BinaryDense))


#: Binarized LeNet-4 for MNIST (28×28×1).
LENET4 = Architecture(
    name="lenet4",
    input_shape=(28, 28, 1),
    num_classes=10,
    features=(
        RealConv(20, 5, "real_conv_1"),
        Pool("max", 2),
        BinaryConv(50, 5, "binary_conv_2"),
        Pool("max", 2),
    ),
    top=(BinaryDense(500, "binary_dense_3"),),
    head=Head("dense", "real_dense_4"),
)

#: Binarized Network-in-Network for CIFAR-10/100 and SVHN (32×32×3).
NIN = Architecture(
    name="nin",
    input_shape=(32, 32, 3),
    num_classes=10,
    features=(
        RealConv(192, 5, "real_conv_1", padding="same"),
        BinaryConv(160, 1, "binary_conv_2"),
        BinaryConv(96, 1, "binary_conv_3"),
        Pool("max", 3, 2, padding="same"),
        BinaryConv(192, 5, "binary_conv_4", padding="same", dropout=0.5),
        BinaryConv(192, 1, "binary_conv_5"),
        BinaryConv(192, 1, "binary_conv_6"),
        Pool("average", 3, 2, padding="same"),
        BinaryConv(192, 3, "binary_conv_7", padding="same", dropout=0.5),
        BinaryConv(192, 1, "binary_conv_8"),
    ),
    top=(),
    head=Head("conv", "real_conv_9", batch_norm_epsilon=1e-4),
)

#: The paper's binary AlexNet (XNOR-Net style) for ImageNet (224×224×3).
BINARY_ALEXNET = Architecture(
    name="binary_alexnet",
    input_shape=(224, 224, 3),
    num_classes=1000,
    features=(
        ZeroPad(2),
        RealConv(96, 11, "real_conv_1", strides=4),
        Pool("max", 3, 2),
        BinaryConv(256, 5, "binary_conv_2", padding="same"),
        Pool("max", 3, 2),
        BinaryConv(384, 3, "binary_conv_3", padding="same"),
        BinaryConv(384, 3, "binary_conv_4", padding="same"),
        BinaryConv(256, 3, "binary_conv_5", padding="same"),
        Pool("max", 3, 2),
    ),
    top=(
        BinaryDense(4096, "binary_dense_6"),
        BinaryDense(4096, "binary_dense_7", dropout=0.5),
    ),
    head=Head("dense", "real_dense_8", batch_norm_epsilon=1e-3, dropout=0.5),
)

#: The architectures by model name.
ARCHITECTURES = {a.name: a for a in (LENET4, NIN, BINARY_ALEXNET)}
