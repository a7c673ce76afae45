r"""A network's lifetime on MRAM: accuracy over storage time, reads and temperature.

Weights written once into MRAM lose their bits over time (thermal switching,
faster at higher temperature and in the weaker cells of a chip) and with every
read (read disturb); activations are written afresh at every inference at the
write point's error rates. `lifetime_rows` evaluates a trained model on one chip
over a grid of (temperature, storage time, reads), with independent error draws
per grid point; `longest_storage_time` answers in one call: the longest storage
time over which the network stays within a tolerance of its error-free accuracy,
decided on the bounds of a confidence interval.

The error probabilities of every position come from the device physics
(`larq_ber.errors.device_error_map`): retention and read disturb of each weight
cell for the value it holds, the write error rates of each activation cell; with a
`larq_ber.mtj.CellVariation` the cells of the chip differ. Draw $k$ uses
the same random numbers at every storage time and temperature, so a weight that
flipped at one time stays flipped at every later one (the curves of one draw are
monotonic in the error probabilities, as a chip's bits are), and the search of
`longest_storage_time` does not chase noise.

Intervals are Student's t intervals over the draws (`larq_ber.stats`): they cover
the variation of the error draws on this test set and this network, not of the
test set or of training (see the user guide's "How sure an estimate is").
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.errors import activation_errors, weight_errors
from larq_ber.errors.device_maps import device_error_map
from larq_ber.mtj.deployment import DEFAULT_READ_PULSE
from larq_ber.mtj.device import MTJ, SECONDS_PER_YEAR, _device
from larq_ber.quantizers.seeds import check_seed
from larq_ber.stats import Interval, mean_interval

__all__ = ["METRICS", "StorageLimit", "lifetime_rows", "longest_storage_time"]

#: The accuracy metrics looked for in `evaluate`'s logs, in this order.
METRICS = ("top1", "accuracy", "sparse_categorical_accuracy", "categorical_accuracy")

#: Most draws per grid point accepted.
MAX_DRAWS = 100_000


def _draw_key(seed: int, draw: int) -> int:
    """The seed of draw `draw`: the same at every storage time and temperature."""
    state = np.random.SeedSequence([seed, draw]).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(2))


def _accuracy(model: tf.keras.Model, data: Any, metric: str | None) -> float:
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


def _check_draws(draws: Any) -> int:
    """`draws` as an int in [2, MAX_DRAWS]; else a ValueError naming it."""
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer):
        draws = math.nan
    if not 2 <= draws <= MAX_DRAWS:
        raise ValueError(
            f"`draws` must be an integer in [2, {MAX_DRAWS:,}] (an interval needs "
            f"two), got {draws!r}."
        )
    return int(draws)


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
        return [_accuracy(model, data, metric)] * draws  # nothing random
    values = []
    for draw in range(draws):
        key = _draw_key(seed, draw)
        for k, quantizer in enumerate(quantizers):
            quantizer.reseed_inference_errors(key + k)
        with weight_errors(model, errors, seed=key):
            values.append(_accuracy(model, data, metric))
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
    draws = _check_draws(draws)
    seed, chip = _seed("seed", seed), _seed("chip", chip)
    times = [float(t) for t in storage_times]
    conditions = [_at(device, t) for t in temperatures]  # checked before any work
    common = {
        "read_voltage": read_voltage,
        "read_pulse": read_pulse,
        "read_polarity": read_polarity,
        "variation": variation,
        "seed": chip,
    }
    for heat in conditions:
        writes = device_error_map(model, heat, voltage=voltage, pulse=pulse, **common)
        context: Any = (
            activation_errors(model, writes, seed=0)
            if writes.activations
            else contextlib.nullcontext([])
        )
        with context as quantizers:
            for time in times:
                for count in reads:
                    errors = device_error_map(
                        model, heat, storage_time=time, reads=count, **common
                    )
                    values = _draws(
                        model, data, errors, draws, seed, quantizers, metric
                    )
                    point = {
                        "temperature_k": heat.temperature,
                        "storage_time_s": time,
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


def _seed(name: str, value: Any) -> int:
    """`value` as a seed (an integer >= 0); else a ValueError naming it."""
    try:
        checked = check_seed(value)
    except ValueError as error:
        raise ValueError(str(error).replace("`seed`", f"`{name}`")) from None
    if checked is None:
        raise ValueError(f"`{name}` must be an integer >= 0, got None.")
    return checked


@dataclasses.dataclass(frozen=True)
class StorageLimit:
    r"""The answer of `longest_storage_time`.

    Attributes:
        time_s: The longest storage time checked (s) at which the network is
            decided within the tolerance, as are all shorter ones checked; 0.0
            if not even the shortest is.
        beyond_s: The shortest time checked (s) that is not decided within
            (`None`: every time up to the upper bound is within).
        baseline: The error-free accuracy (points).
        threshold: `baseline - tolerance` (points).
        at_limit: The accuracy interval at `time_s` (over the draws; `None`
            when `time_s` is 0).
        at_beyond: The accuracy interval at `beyond_s` (`None` with it).
        decided: Whether `beyond_s` is decided below the threshold (its upper
            bound under it); `False` means its interval straddles the threshold,
            so the true limit may lie beyond it: more draws would tell.
        checked: Every `(time_s, Interval)` evaluated, in time order.
        confidence: The confidence of the intervals.
        temperature_k: The operating temperature (K).
        reads: Reads of each weight bit over the storage time.
    """

    time_s: float
    beyond_s: float | None
    baseline: float
    threshold: float
    at_limit: Interval | None
    at_beyond: Interval | None
    decided: bool
    checked: tuple[tuple[float, Interval], ...]
    confidence: float
    temperature_k: float
    reads: int

    def __str__(self) -> str:
        """One paragraph: the limit, its intervals and how sure it is."""
        tolerance = self.baseline - self.threshold
        head = (
            f"Within {tolerance:g} point{'' if tolerance == 1 else 's'} of the "
            f"error-free "
            f"{self.baseline:.2f} % (threshold {self.threshold:.2f} %) at "
            f"{self.temperature_k:.2f} K with {self.reads:g} reads: "
        )
        if self.at_limit is None:
            text = head + "not even at the shortest time checked"
        else:
            text = head + (
                f"up to {_duration(self.time_s)} ({self.at_limit.mean:.2f} % "
                f"[{self.at_limit.low:.2f}, {self.at_limit.high:.2f}], "
                f"n = {self.at_limit.n} draws)"
            )
        if self.beyond_s is None or self.at_beyond is None:
            return text + "; every time checked is within."
        verdict = "below" if self.decided else "undecided at"
        return text + (
            f"; {verdict} the threshold at {_duration(self.beyond_s)} "
            f"({self.at_beyond.mean:.2f} % [{self.at_beyond.low:.2f}, "
            f"{self.at_beyond.high:.2f}]), {self.confidence:.0%} intervals over "
            "error draws."
        )


def _duration(seconds: float) -> str:
    """`seconds` in the largest readable unit, e.g. '3.2 days'."""
    for unit, size in (("years", SECONDS_PER_YEAR), ("days", 86400.0),
                       ("h", 3600.0), ("min", 60.0)):  # fmt: skip
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def _positive(name: str, value: Any, unit: str, *, low: float = 0.0) -> float:
    """`value` as a finite float > `low`; else a ValueError naming it."""
    number = math.nan
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    ):
        number = float(value)
    if not (math.isfinite(number) and number > low):
        raise ValueError(
            f"`{name}` must be a finite number > {low:g}{unit}, got {value!r}."
        )
    return number


def _search_times(shortest: float, longest: float) -> list[float]:
    """One time per decade from `shortest` to `longest` (both included)."""
    decades = max(1, math.ceil(math.log10(longest / shortest) - 1e-9))
    return [float(t) for t in np.geomspace(shortest, longest, decades + 1)]


def longest_storage_time(
    model: tf.keras.Model,
    data: Any,
    *,
    tolerance: float,
    confidence: float = 0.95,
    device: MTJ | None = None,
    temperature: float | None = None,
    reads: int = 0,
    voltage: float | None = None,
    pulse: float | None = None,
    variation: Any = None,
    draws: int = 10,
    seed: int = 0,
    chip: int = 0,
    shortest: float = 1.0,
    longest: float = 100 * SECONDS_PER_YEAR,
    precision: float = 0.1,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
    read_polarity: str = "fixed",
    metric: str | None = None,
) -> StorageLimit:
    r"""The longest storage time over which a network stays within a tolerance.

    The network is *within* at a storage time when the lower bound of its
    accuracy interval (over `draws` error draws, at `confidence`) is at least
    `baseline - tolerance`, the baseline being its error-free accuracy. The
    search checks one time per decade from `shortest` upwards until one is not
    within, then bisects (in $\log t$) between the last time within and that one
    until they differ by at most a factor `1 + precision`. A time whose interval
    straddles the threshold is *undecided*: the answer says so (more draws
    would settle it), rather than calling it a failure or a success.

    Weight errors grow with the storage time (each cell's error probability
    does), and draw $k$ uses the same random numbers at every time, so each
    draw's accuracy falls with time up to the evaluation noise of the
    activations' transient errors; the bisection assumes that ordering.

    Args:
        model: A compiled Keras model (see `lifetime_rows`).
        data: The test data: a `tf.data.Dataset` or an `(x, y)` pair.
        tolerance: Accuracy points the network may lose, finite, >= 0.
        confidence: Confidence of the intervals, in (0, 1).
        device: The MTJ (`MTJ.paper()` if `None`).
        temperature: Operating temperature (K), in $(0, T_c)$; `None`: the
            device's own.
        reads: Reads of each weight bit over the storage time (an integer in
            [0, 1e30]; reads at a rate: `rate * time` is the count at each
            time, so pass `reads=0` and use `lifetime_rows` for that).
        voltage: Write voltage of the activations (V); `None` with `pulse` for
            error-free activations.
        pulse: Write pulse length of the activations (s).
        variation: A `larq_ber.mtj.CellVariation`, or `None`.
        draws: Error draws per time checked, an integer in [2, 100,000].
        seed: Integer >= 0 seeding the draws.
        chip: Integer >= 0 choosing the chip's cells (with `variation`).
        shortest: Shortest storage time checked (s), > 0.
        longest: Longest storage time checked (s), > `shortest`.
        precision: Relative precision of the limit, > 0 (0.1: the limit and
            the first time beyond differ by at most 10 %).
        read_voltage: Read voltage (V); `device.v_c0 / 3` if `None`.
        read_pulse: Read pulse length (s).
        read_polarity: `"fixed"` or `"bipolar"`.
        metric: The accuracy metric of `evaluate`'s logs (`None`: `top1` or
            `accuracy`).

    Returns:
        The `StorageLimit` (print it for a summary).

    Raises:
        ValueError: If an argument is out of its range (the message names it).

    Example:
        ```python
        limit = longest_storage_time(model, (x_test, y_test), tolerance=1.0,
                                     temperature=358.15, voltage=0.6,
                                     pulse=10e-9)
        print(limit)  # "Within 1 point of the error-free ...: up to ..."
        ```
    """
    device = _at(_device(device), temperature)
    tolerance = _positive("tolerance", tolerance, " (accuracy points)", low=-1e-300)
    if not 0 < confidence < 1:
        raise ValueError(f"`confidence` must be in (0, 1), got {confidence!r}.")
    shortest = _positive("shortest", shortest, " s")
    longest = _positive("longest", longest, " s", low=shortest)
    precision = _positive("precision", precision, "")
    draws, seed = _check_draws(draws), _seed("seed", seed)
    common = {
        "read_voltage": read_voltage,
        "read_pulse": read_pulse,
        "read_polarity": read_polarity,
        "variation": variation,
        "seed": _seed("chip", chip),
    }
    writes = device_error_map(model, device, voltage=voltage, pulse=pulse, **common)
    weights = device_error_map(model, device, reads=reads, **common)  # checks reads
    del weights
    baseline = _accuracy(model, data, metric)
    threshold = baseline - tolerance
    checked: dict[float, Interval] = {}
    context: Any = (
        activation_errors(model, writes, seed=0)
        if writes.activations
        else contextlib.nullcontext([])
    )
    with context as quantizers:

        def within(time: float) -> bool:
            errors = device_error_map(
                model, device, storage_time=time, reads=reads, **common
            )
            values = _draws(model, data, errors, draws, seed, quantizers, metric)
            checked[time] = mean_interval(values, confidence)
            return checked[time].low >= threshold

        low, high = 0.0, None
        for time in _search_times(shortest, longest):
            if not within(time):
                high = time
                break
            low = time
        while high is not None and low > 0 and high / low > 1 + precision:
            middle = math.sqrt(low * high)
            low, high = (middle, high) if within(middle) else (low, middle)
    beyond = None if high is None else checked[high]
    return StorageLimit(
        time_s=low,
        beyond_s=high,
        baseline=baseline,
        threshold=threshold,
        at_limit=checked.get(low),
        at_beyond=beyond,
        decided=beyond is not None and beyond.high < threshold,
        checked=tuple(sorted(checked.items())),
        confidence=confidence,
        temperature_k=device.temperature,
        reads=int(reads),
    )
