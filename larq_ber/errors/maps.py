r"""Per-position error probabilities: `ErrorMap`, its positions and checks.

A scalar rate says that every bit of a memory fails alike. A real MRAM array does
not: its cells differ (thermal stability $\Delta$ and critical voltage $V_{c0}$
spread from cell to cell), and a stored weight's error depends on the value it
holds (a read of fixed polarity disturbs one state only). An `ErrorMap` gives every
position its own probability:

- activations: for every `BerSteSign` of a model, two arrays of the quantizer's
  input shape without the batch axis, `(ber_neg, ber_pos)`: the probability that
  a $-1$ (resp. $+1$) written at that position reads as the opposite sign. Every
  example of a batch uses the same map (one buffer of cells, written afresh at
  every inference);
- weights: for every binarized kernel, one array of the kernel's shape: the
  probability that the stored sign at that position reads wrong.

`larq_ber.errors.activation_errors` and `larq_ber.errors.weight_errors` take an
`ErrorMap` wherever they take a scalar rate; `larq_ber.errors.device_error_map`
builds one from the device physics. A layer missing from a map is error-free; an
unknown layer or a wrong shape is refused with one line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.errors.binary import binarized_kernels
from larq_ber.quantizers import BerSteSign, ber_quantizers
from larq_ber.quantizers.setting import walk_layers
from larq_ber.rates import ErrorRates

__all__ = ["ErrorMap", "activation_positions", "weight_positions"]


def _probabilities(value: Any, name: str) -> np.ndarray:
    """`value` as a read-only float32 array of probabilities; else a ValueError."""
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be an array of probabilities in [0, 1].")
    array = array.astype(np.float32)  # a copy: the map cannot change under us
    if array.size and not np.all((array >= 0) & (array <= 1)):
        bad = array[~((array >= 0) & (array <= 1))].ravel()[0]
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], found {float(bad)!r}."
        )
    array.setflags(write=False)
    return array


@dataclasses.dataclass(frozen=True)
class ErrorMap:
    r"""Per-position bit error probabilities of a model's activations and weights.

    Attributes:
        activations: `{quantizer path: (ber_neg, ber_pos)}`: for each `BerSteSign`
            (named by the path of the layer whose input it quantizes, as
            `activation_positions` lists them), the probability at each position
            of its input (shape without the batch axis) that a written $-1$
            (`ber_neg`) or $+1$ (`ber_pos`) reads as the opposite sign.
        weights: `{kernel path: probabilities}`: for each binarized kernel (named
            as `larq_ber.errors.binarized_kernels` lists them), the probability,
            of the kernel's shape, that the stored sign at that position reads
            wrong.

    The arrays are stored as read-only float32 copies, checked to lie in
    $[0, 1]$.

    Raises:
        ValueError: If an entry is not a pair of arrays (activations) or an
            array (weights) of probabilities in $[0, 1]$, or the two arrays of an
            activation entry differ in shape.

    Example:
        >>> import numpy as np
        >>> errors = ErrorMap(weights={"dense": np.full((4, 2), 0.01)})
        >>> round(errors.mean_rates().weight_ber, 6)
        0.01
    """

    activations: Mapping[str, tuple[np.ndarray, np.ndarray]] = dataclasses.field(
        default_factory=dict
    )
    weights: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        activations = {}
        for key, pair in dict(self.activations).items():
            if not (isinstance(pair, tuple | list) and len(pair) == 2):
                raise ValueError(
                    f"ErrorMap.activations[{key!r}] must be a pair (ber_neg, "
                    f"ber_pos) of arrays, got {type(pair).__name__}."
                )
            neg = _probabilities(pair[0], f"ErrorMap.activations[{key!r}][0]")
            pos = _probabilities(pair[1], f"ErrorMap.activations[{key!r}][1]")
            if neg.shape != pos.shape:
                raise ValueError(
                    f"ErrorMap.activations[{key!r}]: ber_neg {neg.shape} and "
                    f"ber_pos {pos.shape} must have one shape."
                )
            activations[str(key)] = (neg, pos)
        weights = {
            str(key): _probabilities(value, f"ErrorMap.weights[{key!r}]")
            for key, value in dict(self.weights).items()
        }
        object.__setattr__(self, "activations", activations)
        object.__setattr__(self, "weights", weights)

    def mean_rates(self) -> ErrorRates:
        """The position-weighted mean rates, as one `ErrorRates`.

        Returns:
            `ErrorRates(ber_neg, ber_pos, weight_ber)`: the means over all
            activation positions of each direction and over all weight positions
            (0 where the map has none).
        """

        def mean(arrays: list[np.ndarray]) -> float:
            size = sum(a.size for a in arrays)
            total = sum(float(a.sum(dtype=np.float64)) for a in arrays)
            return total / size if size else 0.0

        pairs = list(self.activations.values())
        return ErrorRates(
            ber_neg=mean([neg for neg, _ in pairs]),
            ber_pos=mean([pos for _, pos in pairs]),
            weight_ber=mean(list(self.weights.values())),
        )


def activation_positions(
    model: tf.keras.Model,
) -> list[tuple[str, BerSteSign, tuple[int, ...]]]:
    """Every `BerSteSign` of a model with its path and its input shape.

    Args:
        model: A built Keras model.

    Returns:
        `(path, quantizer, shape)` triples: `path` is the path of the layer whose
        `input_quantizer` it is (`larq_ber.quantizers.setting.walk_layers`),
        `shape` its input shape without the batch axis; in the order of the walk
        (the order in which their cells are laid out on a chip), then the
        quantizers no layer holds, under their own names.

    Raises:
        ValueError: If a quantizer has not been built (call the model once).

    Example:
        >>> from larq_ber.models import LeNet4
        >>> [(path, shape) for path, _, shape in activation_positions(LeNet4())]
        [('binary_conv_2', (12, 12, 20)), ('binary_dense_3', (1, 1, 800))]
    """
    owners = {
        id(getattr(layer, "input_quantizer", None)): path
        for path, layer in walk_layers(model)
    }
    order = {key: rank for rank, key in enumerate(owners)}
    quantizers = sorted(
        ber_quantizers(model), key=lambda q: order.get(id(q), len(order))
    )
    found = []
    for quantizer in quantizers:
        shape = getattr(quantizer, "_build_input_shape", None)
        if shape is None:
            raise ValueError(
                f"The quantizer {quantizer.name!r} has not been built yet: call "
                "the model once (or build it) before mapping its positions."
            )
        dims = tuple(tf.TensorShape(shape).as_list()[1:])
        if any(d is None for d in dims):
            raise ValueError(
                f"The quantizer {quantizer.name!r} has an input of unknown size "
                f"{dims}: positions need a fixed input shape."
            )
        path = owners.get(id(quantizer)) or str(quantizer.name)
        found.append((path, quantizer, tuple(int(d) for d in dims)))
    return found


def weight_positions(model: tf.keras.Model) -> list[tuple[str, tf.Variable]]:
    """Every binarized kernel of a model with its path (see `binarized_kernels`).

    Args:
        model: A Keras model or layer.

    Returns:
        `(path, kernel)` pairs.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> [path for path, _ in weight_positions(LeNet4())]
        ['binary_conv_2', 'binary_dense_3']
    """
    return binarized_kernels(model)


def _unknown(kind: str, keys: list[str], known: list[str]) -> None:
    """Refuses map entries that name no position of the model."""
    extra = [key for key in keys if key not in known]
    if extra:
        raise ValueError(
            f"ErrorMap.{kind} names {extra[:3]}, which the model does not have; its "
            f"{kind} are {known}."
        )


def checked_activations(
    model: tf.keras.Model, errors: ErrorMap
) -> list[tuple[BerSteSign, tuple[np.ndarray, np.ndarray] | None]]:
    """Each quantizer of `model` with its map (`None`: no entry, no errors).

    Raises:
        ValueError: If the map names an unknown quantizer or has a wrong shape.
    """
    positions = activation_positions(model)
    _unknown("activations", list(errors.activations), [p for p, _, _ in positions])
    found = []
    for path, quantizer, shape in positions:
        pair = errors.activations.get(path)
        if pair is not None and pair[0].shape != shape:
            raise ValueError(
                f"ErrorMap.activations[{path!r}] has shape {pair[0].shape}; the "
                f"quantizer's input is {shape} (without the batch axis)."
            )
        found.append((quantizer, pair))
    return found


def checked_weights(
    model: tf.keras.Model, errors: ErrorMap
) -> list[tuple[tf.Variable, np.ndarray]]:
    """Each binarized kernel of `model` that the map covers, with its map.

    Raises:
        ValueError: If the map names an unknown kernel or has a wrong shape.
    """
    kernels = weight_positions(model)
    _unknown("weights", list(errors.weights), [path for path, _ in kernels])
    found = []
    for path, variable in kernels:
        probabilities = errors.weights.get(path)
        if probabilities is None:
            continue
        if probabilities.shape != tuple(variable.shape):
            raise ValueError(
                f"ErrorMap.weights[{path!r}] has shape {probabilities.shape}; the "
                f"kernel's is {tuple(variable.shape)}."
            )
        found.append((variable, probabilities))
    return found
