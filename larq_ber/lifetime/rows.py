r"""`lifetime_rows`: accuracy over storage time, reads and temperature, per draw.

One chip's error map per grid point (`larq_ber.errors.device_error_map`), draw $k$
seeded alike at every point; see `larq_ber.lifetime` for the model and what the
intervals cover.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.errors import activation_errors, weight_errors
from larq_ber.errors.device_maps import device_error_map
from larq_ber.evaluation import accuracy, check_draws, draw_key, named_seed
from larq_ber.mtj.cells import CellVariation
from larq_ber.mtj.deployment import DEFAULT_READ_PULSE, error_rates, state_error_rates
from larq_ber.mtj.device import MTJ, _device

__all__ = ["lifetime_rows"]


def _at(device: MTJ, temperature: float | None) -> MTJ:
    """The device at `temperature` (K), or as it is for `None`."""
    return device if temperature is None else device.at(temperature)


def _draws(
    model: tf.keras.Model,
    data: Any,
    errors: Any,
    draws: int,
    seed: int,
    quantizers: list[Any],
    metric: str | None,
) -> list[float]:
    """The accuracy (points) of each draw of one grid point's errors."""
    if not any(np.any(p > 0) for p in errors.weights.values()) and not quantizers:
        return [accuracy(model, data, metric)] * draws  # nothing random
    values = []
    for draw in range(draws):
        key = draw_key(seed, draw)
        for k, quantizer in enumerate(quantizers):
            quantizer.reseed_inference_errors(key + k)
        with weight_errors(model, errors, seed=key):
            values.append(accuracy(model, data, metric))
    return values


def lifetime_rows(
    model: tf.keras.Model,
    data: Any,
    *,
    storage_times: Sequence[float],
    device: MTJ | None = None,
    temperatures: Sequence[float | None] = (None,),
    reads: Sequence[int] = (0,),
    voltage: float | None = None,
    pulse: float | None = None,
    variation: Any = None,
    draws: int = 10,
    seed: int = 0,
    chip: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
    read_polarity: str = "fixed",
    metric: str | None = None,
) -> Iterator[dict[str, Any]]:
    r"""Evaluates a trained model on one MRAM chip over storage time, reads and heat.

    For every temperature, the activations flip at the write point's rates of the
    device at that temperature (transient: new flips at every inference); for
    every storage time and read count, the stored weights flip with the
    probability of each cell for the value it holds
    (`larq_ber.errors.device_error_map`); `draws` independent draws per point.

    Args:
        model: A compiled Keras model with `BerSteSign` quantizers and
            binarized kernels, and an accuracy metric (`top1` or `accuracy`).
        data: The test data: a `tf.data.Dataset` of `(x, y)` batches or an
            `(x, y)` pair of arrays.
        storage_times: Times since the weights were written (s), each >= 0.
        device: The MTJ (`MTJ.paper()` if `None`), at its own temperature.
        temperatures: Operating temperatures (K), each in $(0, T_c)$; `None`
            is the device's own temperature.
        reads: Reads of each weight bit over the storage time, integers in
            [0, 1e30].
        voltage: Write voltage of the activations (V); with `pulse`, `None`
            for error-free activations.
        pulse: Write pulse length of the activations (s).
        variation: A `larq_ber.mtj.CellVariation`, or `None` (every
            cell is the device).
        draws: Independent error draws per point, an integer in [2, 100,000].
        seed: Integer >= 0 seeding the draws (draw $k$ uses the same numbers at
            every point).
        chip: Integer >= 0 choosing the chip's cells (with `variation`).
        read_voltage: Read voltage (V); `device.v_c0 / 3` if `None`.
        read_pulse: Read pulse length (s).
        read_polarity: `"fixed"` or `"bipolar"` (see
            `larq_ber.mtj.weight_error_rate`).
        metric: The accuracy metric of `evaluate`'s logs to report (`None`: the
            first of `METRICS` present).

    Yields:
        One row per draw: `temperature_k`, `storage_time_s`, `reads`, `draw`,
        the map's mean rates `ber_neg`, `ber_pos` and `weight_ber`, and
        `accuracy` (points, 0-100).

    Raises:
        ValueError: If an argument is out of its range (the message names it).

    Example:
        ```python
        rows = list(lifetime_rows(model, (x_test, y_test),
                                  storage_times=[3600, SECONDS_PER_YEAR],
                                  temperatures=[298.15, 358.15], draws=5))
        ```
    """
    device = _device(device)
    draws = check_draws(draws)
    seed, chip = named_seed("seed", seed), named_seed("chip", chip)
    times = _sequence("storage_times", storage_times)
    counts = _sequence("reads", reads)
    conditions = [_at(device, t) for t in _sequence("temperatures", temperatures)]
    common = {
        "read_voltage": read_voltage,
        "read_pulse": read_pulse,
        "read_polarity": read_polarity,
        "variation": variation,
        "chip": chip,
    }
    # Every argument is checked now, before the first draw (not when iterated).
    for heat in conditions:
        for time in times:
            for count in counts:
                _check_point(model, heat, time, count, voltage, pulse, common)
    return _generate(model, data, conditions, times, counts, draws, seed, metric,
                     voltage, pulse, common)  # fmt: skip


