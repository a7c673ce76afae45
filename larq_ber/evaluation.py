"""Evaluating a model under error draws: accuracy, draw seeds and their checks.

Shared by `larq_ber.lifetime`, `larq_ber.sensitivity` and `larq_ber.assignment`:
the accuracy of `model.evaluate` in points (the first accuracy metric compiled), the
seed of draw $k$ (the same at every grid point of one evaluation, so draws are
common random numbers), the one-line checks of a draw count and a named seed, and
the binarized layers a caller names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.quantizers.seeds import check_seed

__all__ = ["MAX_DRAWS", "METRICS", "accuracy", "check_draws", "chosen_layers",
           "draw_key", "named_seed"]  # fmt: skip

#: The accuracy metrics looked for in `evaluate`'s logs, in this order.
METRICS = ("top1", "accuracy", "sparse_categorical_accuracy", "categorical_accuracy")

#: Most draws per grid point accepted.
MAX_DRAWS = 100_000


def draw_key(seed: int, draw: int) -> int:
    """The seed of draw `draw`: the same at every storage time and temperature."""
    state = np.random.SeedSequence([seed, draw]).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(2))


def accuracy(model: tf.keras.Model, data: Any, metric: str | None) -> float:
    """`model.evaluate` on `data` (a dataset or an `(x, y)` pair), in points."""
    if isinstance(data, tuple) and len(data) == 2:
        logs = model.evaluate(data[0], data[1], verbose=0, return_dict=True)
    else:
        logs = model.evaluate(data, verbose=0, return_dict=True)
    names = [metric] if metric else [m for m in METRICS if m in logs]
    if not names or names[0] not in logs:
        raise ValueError(
            f"`metric` {metric or 'top1/accuracy'} is not among the model's compiled "
            f"metrics {sorted(logs)}: compile with metrics=['accuracy'] or name one."
        )
    return 100.0 * float(logs[names[0]])


def check_draws(draws: Any, name: str = "draws") -> int:
    """`draws` as an int in [2, MAX_DRAWS]; else a ValueError naming it `name`."""
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer):
        draws = math.nan
    if not 2 <= draws <= MAX_DRAWS:
        raise ValueError(
            f"`{name}` must be an integer in [2, {MAX_DRAWS:,}] (an interval needs "
            f"two), got {draws!r}."
        )
    return int(draws)


def named_seed(name: str, value: Any) -> int:
    """`value` as a seed (an integer >= 0); else a ValueError naming it."""
    try:
        checked = check_seed(value)
    except ValueError as error:
        raise ValueError(str(error).replace("`seed`", f"`{name}`")) from None
    if checked is None:
        raise ValueError(f"`{name}` must be an integer >= 0, got None.")
    return checked


#: A binarized layer: its path, its `BerSteSign` and its input shape (no batch).
Position = tuple[str, Any, tuple[int, ...]]


def chosen_layers(
    positions: list[Position], layers: Sequence[str] | None
) -> list[Position]:
    """The positions of the layers asked for (all for `None`), in model order.

    Args:
        positions: `larq_ber.errors.maps.activation_positions` of a model.
        layers: Layer paths, or `None` for all.

    Returns:
        The positions of `layers`, in model order.

    Raises:
        ValueError: If there are no positions (no binarized layer), or a name of
            `layers` is none of them (the message lists them).
    """
    known = [path for path, _, _ in positions]
    if not known:
        raise ValueError(
            "`model` has no binarized layer (no BerSteSign quantizer): convert a "
            "larq model with larq_ber.errors.with_bit_errors first."
        )
    if layers is None:
        return positions
    if isinstance(layers, str):
        layers = [layers]
    unknown = [name for name in layers if name not in known]
    if unknown or not layers:
        raise ValueError(
            f"`layers` must name binarized layers of the model, got "
            f"{list(unknown or layers)!r}; the layers are {known}."
        )
    return [position for position in positions if position[0] in layers]
