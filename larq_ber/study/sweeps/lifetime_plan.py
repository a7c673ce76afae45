r"""A lifetime plan — device, heat, storage time, reads, cell spread — checked first.

A lifetime evaluation (`larq_ber.study.sweeps.lifetime`) evaluates a trained run on
one MRAM chip at every point of a grid: operating temperature × time since the
weights were written × reads of each weight bit × cell-to-cell spread
($\sigma_\Delta$, $\sigma_{V_{c0}}$), `draws` error draws per point (see
`larq_ber.lifetime.lifetime_rows`). `LifetimePlan.checked` validates every value
once, with one-line messages naming the argument and its range, and bounds the work:
points × draws × runs ≤ `larq_ber.study.sweeps.plan.MAX_EVALUATIONS`, each one a
pass over the test set. `temperature` reads `300`, `"300K"` or `"85C"`;
`duration` reads `3600`, `"1h"` or `"10y"`. TF-free.

Example:
    >>> plan = LifetimePlan.checked(storage_times=["1h", "10y"],
    ...                             temperatures=["25C", "85C"])
    >>> plan.temperatures, len(plan.points())
    ((298.15, 358.15), 4)
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

from larq_ber.mtj.device import MTJ, SECONDS_PER_YEAR
from larq_ber.mtj.presets import PRESETS, preset
from larq_ber.study.sweeps.plan import MAX_EVALUATIONS

__all__ = ["POLARITIES", "LifetimePlan", "duration", "temperature"]

#: Read schemes of the weight memory (`larq_ber.mtj.weight_error_rate`).
POLARITIES = ("fixed", "bipolar")
#: Most reads of a weight bit (`larq_ber.errors.device_error_map`'s range).
MAX_READS = 10**30
#: Most draws per point (`larq_ber.lifetime`'s range).
MAX_DRAWS = 100_000
_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "y": SECONDS_PER_YEAR}


def _number(text: Any) -> float:
    """A finite real number from a number or its text; NaN otherwise."""
    if isinstance(text, bool):
        return math.nan
    try:
        value = float(text)
    except (TypeError, ValueError):
        return math.nan
    return value if math.isfinite(value) else math.nan


def temperature(value: Any) -> float:
    """A temperature in kelvin from `300`, `"300K"`, `"85C"` or `"85°C"`.

    Args:
        value: A number (K) or a string ending in `K` or `C` (°C).

    Returns:
        The temperature (K); NaN if `value` is neither (the plan refuses it).

    Example:
        >>> temperature("85C"), temperature(300), temperature("77 K")
        (358.15, 300.0, 77.0)
    """
    if not isinstance(value, str):
        return _number(value)
    text = value.strip().replace("°", "").upper()
    if text.endswith("C"):
        return round(_number(text[:-1]) + 273.15, 10)
    return _number(text[:-1] if text.endswith("K") else text)


def duration(value: Any) -> float:
    """A time in seconds from `3600`, `"3600s"`, `"60min"`, `"1h"`, `"2d"` or `"10y"`.

    Args:
        value: A number (s) or a string with a unit `s`, `min`, `h`, `d`, `y`
            (years of 365.25 days).

    Returns:
        The time (s); NaN if `value` is neither.

    Example:
        >>> duration("1h"), duration(5), duration("1y") == SECONDS_PER_YEAR
        (3600.0, 5.0, True)
    """
    if not isinstance(value, str):
        return _number(value)
    text = value.strip().lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return _number(text[: -len(unit)]) * _UNITS[unit]
    return _number(text)


def _listed(name: str, values: Any, what: str) -> list[Any]:
    """`values` as a non-empty list (a single value is a list of one)."""
    if isinstance(values, str | bytes | numbers.Number) or values is None:
        values = [values]
    if isinstance(values, Mapping) or not isinstance(values, Iterable):
        raise ValueError(f"`{name}` must be a list of {what}, got {values!r}.")
    listed = list(itertools.islice(values, MAX_EVALUATIONS + 1))
    if not listed or len(listed) > MAX_EVALUATIONS:
        raise ValueError(
            f"`{name}` must hold 1 to {MAX_EVALUATIONS:,} {what}, got {len(listed)}."
        )
    return listed


def _distinct(name: str, values: list[Any]) -> tuple[Any, ...]:
    """`values` as a tuple; a ValueError naming `name` if one repeats."""
    if len(set(values)) != len(values):
        raise ValueError(f"`{name}` lists a value more than once: {values!r}.")
    return tuple(values)


@dataclasses.dataclass(frozen=True)
class LifetimePlan:
    r"""A checked lifetime grid (see the module docstring).

    Attributes:
        device: The preset name of the MTJ (`larq_ber.mtj.presets.PRESETS`).
        storage_times: Times since the weights were written (s), each >= 0.
        temperatures: Operating temperatures (K), each in $(0, T_c)$.
        reads: Reads of each weight bit over the storage time.
        delta_spreads: Cell-to-cell spreads of $\Delta$, each >= 0.
        v_c0_spreads: Cell-to-cell spreads of $V_{c0}$, each >= 0.
        write_voltage: Write voltage of the activations (V), or `None`:
            activations error-free (e.g. in SRAM).
        write_pulse: Write pulse of the activations (s), with `write_voltage`.
        read_polarity: `"fixed"` or `"bipolar"`.
        draws: Error draws per point, in [2, 100,000].
    """

    device: str = "tzoufras2019"
    storage_times: tuple[float, ...] = (0.0,)
    temperatures: tuple[float, ...] = (300.0,)
    reads: tuple[int, ...] = (0,)
    delta_spreads: tuple[float, ...] = (0.0,)
    v_c0_spreads: tuple[float, ...] = (0.0,)
    write_voltage: float | None = None
    write_pulse: float | None = None
    read_polarity: str = "fixed"
    draws: int = 10

    @classmethod
    def checked(cls, *, storage_times: Any, device: Any = "tzoufras2019",
                temperatures: Any = None, reads: Any = (0,), delta_spread: Any = 0.0,
                v_c0_spread: Any = 0.0, write_voltage: Any = None,
                write_pulse: Any = None, read_polarity: Any = "fixed",
                draws: Any = 10, runs: int = 1) -> LifetimePlan:  # fmt: skip
        r"""The plan, every value checked, its size bounded for `runs` runs.

        Args:
            storage_times: Times since write: seconds or strings such as `"10y"`
                (`duration`), each >= 0.
            device: A preset name (`larq_ber.mtj.presets.PRESETS`).
            temperatures: Kelvin or strings such as `"85C"` (`temperature`), each
                in $(0, T_c)$ of the device; `None`: the device's own.
            reads: Reads of each weight bit, integers in [0, 1e30].
            delta_spread: A spread of $\Delta$ (>= 0) or a list of them.
            v_c0_spread: A spread of $V_{c0}$ (>= 0) or a list of them.
            write_voltage: Activation write voltage (V) in $(0, V_{bd}]$, or
                `None` (with `write_pulse`) for error-free activations.
            write_pulse: Activation write pulse (s), > 0.
            read_polarity: `"fixed"` or `"bipolar"`.
            draws: Error draws per point, an integer in [2, 100,000].
            runs: Runs the plan is for (the size bound counts them all).

        Returns:
            The checked plan.

        Raises:
            ValueError: If a value is out of its range, or the plan needs more
                than `MAX_EVALUATIONS` evaluations (one line naming it).
        """
        mtj = _preset(device)
        plan = cls(
            device=device,
            storage_times=_times(storage_times),
            temperatures=_temperatures(temperatures, mtj),
            reads=_reads(reads),
            delta_spreads=_spreads("delta_spread", delta_spread),
            v_c0_spreads=_spreads("v_c0_spread", v_c0_spread),
            **_write_point(write_voltage, write_pulse, mtj),
            read_polarity=_polarity(read_polarity),
            draws=_draws(draws),
        )
        for pair in plan.variations():
            plan.variation(*pair)  # the spreads' own checks, before any work
        plan.bound(runs)
        return plan

    def variations(self) -> list[tuple[float, float]]:
        """Every (delta spread, V_c0 spread) pair, in order."""
        return list(itertools.product(self.delta_spreads, self.v_c0_spreads))

    def points(self) -> list[tuple[float, float, float, float, int]]:
        """Every (delta spread, V_c0 spread, K, s, reads) point, in evaluation order."""
        return [
            (*pair, kelvin, time, count)
            for pair in self.variations()
            for kelvin in self.temperatures
            for time in self.storage_times
            for count in self.reads
        ]

    def evaluations(self, runs: int = 1) -> int:
        """Test-set passes of `runs` runs: points × draws × runs."""
        return len(self.points()) * self.draws * runs

    def bound(self, runs: int = 1) -> None:
        """Refuses a plan over `MAX_EVALUATIONS` evaluations for `runs` runs."""
        total = self.evaluations(runs)
        if total > MAX_EVALUATIONS:
            raise ValueError(
                f"The lifetime plan needs {total:,} evaluations ({len(self.points()):,}"
                f" points x {self.draws} draws x {runs:,} run(s)); at most "
                f"{MAX_EVALUATIONS:,} are allowed, each one a pass over the test set."
            )

    def mtj(self) -> MTJ:
        """The device of the preset, at its own temperature."""
        return preset(self.device)

    def variation(self, delta_spread: float, v_c0_spread: float) -> Any:
        """The `larq_ber.mtj.CellVariation`, or `None` for no spread."""
        if delta_spread == 0 and v_c0_spread == 0:
            return None
        from larq_ber.mtj.cells import CellVariation

        return CellVariation(delta_spread=delta_spread, v_c0_spread=v_c0_spread)


def _preset(device: Any) -> MTJ:
    if not isinstance(device, str) or device not in PRESETS:
        known = ", ".join(repr(k) for k in PRESETS)
        raise ValueError(f"`device` must be a preset name ({known}), got {device!r}.")
    return preset(device)


def _times(values: Any) -> tuple[float, ...]:
    times = [duration(v) for v in _listed("storage_times", values, "times")]
    if not all(t >= 0 for t in times):  # NaN fails too
        raise ValueError(
            "`storage_times` must be times >= 0 (seconds, or e.g. '1h', '10y'), got "
            f"{values!r}."
        )
    return _distinct("storage_times", sorted(times))


def _temperatures(values: Any, device: MTJ) -> tuple[float, ...]:
    if values is None:
        return (device.temperature,)
    kelvins = [temperature(v) for v in _listed("temperatures", values, "temperatures")]
    curie = device.curie_temperature
    if not all(0 < k < curie for k in kelvins):  # NaN fails too
        raise ValueError(
            f"`temperatures` must lie in (0, {curie:g}) K, above 0 K and below the "
            f"device's Curie temperature (numbers in K or e.g. '85C'), got {values!r}."
        )
    for kelvin in kelvins:
        device.at(kelvin)  # the laws' own checks
    return _distinct("temperatures", kelvins)


def _reads(values: Any) -> tuple[int, ...]:
    listed = _listed("reads", values, "read counts")
    if not all(
        isinstance(v, numbers.Integral)
        and not isinstance(v, bool)
        and 0 <= int(v) <= MAX_READS
        for v in listed
    ):
        raise ValueError(f"`reads` must be integers in [0, 1e30], got {values!r}.")
    return _distinct("reads", [int(v) for v in listed])


def _spreads(name: str, values: Any) -> tuple[float, ...]:
    spreads = [_number(v) for v in _listed(name, values, "spreads")]
    if not all(s >= 0 for s in spreads):
        raise ValueError(f"`{name}` must be spreads >= 0 (finite), got {values!r}.")
    return _distinct(name, spreads)


def _write_point(voltage: Any, pulse: Any, device: MTJ) -> dict[str, float | None]:
    if voltage is None and pulse is None:
        return {"write_voltage": None, "write_pulse": None}
    if voltage is None or pulse is None:
        raise ValueError(
            "`write_voltage` and `write_pulse` go together: give both (V, s) for "
            "activation errors at inference, or neither for error-free activations."
        )
    volts, seconds = _number(voltage), _number(pulse)
    if not 0 < volts <= device.v_bd:
        raise ValueError(
            f"`write_voltage` must be in (0, {device.v_bd:g}] V (up to the device's "
            f"breakdown voltage), got {voltage!r}."
        )
    if not seconds > 0:
        raise ValueError(f"`write_pulse` must be a time > 0 s, got {pulse!r}.")
    from larq_ber.mtj.deployment import error_rates

    try:
        error_rates(volts, seconds, device)  # the device's own ranges
    except ValueError as error:
        text = str(error).replace("`voltage`", "`write_voltage`")
        raise ValueError(text.replace("`pulse`", "`write_pulse`")) from None
    return {"write_voltage": volts, "write_pulse": seconds}


def _polarity(value: Any) -> str:
    if value not in POLARITIES:
        raise ValueError(
            f"`read_polarity` must be one of {list(POLARITIES)}, got {value!r}."
        )
    return str(value)


def _draws(value: Any) -> int:
    if not (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and 2 <= int(value) <= MAX_DRAWS
    ):
        raise ValueError(
            f"`draws` must be an integer in [2, {MAX_DRAWS:,}] (an interval needs "
            f"two), got {value!r}."
        )
    return int(value)
