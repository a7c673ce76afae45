"""The MTJ device: its parameters, their units, and the shared input checks.

`MTJ` holds the parameters of a perpendicular magnetic tunnel junction bit (the
paper's device is `MTJ.paper()`); every other module of `larq_ber.mtj` takes one.
`SECONDS_PER_YEAR` converts retention durations. The private helpers validate every
input of the package with one-line messages that name the argument and its range:
`_device` (an `MTJ` or `None`, never a name), `_number` (a real scalar: Python or
numpy ints and floats, never a bool or a string), `_positive_array`, `_voltage_array`
(in $(0, V_{bd}]$: above the breakdown voltage the barrier breaks and no write error
rate is modelled) and `_check_wer`. `MTJ.at` moves a device to another temperature
with the laws of `larq_ber.mtj.temperature` (computed here by `_temperature_factors`,
which that module documents and exposes), and `MTJ.describe` lists its parameters.

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

#: The laws of the saturation magnetisation $M_s(T)$ (see `larq_ber.mtj.temperature`).
MAGNETIZATION_LAWS = ("bloch", "critical")

#: The accepted range of `MTJ.anisotropy_exponent` (Callen–Callen $n$).
ANISOTROPY_EXPONENT_RANGE = (1.0, 10.0)

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
    "curie_temperature",
    "magnetization_exponent",
    "anisotropy_exponent",
)


def _is_real(value: Any) -> bool:
    """Whether `value` is a real number (Python or numpy), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


@dataclasses.dataclass(frozen=True)
class MTJ:
    r"""Parameters of a perpendicular MTJ bit.

    Attributes:
        delta: Thermal stability factor $\Delta = E_b / k_B T$ at `temperature`
            (dimensionless, > 0).
        tau_d: Characteristic switching time $\tau_D$ (s).
        v_c0: Critical switching voltage $V_{c0}$ (V): the threshold of the
            macrospin without thermal fluctuations, at `temperature`.
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
        temperature: The temperature $T$ (K) at which `delta`, `v_c0`, `tau_d`
            and `h` hold, in $(0, T_c)$; 300 K by default. A device is a device at
            its temperature: every function uses those four values as given, and
            `MTJ.at` gives the same device at another temperature.
        curie_temperature: The Curie temperature $T_c$ (K) of the free layer,
            where $M_s$ and $\Delta$ vanish. The default 1000 K is an assumed
            typical value, not a measurement of the paper's device: fit it.
        magnetization_law: The law of $m(T) = M_s(T)/M_s(0)$: `"bloch"`
            (default), $1 - (T/T_c)^{b}$, or `"critical"`, the power law
            $(1 - T/T_c)^{\beta}$ of compact models (`MAGNETIZATION_LAWS`).
        magnetization_exponent: Its exponent: Bloch's $b = 3/2$ (default) or
            the critical $\beta$ (dimensionless, > 0).
        anisotropy_exponent: The Callen–Callen exponent $n$ of
            $K(T) \propto M_s(T)^n$, in [1, 10] (`ANISOTROPY_EXPONENT_RANGE`);
            2 by default (typical: fit it). See `larq_ber.mtj.temperature`.

    All parameters take Python or numpy real numbers (stored as `float`), never
    a bool (`magnetization_law` is a name).

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
    temperature: float = 300.0
    curie_temperature: float = 1000.0
    magnetization_law: str = "bloch"
    magnetization_exponent: float = 1.5
    anisotropy_exponent: float = 2.0

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
        self._check_temperature_laws()

    def _check_temperature_laws(self) -> None:
        """The temperature fields' own checks (one-line messages naming them)."""
        kelvin = self.temperature
        if not (_is_real(kelvin) and 0 < kelvin < self.curie_temperature):
            raise ValueError(
                f"MTJ `temperature` must be in (0, {self.curie_temperature:g}) K "
                f"(above 0 K, below `curie_temperature`), got {kelvin!r}."
            )
        object.__setattr__(self, "temperature", float(kelvin))
        if self.magnetization_law not in MAGNETIZATION_LAWS:
            raise ValueError(
                f"MTJ `magnetization_law` must be one of {MAGNETIZATION_LAWS}, got "
                f"{self.magnetization_law!r}."
            )
        low, high = ANISOTROPY_EXPONENT_RANGE
        if not low <= self.anisotropy_exponent <= high:
            raise ValueError(
                f"MTJ `anisotropy_exponent` must be in [{low:g}, {high:g}], got "
                f"{self.anisotropy_exponent!r}."
            )

    @classmethod
    def paper(cls) -> MTJ:
        """The paper's example device: Δ = 40, τ_D = 2 ns, V_c0 = 0.3 V, V_bd = 1.2 V.

        Returns:
            The `MTJ`.
        """
        return cls()

    def at(self, temperature: float) -> MTJ:
        r"""The same device at another temperature (K).

        With $r = M_s(T)/M_s(T_0)$ from `magnetization_law` and $n$ =
        `anisotropy_exponent` (`larq_ber.mtj.temperature` gives the laws and
        their sources): $\Delta(T) = \Delta(T_0)\,(T_0/T)\,r^n$,
        $V_{c0}(T) = V_{c0}(T_0)\,r^n$, and $\tau_D$ and $h$ scale by
        $r^{-(n-1)}$ (both $\propto 1/H_K$). Everything else is kept.

        Args:
            temperature: The new temperature $T$ (K), in $(0, T_c)$
                (`larq_ber.mtj.temperature.celsius` converts °C).

        Returns:
            The `MTJ` at `temperature` (`self` at its own temperature).

        Raises:
            ValueError: If `temperature` is outside $(0, T_c)$, or the rescaled
                device is not a valid `MTJ` (e.g. $|h| \geq 1$ or
                $V_{c0} \geq V_{bd}$ when cooled); one line.

        Example:
            >>> round(MTJ.paper().at(358.15).delta, 2)  # 85 °C
            29.61
        """
        kelvin = _number(
            temperature,
            "temperature",
            f"K (above 0 K, below curie_temperature = {self.curie_temperature:g} K)",
            low=0.0,
            high=self.curie_temperature,
            low_open=True,
            high_open=True,
        )
        if kelvin == self.temperature:
            return self
        _, delta, v_c0, tau_d, h = _temperature_factors(
            kelvin,
            self.temperature,
            self.curie_temperature,
            self.magnetization_law,
            self.magnetization_exponent,
            self.anisotropy_exponent,
        )
        try:
            return dataclasses.replace(
                self,
                temperature=kelvin,
                delta=self.delta * delta,
                v_c0=self.v_c0 * v_c0,
                tau_d=self.tau_d * tau_d,
                h=self.h * h,
            )
        except ValueError as error:
            raise ValueError(f"MTJ.at({kelvin:g} K): {error}") from None

    def describe(self) -> str:
        """Every parameter with its value, unit, the phases it affects and meaning.

        The phases: write (the write error rate), storage (retention), read (read
        disturb) and endurance; "MTJ.at" marks the parameters of the temperature
        laws, which act on the others through `MTJ.at`.

        Returns:
            A table, one line per parameter (readable when printed).

        Example:
            >>> text = MTJ.paper().describe()
            >>> print(text.splitlines()[0])
            MTJ at 300 K (26.85 °C)
            >>> print(" ".join(text.splitlines()[2].split()[:5]))
            delta 40 - write, storage,
        """
        rows = [("parameter", "value", "unit", "phases", "meaning")]
        for field in dataclasses.fields(self):
            unit, phases, meaning = _DESCRIPTIONS[field.name]
            value = getattr(self, field.name)
            text = value if isinstance(value, str) else f"{value:.6g}"
            rows.append((field.name, text, unit, phases, meaning))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, [*widths, 0], strict=True))
            for row in rows
        ]
        title = f"MTJ at {self.temperature:g} K ({self.temperature - 273.15:.2f} °C)"
        return "\n".join([title, *(line.rstrip() for line in lines)])


