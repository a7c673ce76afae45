r"""Error maps from the device physics: `device_error_map`.

A binarized network deployed on MRAM keeps its activations in cells written at
every inference and its weights in cells written once, then stored and read. This
module lays one chip's cells onto a model's positions and asks the device model
(`larq_ber.mtj`) for each position's error probability:

- **activations**: the write error rate of each cell at the write operating point
  (voltage, pulse), per direction: `ber_neg` for writing $-1$ (AP→P), `ber_pos`
  for writing $+1$ (P→AP), as `larq_ber.mtj.error_rates` computes them. They are
  transient: every inference draws anew.
- **weights**: the probability that each stored sign reads wrong after the
  storage time and the reads (retention and read disturb of a two-state chain,
  `larq_ber.mtj.deployment.state_error_rates`), for the value the cell holds: a
  weight stored as $-1$ sits in P, one stored as $+1$ in AP, and the two states
  differ (the field $h$, and a read of fixed polarity disturbs one state only).

Without `variation` every cell is the device itself; with a
`larq_ber.mtj.CellVariation` the cells are drawn (seeded) with their
own thermal stability and critical voltage, one population for the activation
memory and one for the weight memory, so the same `chip` is the same chip at any
temperature (`MTJ.at`), storage time or read count.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.errors.maps import ErrorMap, activation_positions, weight_positions
from larq_ber.mtj.cells import CellVariation, draw_cells
from larq_ber.mtj.deployment import (
    DEFAULT_READ_PULSE,
    error_rates,
    state_error_rates,
)
from larq_ber.mtj.device import MTJ, _device
from larq_ber.mtj.variation import cell_stored_error_rates, cell_write_error_rates
from larq_ber.quantizers.seeds import check_seed

__all__ = ["device_error_map"]


def _seeds(seed: int) -> tuple[int, int]:
    """Two independent seeds (activation and weight memory) from one chip seed."""
    states = [
        np.random.SeedSequence([seed, memory]).generate_state(1, np.uint64)[0]
        for memory in (0, 1)
    ]
    return int(states[0] >> np.uint64(2)), int(states[1] >> np.uint64(2))


def _activation_maps(
    model: tf.keras.Model,
    device: MTJ,
    voltage: float,
    pulse: float,
    variation: Any,
    seed: int,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The write error rate of each activation position, per direction."""
    positions = activation_positions(model)
    sizes = [int(np.prod(shape)) for _, _, shape in positions]
    if variation is None:
        rates = error_rates(voltage, pulse, device)
        return {
            path: (
                np.full(shape, rates.ber_neg, np.float32),
                np.full(shape, rates.ber_pos, np.float32),
            )
            for path, _, shape in positions
        }
    population = draw_cells(sum(sizes), variation, seed)
    neg, pos = cell_write_error_rates(population, voltage, pulse, device)
    maps, start = {}, 0
    for (path, _, shape), size in zip(positions, sizes, strict=True):
        stop = start + size
        maps[path] = (neg[start:stop].reshape(shape), pos[start:stop].reshape(shape))
        start = stop
    return maps


def _weight_maps(
    model: tf.keras.Model,
    device: MTJ,
    variation: Any,
    seed: int,
    storage: dict[str, Any],
) -> dict[str, np.ndarray]:
    """The probability that each stored sign reads wrong, for the sign it holds."""
    kernels = weight_positions(model)
    # Larq's sign: 0 is +1.
    negative = [variable.numpy() < 0 for _, variable in kernels]
    if variation is None:
        if_minus, if_plus = state_error_rates(device=device, **storage)
        return {
            path: np.where(neg, if_minus, if_plus).astype(np.float32)
            for (path, _), neg in zip(kernels, negative, strict=True)
        }
    total = sum(neg.size for neg in negative)
    population = draw_cells(total, variation, seed)
    minus, plus = cell_stored_error_rates(population, device=device, **storage)
    maps, start = {}, 0
    for (path, _), neg in zip(kernels, negative, strict=True):
        stop = start + neg.size
        flat = np.where(neg.ravel(), minus[start:stop], plus[start:stop])
        maps[path] = flat.reshape(neg.shape).astype(np.float32)
        start = stop
    return maps


