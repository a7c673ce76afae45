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
            \,R_{AP}]$.

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
        positive = {
            "delta": self.delta,
            "tau_d": self.tau_d,
            "v_c0": self.v_c0,
            "v_bd": self.v_bd,
            "tau_0": self.tau_0,
            "cycles_at_vbd": self.cycles_at_vbd,
            "endurance_exponent": self.endurance_exponent,
            "endurance_slope": self.endurance_slope,
            "stt_asymmetry": self.stt_asymmetry,
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
