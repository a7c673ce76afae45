r"""Reliability of a stored bit: retention, read disturb and write endurance.

Retention follows Néel–Arrhenius thermal switching, read disturb is thermally
activated switching at the read voltage (an FPE write at or above $V_{c0}$), and
endurance is a parameterised barrier-breakdown model.

Guarantees: `retention_failure` is the probability of at least one thermal switch,
in [0, 1] and increasing in the duration (a stored bit's probability of *reading*
wrong, which tends to 1/2, is `larq_ber.mtj.weight_error_rate`);
`read_disturb_rate` is in [0, 1], continuous and non-decreasing in the read voltage
over $[0, V_{bd}]$ and refuses read voltages above $V_{bd}$ and read pulses beyond
the Fokker–Planck solution's range (`larq_ber.mtj.fpe.MAX_PULSE` $\tau_D$).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from larq_ber.mtj.device import MTJ, _device, _positive_array, _real_array
from larq_ber.mtj.fpe import UNRESOLVED, _pulse_array, switching_probability

__all__ = [
    "ENDURANCE_MODELS",
    "endurance_cycles",
    "read_disturb_rate",
    "retention_failure",
]


def retention_failure(duration: ArrayLike, device: MTJ | None = None) -> np.ndarray:
    r"""Probability that an idle bit flips thermally within a duration (Néel–Arrhenius).

    $$P_\mathrm{fail}(t) = 1 - \exp\left(-\frac{t}{\tau_0} e^{-\Delta}\right),$$

    the probability of at least one thermal switch (it tends to 1). A bit that
    switched can switch back: the probability that it *reads* wrong after $t$ is
    that of a symmetric two-state Markov chain, $(1 - e^{-2t/\tau})/2$ with
    $\tau = \tau_0 e^\Delta$, which tends to 1/2; `weight_error_rate` uses it.
    The two agree while $t \ll \tau$ ($P_\mathrm{fail}$ is its small-$t$ limit).

    The mean time to a flip is $\tau_0 e^\Delta$: at the paper's $\Delta = 40$ and
    $\tau_0 = 1$ ns that is $2.35 \times 10^8$ s = 7.4 years, so one bit fails
    within 10 years with probability 0.74 and within one day with $3.7 \times
    10^{-4}$; $\Delta = 60$ brings the 10-year figure to $2.8 \times 10^{-9}$. An
    error-resilient network stored for hours tolerates $\Delta = 40$; a 10-year
    archive does not.

    Args:
        duration: Idle time(s) $t$ (s), >= 0.
        device: The MTJ (`MTJ.paper()` if `None`).

    Returns:
        The failure probability, same shape.

    Raises:
        ValueError: If a duration is negative or not finite.

    Example:
        >>> from larq_ber.mtj import SECONDS_PER_YEAR
        >>> round(float(retention_failure(10 * SECONDS_PER_YEAR)), 2)
        0.74
    """
    device = _device(device)
    t = _real_array(duration, "duration", "s", ">= 0")
    if not np.all(np.isfinite(t) & (t >= 0)):
        raise ValueError(
            f"`duration` must be finite and >= 0 (s), got {t.ravel()[:3].tolist()}."
        )
    return -np.expm1(-(t / device.tau_0) * math.exp(-device.delta))


def read_disturb_rate(
    read_voltage: ArrayLike, read_pulse: ArrayLike, device: MTJ | None = None
) -> np.ndarray:
    r"""Probability that a read pulse switches the bit by accident.

    A read is a write at the (lower) read voltage. Below the critical voltage the
    bit switches by thermal activation over a barrier lowered by the current,

    $$P = 1 - \exp\left(-\frac{t}{\tau_0} e^{-\Delta (1 - i)^2}\right), \quad
    i = V_\mathrm{read}/V_{c0} < 1,$$

    which at $i = 0$ is the retention law; at or above $V_{c0}$ the read is a
    write and the FPE switching probability $P_\mathrm{FPE}$ is returned. Below
    $V_{c0}$ the law is capped at $P_\mathrm{FPE}(V_{c0})$ of the same pulse: the
    barrier $\Delta(1 - i)^2$ vanishes at $V_{c0}$, where the law (attempt time
    $\tau_0$) overestimates what the Fokker–Planck solution gives (0.99995 against
    0.186 for 10 ns on the paper's device), and a read below $V_{c0}$ cannot
    disturb more than one at $V_{c0}$ (where the solution gives 0, below its
    resolution, the cap is that resolution, $10^{-10}$, and so is the rate at
    and above $V_{c0}$). So the rate is continuous and non-decreasing in the
    read voltage (the 0.1 releases jumped from 0.99995 just below $V_{c0}$ to
    0.186 at it).

    It is one switch in the single-switch convention of `write_error_rate`: the
    device's field $h$ along the state left and the drive $V/V_{c0}$, without
    `MTJ.stt_asymmetry`; the thermal law omits $h$ (a simplification). For a
    stored bit, `weight_error_rate` and `state_error_rates` call it with the
    device of the switch that leaves each state (AP: field $-h$, drive
    $V\sqrt{r}/V_{c0}$; P: $+h$, $V/(V_{c0}\sqrt{r})$).

    Args:
        read_voltage: Read voltage(s) (V), in $[0, V_{bd}]$.
        read_pulse: Read pulse length(s) (s), in $(0, 10^4\tau_D]$.
        device: The MTJ (`MTJ.paper()` if `None`).

    Returns:
        The read-disturb probability, of the broadcast shape, in [0, 1].

    Raises:
        ValueError: If a voltage is outside $[0, V_{bd}]$ or a pulse outside
            $(0, 10^4\tau_D]$ (the message names it and gives the range).

    Example:
        >>> f"{float(read_disturb_rate(0.1, 10e-9)):.2e}"  # V_c0 / 3, 10 ns
        '1.90e-07'
    """
    device = _device(device)
    v = _real_array(read_voltage, "read_voltage", "V", ">= 0")
    if not np.all(np.isfinite(v) & (v >= 0) & (v <= device.v_bd)):
        raise ValueError(
            f"`read_voltage` must be in [0, {device.v_bd:g}] V (>= 0 and at most the "
            f"breakdown voltage v_bd), got {v.ravel()[:3].tolist()}."
        )
    t = _pulse_array(read_pulse, device, "read_pulse")
    v, t = np.broadcast_arrays(v, t)
    i = v / device.v_c0
    barrier = device.delta * np.clip(1 - i, 0, None) ** 2
    out = np.array(-np.expm1(-(t / device.tau_0) * np.exp(-barrier)), dtype=float)
    below = i < 1
    if np.any(below):
        # The FPE at V_c0 caps the law; below its resolution, at that resolution.
        at_c0 = switching_probability(device.v_c0, t[below], device)
        out[below] = np.minimum(out[below], np.maximum(at_c0, UNRESOLVED))
    if not np.all(below):
        above = ~below
        at_v = switching_probability(v[above], t[above], device)
        out[above] = np.maximum(at_v, UNRESOLVED)
    return out


ENDURANCE_MODELS = ("power", "exponential")


def endurance_cycles(
    voltage: ArrayLike, device: MTJ | None = None, *, model: str = "power"
) -> np.ndarray:
    r"""Write cycles to barrier breakdown at a write voltage (a parameterised model).

    Time-dependent dielectric breakdown of the MgO barrier makes the endurance
    grow steeply as the write voltage falls below $V_{bd}$ (Carboni et al., IEEE TED
    65(6), 2018; Kan et al., IEEE TED 64(9), 2017). Two semi-empirical forms:

    - `"power"`: $N(V) = N_{bd} (V_{bd}/V)^n$ (`device.endurance_exponent` = n);
    - `"exponential"` (E-model): $N(V) = N_{bd}\, e^{\gamma (V_{bd} - V)}$
      (`device.endurance_slope` = γ, 1/V);

    with $N_{bd}$ = `device.cycles_at_vbd`. The defaults reproduce the paper's
    statement of up to $10^6\times$ more cycles for a 20 % lower voltage; fit them
    to measurements of a real device.

    Args:
        voltage: Write voltage(s) (V), > 0.
        device: The MTJ (`MTJ.paper()` if `None`).
        model: `"power"` or `"exponential"`.

    Returns:
        The expected number of write cycles, same shape.

    Raises:
        ValueError: If a voltage is not > 0 or `model` is unknown.

    Example:
        >>> ratio = endurance_cycles(0.96) / endurance_cycles(1.2)  # 20 % lower
        >>> f"{float(ratio):.2e}"
        '1.02e+06'
    """
    device = _device(device)
    v = _positive_array(voltage, "voltage", "V")
    with np.errstate(over="ignore"):  # inf cycles near 0 V: the right limit
        if model == "power":
            ratio = device.v_bd / v
            return device.cycles_at_vbd * ratio**device.endurance_exponent
        if model == "exponential":
            slope = device.endurance_slope
            return device.cycles_at_vbd * np.exp(slope * (device.v_bd - v))
    raise ValueError(f"`model` must be one of {list(ENDURANCE_MODELS)}, got {model!r}.")
