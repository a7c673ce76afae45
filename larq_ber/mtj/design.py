r"""Designing a device for a deployment: the thermal stability a storage target needs.

A network tolerates some fraction of wrong weights (a robustness or lifetime table
says how many); a deployment stores its weights for a time at a temperature. Which
thermal stability $\Delta$ must the cells have? `delta_for_storage` inverts the
stored weights' error rate in $\Delta$: the smallest $\Delta$ (at the device's own
temperature, the number a datasheet gives) whose chip keeps the weight bit error
rate at or below the target after the storage time at the operating temperature.

Without variation that is the mean cell's two-state chain
(`larq_ber.mtj.weight_error_rate`); with a `larq_ber.mtj.CellVariation` it is the
chip's mean over its cells (`larq_ber.mtj.cell_stored_error_rates`), which the
weak cells rule: a spread asks for a markedly larger nominal $\Delta$.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from larq_ber.mtj.cells import CellVariation, draw_cells
from larq_ber.mtj.deployment import weight_error_rate
from larq_ber.mtj.device import MTJ, _device, _number
from larq_ber.mtj.variation import cell_stored_error_rates

__all__ = ["delta_for_storage"]

#: The range of $\Delta$ searched (at the device's own temperature).
DELTA_RANGE = (1.0, 400.0)


def _chip_rate(
    device: MTJ,
    delta: float,
    temperature: float | None,
    storage_time: float,
    cells: object,
) -> float:
    """The weight BER of `device` with `delta`, at `temperature`, after the time."""
    candidate = dataclasses.replace(device, delta=delta)
    if temperature is not None:
        candidate = candidate.at(temperature)
    if cells is None:
        return weight_error_rate(storage_time, candidate)
    minus, plus = cell_stored_error_rates(cells, storage_time, candidate)  # type: ignore[arg-type]
    return 0.5 * (
        float(np.mean(minus, dtype=np.float64)) + float(np.mean(plus, dtype=np.float64))
    )


def delta_for_storage(
    weight_ber: float,
    storage_time: float,
    device: MTJ | None = None,
    *,
    temperature: float | None = None,
    variation: CellVariation | None = None,
    cells: int = 100_000,
    seed: int = 0,
) -> float:
    r"""The smallest thermal stability that keeps stored weights at a target error.

    Bisects $\Delta$ (the device's, at its own temperature) until the weight bit
    error rate after `storage_time` at `temperature`, $P_w(\Delta)$, which falls
    monotonically with $\Delta$, meets `weight_ber`; the result is rounded up to
    0.01, so $P_w \le$ `weight_ber` there. At the operating temperature the
    device's laws (`MTJ.at`) lower $\Delta$, so a hot deployment needs a larger
    nominal $\Delta$. No reads: read disturb adds to $P_w$ independently of the
    storage (see `weight_error_rate`).

    Args:
        weight_ber: The largest tolerated weight bit error rate, in (0, 1/2).
        storage_time: Time the weights are stored (s), > 0.
        device: The MTJ (`MTJ.paper()` if `None`); its `delta` is replaced.
        temperature: Operating temperature (K), in $(0, T_c)$; `None`: the
            device's own.
        variation: A `CellVariation`: the chip's mean over `cells` cells drawn
            with `seed`; `None`: every cell is the device.
        cells: Number of cells of the chip drawn with `variation`, in
            [1,000, 10,000,000] (the tail that rules retention needs many).
        seed: Integer >= 0 seeding the chip.

    Returns:
        $\Delta$ at the device's temperature, dimensionless, rounded up to 0.01.

    Raises:
        ValueError: If an argument is out of its range (the message names it),
            or no $\Delta$ up to 400 meets the target.

    Example:
        >>> from larq_ber.mtj import SECONDS_PER_YEAR, celsius
        >>> delta_for_storage(0.01, SECONDS_PER_YEAR, temperature=celsius(85))
        57.53
    """
    device = _device(device)
    target = _number(weight_ber, "weight_ber", "", low=0, high=0.5, low_open=True,
                     high_open=True)  # fmt: skip
    time = _number(storage_time, "storage_time", "s", low=0, low_open=True)
    if temperature is not None:
        device.at(temperature)  # checks it
    population = None
    if variation is not None:
        if not isinstance(variation, CellVariation):
            raise ValueError(
                f"`variation` must be a CellVariation or None, got {variation!r}."
            )
        count = _number(cells, "cells", "", low=1000, high=10_000_000)
        population = draw_cells(int(count), variation, seed)
    low, high = DELTA_RANGE
    if _chip_rate(device, high, temperature, time, population) > target:
        raise ValueError(
            f"No thermal stability up to {high:g} keeps the weight bit error rate "
            f"at {target:g} after {time:g} s: relax `weight_ber` or `storage_time`."
        )
    if _chip_rate(device, low, temperature, time, population) <= target:
        return low
    while high - low > 1e-3:
        middle = 0.5 * (low + high)
        if _chip_rate(device, middle, temperature, time, population) <= target:
            high = middle
        else:
            low = middle
    return math.ceil(high * 100 - 1e-9) / 100
