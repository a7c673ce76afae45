r"""Bit errors in the stored binary weights: `weight_errors`.

The binarized weights sit in memory; each stored sign flips independently. The
latent weights carry the signs, so a flip is $w \to -w$ and the exact weights come
back on leaving the block.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from larq_ber.errors.binary import kernels_of
from larq_ber.errors.maps import ErrorMap, checked_weights
from larq_ber.errors.registry import check_model, mark
from larq_ber.quantizers.seeds import check_seed
from larq_ber.quantizers.setting import walk_layers
from larq_ber.rates import ErrorRates, weight_rate

__all__ = ["weight_errors"]


def _flip_signs(value: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`value` with the entries of `mask` negated; a flipped 0 becomes $-10^{-12}$."""
    changed = np.array(value, copy=True, order="C")
    flat = changed.reshape(-1)  # a view: the copy is C-contiguous
    where = np.flatnonzero(mask)  # the few flipped entries, not a pass per case
    picked = flat[where]
    flat[where] = np.where(picked == 0, -1e-12, -picked)
    return changed


class _Flips:
    """A kernel with flips on: its clean value and the masks of the active blocks."""

    def __init__(self, variable: tf.Variable) -> None:
        self.variable = variable
        self.clean = variable.numpy()
        self.masks: dict[int, np.ndarray] = {}

    def assign(self) -> None:
        """Sets the variable to its clean value flipped by every active mask."""
        value = self.clean
        for mask in self.masks.values():
            value = _flip_signs(value, mask)
        self.variable.assign(value)


# The kernels flipped by a block right now, by `id` of the variable; an entry lives
# from the first block on its kernel to the last one's end.
_FLIPPED: dict[int, _Flips] = {}
_LOCK = threading.Lock()
_TOKENS = itertools.count()


def _flip(
    kernels: list[tf.Variable], rates: list[float | np.ndarray], seed: int | None
) -> tuple[int, int]:
    """Adds one block's flips to `kernels`; `(its token, the signs flipped)`.

    Kernel k flips at `rates[k]`: a rate, or an array of the kernel's shape.
    """
    rng = np.random.default_rng(seed) if seed is not None else np.random
    token, flipped = next(_TOKENS), 0
    with _LOCK:
        for variable, rate in zip(kernels, rates, strict=True):
            entry = _FLIPPED.setdefault(id(variable), _Flips(variable))
            mask = rng.random(entry.clean.shape) < rate
            entry.masks[token] = mask
            entry.assign()
            flipped += int(np.count_nonzero(mask))
    return token, flipped


def _unflip(kernels: list[tf.Variable], token: int) -> None:
    """Takes one block's flips off again, whichever blocks remain."""
    with _LOCK:
        for variable in kernels:
            entry = _FLIPPED.get(id(variable))
            if entry is None or entry.masks.pop(token, None) is None:
                continue
            entry.assign()
            if not entry.masks:
                del _FLIPPED[id(variable)]


@contextlib.contextmanager
def weight_errors(
    model: tf.keras.Model,
    ber: float | ErrorRates | ErrorMap,
    *,
    seed: int | None = None,
) -> Iterator[int]:
    r"""Flips the stored sign of each binarized weight with probability `ber`.

    For every layer with a 1-bit kernel quantizer, each latent weight $w$ becomes
    $-w$ independently with probability `ber`, so its binarized value
    $\operatorname{sign}(w)$ flips while $|w|$ (and larq's per-channel scale
    $\alpha = \overline{|W|}$ of `magnitude_aware_sign`) stays. A latent weight of
    exactly 0 (sign $+1$) becomes $-10^{-12}$. Real-valued layers are untouched.
    Nested models and shared layers are included (each kernel flipped once).

    On leaving the block the weights are restored bit for bit to their values
    before the first block on them, also when it raises (changes made inside, e.g.
    by training, are discarded). Blocks on one model nest and may end in any order:
    the weights are then the clean ones flipped by the blocks still active. While
    a block is active the model refuses `save`/`save_weights`, and another thread's
    blocks refuse the model.

    Args:
        model: A Keras model (or layer) with binarized layers.
        ber: Probability in $[0, 1]$ that a stored sign flips, an
            `ErrorRates` (its `weight_ber`), or an `ErrorMap` (its `weights`: a
            probability per position for each kernel it names, the others
            untouched; e.g. from `larq_ber.errors.device_error_map`).
        seed: Integer $\ge 0$ seeding the draws (`None`: numpy's global generator,
            which `tf.keras.utils.set_random_seed` seeds).

    Yields:
        The number of signs flipped.

    Raises:
        TypeError: If `model` is not a Keras model or layer.
        ValueError: If `ber` is not in $[0, 1]$, `seed` is not an integer
            $\ge 0$, the model has no binarized kernel, or an `ErrorMap` names a
            kernel the model does not have or has a wrong shape.
        RuntimeError: If a block of another thread holds the model.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> with weight_errors(LeNet4(), 0.01, seed=0) as flipped:
        ...     print(flipped > 0)
        True
    """
    check_model(model, layers=True)
    seed = check_seed(seed)
    layers = walk_layers(model, models=True)  # one walk for the kernels and mark
    kernels = [variable for _, variable in kernels_of(layers)]
    if not kernels:
        raise ValueError("`model` has no layer with a 1-bit kernel_quantizer.")
    rates: list[float | np.ndarray]
    if isinstance(ber, ErrorMap):
        pairs = checked_weights(model, ber)
        kernels, rates = [v for v, _ in pairs], [p for _, p in pairs]
    else:
        rates = [weight_rate(ber)] * len(kernels)
    claim = mark(model, "weight_errors", layers)
    token = None
    try:
        token, flipped = _flip(kernels, rates, seed)
        yield flipped
    finally:
        if token is not None:
            _unflip(kernels, token)
        claim.release()