def _sequence(name: str, values: Any) -> list[Any]:
    """`values` as a non-empty list; a scalar or a string is refused naming it."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValueError(f"`{name}` must be a list of values, got {values!r}.")
    listed = list(values)
    if not listed:
        raise ValueError(f"`{name}` must hold at least one value, got none.")
    return listed


def _check_point(
    model: tf.keras.Model,
    device: MTJ,
    time: Any,
    count: Any,
    voltage: Any,
    pulse: Any,
    common: dict[str, Any],
) -> None:
    """Refuses, in one line, a grid point the physics does not accept."""
    options = {k: v for k, v in common.items() if k not in ("variation", "chip")}
    state_error_rates(time, device, reads=count, **options)
    if (voltage is None) != (pulse is None):
        raise ValueError(
            "`voltage` and `pulse` go together (the activations' write point): give "
            "both, or neither for error-free activations."
        )
    if voltage is not None:
        error_rates(voltage, pulse, device)
    variation = common["variation"]
    if variation is not None and not isinstance(variation, CellVariation):
        raise ValueError(
            "`variation` must be a larq_ber.mtj.CellVariation or None, got "
            f"{variation!r}."
        )


def _generate(
    model: tf.keras.Model,
    data: Any,
    conditions: list[MTJ],
    times: list[Any],
    counts: list[Any],
    draws: int,
    seed: int,
    metric: str | None,
    voltage: Any,
    pulse: Any,
    common: dict[str, Any],
) -> Iterator[dict[str, Any]]:
    """The rows of `lifetime_rows`, once its arguments are checked."""
    for heat in conditions:
        writes = device_error_map(model, heat, voltage=voltage, pulse=pulse, **common)
        context: Any = (
            activation_errors(model, writes, seed=0)
            if writes.activations
            else contextlib.nullcontext([])
        )
        with context as quantizers:
            for time in times:
                for count in counts:
                    errors = device_error_map(
                        model, heat, storage_time=time, reads=count, **common
                    )
                    values = _draws(
                        model, data, errors, draws, seed, quantizers, metric
                    )
                    point = {
                        "temperature_k": heat.temperature,
                        "storage_time_s": float(time),
                        "reads": int(count),
                    }
                    yield from _rows(point, writes, errors, values)


def _rows(
    point: dict[str, Any], writes: Any, errors: Any, values: list[float]
) -> Iterator[dict[str, Any]]:
    """The rows of one grid point: its keys, the mean rates, one row per draw."""
    rates = {
        "ber_neg": writes.mean_rates().ber_neg,
        "ber_pos": writes.mean_rates().ber_pos,
        "weight_ber": errors.mean_rates().weight_ber,
    }
    for draw, value in enumerate(values):
        yield {**point, "draw": draw, **rates, "accuracy": value}