#: `MTJ.describe`: unit, phases affected and meaning of each parameter.
_DESCRIPTIONS = {
    "delta": ("-", "write, storage, read", "thermal stability factor Δ = E_b / k_B T"),
    "tau_d": ("s", "write, read", "characteristic switching time τ_D"),
    "v_c0": ("V", "write, read", "critical switching voltage V_c0"),
    "v_bd": ("V", "write, read, endurance", "breakdown voltage V_bd (largest voltage)"),
    "tau_0": ("s", "storage, read", "attempt time τ_0 of thermal switching"),
    "h": ("-", "write, storage, read", "reduced field H / H_K (> 0 favours P)"),
    "cycles_at_vbd": ("cycles", "endurance", "write cycles to breakdown at V_bd"),
    "endurance_exponent": ("-", "endurance", "power-law exponent of N(V)"),
    "endurance_slope": ("1/V", "endurance", "E-model slope of N(V)"),
    "stt_asymmetry": ("-", "write", "V_c0(P→AP) / V_c0(AP→P)"),
    "temperature": ("K", "write, storage, read", "temperature of Δ, V_c0, τ_D and h"),
    "curie_temperature": ("K", "MTJ.at", "Curie temperature T_c of the free layer"),
    "magnetization_law": ("name", "MTJ.at", "law of M_s(T)"),
    "magnetization_exponent": ("-", "MTJ.at", "exponent of M_s(T) (Bloch 3/2)"),
    "anisotropy_exponent": ("-", "MTJ.at", "Callen–Callen n of K ∝ M_s^n"),
}


def _reduced_magnetization(
    kelvin: float, curie_temperature: float, law: str, exponent: float
) -> float:
    """m(T) = M_s(T)/M_s(0) of `law` (0 from T_c on); `larq_ber.mtj.temperature`."""
    ratio = kelvin / curie_temperature
    if law == "bloch":
        return max(1.0 - ratio**exponent, 0.0)
    return max(1.0 - ratio, 0.0) ** exponent


def _temperature_factors(
    temperature: float,
    reference: float,
    curie_temperature: float,
    law: str,
    magnetization_exponent: float,
    anisotropy_exponent: float,
) -> tuple[float, float, float, float, float]:
    """The factors of `MTJ.at`: r = M_s(T)/M_s(T_0), and those of Δ, V_c0, τ_D, h.

    Temperatures are in K with 0 < `reference` < `curie_temperature` and
    0 < `temperature` <= `curie_temperature` (checked by the callers);
    `larq_ber.mtj.temperature.temperature_scaling` documents the laws.
    """
    law_args = (curie_temperature, law, magnetization_exponent)
    r = _reduced_magnetization(temperature, *law_args)
    r /= _reduced_magnetization(reference, *law_args)
    n = anisotropy_exponent
    energy = r**n
    field = 1.0 if n == 1 else (math.inf if r == 0 else r ** (1.0 - n))
    return r, energy * reference / temperature, energy, field, field


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
