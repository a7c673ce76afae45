r"""Bit errors in the binary activations at inference: `activation_errors`.

Activations are written afresh at every inference, so their errors are transient:
inside the block every `BerSteSign` of the model draws new flips at every call.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import threading
from collections.abc import Iterator
from typing import Any

import tensorflow as tf

from larq_ber.binary_conv import pack
from larq_ber.errors.functions import kinds, plan, switch
from larq_ber.errors.maps import ErrorMap, checked_activations
from larq_ber.errors.registry import check_model, mark
from larq_ber.quantizers import BerSteSign, ber_quantizers
from larq_ber.quantizers.inference import Snapshot
from larq_ber.quantizers.seeds import check_seed
from larq_ber.rates import ErrorRates, check_rate, split_rates

__all__ = ["activation_errors"]

# The blocks active on each quantizer, in the order they began:
# {id(quantizer): (quantizer, {token: rates})}; the latest one still active is in
# force. `_PAUSED[token][id(quantizer)]` keeps what a block had in force (its
# rates and the position of its draws) while a later block runs.
_SETTINGS: dict[int, tuple[BerSteSign, dict[int, Any]]] = {}
_PAUSED: dict[int, dict[int, Snapshot]] = {}
_LOCK = threading.Lock()
_TOKENS = itertools.count()


def _push(quantizers: list[BerSteSign], rates: list[Any], base: int) -> int:
    """Sets one block's errors: quantizer k gets `rates[k]`, seeded `base + k`."""
    token = next(_TOKENS)
    with _LOCK:
        for k, (quantizer, rate) in enumerate(zip(quantizers, rates, strict=True)):
            _, blocks = _SETTINGS.setdefault(id(quantizer), (quantizer, {}))
            if blocks:  # the block in force pauses: keep where its draws are
                paused = _PAUSED.setdefault(list(blocks)[-1], {})
                paused[id(quantizer)] = quantizer._inference.snapshot()
            blocks[token] = rate
            try:
                quantizer.set_inference_errors(rate, base + k)
            except Exception:  # undo the quantizers set so far, then say why
                _pop_locked(quantizers[: k + 1], token)
                raise
    return token


def _pop(quantizers: list[BerSteSign], token: int) -> None:
    """Ends one block: each quantizer gets the latest block still active, or none."""
    with _LOCK:
        _pop_locked(quantizers, token)


def _pop_locked(quantizers: list[BerSteSign], token: int) -> None:
    """`_pop` with the lock held."""
    for quantizer in quantizers:
        _, blocks = _SETTINGS.get(id(quantizer), (quantizer, {}))
        in_force = bool(blocks) and list(blocks)[-1] == token
        blocks.pop(token, None)
        if not blocks:
            _SETTINGS.pop(id(quantizer), None)
            quantizer.set_inference_errors(None)
        elif in_force:  # the block before it resumes where its draws were
            latest = list(blocks)[-1]
            resumed = _PAUSED.get(latest, {}).pop(id(quantizer), None)
            if resumed is None:
                quantizer.set_inference_errors(blocks[latest])
            else:
                quantizer._inference.restore(resumed)
    _PAUSED.pop(token, None)


def _directions(
    ber: float | ErrorRates, ber_neg: float | None, ber_pos: float | None
) -> tuple[float, float]:
    """The checked `(ber_neg, ber_pos)`: a direction not given is `ber`."""
    ber, ber_neg, ber_pos = split_rates(ber, ber_neg, ber_pos)
    check_rate("ber", ber)
    neg = check_rate("ber_neg", ber if ber_neg is None else ber_neg)
    pos = check_rate("ber_pos", ber if ber_pos is None else ber_pos)
    return neg, pos


