r"""`longest_storage_time`: how long a network stays within a tolerance, in one call.

The network is *within* at a storage time when the lower bound of its accuracy's
t-interval over error draws is at least its error-free accuracy minus the
tolerance; the search checks a time per decade, then bisects, and reports the first
time beyond as decided or undecided (`StorageLimit`). The draws are those of
`larq_ber.lifetime.rows`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.errors import activation_errors
from larq_ber.errors.device_maps import device_error_map
from larq_ber.evaluation import accuracy, check_draws, named_seed
from larq_ber.lifetime.rows import _at, _draws
from larq_ber.mtj.deployment import DEFAULT_READ_PULSE
from larq_ber.mtj.device import MTJ, SECONDS_PER_YEAR, _device
from larq_ber.stats import Interval, mean_interval

__all__ = ["StorageLimit", "longest_storage_time"]


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


def _is_number(value: Any) -> bool:
    """Whether `value` is a real number (Python or numpy), not a bool."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )


def _positive(name: str, value: Any, unit: str, *, low: float = 0.0) -> float:
    """`value` as a finite float > `low`; else a ValueError naming it."""
    number = float(value) if _is_number(value) else math.nan
    if not (math.isfinite(number) and number > low):
        raise ValueError(
            f"`{name}` must be a finite number > {low:g}{unit}, got {value!r}."
        )
    return number


def _check_decision(tolerance: Any, confidence: Any) -> None:
    """Refuses, in one line, a tolerance or confidence out of range."""
    if not (_is_number(tolerance) and math.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(
            f"`tolerance` must be a finite number >= 0 (accuracy points), got "
            f"{tolerance!r}."
        )
    if not (_is_number(confidence) and 0 < confidence < 1):
        raise ValueError(f"`confidence` must be in (0, 1), got {confidence!r}.")


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
    _check_decision(tolerance, confidence)
    shortest = _positive("shortest", shortest, " s")
    longest = _positive("longest", longest, " s", low=shortest)
    precision = _positive("precision", precision, "")
    draws, seed = check_draws(draws), named_seed("seed", seed)
    common = {
        "read_voltage": read_voltage,
        "read_pulse": read_pulse,
        "read_polarity": read_polarity,
        "variation": variation,
        "chip": named_seed("chip", chip),
    }
    writes = device_error_map(model, device, voltage=voltage, pulse=pulse, **common)
    device_error_map(model, device, reads=reads, **common)  # checks the reads
    baseline = accuracy(model, data, metric)
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
        decided=beyond is not None and beyond.n > 1 and beyond.high < threshold,
        checked=tuple(sorted(checked.items())),
        confidence=confidence,
        temperature_k=device.temperature,
        reads=int(reads),
    )
