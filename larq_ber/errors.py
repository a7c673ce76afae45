r"""Bit errors at deployment: in activations at inference, in stored weights.

The paper trains *with* activation write errors and evaluates without them. A
deployed network meets errors too:

- `activation_errors(model, ber)`: every `BerSteSign` of the model also flips
  while the model infers (`evaluate`, `predict`, `model(x)`), at the given rates —
  activations are written afresh at every inference, so the errors are transient,
  a new independent draw each time. Leaving the context restores error-free
  inference.
- `weight_errors(model, ber)`: the binarized weights sit in memory; each stored sign
  flips independently with probability `ber` (for a `magnitude_aware_sign` or
  `ste_sign` kernel: the sign of the latent weight, its magnitude kept). The exact
  weights come back on leaving the context, also after an exception.

- `stuck_at(model, fraction)`: worn-out cells are not random at each access but
  stuck: a seeded set of weight and/or activation positions always reads as a fixed
  value, at every call and every training step, until the faults are removed. The
  fault map saves to and loads from a `.npz` file.

`activation_errors` works on any Larq model whose binary layers use `BerSteSign`
(the paper's models, or any larq model after `with_bit_errors`, which swaps its sign
input quantizers for `BerSteSign` without changing what it computes);
`weight_errors` and `stuck_at` on any larq model with 1-bit quantizers. The rates
may come from the device physics: every rate argument also takes the
`larq_ber.rates.ErrorRates` of `larq_ber.mtj.error_rates`.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.quantizers import BerSteSign, ber_quantizers
from larq_ber.rates import ErrorRates, check_rate

__all__ = [
    "StuckAtFaults",
    "activation_errors",
    "active_errors",
    "binarized_kernels",
    "stuck_at",
    "weight_errors",
    "with_bit_errors",
]


# What each model has on right now: {model: Counter of "activation_errors", ...}.
_ACTIVE: weakref.WeakKeyDictionary[Any, collections.Counter[str]] = (
    weakref.WeakKeyDictionary()
)


@contextlib.contextmanager
def _marked(model: Any, what: str) -> Iterator[None]:
    counter = _ACTIVE.setdefault(model, collections.Counter())
    counter[what] += 1
    try:
        yield
    finally:
        counter[what] -= 1
        if not +counter:
            _ACTIVE.pop(model, None)


def active_errors(model: Any) -> list[str]:
    """The error models applied to `model` right now, e.g. before exporting it.

    Args:
        model: A Keras model.

    Returns:
        The names among `"activation_errors"`, `"weight_errors"` and `"stuck_at"`
        that are active on it, sorted; empty when it is error-free.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> model = LeNet4()
        >>> with weight_errors(model, 0.01, seed=0):
        ...     active_errors(model)
        ['weight_errors']
        >>> active_errors(model)
        []
    """
    return sorted(+_ACTIVE.get(model, collections.Counter()))


def _retrace(model: tf.keras.Model, *, train: bool = False) -> None:
    """Makes Keras trace its inference (and, with `train`, training) functions again.

    The quantizers' inference setting is read when a function is traced.
    """
    if isinstance(model, tf.keras.Model):
        model.make_predict_function(force=True)
        model.make_test_function(force=True)
        if train:
            model.make_train_function(force=True)


@contextlib.contextmanager
def activation_errors(
    model: tf.keras.Model,
    ber: float | ErrorRates = 0.0,
    *,
    ber_neg: float | None = None,
    ber_pos: float | None = None,
    seed: int | None = None,
) -> Iterator[list[BerSteSign]]:
    r"""Bit errors in the binary activations at inference, inside a `with` block.

    Inside the block every `BerSteSign` of `model` flips its outputs at inference
    as it does while training: each $-1$ becomes $+1$ with probability `ber_neg`,
    each $+1$ becomes $-1$ with probability `ber_pos`, independently at every call.
    BatchNorm keeps its moving statistics and dropout stays off: only the flips
    are added. On leaving, inference is error-free again (the training rates are
    untouched throughout).

    Args:
        model: A Keras model or layer with `BerSteSign` quantizers.
        ber: Symmetric rate in $[0, 1]$, or an `ErrorRates` (its `ber_neg` and
            `ber_pos`).
        ber_neg: Probability in $[0, 1]$ that a $-1$ is read as $+1$; defaults to
            `ber`.
        ber_pos: Probability in $[0, 1]$ that a $+1$ is read as $-1$; defaults to
            `ber`.
        seed: Seed of the draws (quantizer $k$ uses `seed + k`); `None`: from
            Python's `random`, which `tf.keras.utils.set_random_seed` seeds.

    Yields:
        The quantizers that flip.

    Raises:
        ValueError: If a rate is not in $[0, 1]$ or the model has no `BerSteSign`.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> model = LeNet4()
        >>> with activation_errors(model, 0.5, seed=0):  # doctest: +SKIP
        ...     model.evaluate(x_test, y_test)  # about chance
    """
    import random

    if isinstance(ber, ErrorRates):
        ber_neg = ber.ber_neg if ber_neg is None else ber_neg
        ber_pos = ber.ber_pos if ber_pos is None else ber_pos
        ber = ber.ber
    check_rate("ber", ber)
    neg = check_rate("ber_neg", ber if ber_neg is None else ber_neg)
    pos = check_rate("ber_pos", ber if ber_pos is None else ber_pos)
    quantizers = ber_quantizers(model)
    if not quantizers:
        raise ValueError(
            "`model` contains no BerSteSign quantizer; convert a larq model with "
            "larq_ber.with_bit_errors first."
        )
    base = seed if seed is not None else random.getrandbits(62)
    for k, quantizer in enumerate(quantizers):
        generator = tf.random.Generator.from_seed(base + k)
        quantizer.set_inference_errors((neg, pos), generator)
    _retrace(model)
    try:
        with _marked(model, "activation_errors"):
            yield quantizers
    finally:
        for quantizer in quantizers:
            quantizer.set_inference_errors(None)
        _retrace(model)


def binarized_kernels(model: tf.keras.Model) -> list[tuple[str, tf.Variable]]:
    """The latent kernels whose signs are the stored binary weights.

    A kernel counts when its layer's `kernel_quantizer` is 1-bit (larq's
    `magnitude_aware_sign`, `ste_sign`, …). Real-valued layers are left out.

    Args:
        model: A Keras model.

    Returns:
        `(layer name, kernel variable)` pairs in the order of `model.layers`.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> [name for name, _ in binarized_kernels(LeNet4())]
        ['binary_conv_2', 'binary_dense_3']
    """
    found = []
    for layer in model.layers:
        quantizer = getattr(layer, "kernel_quantizer", None)
        if getattr(quantizer, "precision", None) == 1 and hasattr(layer, "kernel"):
            found.append((layer.name, layer.kernel))
    return found


@contextlib.contextmanager
def weight_errors(
    model: tf.keras.Model, ber: float | ErrorRates, *, seed: int | None = None
) -> Iterator[int]:
    r"""Flips the stored sign of each binarized weight with probability `ber`.

    For every layer with a 1-bit kernel quantizer, each latent weight $w$ becomes
    $-w$ independently with probability `ber`, so its binarized value
    $\operatorname{sign}(w)$ flips while $|w|$ (and larq's per-channel scale
    $\alpha = \overline{|W|}$ of `magnitude_aware_sign`) stays. A latent weight of
    exactly 0 (sign $+1$) becomes $-10^{-12}$. The weights are restored bit for bit
    on leaving the block, also when it raises. Real-valued layers are untouched.

    Args:
        model: A Keras model with binarized layers.
        ber: Probability in $[0, 1]$ that a stored sign flips, or an
            `ErrorRates` (its `weight_ber`).
        seed: Seed of the draws (`None`: numpy's global generator, which
            `tf.keras.utils.set_random_seed` seeds).

    Yields:
        The number of signs flipped.

    Raises:
        ValueError: If `ber` is not in $[0, 1]$ or the model has no binarized
            kernel.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> with weight_errors(LeNet4(), 0.01, seed=0) as flipped:
        ...     print(flipped > 0)
        True
    """
    rate = check_rate("ber", ber.weight_ber if isinstance(ber, ErrorRates) else ber)
    kernels = binarized_kernels(model)
    if not kernels:
        raise ValueError("`model` has no layer with a 1-bit kernel_quantizer.")
    rng = np.random.default_rng(seed) if seed is not None else np.random
    saved = [variable.numpy() for _, variable in kernels]
    flipped = 0
    try:
        for (_, variable), value in zip(kernels, saved, strict=True):
            mask = rng.random(value.shape) < rate
            changed = np.where(mask, -value, value)
            changed[mask & (value == 0)] = -1e-12
            variable.assign(changed)
            flipped += int(mask.sum())
        with _marked(model, "weight_errors"):
            yield flipped
    finally:
        for (_, variable), value in zip(kernels, saved, strict=True):
            variable.assign(value)


def with_bit_errors(
    model: tf.keras.Model,
    ber: float = 0.0,
    *,
    ber_neg: float | None = None,
    ber_pos: float | None = None,
) -> tf.keras.Model:
    """A copy of a larq model whose sign input quantizers can flip bits.

    Every 1-bit sign input quantizer (`"ste_sign"`/`SteSign` with its
    `clip_value`, `"approx_sign"`, `"swish_sign"`/`SwishSign`) becomes a
    `BerSteSign` with the same forward pass and, at rate 0, the same gradient (the
    original becomes its `surrogate`, or its `clip_value` is kept), so the copy
    infers and trains exactly like the original until a rate is set; the weights
    are copied. Use it to fine-tune any larq model (e.g. from larq-zoo) with errors
    or to evaluate it under `activation_errors`. The original is not changed.

    Args:
        model: A functional or sequential Keras model built from larq layers.
        ber: Training bit error rate of the new quantizers, in [0, 1].
        ber_neg: Rate of −1 → +1 flips; defaults to `ber`.
        ber_pos: Rate of +1 → −1 flips; defaults to `ber`.

    Returns:
        The converted copy.

    Raises:
        ValueError: If a layer's input quantizer is 1-bit but not a sign quantizer
            this function knows (the message names the layer), or a rate is not in
            [0, 1].

    Example:
        >>> import larq as lq
        >>> inputs = tf.keras.Input((8,))
        >>> outputs = lq.layers.QuantDense(4, input_quantizer="approx_sign",
        ...                                kernel_quantizer="ste_sign")(inputs)
        >>> copy = with_bit_errors(tf.keras.Model(inputs, outputs), 0.01)
        >>> type(copy.layers[1].input_quantizer).__name__
        'BerSteSign'
    """
    import larq as lq

    check_rate("ber", ber)

    def convert(layer: tf.keras.layers.Layer) -> tf.keras.layers.Layer:
        config = layer.get_config()
        quantizer = getattr(layer, "input_quantizer", None)
        if quantizer is None or isinstance(quantizer, BerSteSign):
            return layer.__class__.from_config(config)
        if getattr(quantizer, "precision", None) != 1:  # not a binary activation
            return layer.__class__.from_config(config)
        if type(quantizer) is lq.quantizers.SteSign:
            new = BerSteSign(
                ber, ber_neg=ber_neg, ber_pos=ber_pos, clip_value=quantizer.clip_value
            )
        elif type(quantizer) in (lq.quantizers.ApproxSign, lq.quantizers.SwishSign):
            new = BerSteSign(
                ber,
                ber_neg=ber_neg,
                ber_pos=ber_pos,
                surrogate=lq.quantizers.serialize(quantizer),
            )
        else:
            raise ValueError(
                f"layer {layer.name!r}: its input quantizer "
                f"{type(quantizer).__name__} is 1-bit but not a sign quantizer "
                "with_bit_errors can convert (SteSign, ApproxSign, SwishSign)."
            )
        config["input_quantizer"] = lq.quantizers.serialize(new)
        return layer.__class__.from_config(config)

    copy = tf.keras.models.clone_model(model, clone_function=convert)
    copy.set_weights(model.get_weights())
    return copy


#: What `stuck_at` can fix: the binarized weights and the binary activations.
TARGETS = ("weights", "activations")


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


@dataclasses.dataclass
class StuckAtFaults:
    r"""A map of stuck-at faults: per layer, which positions are stuck and at what.

    Made by `stuck_at`, which also applies it. Each entry is keyed
    `"<layer name>/kernel"` (the binarized weights, of the kernel's shape) or
    `"<layer name>/input"` (the binary activations entering the layer, of the
    input's shape without the batch axis: the same positions are stuck for every
    sample); its value is `(mask, values)`, a boolean array of stuck positions and
    the $\pm 1$ each one reads as. The map is plain numpy: `save` and `load` move
    it between sessions, `apply` installs it on a model with layers of the same
    names and shapes, `remove` (or leaving a `with` block) takes it off again.

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
    _installed: list[tuple[Any, str, Any]] = dataclasses.field(
        default_factory=list, repr=False, compare=False
    )
    _model: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def stuck(self) -> int:
        """The number of stuck positions in the map."""
        return int(sum(mask.sum() for mask, _ in self.faults.values()))

    @property
    def applied(self) -> bool:
        """Whether the map is installed on a model."""
        return bool(self._installed)

    def apply(self, model: tf.keras.Model) -> StuckAtFaults:
        """Installs the faults on `model` (layers matched by name and shape).

        Args:
            model: A Keras model with the layers the map names.

        Returns:
            `self`, for `with faults.apply(model): ...`.

        Raises:
            ValueError: If the map is applied already, or names a layer the model
                lacks or one whose kernel or input has another shape.
        """
        if self._installed:
            raise ValueError("These faults are applied already; call `remove()` first.")
        layers = {layer.name: layer for layer in model.layers}
        plan = []
        for key, (mask, values) in self.faults.items():
            name, _, part = key.rpartition("/")
            layer = layers.get(name)
            if layer is None:
                raise ValueError(
                    f"The fault map names layer {name!r}, which `model` lacks; its "
                    f"layers are {sorted(layers)}."
                )
            if part == "kernel":
                target, attribute = layer.kernel, "quantizer"
                shape = tuple(layer.kernel.shape)
            else:
                target, attribute = layer, "input_quantizer"
                shape = tuple(_input_shape(layer))
            if shape != mask.shape:
                raise ValueError(
                    f"layer {name!r}: the fault map's {part} has shape {mask.shape}, "
                    f"the model's {shape}."
                )
            plan.append((target, attribute, mask, values, part == "kernel"))
        for target, attribute, mask, values, scaled in plan:
            original = getattr(target, attribute)
            wrapper = _StuckQuantizer(original, mask, values, scaled)
            object.__setattr__(target, attribute, wrapper)
            self._installed.append((target, attribute, original))
        self._model = model
        counter = _ACTIVE.setdefault(model, collections.Counter())
        counter["stuck_at"] += 1
        _retrace(model, train=True)
        return self

    def remove(self) -> None:
        """Takes the faults off the model again; does nothing if not applied."""
        for target, attribute, original in reversed(self._installed):
            object.__setattr__(target, attribute, original)
        self._installed.clear()
        if self._model is not None:
            counter = _ACTIVE.get(self._model)
            if counter is not None:
                counter["stuck_at"] -= 1
                if not +counter:
                    _ACTIVE.pop(self._model, None)
            _retrace(self._model, train=True)
            self._model = None

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
        """Reads a map written by `save` (not applied to any model yet).

        Args:
            path: The `.npz` file.

        Returns:
            The `StuckAtFaults`.

        Raises:
            ValueError: If the file is not a fault map.
        """
        with np.load(path) as data:
            if not {"fraction", "value", "seed"} <= set(data.files):
                raise ValueError(f"{os.fspath(path)!r} is not a saved fault map.")
            faults = {
                name[len("mask:") :]: (
                    data[name].astype(bool),
                    data["values:" + name[len("mask:") :]].astype(np.float32),
                )
                for name in data.files
                if name.startswith("mask:")
            }
            value = int(data["value"])
            return cls(
                fraction=float(data["fraction"]),
                value=None if value == 0 else value,
                seed=int(data["seed"]),
                faults=faults,
            )


def _input_shape(layer: tf.keras.layers.Layer) -> tuple[int, ...]:
    """The shape of one sample entering `layer` (without the batch axis)."""
    shape = tf.TensorShape(layer.input_shape)
    return tuple(int(d) for d in shape[1:])


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
    changed. Remove the faults (`faults.remove()`, or use the result in a `with`
    block) before saving the model itself; save the map with `faults.save`.

    Args:
        model: A Keras model built from larq layers.
        fraction: Probability in $[0, 1]$ that a position is stuck.
        value: $+1$ or $-1$ (stuck-at-1 / stuck-at-0 cells), or `None` for a random
            sign per position.
        seed: Integer $\ge 0$; the same seed, model and arguments stick the same
            positions. `None`: from Python's `random`, recorded in the result.
        targets: A subset of `("weights", "activations")`.

    Returns:
        The applied `StuckAtFaults`.

    Raises:
        ValueError: If `fraction` is not in $[0, 1]$, `value` is not $\pm 1$ or
            `None`, `seed` is not an integer $\ge 0$, `targets` has an unknown
            entry, or the model has nothing to stick.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> model = LeNet4()
        >>> faults = stuck_at(model, 0.05, value=-1, seed=1, targets=["weights"])
        >>> faults.stuck > 0
        True
        >>> faults.remove()
    """
    import random

    rate = check_rate("fraction", fraction)
    if value is not None and (isinstance(value, bool) or value not in (-1, 1)):
        raise ValueError(f"`value` must be +1, -1 or None, got {value!r}.")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or seed < 0
    ):
        raise ValueError(f"`seed` must be None or an integer >= 0, got {seed!r}.")
    chosen = [targets] if isinstance(targets, str) else list(targets)
    unknown = [t for t in chosen if t not in TARGETS]
    if unknown or not chosen:
        raise ValueError(
            f"`targets` must be a non-empty subset of {list(TARGETS)}, got {targets!r}."
        )
    seed = seed if seed is not None else random.getrandbits(62)
    shapes: list[tuple[str, tuple[int, ...]]] = []
    for layer in model.layers:
        if "weights" in chosen:
            quantizer = getattr(layer, "kernel_quantizer", None)
            if getattr(quantizer, "precision", None) == 1 and hasattr(layer, "kernel"):
                shapes.append((f"{layer.name}/kernel", tuple(layer.kernel.shape)))
        if "activations" in chosen:
            quantizer = getattr(layer, "input_quantizer", None)
            if getattr(quantizer, "precision", None) == 1:
                shapes.append((f"{layer.name}/input", _input_shape(layer)))
    if not shapes:
        raise ValueError(
            f"`model` has no {' or '.join(chosen)} with a 1-bit quantizer to stick."
        )
    faults = {}
    for k, (key, shape) in enumerate(shapes):
        rng = np.random.default_rng([seed, k])
        mask = rng.random(shape) < rate
        if value is None:
            values = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
        else:
            values = np.full(shape, float(value))
        faults[key] = (mask, values.astype(np.float32))
    result = StuckAtFaults(fraction=rate, value=value, seed=seed, faults=faults)
    return result.apply(model)