def device_error_map(
    model: tf.keras.Model,
    device: MTJ | None = None,
    *,
    voltage: float | None = None,
    pulse: float | None = None,
    storage_time: float = 0.0,
    reads: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
    read_polarity: str = "fixed",
    variation: Any = None,
    chip: int = 0,
) -> ErrorMap:
    r"""The error probability of every binary position of a model on one MRAM chip.

    Activations get the write error rates of the write point (`voltage`,
    `pulse`), weights the probability of reading their stored sign wrong after
    `storage_time` and `reads` (see the module docstring). Use the map with
    `larq_ber.errors.activation_errors` and `larq_ber.errors.weight_errors`.

    Args:
        model: A built Keras model with `BerSteSign` quantizers (for the
            activations) and binarized kernels (for the weights). The weights'
            current signs decide which state each weight cell holds.
        device: The MTJ at its operating temperature (`MTJ.paper()` if
            `None`; another temperature: `device.at(kelvin)`).
        voltage: Write voltage of the activation memory (V), in
            $(0, V_{bd}]$; `None` (with `pulse`): activations error-free (e.g.
            kept in SRAM), the map has no activation entries.
        pulse: Write pulse length of the activation memory (s), in
            $(0, 10^4\tau_D]$.
        storage_time: Time since the weights were written (s), >= 0.
        reads: Reads of each weight bit in that time, an integer in [0, 1e30].
        read_voltage: Read voltage (V); `device.v_c0 / 3` if `None`.
        read_pulse: Read pulse length (s).
        read_polarity: `"fixed"` (a read disturbs one state) or `"bipolar"`
            (both), see `larq_ber.mtj.weight_error_rate`.
        variation: A `larq_ber.mtj.CellVariation` (cells drawn with
            their own $\Delta$ and $V_{c0}$), or `None` (every cell is `device`).
        chip: Integer >= 0 choosing the chip (the seed of its drawn cells), with
            `variation`.

    Returns:
        The `ErrorMap` (activations only when `voltage` and `pulse` are given).

    Raises:
        ValueError: If an argument is out of its range (the message names it),
            only one of `voltage` and `pulse` is given, or the model is not
            built.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> from larq_ber.mtj import SECONDS_PER_YEAR
        >>> errors = device_error_map(LeNet4(), voltage=0.6, pulse=10e-9,
        ...                           storage_time=SECONDS_PER_YEAR)
        >>> rates = errors.mean_rates()
        >>> f"{rates.ber_neg:.3g} {rates.weight_ber:.3f}"
        '0.00133 0.118'
    """
    device = _device(device)
    try:
        checked = check_seed(chip)
    except ValueError:
        checked = None
    if checked is None:
        raise ValueError(f"`chip` must be an integer >= 0 (its seed), got {chip!r}.")
    if (voltage is None) != (pulse is None):
        raise ValueError(
            "`voltage` and `pulse` go together (the activations' write point): give "
            "both, or neither for error-free activations."
        )
    if variation is not None and not isinstance(variation, CellVariation):
        raise ValueError(
            "`variation` must be a larq_ber.mtj.CellVariation or None, "
            f"got {variation!r}."
        )
    storage = {
        "storage_time": storage_time,
        "reads": reads,
        "read_voltage": read_voltage,
        "read_pulse": read_pulse,
        "read_polarity": read_polarity,
    }
    act_seed, weight_seed = _seeds(checked)
    weights = _weight_maps(model, device, variation, weight_seed, storage)
    if voltage is None or pulse is None:
        return ErrorMap(weights=weights)
    activations = _activation_maps(model, device, voltage, pulse, variation, act_seed)
    return ErrorMap(activations=activations, weights=weights)
