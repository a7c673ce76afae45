"""Keras's predict and test functions, kept per kind of errors at inference.

A `BerSteSign` reads only the *kind* of its errors at inference when a function is
traced (none, rates, or rate maps: `larq_ber.quantizers.inference`); the rates and
the draws are variables read at run time. So a model needs one predict and one
test function per combination of kinds: `activation_errors` keeps the ones Keras
traced for each and puts back the right ones when a block begins or ends, instead
of making Keras trace them again: error-free, with rates, and one pair per pattern
of rate maps (`larq_ber.sensitivity` makes one per layer it probes).

The functions are kept on the model itself (not in a global table, which would
keep the model alive) and stay valid while its compilation does: `compile`,
`jit_compile`, `run_eagerly` or `steps_per_execution` changed since they were
traced make Keras trace them again.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from larq_ber.quantizers.setting import ber_quantizers

__all__ = ["Plan", "kinds", "plan", "switch"]

# The attribute of a model holding its `_Kept` functions.
_KEPT = "_larq_ber_inference_functions"


class _Kept:
    """The functions kept: {kinds: (compilation, test_fn, predict_fn)}.

    With the model's quantizers (as its first block found them). An object opaque
    to `tf.Module`'s walk of attributes (a leaf to `tf.nest`).
    """

    __slots__ = ("functions", "quantizers")

    def __init__(self, quantizers: list[Any]) -> None:
        self.functions: dict[tuple[str | None, ...], Any] = {}
        self.quantizers = quantizers


def _kept(model: tf.keras.Model, quantizers: list[Any]) -> _Kept:
    if _KEPT not in vars(model):
        object.__setattr__(model, _KEPT, _Kept(quantizers))
    return vars(model)[_KEPT]


#: Each Keras model of a block with its quantizers: what `kinds` and `switch` read.
Plan = list[tuple[tf.keras.Model, list[Any]]]


def plan(model: Any, quantizers: list[Any], members: list[Any]) -> Plan:
    """The models whose functions a block on `model` switches, with their quantizers.

    `model`, the models nested in it, and every model that an earlier block
    found to contain one of these quantizers (a model containing `model`):
    a block on a part changes the kinds of errors of the whole, so the whole's
    functions must not be kept under kinds they were not traced with. Made once
    per block: finding a nested model's quantizers walks its layers.

    Args:
        model: The block's Keras model.
        quantizers: `ber_quantizers(model)`.
        members: The model, its nested models and its layers (a block's claim).

    Returns:
        `(model, quantizers)` pairs, `model` first.
    """
    nested = [m for m in members[1:] if isinstance(m, tf.keras.Model)]
    found = [(model, quantizers), *((m, ber_quantizers(m)) for m in nested)]
    seen = {id(m) for m, _ in found}
    for m, qs in list(found):
        _kept(m, qs)
        for quantizer in qs:
            quantizer._inference.watchers.add(m)
    for quantizer in quantizers:
        for watcher in list(quantizer._inference.watchers):
            if id(watcher) not in seen:
                seen.add(id(watcher))
                found.append((watcher, vars(watcher)[_KEPT].quantizers))
    return found


def _compilation(model: tf.keras.Model) -> tuple[Any, ...]:
    """What Keras's functions of `model` depend on besides the quantizers."""
    return (
        getattr(model, "compiled_loss", None),
        getattr(model, "compiled_metrics", None),
        getattr(model, "_jit_compile", None),
        getattr(model, "_steps_per_execution", None),
        model.run_eagerly,
    )


def _same(first: tuple[Any, ...], second: tuple[Any, ...]) -> bool:
    # `is` only: `==` of a tf.Variable and None would run a TensorFlow op.
    return all(a is b for a, b in zip(first, second, strict=True))


def kinds(models: Plan) -> list[tuple[str | None, ...]]:
    """The kinds of errors of each model's quantizers (`None`, "rates", "map").

    Args:
        models: What `plan` returned.

    Returns:
        One tuple of kinds per model of `models`.
    """
    return [tuple(q._inference.kind for q in qs) for _, qs in models]


def switch(models: Plan, before: list[tuple[str | None, ...]]) -> None:
    """Gives each model the predict and test functions of its kinds of errors now.

    The functions each model has are kept under the kinds it had (`before`, from
    `kinds` before the quantizers changed); the ones kept for the kinds it has now
    are put back, or none (Keras traces them at their next use).

    Args:
        models: What `plan` returned.
        before: What `kinds` returned before the change.
    """
    for (model, _), old, new in zip(models, before, kinds(models), strict=True):
        if new == old:
            continue
        kept = vars(model)[_KEPT].functions
        compilation = _compilation(model)
        if model.test_function is None and model.predict_function is None:
            kept.pop(old, None)
        else:
            kept[old] = (compilation, model.test_function, model.predict_function)
        entry = kept.get(new)
        if entry is not None and _same(entry[0], compilation):
            model.test_function, model.predict_function = entry[1], entry[2]
        else:
            model.test_function = model.predict_function = None
