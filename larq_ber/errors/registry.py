"""Which error models are active on which model, and retracing after a change.

Every error model of `larq_ber.errors` registers itself here while it is applied,
so that `active_errors` can tell, e.g. `larq_ber.export.to_tflite` before it
exports. The bookkeeping holds the models weakly: a model that is garbage
collected leaves it.
"""

from __future__ import annotations

import collections
import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

import tensorflow as tf

__all__ = ["active_errors", "mark", "marked", "retrace", "unmark"]

# What each model has on right now: {model: Counter of "activation_errors", ...}.
_ACTIVE: weakref.WeakKeyDictionary[Any, collections.Counter[str]] = (
    weakref.WeakKeyDictionary()
)


def mark(model: Any, what: str) -> None:
    """Records that the error model `what` is applied to `model` (once more).

    Args:
        model: A Keras model.
        what: `"activation_errors"`, `"weight_errors"` or `"stuck_at"`.
    """
    _ACTIVE.setdefault(model, collections.Counter())[what] += 1


def unmark(model: Any, what: str) -> None:
    """Records that one application of `what` to `model` ended.

    Args:
        model: A Keras model.
        what: The name given to `mark`.
    """
    counter = _ACTIVE.get(model)
    if counter is None:
        return
    counter[what] -= 1
    if not +counter:
        _ACTIVE.pop(model, None)


@contextlib.contextmanager
def marked(model: Any, what: str) -> Iterator[None]:
    """`mark` on entering the block, `unmark` on leaving it (also on an error).

    Args:
        model: A Keras model.
        what: The error model's name.

    Yields:
        Nothing.
    """
    mark(model, what)
    try:
        yield
    finally:
        unmark(model, what)


def active_errors(model: Any) -> list[str]:
    """The error models applied to `model` right now, e.g. before exporting it.

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
    return sorted(+_ACTIVE.get(model, collections.Counter()))


def retrace(model: Any, *, train: bool = False) -> None:
    """Makes Keras trace its inference (and, with `train`, training) functions again.

    The quantizers' inference setting is read when a function is traced, so every
    change of it needs a retrace. Anything but a `tf.keras.Model` is left alone.

    Args:
        model: A Keras model (or layer).
        train: Whether to retrace the training step too.
    """
    if isinstance(model, tf.keras.Model):
        model.make_predict_function(force=True)
        model.make_test_function(force=True)
        if train:
            model.make_train_function(force=True)
