"""The MTJ device: its parameters, their units, and the shared input checks.

`MTJ` holds the parameters of a perpendicular magnetic tunnel junction bit (the
paper's device is `MTJ.paper()`); every other module of `larq_ber.mtj` takes one.
`SECONDS_PER_YEAR` converts retention durations. The private helpers validate every
input of the package with one-line messages that name the argument and its range:
`_device` (an `MTJ` or `None`, never a name), `_number` (a real scalar: Python or
numpy ints and floats, never a bool or a string), `_positive_array`, `_voltage_array`
(in $(0, V_{bd}]$: above the breakdown voltage the barrier breaks and no write error
rate is modelled) and `_check_wer`.

This is the bottom layer of `larq_ber.mtj`: it imports none of the other modules.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["MTJ", "SECONDS_PER_YEAR"]

#: Seconds in a Julian year (365.25 days), for retention durations.
SECONDS_PER_YEAR = 365.25 * 24 * 3600

#: The accepted range of `MTJ.stt_asymmetry` (see `MTJ`).
STT_ASYMMETRY_RANGE = (0.1, 10.0)

#: The `MTJ` parameters that must be finite and > 0.
_POSITIVE = (
    "delta",
    "tau_d",
    "v_c0",
    "v_bd",
    "tau_0",
    "cycles_at_vbd",
    "endurance_exponent",
    "endurance_slope",
    "stt_asymmetry",
)


def _is_real(value: Any) -> bool:
    """Whether `value` is a real number (Python or numpy), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


@dataclasses.dataclass(frozen=True)
class MTJ:
    r"""Parameters of a perpendicular MTJ bit.

    Attributes:
        delta: Thermal stability factor $\Delta = E_b / k_B T$ (dimensionless, > 0).
        tau_d: Characteristic switching time $\tau_D$ (s).
        v_c0: Critical switching voltage $V_{c0}$ at zero temperature (V).
        v_bd: Breakdown voltage $V_{bd}$ of the tunnel barrier (V), > `v_c0`.
        tau_0: Attempt time $\tau_0$ of thermal switching (s).
        h: Reduced external field $h = H / H_K$, in (−1, 1). Its sign: $h > 0$ is a
            field along the reference layer's magnetisation, which favours the
            parallel (P) state (e.g. the residual stray field of the reference
            layer). The single-switch functions (`write_error_rate` and those built
            on it) put it into the Fokker–Planck drift $(i - h - z)$ as given, i.e.
            along the *initial* magnetisation, where $h > 0$ stabilises the initial
            state and raises the switching threshold to $i = 1 + h$: they describe
            the P→AP switch. `larq_ber.mtj.error_rates` uses $+h$ for P→AP and
            $-h$ for AP→P; at rest the state along the field has the barrier
            $\Delta(1 + h)^2$ and the other one $\Delta(1 - h)^2$.
        cycles_at_vbd: Endurance: write cycles to breakdown when writing at
            $V_{bd}$.
        endurance_exponent: Power-law endurance exponent $n$ in
            $N = N_{bd}(V_{bd}/V)^n$; 62 gives $10^6\times$ more cycles at 20 %
            lower voltage (the paper's figure).
        endurance_slope: Exponential (E-model) slope $\gamma$ in
            $N = N_{bd}\,e^{\gamma (V_{bd} - V)}$ (1/V); 57.6 /V gives
            $10^6\times$ at 20 % below 1.2 V.
        stt_asymmetry: Spin-transfer-torque efficiency asymmetry, the ratio
            $r = V_{c0}(\mathrm{P \to AP}) / V_{c0}(\mathrm{AP \to P})$ of the
            critical voltages of the two switching directions (dimensionless,
            > 0; 1 = symmetric, the default). `v_c0` is their geometric mean:
            $V_{c0}(\mathrm{P \to AP}) = \sqrt{r}\,V_{c0}$ and
            $V_{c0}(\mathrm{AP \to P}) = V_{c0}/\sqrt{r}$. Only
            `larq_ber.mtj.error_rates` uses it; the single-switch functions
            take `v_c0` as the critical voltage. Slonczewski's spin-transfer
            efficiency depends on the angle between free and reference layer
            (J. C. Slonczewski, J. Magn. Magn. Mater. 159, L1 (1996)), so leaving
            the parallel state takes more current: measured critical *currents*
            $I_{c0}(\mathrm{P \to AP}) / I_{c0}(\mathrm{AP \to P})$ are commonly
            1.2–2. A critical *voltage* is the current times the resistance of
            the initial state, so a measured current ratio converts as
            $r = [I_{c0}(\mathrm{P \to AP})\,R_P] / [I_{c0}(\mathrm{AP \to P})
            \,R_{AP}]$. Accepted range [0.1, 10] (`STT_ASYMMETRY_RANGE`): the
            current ratio is 1–2 (rarely 3), and the resistance ratio
            $R_{AP}/R_P = 1 + \mathrm{TMR}$ is 1–7 (TMR up to ~600 % at room
            temperature), so physical stacks give $r$ between about 0.15 and 3;
            the range covers them with margin and refuses values that would
            drive one direction tens of times above its critical voltage. Both
            directions' critical voltages must also stay below `v_bd`.

    All parameters take Python or numpy real numbers (stored as `float`), never
    a bool.

    Raises:
        ValueError: If a parameter is out of range (the message names it).

    Example:
        >>> MTJ.paper().delta, MTJ.paper().v_bd
        (40.0, 1.2)
    """

    delta: float = 40.0
    tau_d: float = 2e-9
    v_c0: float = 0.3
    v_bd: float = 1.2
    tau_0: float = 1e-9
    h: float = 0.0
    cycles_at_vbd: float = 1.0
    endurance_exponent: float = 62.0
    endurance_slope: float = 57.6
    stt_asymmetry: float = 1.0

    def __post_init__(self) -> None:
        for name in _POSITIVE:
            value = getattr(self, name)
            if not (_is_real(value) and math.isfinite(value) and value > 0):
                raise ValueError(
                    f"MTJ `{name}` must be a finite number > 0, got {value!r}."
                )
            object.__setattr__(self, name, float(value))
        if not self.v_bd > self.v_c0:
            raise ValueError(
                f"MTJ `v_bd` ({self.v_bd} V) must be above `v_c0` ({self.v_c0} V)."
            )
        if not (_is_real(self.h) and -1 < self.h < 1):
            raise ValueError(f"MTJ `h` must be a number in (-1, 1), got {self.h!r}.")
        object.__setattr__(self, "h", float(self.h))
        low, high = STT_ASYMMETRY_RANGE
        if not low <= self.stt_asymmetry <= high:
            raise ValueError(
                f"MTJ `stt_asymmetry` must be in [{low:g}, {high:g}] (measured "
                f"ratios are 0.15-3), got {self.stt_asymmetry!r}."
            )
        spread = math.sqrt(max(self.stt_asymmetry, 1 / self.stt_asymmetry))
        if not self.v_c0 * spread < self.v_bd:
            raise ValueError(
                f"MTJ `stt_asymmetry` {self.stt_asymmetry:g} puts one direction's "
                f"critical voltage, {self.v_c0 * spread:.4g} V, at or above `v_bd` "
                f"({self.v_bd} V): that direction cannot be written."
            )

    @classmethod
    def paper(cls) -> MTJ:
        """The paper's example device: Δ = 40, τ_D = 2 ns, V_c0 = 0.3 V, V_bd = 1.2 V.

        Returns:
            The `MTJ`.
        """
        return cls()