def _rates_per_quantizer(
    model: tf.keras.Model,
    quantizers: list[BerSteSign],
    ber: Any,
    ber_neg: float | None,
    ber_pos: float | None,
) -> list[Any]:
    """The checked inference rates of each quantizer: a pair of floats or of maps."""
    if not isinstance(ber, ErrorMap):
        return [_directions(ber, ber_neg, ber_pos)] * len(quantizers)
    if ber_neg is not None or ber_pos is not None:
        raise ValueError(
            "`ber_neg` and `ber_pos` are for scalar rates: an ErrorMap holds both "
            "directions per position already."
        )
    pairs = dict((id(q), pair) for q, pair in checked_activations(model, ber))
    return [pairs.get(id(q)) or (0.0, 0.0) for q in quantizers]


@contextlib.contextmanager
def activation_errors(
    model: tf.keras.Model,
    ber: float | ErrorRates | ErrorMap = 0.0,
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
    untouched throughout). Nested models are included.

    Blocks nest and may end in any order: the latest block still active sets
    the rates, and an outer block's draws resume where they were when an inner
    one ends. Entering and leaving costs no retrace: the rates and the random
    stream are variables read when Keras's `predict`/`evaluate` functions run,
    and the functions Keras traced with errors are kept (per kind: rates or
    rate maps) and put back by the next block, those traced without errors on
    leaving; this holds for `model` and the models nested in it. Outside the
    blocks nothing of it is traced: a model exported or saved there holds no
    random operation. A `tf.function` of your own traced before the block, or a
    model that contains `model`, does not see the change (trace it again, or
    pass the outermost model); one traced inside flips nothing after it.

    Args:
        model: A Keras model with `BerSteSign` quantizers (a layer alone is
            refused: pass the model that contains it).
        ber: Symmetric rate in $[0, 1]$, an `ErrorRates` (its `ber_neg` and
            `ber_pos`), or an `ErrorMap` (its `activations`: a rate per position
            and direction for each quantizer it names, the others error-free;
            e.g. from `larq_ber.errors.device_error_map`).
        ber_neg: Probability in $[0, 1]$ that a $-1$ is read as $+1$; defaults to
            `ber`.
        ber_pos: Probability in $[0, 1]$ that a $+1$ is read as $-1$; defaults to
            `ber`.
        seed: Integer $\ge 0$ seeding the draws (quantizer $k$ uses `seed + k`);
            `None`: from Python's `random`, which `tf.keras.utils.set_random_seed`
            seeds.

    Yields:
        The quantizers that flip.

    Raises:
        TypeError: If `model` is not a Keras model.
        ValueError: If a rate is not in $[0, 1]$, `seed` is not an integer
            $\ge 0$, the model has no `BerSteSign`, or an `ErrorMap` names a
            quantizer the model does not have or has a wrong shape (with
            `ber_neg`/`ber_pos` too: they are for scalar rates only).
        RuntimeError: If a block of another thread holds the model.

    Example:
        >>> import numpy as np
        >>> from larq_ber.models import LeNet4
        >>> model = LeNet4()
        >>> x = np.random.default_rng(0).standard_normal((4, 28, 28, 1))
        >>> clean = model.predict(x, verbose=0)
        >>> with activation_errors(model, 0.5, seed=0) as flipping:
        ...     noisy = model.predict(x, verbose=0)
        >>> len(flipping), bool((noisy != clean).any())
        (2, True)
        >>> bool((model.predict(x, verbose=0) == clean).all())
        True
    """
    check_model(model)
    seed = check_seed(seed)
    quantizers = ber_quantizers(model)
    if not quantizers:
        raise ValueError(
            "`model` contains no BerSteSign quantizer; convert a larq model with "
            "larq_ber.errors.with_bit_errors first."
        )
    rates = _rates_per_quantizer(model, quantizers, ber, ber_neg, ber_pos)
    base = seed if seed is not None else random.getrandbits(62)
    claim = mark(model, "activation_errors")
    token = None
    try:
        models = plan(model, quantizers, claim.members)
        pack(claim.members)
        before = kinds(models)
        token = _push(quantizers, rates, base)
        switch(models, before)
        yield quantizers
    finally:
        if token is not None:
            before = kinds(models)
            _pop(quantizers, token)
            switch(models, before)
        claim.release()
