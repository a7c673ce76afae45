"""The MTJ device: its parameters, their units, and the shared input checks.

`MTJ` holds the parameters of a perpendicular magnetic tunnel junction bit (the
paper's device is `MTJ.paper()`); every other module of `larq_ber.mtj` takes one.
`SECONDS_PER_YEAR` converts retention durations. The private `_positive_array` and
`_check_wer` validate array inputs (voltages, pulses, durations, WER targets) with
messages that name the argument and its unit.

This is the bottom layer of `larq_ber.mtj`: it imports none of the other modules.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["MTJ", "SECONDS_PER_YEAR"]

#: Seconds in a Julian year (365.25 days), for retention durations.
SECONDS_PER_YEAR = 365.25 * 24 * 3600


@dataclasses.dataclass(frozen=True)
class MTJ:
    r"""Parameters of a perpendicular MTJ bit.

    Attributes:
        delta: Thermal stability factor $\Delta = E_b / k_B T$ (dimensionless, > 0).
        tau_d: Characteristic switching time $\tau_D$ (s).
        v_c0: Critical switching voltage $V_{c0}$ at zero temperature (V).
        v_bd: Breakdown voltage $V_{bd}$ of the tunnel barrier (V), > `v_c0`.
        tau_0: Attempt time $\tau_0$ of thermal switching (s).
        h: Reduced external field $h = H / H_K$, in (−1, 1).
        cycles_at_vbd: Endurance: write cycles to breakdown when writing at
            $V_{bd}$.
        endurance_exponent: Power-law endurance exponent $n$ in
            $N = N_{bd}(V_{bd}/V)^n$; 62 gives $10^6\times$ more cycles at 20 %
            lower voltage (the paper's figure).
        endurance_slope: Exponential (E-model) slope $\gamma$ in
            $N = N_{bd}\,e^{\gamma (V_{bd} - V)}$ (1/V); 57.6 /V gives
            $10^6\times$ at 20 % below 1.2 V.

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

    def __post_init__(self) -> None:
        positive = {
            "delta": self.delta,
            "tau_d": self.tau_d,
            "v_c0": self.v_c0,
            "v_bd": self.v_bd,
            "tau_0": self.tau_0,
            "cycles_at_vbd": self.cycles_at_vbd,
            "endurance_exponent": self.endurance_exponent,
            "endurance_slope": self.endurance_slope,
        }
        for name, value in positive.items():
            if not (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and value > 0
            ):
                raise ValueError(
                    f"MTJ `{name}` must be a finite number > 0, got {value!r}."
                )
        if not self.v_bd > self.v_c0:
            raise ValueError(
                f"MTJ `v_bd` ({self.v_bd} V) must be above `v_c0` ({self.v_c0} V)."
            )
        if (
            isinstance(self.h, bool)
            or not isinstance(self.h, int | float)
            or not -1 < self.h < 1
        ):
            raise ValueError(f"MTJ `h` must be a number in (-1, 1), got {self.h!r}.")

    @classmethod
    def paper(cls) -> MTJ:
        """The paper's example device: Δ = 40, τ_D = 2 ns, V_c0 = 0.3 V, V_bd = 1.2 V.

        Returns:
            The `MTJ`.
        """
        return cls()


def _positive_array(value: ArrayLike, name: str, unit: str) -> np.ndarray:
    """`value` as a float array, all finite and > 0; else a ValueError naming it."""
    array = np.asarray(value, dtype=float)
    if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array <= 0):
        bad = array[~(np.isfinite(array) & (array > 0))] if array.size else array
        raise ValueError(
            f"`{name}` must be finite and > 0 ({unit}); got {bad.ravel()[:3].tolist()}"
            f"{' ...' if bad.size > 3 else ''}."
        )
    return array


def _check_wer(wer: ArrayLike, name: str = "wer") -> np.ndarray:
    """`wer` as a float array, all in (0, 1); else a ValueError naming it."""
    array = np.asarray(wer, dtype=float)
    if array.size == 0 or not np.all((array > 0) & (array < 1)):
        raise ValueError(
            f"`{name}` must be in (0, 1), got {array.ravel()[:3].tolist()}."
        )
    return array
