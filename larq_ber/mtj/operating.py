"""Write operating points: the paper's Table I, the records, the cheapest write.

`operating_points` tabulates what relaxing the write error rate buys (voltage at
a fixed pulse, pulse at a fixed voltage); `ber_from_operating_point` turns a write
operating point into the bit error rate to train with; `OperatingPoint` is the
record of a chosen point, and `OperatingPoint.cheapest_write` minimises the
write energy along the contour of a given WER in the (voltage, pulse) plane. Choosing
that WER from measured accuracies is `larq_ber.mtj.cheapest`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from larq_ber.mtj.device import MTJ, _check_wer, _device, _number, _positive_array
from larq_ber.mtj.fpe import write_error_rate
from larq_ber.mtj.inverse import _pulses_at, pulse_for_wer, voltage_for_wer
from larq_ber.mtj.reliability import endurance_cycles

__all__ = [
    "OperatingPoint",
    "OperatingPoints",
    "ber_from_operating_point",
    "operating_points",
]


class OperatingPoints(list):
    """The rows of the paper's Table I (a list of dicts) with a text rendering.

    Each row: `wer` (target), `voltage` (V, at the reference pulse),
    `voltage_change` (relative to the strictest target's voltage), `pulse` (s, at
    the fixed voltage), `pulse_change` (relative to the reference pulse),
    `reference_pulse` (s), `fixed_voltage` (V).
    """

    def format(self) -> str:
        """The table as aligned text.

        Returns:
            The text, one line per WER target.
        """
        if not self:
            return ""
        first = self[0]
        lines = [
            f"reference pulse {first['reference_pulse'] * 1e9:.3g} ns; fixed voltage "
            f"{first['fixed_voltage']:.4f} V",
            f"{'WER':>8s} {'V (V)':>8s} {'dV':>8s} {'t (ns)':>9s} {'dt':>8s}",
        ]
        for row in self:
            lines.append(
                f"{row['wer']:8.0e} {row['voltage']:8.4f} "
                f"{100 * row['voltage_change']:7.1f}% "
                f"{row['pulse'] * 1e9:9.3f} {100 * row['pulse_change']:7.1f}%"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def operating_points(
    device: MTJ | None = None,
    *,
    pulse: float | None = None,
    wer_targets: Sequence[float] = (1e-6, 1e-2, 1e-1),
    voltage_scale: float = 0.8,
) -> OperatingPoints:
    r"""The paper's Table I: what relaxing the write error rate buys.

    For each target: the voltage that reaches it with the reference pulse
    (default $5\tau_D$) and its change versus the strictest (smallest) target;
    and the pulse length that reaches it at the fixed voltage `voltage_scale` ×
    the strictest target's voltage, and its change versus the reference pulse.

    Args:
        device: The MTJ (`MTJ.paper()` if `None`).
        pulse: Reference pulse length (s); `5 * device.tau_d` if `None`.
        wer_targets: Target write error rates, each in (0, 1).
        voltage_scale: Fraction of the strictest target's voltage used as the
            fixed voltage, in (0, 1]; the fixed voltage must stay above $V_{c0}$.

    Returns:
        `OperatingPoints`: a list of row dicts; `str()` gives the table.

    Raises:
        ValueError: For a target outside (0, 1), a `voltage_scale` outside (0, 1]
            or one that puts the fixed voltage at or below $V_{c0}$, or a target
            not reachable below $V_{bd}$.

    Example:
        >>> rows = operating_points()
        >>> [round(r["voltage_change"], 3) for r in rows]
        [0.0, -0.367, -0.476]
    """
    device = _device(device)
    targets = _check_wer(list(wer_targets), "wer_targets")
    voltage_scale = _number(
        voltage_scale, "voltage_scale", "", low=0, high=1, low_open=True
    )
    reference = (
        5 * device.tau_d
        if pulse is None
        else float(_positive_array(pulse, "pulse", "s"))
    )
    voltages = voltage_for_wer(targets, reference, device)
    strict = float(voltages[int(np.argmin(targets))])
    fixed = voltage_scale * strict
    if fixed <= device.v_c0:
        raise ValueError(
            f"`voltage_scale` {voltage_scale} puts the fixed voltage ({fixed:.4f} V) "
            "at "
            f"or below v_c0 = {device.v_c0} V, where the bit does not switch."
        )
    pulses = pulse_for_wer(targets, fixed, device)
    rows = OperatingPoints()
    for target, volt, length in zip(targets, voltages, pulses, strict=True):
        rows.append(
            {
                "wer": float(target),
                "voltage": float(volt),
                "voltage_change": float(volt / strict - 1),
                "pulse": float(length),
                "pulse_change": float(length / reference - 1),
                "reference_pulse": reference,
                "fixed_voltage": fixed,
            }
        )
    return rows


def ber_from_operating_point(
    voltage: ArrayLike, pulse: ArrayLike, device: MTJ | None = None
) -> np.ndarray:
    """The bit error rate to train with for an MRAM write operating point.

    Every binary activation written to MRAM with pulse (V, t) keeps its old value
    with probability WER; with activations that are ±1 equally often, a stale bit
    is a wrong bit for half of them, but the paper (and `BerSteSign`) counts the
    write errors themselves: BER = WER. Use the result as `ber=` of the models or
    `BerSteSign`.

    Args:
        voltage: Write voltage(s) (V).
        pulse: Pulse length(s) (s).
        device: The MTJ (`MTJ.paper()` if `None`).

    Returns:
        The BER, in [0, 1].

    Example:
        >>> round(float(ber_from_operating_point(0.6, 10e-9)), 5)
        0.00133
    """
    return write_error_rate(voltage, pulse, device)


@dataclasses.dataclass(frozen=True)
class OperatingPoint:
    """The cheapest write operating point that keeps the accuracy.

    Made by `cheapest_operating_point` (`larq_ber.mtj.cheapest`). The fields after
    `reference_pulse` are filled from a robustness table and are `None` for an
    accuracy-vs-BER curve, except `baseline_accuracy`.

    Attributes:
        ber: The bit error rate chosen (the WER of the point; for a robustness
            table the activation BER at inference, `test_ber`).
        accuracy: The accuracy measured at that BER (for a robustness table the
            mean deployed accuracy of the chosen cell, over its draws).
        voltage: Write voltage (V).
        pulse: Pulse length (s).
        energy: Write energy relative to the reference point, V²t / (V_ref² t_ref).
        endurance_gain: Endurance at `voltage` / endurance at the reference
            voltage (`endurance_cycles`, power model).
        reference_voltage: The conventional point: WER 1e-6 at 5 τ_D (V).
        reference_pulse: Its pulse length (s).
        baseline_accuracy: The error-free accuracy the tolerance is counted from.
        train_ber: The training BER of the network that achieves the point.
        weight_ber: The largest weight BER that network tolerates at `ber`.
        storage_time: The longest time (s) the weights can be stored, read
            `reads` times, with their error rate at most `weight_ber`
            (`storage_time_for_weight_ber`): 0.0 when only weight BER 0 is
            tolerated (and there are no reads), `math.inf` when a weight BER of
            1/2 or more is (the weights' error rate tends to 1/2, never above).
        reads: The reads of each weight bit assumed for `storage_time`.
        read_voltage: Their read voltage (V).
        read_pulse: Their read pulse length (s).
        confidence: The confidence level of the decision (`None`: decided on
            means, without intervals).
        accuracy_low: With `confidence`: the lower bound of the chosen cell's
            interval, which stayed within the tolerance of the baseline (`None`
            for a cell of one value, whose spread is unknown: the baseline).
        undecided: With `confidence`: a sentence naming the cheaper cell whose
            interval straddles the threshold and the draws (or runs) that would
            settle it; empty when nothing cheaper is in doubt.
    """

    ber: float
    accuracy: float
    voltage: float
    pulse: float
    energy: float
    endurance_gain: float
    reference_voltage: float
    reference_pulse: float
    baseline_accuracy: float | None = None
    train_ber: float | None = None
    weight_ber: float | None = None
    storage_time: float | None = None
    reads: int | None = None
    read_voltage: float | None = None
    read_pulse: float | None = None
    confidence: float | None = None
    accuracy_low: float | None = None
    undecided: str = ""

    @classmethod
    def cheapest_write(
        cls, ber: float, accuracy: float, device: MTJ | None = None, **measured: Any
    ) -> OperatingPoint:
        r"""The point with the lowest-energy write whose WER is `ber`.

        Minimises the write energy $\propto V^2 t$ subject to
        $\mathrm{WER}(V, t)$ = `ber`: along the contour, $t(V)$ is the root of
        `pulse_for_wer` (exact to $10^{-10}$), and $\ln(V^2 t(V))$ is minimised
        continuously over $\ln V$ in $[V_{c0}/2, V_{bd}]$ (pulses $10^{-3}$ to
        $10^4\,\tau_D$), by Brent's bounded method after a bracket on 16
        voltages; the point is located to about $10^{-6}$ relative (earlier
        versions took the best of 60 pulses 0.25–200 τ_D, 12 % apart). A `ber`
        at or below 1e-6 gives the conventional point itself, WER 1e-6 at 5 τ_D,
        against which `energy` and `endurance_gain` are counted.

        Args:
            ber: The write error rate of the point, in [0, 1).
            accuracy: The accuracy measured at it.
            device: The MTJ (`MTJ.paper()` if `None`).
            **measured: The optional fields (`baseline_accuracy`, `train_ber`,
                `weight_ber`, `storage_time`, `reads`, `read_voltage`,
                `read_pulse`).

        Returns:
            The `OperatingPoint`.

        Raises:
            ValueError: If `ber` is outside [0, 1), or the device cannot write
                the conventional point below $V_{bd}$ (`voltage_for_wer`).

        Example:
            >>> point = OperatingPoint.cheapest_write(0.04, 0.968)
            >>> round(point.voltage, 3), round(point.pulse * 1e9, 2)  # V, ns
            (0.47, 10.27)
            >>> round(point.energy, 2)  # relative to WER 1e-6 at 5 tau_D
            0.33
        """
        device = _device(device)
        ber = _number(ber, "ber", "", low=0, high=1, high_open=True)
        reference_pulse = 5 * device.tau_d
        reference_voltage = _reference_voltage(device)
        if ber <= 1e-6:  # nothing relaxes the conventional point
            volt, length = reference_voltage, reference_pulse
        else:
            volt, length = _min_energy_point(ber, device)
        gain = endurance_cycles(volt, device) / endurance_cycles(
            reference_voltage, device
        )
        return cls(
            ber=ber,
            accuracy=accuracy,
            voltage=volt,
            pulse=length,
            energy=volt**2 * length / (reference_voltage**2 * reference_pulse),
            endurance_gain=float(gain),
            reference_voltage=reference_voltage,
            reference_pulse=reference_pulse,
            **measured,
        )


#: Voltages of the coarse bracket of `_min_energy_point`, from V_c0 / 2 to V_bd
#: (geometric: about 15 % apart at the paper's device).
_BRACKET_POINTS = 16
#: Tolerance of the bounded minimisation in ln V: the location to ~1e-6 relative.
_LOG_VOLTAGE_TOLERANCE = 1e-6
#: ln(energy) given to voltages whose pulse is outside [1e-3, 1e4] tau_D.
_UNREACHABLE = 1e3


@functools.lru_cache(maxsize=64)
def _min_energy_point(wer: float, device: MTJ) -> tuple[float, float]:
    r"""(V, t) minimising $V^2 t$ along WER(V, t) = wer, V in [V_c0 / 2, V_bd].

    The contour is parameterised by the voltage: $t(V)$ = `pulse_for_wer` (a
    root in the pulse, one Legendre ladder per voltage), and $\ln(V^2 t(V))$ is
    minimised over $\ln V$ by Brent's bounded method (`scipy.optimize`) between
    the neighbours of the best of 16 geometric voltages.
    """
    from threadpoolctl import threadpool_limits

    def pulse(volt: float) -> float:
        try:
            return float(_pulses_at(np.array([wer]), volt, device)[0])
        except ValueError:  # the pulse would be outside [1e-3, 1e4] tau_D
            return math.inf

    def log_energy(log_volt: float) -> float:
        length = pulse(math.exp(log_volt))
        return 2 * log_volt + math.log(length) if length < math.inf else _UNREACHABLE

    grid = np.linspace(
        math.log(device.v_c0 / 2), math.log(device.v_bd), _BRACKET_POINTS
    )
    with threadpool_limits(1):  # 127 x 127 products: BLAS threads only slow them
        return _minimise(log_energy, pulse, grid, wer, device)


def _minimise(
    log_energy: Callable[[float], float],
    pulse: Callable[[float], float],
    grid: np.ndarray,
    wer: float,
    device: MTJ,
) -> tuple[float, float]:
    """The bracket on `grid` (ln V), then Brent's bounded method: (V, t(V))."""
    from scipy.optimize import minimize_scalar

    coarse = [log_energy(float(u)) for u in grid]
    k = int(np.argmin(coarse))
    if coarse[k] >= _UNREACHABLE:
        raise ValueError(
            f"`ber` {wer:g} is not reached by any write between v_c0 / 2 = "
            f"{device.v_c0 / 2:g} V and v_bd = {device.v_bd:g} V with a pulse of "
            "1e-3 to 1e4 tau_D."
        )
    low, high = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    found = minimize_scalar(
        log_energy,
        bounds=(low, high),
        method="bounded",
        options={"xatol": _LOG_VOLTAGE_TOLERANCE},
    )
    best = float(found.x) if found.fun <= coarse[k] else float(grid[k])
    volt = min(math.exp(best), device.v_bd)
    return volt, pulse(volt)


@functools.lru_cache(maxsize=16)
def _reference_voltage(device: MTJ) -> float:
    """The voltage of the conventional point, WER 1e-6 at 5 τ_D (V)."""
    return float(voltage_for_wer(1e-6, 5 * device.tau_d, device))