def _device(device: Any) -> MTJ:
    """`device` if it is an `MTJ`, `MTJ.paper()` for `None`; else a ValueError."""
    if device is None:
        return MTJ.paper()
    if not isinstance(device, MTJ):
        raise ValueError(
            "`device` must be an MTJ (e.g. MTJ.paper(), or MTJ(delta=60.0)) or None "
            f"for the paper's device, got {device!r}."
        )
    return device


def _number(
    value: Any,
    name: str,
    unit: str,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """`value` as a float in the given range; else a ValueError naming it.

    Python and numpy ints and floats are numbers; bools and strings are not. The
    message gives the range, e.g. "`pulse` must be a finite number in (0, inf) s".
    """
    upper = "inf)" if high == math.inf else f"{high:g}{')' if high_open else ']'}"
    range_ = f"{'(' if low_open else '['}{low:g}, {upper}"
    number = float(value) if _is_real(value) else math.nan
    inside = (
        math.isfinite(number)
        and (number > low if low_open else number >= low)
        and (number < high if high_open else number <= high)
    )
    if not inside:
        unit_text = f" {unit}" if unit else ""
        raise ValueError(
            f"`{name}` must be a finite number in {range_}{unit_text}, got {value!r}."
        )
    return number


def _has_bool(value: Any) -> bool:
    """Whether `value` is, or (nested lists and tuples) holds, a bool."""
    if isinstance(value, bool | np.bool_):
        return True
    if isinstance(value, list | tuple):
        return any(_has_bool(item) for item in value)
    return isinstance(value, np.ndarray) and value.dtype == bool


def _real_array(value: Any, name: str, unit: str, bounds: str) -> np.ndarray:
    """`value` as a float array of real numbers; else a ValueError naming it."""
    array = np.asarray(value) if not _has_bool(value) else None
    if array is None or array.dtype.kind not in "iuf":
        raise ValueError(
            f"`{name}` must be numbers {bounds} ({unit}), got {value!r}."[:300]
        )
    return array.astype(float)


def _positive_array(value: ArrayLike, name: str, unit: str) -> np.ndarray:
    """`value` as a float array, all finite and > 0; else a ValueError naming it."""
    array = _real_array(value, name, unit, "> 0")
    if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array <= 0):
        bad = array[~(np.isfinite(array) & (array > 0))] if array.size else array
        raise ValueError(
            f"`{name}` must be finite and > 0 ({unit}); got {bad.ravel()[:3].tolist()}"
            f"{' ...' if bad.size > 3 else ''}."
        )
    return array


def _voltage_array(value: ArrayLike, device: MTJ, name: str = "voltage") -> np.ndarray:
    r"""`value` as a float array in $(0, V_{bd}]$ (V); else a ValueError naming it.

    Above the breakdown voltage the tunnel barrier breaks down: the device is no
    longer a switching junction and no write error rate is modelled.
    """
    array = _positive_array(value, name, "V")
    if np.any(array > device.v_bd):
        bad = array[array > device.v_bd]
        raise ValueError(
            f"`{name}` {bad.ravel()[0]:g} V is above the breakdown voltage v_bd = "
            f"{device.v_bd:g} V: it must be in (0, {device.v_bd:g}] V (at most "
            "v_bd, where the barrier breaks down)."
        )
    return array


def _check_wer(wer: ArrayLike, name: str = "wer") -> np.ndarray:
    """`wer` as a float array, all in (0, 1); else a ValueError naming it."""
    array = _real_array(wer, name, "a probability", "in (0, 1)")
    if array.size == 0 or not np.all((array > 0) & (array < 1)):
        raise ValueError(
            f"`{name}` must be in (0, 1), got {array.ravel()[:3].tolist()}."
        )
    return array
