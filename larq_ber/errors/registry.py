"""Which error models are active on which model, owned by which thread.

Every error model of `larq_ber.errors` claims the model here before it changes
anything and releases it on leaving, so that

- `active_errors` can tell, e.g. `larq_ber.export.to_tflite` before it exports;
  a claim covers the model, its nested models and its layers, so that a block on
  an inner model shows on the outer one and the other way round;
- a model in a block of one thread is refused to the blocks of another thread
  (their changes would mix: one model, one thread's errors at a time);
- the model and its nested models refuse `save`, `save_weights` and `export`
  while a block is active, with one line saying to save after the block (inside
  it, the weights or quantizers are not the clean model's).

The bookkeeping holds the models weakly: a model that is garbage collected
leaves it.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import tensorflow as tf

from larq_ber.quantizers.setting import walk_layers

__all__ = [
    "Claim",
    "active_errors",
    "check_model",
    "mark",
    "marked",
    "retrace",
]

# What each model or layer has on right now: {object: Counter of "weight_errors", ...}.
_ACTIVE: weakref.WeakKeyDictionary[Any, collections.Counter[str]] = (
    weakref.WeakKeyDictionary()
)
# The thread whose blocks hold each object.
_OWNER: weakref.WeakKeyDictionary[Any, threading.Thread] = weakref.WeakKeyDictionary()
_LOCK = threading.RLock()

#: The saving methods refused while a block is active.
_SAVING = ("save", "save_weights", "export")


def check_model(model: Any, *, layers: bool = False) -> None:
    """Refuses, in one line, what an error model cannot be applied to.

    Args:
        model: The `model` argument of an error model.
        layers: Whether a Keras layer that is not a model is accepted too.

    Raises:
        TypeError: If `model` is not a Keras model (or, with `layers`, layer).
    """
    if isinstance(model, tf.keras.Model):
        return
    if isinstance(model, tf.keras.layers.Layer):
        if layers:
            return
        raise TypeError(
            f"`model` must be a Keras model, got the layer {model.name!r} "
            f"({type(model).__name__}): pass the model that contains it, whose "
            "predict and evaluate functions must be traced again."
        )
    what = "Keras model or layer" if layers else "Keras model (tf.keras.Model)"
    raise TypeError(f"`model` must be a {what}, got {type(model).__name__} {model!r}.")


def _members(model: Any, layers: list[tuple[str, Any]] | None = None) -> list[Any]:
    """The model, its nested models and its layers: what one claim covers.

    `layers` is `walk_layers(model, models=True)` where the caller has it already.
    """
    if not isinstance(model, tf.keras.layers.Layer):
        return [model]
    if layers is None:
        layers = walk_layers(model, models=True)
    return [model, *(layer for _, layer in layers)]


def _refuse_saving(model: tf.keras.Model) -> None:
    """Makes `model.save`, `save_weights` and `export` raise one line."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        active = ", ".join(active_errors(model)) or "an error model"
        raise RuntimeError(
            f"model {model.name!r} has {active} active: save it after the `with` "
            "block (or `faults.remove()`), where it is the clean model again."
        )

    for name in _SAVING:
        object.__setattr__(model, name, refuse)


def _allow_saving(model: tf.keras.Model) -> None:
    """Undoes `_refuse_saving`."""
    for name in _SAVING:
        if name in vars(model):
            object.__delattr__(model, name)


class Claim:
    """One application of an error model to a model, until `release`.

    Made by `mark`. It records the objects it covers, so that releasing it undoes
    exactly what marking did, whatever happened to the model in between.
    """

    def __init__(self, members: list[Any], what: str) -> None:
        #: The model, its nested models and its layers (`model` first), as marked.
        self.members = members
        self.what = what
        self._released = False

    def release(self) -> None:
        """Ends the application; a second call does nothing."""
        with _LOCK:
            if self._released:
                return
            self._released = True
            for obj in self.members:
                counter = _ACTIVE.get(obj)
                if counter is None or counter[self.what] <= 0:
                    continue
                counter[self.what] -= 1
                if not +counter:
                    _ACTIVE.pop(obj, None)
                    _OWNER.pop(obj, None)
                    if isinstance(obj, tf.keras.Model):
                        _allow_saving(obj)


def _check_owner(members: list[Any], what: str) -> None:
    """Refuses a claim on objects that another live thread holds."""
    current = threading.current_thread()
    for obj in members:
        owner = _OWNER.get(obj)
        if owner is not None and owner is not current and owner.is_alive():
            name = getattr(obj, "name", type(obj).__name__)
            raise RuntimeError(
                f"{name!r} is in a larq_ber.errors block of thread {owner.name!r}; "
                f"{what} cannot use it from thread {current.name!r} at the same "
                "time: give each thread its own copy of the model."
            )


def mark(model: Any, what: str, layers: list[tuple[str, Any]] | None = None) -> Claim:
    """Records that the error model `what` is applied to `model` (once more).

    Args:
        model: A Keras model or layer.
        what: `"activation_errors"`, `"weight_errors"` or `"stuck_at"`.
        layers: `walk_layers(model, models=True)`, where the caller has walked
            the model already (a walk costs about 1 ms for LeNet-4).

    Returns:
        The `Claim`, to `release` when the application ends.

    Raises:
        RuntimeError: If another thread's block holds the model or one of its
            layers.
    """
    members = _members(model, layers)
    with _LOCK:
        _check_owner(members, what)
        current = threading.current_thread()
        for obj in members:
            counter = _ACTIVE.setdefault(obj, collections.Counter())
            if isinstance(obj, tf.keras.Model) and not +counter:
                _refuse_saving(obj)
            counter[what] += 1
            _OWNER[obj] = current
    return Claim(members, what)


@contextlib.contextmanager
def marked(model: Any, what: str) -> Iterator[None]:
    """`mark` on entering the block, release on leaving it (also on an error).

    Args:
        model: A Keras model.
        what: The error model's name.

    Yields:
        Nothing.
    """
    claim = mark(model, what)
    try:
        yield
    finally:
        claim.release()


def active_errors(model: Any) -> list[str]:
    """The error models applied to `model` right now, e.g. before exporting it.

    A block on a nested model or on a layer of `model` counts, and so does a block
    on a model that contains `model`.

    Args:
        model: A Keras model.

    Returns:
        The names among `"activation_errors"`, `"weight_errors"` and `"stuck_at"`
        that are active on it, sorted; empty when it is error-free.

    Example:
        >>> from larq_ber.errors import weight_errors
        >>> from larq_ber.models import LeNet4
        >>> model = LeNet4()
        >>> with weight_errors(model, 0.01, seed=0):
        ...     active_errors(model)
        ['weight_errors']
        >>> active_errors(model)
        []
    """
    total: collections.Counter[str] = collections.Counter()
    with _LOCK:
        for obj in _members(model):
            total.update(_ACTIVE.get(obj, collections.Counter()))
    return sorted(+total)


def retrace(model: Any, *, train: bool = False) -> None:
    """Makes Keras trace its inference (and, with `train`, training) functions again.

    The quantizers' inference setting is read when a function is traced, so every
    change of it needs a retrace: of `model` and of every model nested in it. A
    `tf.function` of your own, or a model that contains `model`, is not retraced.

    Args:
        model: A Keras model (or layer).
        train: Whether to retrace the training step too.
    """
    for obj in _members(model):
        if isinstance(obj, tf.keras.Model):
            obj.make_predict_function(force=True)
            obj.make_test_function(force=True)
            if train:
                obj.make_train_function(force=True)
