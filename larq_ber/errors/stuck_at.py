r"""Stuck-at faults: cells that always read the same value, `stuck_at`.

Worn-out cells are not random at each access but stuck: a seeded set of weight
and/or activation positions always reads as a fixed value, at every call and every
training step, until the faults are removed. The fault map (`StuckAtFaults`) is
plain numpy and saves to and loads from a `.npz` file.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.errors.binary import binary_input, binary_kernel
from larq_ber.errors.registry import Claim, check_model, mark, retrace
from larq_ber.errors.stuck_files import check_map, check_value, read_map
from larq_ber.quantizers.seeds import check_seed
from larq_ber.quantizers.setting import walk_layers
from larq_ber.rates import check_rate

__all__ = ["TARGETS", "StuckAtFaults", "stuck_at"]

#: What `stuck_at` can fix: the binarized weights and the binary activations.
TARGETS = ("weights", "activations")

#: The two kinds of fault map entries: `"<layer>/kernel"` and `"<layer>/input"`.
_KERNEL, _INPUT = "kernel", "input"


class _StuckQuantizer:
    """Calls a layer's quantizer, then forces the stuck positions to their values.

    Not a Keras layer on purpose: installed past Keras's attribute tracking, it
    changes neither the model's weights nor its checkpoints.
    """

    def __init__(
        self, quantizer: Any, mask: np.ndarray, values: np.ndarray, scaled: bool
    ) -> None:
        self.quantizer = quantizer
        self.mask = tf.constant(mask)
        self.values = tf.constant(values, tf.float32)
        self.scaled = scaled

    def __call__(self, inputs: tf.Tensor, *args: Any, **kwargs: Any) -> tf.Tensor:
        outputs = self.quantizer(inputs, *args, **kwargs)
        values = tf.cast(self.values, outputs.dtype)
        # A stuck weight keeps its quantizer's magnitude (larq's per-channel scale
        # of `magnitude_aware_sign`, 1 for `ste_sign`); only its sign is fixed.
        stuck = values * tf.abs(outputs) if self.scaled else values
        return tf.where(self.mask, stuck, outputs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.quantizer, name)


def _input_shape(layer: tf.keras.layers.Layer, path: str) -> tuple[int, ...]:
    """The shape of one sample entering `layer` (without the batch axis)."""
    try:
        shape = tf.TensorShape(layer.input_shape)
        return tuple(int(d) for d in shape[1:])
    except (AttributeError, RuntimeError, TypeError, ValueError) as error:
        raise ValueError(
            f"layer {path!r}: stuck_at cannot place activation faults in it, its "
            f"input has no single known shape ({str(error).splitlines()[0]}); use "
            'targets=["weights"].'
        ) from None


def _target(
    layer: tf.keras.layers.Layer, path: str, part: str
) -> tuple[Any, str, tuple[int, ...]]:
    """`(object, attribute, shape)`: where the quantizer of `part` sits."""
    if part == _KERNEL:
        return layer.kernel, "quantizer", tuple(layer.kernel.shape)
    return layer, "input_quantizer", _input_shape(layer, path)


class _Slot:
    """A quantizer attribute with faults on: its original and the active maps'.

    The attribute holds the original wrapped by every active map in the order
    they were applied (a later map wins where two overlap), so maps come off in
    any order and the last one leaves exactly the original.
    """

    def __init__(self, target: Any, attribute: str) -> None:
        self.target, self.attribute = target, attribute
        self.original = getattr(target, attribute)
        self.maps: dict[int, tuple[np.ndarray, np.ndarray, bool]] = {}

    def install(self) -> None:
        """Sets the attribute to the original wrapped by the active maps."""
        quantizer = self.original
        for mask, values, scaled in self.maps.values():
            quantizer = _StuckQuantizer(quantizer, mask, values, scaled)
        object.__setattr__(self.target, self.attribute, quantizer)


# The quantizer attributes with faults on, by `(id(object), attribute)`.
_SLOTS: dict[tuple[int, str], _Slot] = {}
_LOCK = threading.Lock()
_TOKENS = itertools.count()


@dataclasses.dataclass
class StuckAtFaults:
    r"""A map of stuck-at faults: per layer, which positions are stuck and at what.

    Made by `stuck_at`, which also applies it. Each entry is keyed
    `"<layer name>/kernel"` (the binarized weights, of the kernel's shape) or
    `"<layer name>/input"` (the binary activations entering the layer, of the
    input's shape without the batch axis: the same positions are stuck for every
    sample); a layer of a nested model is named by its path,
    `"<nested model>/<layer>"`. Its value is `(mask, values)`, a boolean array of
    stuck positions and the $\pm 1$ each one reads as. The map is plain numpy:
    `save` and `load` move it between sessions, `apply` installs it on a model
    with layers of the same names and shapes, `remove` (or leaving a `with`
    block) takes it off again. The constructor and `load` check every part and
    refuse a bad one in one line.

    Attributes:
        fraction: Probability in $[0, 1]$ that a position is stuck.
        value: The stuck value, $+1$ or $-1$, or `None` for a random sign per
            position.
        seed: Seed the positions were drawn with.
        faults: `{key: (mask, values)}` as described above.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> model = LeNet4()
        >>> with stuck_at(model, 0.01, seed=0) as faults:
        ...     print(sorted(faults.faults)[0])
        binary_conv_2/input
    """

    fraction: float
    value: int | None
    seed: int
    faults: dict[str, tuple[np.ndarray, np.ndarray]]
    _slots: list[tuple[int, str]] = dataclasses.field(
        default_factory=list, repr=False, compare=False
    )
    _applied: tuple[Any, Claim, int] | None = dataclasses.field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.fraction, self.value, self.seed, self.faults = check_map(
            self.fraction, self.value, self.seed, self.faults
        )

    @property
    def stuck(self) -> int:
        """The number of stuck positions in the map."""
        return int(sum(mask.sum() for mask, _ in self.faults.values()))

    @property
    def applied(self) -> bool:
        """Whether the map is installed on a model."""
        return self._applied is not None

    def _plan(self, model: tf.keras.Model) -> list[tuple[Any, str, str]]:
        """`(object, attribute, key)` for every entry, checked against `model`."""
        layers = dict(walk_layers(model))
        plan = []
        for key, (mask, _) in self.faults.items():
            name, _, part = key.rpartition("/")
            if name not in layers:
                raise ValueError(
                    f"The fault map names layer {name!r}, which `model` lacks; its "
                    f"layers are {sorted(layers)}."
                )
            target, attribute, shape = _target(layers[name], name, part)
            if shape != mask.shape:
                raise ValueError(
                    f"layer {name!r}: the fault map's {part} has shape {mask.shape}, "
                    f"the model's {shape}."
                )
            plan.append((target, attribute, key))
        return plan

    def apply(self, model: tf.keras.Model) -> StuckAtFaults:
        """Installs the faults on `model` (layers matched by name and shape).

        Maps applied to one model stack (a later map wins where two overlap) and
        come off in any order; the last one off leaves the clean model. While a
        map is applied the model refuses `save`/`save_weights`, and another
        thread's blocks refuse the model.

        Args:
            model: A Keras model with the layers the map names (a layer of a
                nested model by its path, `"<nested model>/<layer>"`).

        Returns:
            `self`, for `with faults.apply(model): ...`.

        Raises:
            TypeError: If `model` is not a Keras model.
            ValueError: If the map is applied already, or names a layer the model
                lacks or one whose kernel or input has another shape.
            RuntimeError: If a block of another thread holds the model.
        """
        check_model(model)
        if self._applied is not None:
            raise ValueError("These faults are applied already; call `remove()` first.")
        plan = self._plan(model)
        claim = mark(model, "stuck_at")
        token = next(_TOKENS)
        with _LOCK:
            for target, attribute, key in plan:
                slot = _SLOTS.setdefault(
                    (id(target), attribute), _Slot(target, attribute)
                )
                mask, values = self.faults[key]
                slot.maps[token] = (mask, values, key.endswith("/" + _KERNEL))
                slot.install()
                self._slots.append((id(target), attribute))
        self._applied = (model, claim, token)
        retrace(model, train=True)
        return self

    def remove(self) -> None:
        """Takes the faults off the model again; does nothing if not applied.

        Other maps applied to the model stay on, whatever order they came in.
        """
        if self._applied is None:
            return
        model, claim, token = self._applied
        with _LOCK:
            for key in self._slots:
                slot = _SLOTS.get(key)
                if slot is None or slot.maps.pop(token, None) is None:
                    continue
                slot.install()
                if not slot.maps:
                    del _SLOTS[key]
            self._slots.clear()
        self._applied = None
        claim.release()
        retrace(model, train=True)

    def __enter__(self) -> StuckAtFaults:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the map to a numpy `.npz` file.

        Args:
            path: The file (`.npz` is appended by numpy if missing).
        """
        arrays: dict[str, np.ndarray] = {
            "fraction": np.asarray(self.fraction),
            "value": np.asarray(0 if self.value is None else self.value),
            "seed": np.asarray(self.seed),
        }
        for key, (mask, values) in self.faults.items():
            arrays[f"mask:{key}"] = mask
            arrays[f"values:{key}"] = values
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> StuckAtFaults:
        r"""Reads a map written by `save` (not applied to any model yet).

        The file is read without pickle and checked: the fraction, value and seed
        in range, every mask boolean with its values ($\pm 1$) of the same shape.

        Args:
            path: The `.npz` file.

        Returns:
            The `StuckAtFaults`.

        Raises:
            ValueError: If the file is not a valid fault map (one line naming the
                file and what is wrong).
        """
        fraction, value, seed, faults = read_map(path)
        return cls(fraction=fraction, value=value, seed=seed, faults=faults)


def _check_arguments(
    fraction: float, value: int | None, targets: Sequence[str]
) -> tuple[float, int | None, list[str]]:
    """The checked rate, value and list of targets of `stuck_at`."""
    rate = check_rate("fraction", fraction)
    value = check_value(value)
    if isinstance(targets, str):
        chosen = [targets]
    else:
        chosen = list(targets) if isinstance(targets, list | tuple | set) else []
    if not chosen or any(t not in TARGETS for t in chosen):
        raise ValueError(
            f"`targets` must be a non-empty subset of {list(TARGETS)}, got {targets!r}."
        )
    return rate, value, chosen


def _positions(
    model: tf.keras.Model, targets: Sequence[str]
) -> list[tuple[str, tuple[int, ...]]]:
    """`(key, shape)` of every binary kernel and input of `model` in `targets`."""
    shapes: list[tuple[str, tuple[int, ...]]] = []
    kernels = set()
    for path, layer in walk_layers(model):
        kernel = binary_kernel(layer)
        if "weights" in targets and kernel is not None and id(kernel) not in kernels:
            kernels.add(id(kernel))
            shapes.append((f"{path}/{_KERNEL}", tuple(kernel.shape)))
        if "activations" in targets and binary_input(layer):
            shapes.append((f"{path}/{_INPUT}", _input_shape(layer, path)))
    if not shapes:
        raise ValueError(
            f"`model` has no {' or '.join(targets)} with a 1-bit quantizer to stick."
        )
    return shapes


def _draw(
    shapes: list[tuple[str, tuple[int, ...]]], rate: float, value: int | None, seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The fault map: entry $k$ drawn from the generator seeded `[seed, k]`."""
    faults = {}
    for k, (key, shape) in enumerate(shapes):
        rng = np.random.default_rng([seed, k])
        mask = rng.random(shape) < rate
        if value is None:
            values = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
        else:
            values = np.full(shape, float(value))
        faults[key] = (mask, values.astype(np.float32))
    return faults


def stuck_at(
    model: tf.keras.Model,
    fraction: float,
    *,
    value: int | None = None,
    seed: int | None = None,
    targets: Sequence[str] = TARGETS,
) -> StuckAtFaults:
    r"""Fixes a seeded set of weight and activation positions at a stuck value.

    Every position of every binarized kernel (`targets` "weights") and of every
    binary activation tensor entering a layer with a 1-bit input quantizer
    ("activations", per sample) is stuck independently with probability
    `fraction`. A stuck position reads as its value whatever is written: at every
    call, in training steps too (the latent weight still trains, but the forward
    pass sees the stuck value), and after random bit errors (the stuck value wins).
    A stuck weight keeps its quantizer's scale, e.g. larq's per-channel
    $\alpha$ of `magnitude_aware_sign`. The model's weights and checkpoints are not
    changed. Nested models are included: a layer of one is keyed by its path,
    `"<nested model>/<layer>"`; a shared layer once. While the faults are on, the
    model refuses `save`/`save_weights`: remove them (`faults.remove()`, or use the
    result in a `with` block) first; save the map itself with `faults.save`. Maps
    come off in any order (see `StuckAtFaults.apply`).

    Keras's functions of `model` and of its nested models are traced again; a
    `tf.function` of your own traced before, or a model that contains `model`,
    does not see the faults.

    Args:
        model: A Keras model built from larq layers (a layer alone is refused:
            pass the model that contains it).
        fraction: Probability in $[0, 1]$ that a position is stuck.
        value: $+1$ or $-1$ (stuck-at-1 / stuck-at-0 cells), or `None` for a random
            sign per position.
        seed: Integer $\ge 0$; the same seed, model and arguments stick the same
            positions. `None`: from Python's `random`, recorded in the result.
        targets: A subset of `("weights", "activations")`.

    Returns:
        The applied `StuckAtFaults`.

    Raises:
        TypeError: If `model` is not a Keras model.
        ValueError: If `fraction` is not in $[0, 1]$, `value` is not $\pm 1$ or
            `None`, `seed` is not an integer $\ge 0$, `targets` has an unknown
            entry, or the model has nothing to stick (or a layer whose input
            shape is not known; the message names it).
        RuntimeError: If a block of another thread holds the model.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> model = LeNet4()
        >>> faults = stuck_at(model, 0.05, value=-1, seed=1, targets=["weights"])
        >>> faults.stuck > 0
        True
        >>> faults.remove()
    """
    check_model(model)
    rate, value, chosen = _check_arguments(fraction, value, targets)
    checked = check_seed(seed)
    seed = checked if checked is not None else random.getrandbits(62)
    faults = _draw(_positions(model, chosen), rate, value, seed)
    result = StuckAtFaults(fraction=rate, value=value, seed=seed, faults=faults)
    return result.apply(model)
