"""Write operating points: the paper's Table I and the bridge to training.

`operating_points` tabulates what relaxing the write error rate buys (voltage at
a fixed pulse, pulse at a fixed voltage); `ber_from_operating_point` turns a write
operating point into the bit error rate to train with, and
`cheapest_operating_point` goes the other way, from an accuracy-vs-BER curve (or
a robustness table of deployed accuracies) to the lowest-energy write
(`OperatingPoint`), and, for a robustness table, to the storage and read conditions
that keep the weights' errors tolerable.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from larq_ber.mtj.deployment import (
    DEFAULT_READ_PULSE,
    _log_read_survival,
    storage_time_for_weight_ber,
)
from larq_ber.mtj.device import MTJ, _check_wer, _positive_array
from larq_ber.mtj.fpe import write_error_rate
from larq_ber.mtj.inverse import _voltage_for_wer, pulse_for_wer, voltage_for_wer
from larq_ber.mtj.reliability import endurance_cycles

__all__ = [
    "OperatingPoint",
    "OperatingPoints",
    "ber_from_operating_point",
    "cheapest_operating_point",
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
    device = device or MTJ.paper()
    targets = _check_wer(list(wer_targets), "wer_targets")
    if not 0 < voltage_scale <= 1:
        raise ValueError(f"`voltage_scale` must be in (0, 1], got {voltage_scale!r}.")
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

    The fields after `reference_pulse` are filled from a robustness table (see
    `cheapest_operating_point`) and are `None` for an accuracy-vs-BER curve, except
    `baseline_accuracy`.

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
            tolerated (and there are no reads), `math.inf` when weight BER 1 is.
        reads: The reads of each weight bit assumed for `storage_time`.
        read_voltage: Their read voltage (V).
        read_pulse: Their read pulse length (s).
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


@functools.lru_cache(maxsize=64)
def _min_energy_point(wer: float, device: MTJ) -> tuple[float, float]:
    """(V, t) minimising V²t along WER(V, t) = wer, for V in (V_c0, V_bd]."""
    taus = np.geomspace(0.25, 200, 60) * device.tau_d
    volts, _, _ = _voltage_for_wer(wer, taus, device)
    energy = np.where(np.isnan(volts), np.inf, volts**2 * taus)
    k = int(np.argmin(energy))
    return float(volts[k]), float(taus[k])


#: The columns `cheapest_operating_point` reads from a robustness table.
_ROBUSTNESS_COLUMNS = ("ber", "test_ber", "weight_ber", "test_top1")


def _is_robustness_table(table: Any) -> bool:
    """Whether `table` is a sequence of records with robustness columns."""
    return not isinstance(table, Mapping) and any(
        isinstance(r, Mapping) and ("test_ber" in r or "weight_ber" in r) for r in table
    )


def _table_number(record: Mapping[str, Any], key: str, index: int) -> float:
    """One finite number of a robustness record (a string from a CSV is parsed)."""
    if key not in record:
        raise ValueError(
            f"`accuracy_by_ber` record {index} lacks `{key}`: every record of a "
            f"robustness table needs {list(_ROBUSTNESS_COLUMNS)}; it has "
            f"{sorted(record)}."
        )
    value = record[key]
    try:
        if isinstance(value, bool) or not isinstance(value, str | numbers.Real):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(
            f"`accuracy_by_ber` record {index}: `{key}` must be a finite number, got "
            f"{value!r}."
        )
    return number


def _robustness_means(
    table: Sequence[Mapping[str, Any]],
) -> dict[tuple[float, float, float], float]:
    """Mean `test_top1` per (ber, test_ber, weight_ber) cell, checked."""
    cells: dict[tuple[float, float, float], list[float]] = {}
    for index, record in enumerate(table):
        if not isinstance(record, Mapping):
            raise ValueError(
                f"`accuracy_by_ber` record {index} must be a mapping (a row of "
                f"robustness.csv), got {record!r}."
            )
        ber, test_ber, weight_ber, top1 = (
            _table_number(record, key, index) for key in _ROBUSTNESS_COLUMNS
        )
        for key, value, upper in (
            ("ber", ber, "1)"),
            ("test_ber", test_ber, "1)"),
            ("weight_ber", weight_ber, "1]"),
        ):
            if not 0 <= value <= 1 or (upper == "1)" and value == 1):
                raise ValueError(
                    f"`accuracy_by_ber` record {index}: `{key}` must be in [0, "
                    f"{upper}, got {record[key]!r}."
                )
        cells.setdefault((ber, test_ber, weight_ber), []).append(top1)
    return {cell: sum(values) / len(values) for cell, values in cells.items()}


def cheapest_operating_point(
    accuracy_by_ber: Mapping[float, float] | Sequence[Mapping[str, Any]],
    tolerance: float,
    device: MTJ | None = None,
    *,
    reads: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
) -> OperatingPoint:
    r"""From an accuracy-vs-BER curve to the lowest-energy write operating point.

    Among the measured BERs whose accuracy is within `tolerance` of the error-free
    run (BER 0), takes the largest (a larger WER always allows a cheaper write)
    and finds the pulse length and voltage with $\mathrm{WER}(V, t)$ = that BER and
    the smallest write energy $\propto V^2 t$ (at fixed resistance), searched
    over 0.25–200 τ_D with $V \le V_{bd}$. The energy and endurance are compared
    with the conventional point, WER $10^{-6}$ at $5\tau_D$.

    **A robustness table** (the records of a robustness sweep, one per trained
    network, error draw and deployment condition, with the columns `ber`: the
    training BER, `test_ber`: the activation BER at inference, `weight_ber`: the
    weight BER at inference, and `test_top1`: the deployed accuracy; strings, as
    read from a CSV file, are parsed; other columns such as `draw` are ignored, so
    give one model and dataset at a time) is read as follows:

    1. the accuracy of a cell (training BER, `test_ber`, `weight_ber`) is the mean
       `test_top1` of its records (over the draws);
    2. the baseline is the best cell with `test_ber` 0 and `weight_ber` 0, over
       the training BERs; a cell is acceptable when its accuracy is within
       `tolerance` of it;
    3. the write point is set by the largest acceptable `test_ber`, over all
       training BERs (the returned `ber`), found as above (with
       `write_error_rate`, the same for both write directions; for a device with
       a field or an STT asymmetry, `error_rates` gives the two directions'
       rates at the returned voltage and pulse);
    4. of the cells with that `test_ber`, the one with the largest acceptable
       `weight_ber` is taken (then the higher accuracy, then the smaller training
       BER): its training BER is `train_ber` and its weight BER `weight_ber`;
    5. `storage_time` is the longest storage that keeps the weight BER at most
       `weight_ber` with `reads` reads at `read_voltage` and `read_pulse`
       (`storage_time_for_weight_ber`).

    As for the curve, the largest acceptable values are taken: a noisy table where
    a smaller error rate misses the tolerance but a larger one meets it is not
    smoothed.

    Args:
        accuracy_by_ber: `{ber: accuracy}` (e.g. ⟨Top1Max⟩ of a sweep), the
            records of `larq_ber.study.plots.top1max_table` (`ber`, `mean`), or a
            robustness table (records with `ber`, `test_ber`, `weight_ber`,
            `test_top1`); must include BER 0 (for a robustness table: a cell
            with `test_ber` 0 and `weight_ber` 0).
        tolerance: Largest accuracy loss accepted (same unit as the accuracies,
            e.g. 0.01 for one point when they are fractions), >= 0.
        device: The MTJ (`MTJ.paper()` if `None`).
        reads: Robustness table only: reads of each weight bit during the
            storage, an integer >= 0.
        read_voltage: Robustness table only: read voltage (V), >= 0;
            `device.v_c0 / 3` if `None`.
        read_pulse: Robustness table only: read pulse length (s), > 0.

    Returns:
        The `OperatingPoint`.

    Raises:
        ValueError: If BER 0 (or the cell with `test_ber` 0 and `weight_ber` 0) is
            missing, `tolerance` is negative, a BER is outside [0, 1) (a weight
            BER outside [0, 1]), a value is not a finite number, a record lacks a
            column, a read argument is out of range, or the reads alone exceed
            the tolerated weight BER.

    Example:
        >>> curve = {0.0: 0.97, 0.04: 0.968, 0.16: 0.957}
        >>> point = cheapest_operating_point(curve, 0.005)
        >>> point.ber, round(point.energy, 2)
        (0.04, 0.33)
        >>> table = [
        ...     {"ber": b, "test_ber": tb, "weight_ber": wb, "draw": 0, "test_top1": a}
        ...     for b, tb, wb, a in [
        ...         (0.0, 0.0, 0.0, 0.970), (0.0, 0.04, 0.0, 0.950),
        ...         (0.04, 0.0, 0.0, 0.968), (0.04, 0.04, 0.0, 0.967),
        ...         (0.04, 0.04, 1e-3, 0.966), (0.04, 0.04, 1e-2, 0.940),
        ...     ]
        ... ]
        >>> point = cheapest_operating_point(table, 0.005)
        >>> point.ber, point.train_ber, point.weight_ber, round(point.energy, 2)
        (0.04, 0.04, 0.001, 0.33)
        >>> f"{point.storage_time / 3600:.1f} h"  # no reads, the paper's device
        '65.4 h'
    """
    device = device or MTJ.paper()
    if not (isinstance(tolerance, int | float) and math.isfinite(tolerance)) or (
        tolerance < 0
    ):
        raise ValueError(
            f"`tolerance` must be a finite number >= 0, got {tolerance!r}."
        )
    _log_read_survival(reads, read_voltage, read_pulse, device)  # checks them
    if not isinstance(accuracy_by_ber, Mapping):
        accuracy_by_ber = list(accuracy_by_ber)  # read twice below
    if _is_robustness_table(accuracy_by_ber):
        return _robust_point(
            accuracy_by_ber,  # type: ignore[arg-type]
            tolerance,
            device,
            reads=reads,
            read_voltage=read_voltage,
            read_pulse=read_pulse,
        )
    if isinstance(accuracy_by_ber, Mapping):
        curve = {float(b): float(a) for b, a in accuracy_by_ber.items()}
    else:
        curve = {float(r["ber"]): float(r["mean"]) for r in accuracy_by_ber}
    if 0.0 not in curve:
        raise ValueError(
            "`accuracy_by_ber` must include BER 0 (the error-free baseline); got BERs "
            f"{sorted(curve)}."
        )
    not_finite = [b for b, a in curve.items() if not math.isfinite(a)]
    if not_finite:
        raise ValueError(
            f"`accuracy_by_ber` must map each BER to a finite accuracy; the BERs "
            f"{not_finite} have {[curve[b] for b in not_finite]}."
        )
    bad = [b for b in curve if not 0 <= b < 1]
    if bad:
        raise ValueError(f"`accuracy_by_ber` BERs must be in [0, 1), got {bad}.")
    baseline = curve[0.0]
    allowed = [b for b, a in curve.items() if a >= baseline - tolerance]
    ber = max(allowed)
    return _write_point(ber, curve[ber], baseline, device)


@functools.lru_cache(maxsize=16)
def _reference_voltage(device: MTJ) -> float:
    """The voltage of the conventional point, WER 1e-6 at 5 τ_D (V)."""
    return float(voltage_for_wer(1e-6, 5 * device.tau_d, device))


def _write_point(
    ber: float, accuracy: float, baseline: float, device: MTJ, **extra: Any
) -> OperatingPoint:
    """The `OperatingPoint` of the cheapest write with WER `ber`."""
    reference_pulse = 5 * device.tau_d
    reference_voltage = _reference_voltage(device)
    if ber <= 1e-6:  # nothing relaxes the conventional point
        volt, length = reference_voltage, reference_pulse
    else:
        volt, length = _min_energy_point(ber, device)
    return OperatingPoint(
        ber=ber,
        accuracy=accuracy,
        voltage=volt,
        pulse=length,
        energy=volt**2 * length / (reference_voltage**2 * reference_pulse),
        endurance_gain=float(
            endurance_cycles(volt, device) / endurance_cycles(reference_voltage, device)
        ),
        reference_voltage=reference_voltage,
        reference_pulse=reference_pulse,
        baseline_accuracy=baseline,
        **extra,
    )


def _robust_point(
    table: Sequence[Mapping[str, Any]],
    tolerance: float,
    device: MTJ,
    *,
    reads: int,
    read_voltage: float | None,
    read_pulse: float,
) -> OperatingPoint:
    """`cheapest_operating_point` for a robustness table."""
    means = _robustness_means(table)
    clean = [a for (_, tb, wb), a in means.items() if tb == 0 and wb == 0]
    if not clean:
        raise ValueError(
            "`accuracy_by_ber` must include cells with `test_ber` 0 and "
            "`weight_ber` 0 (the error-free baseline); got (test_ber, weight_ber) "
            f"{sorted({(tb, wb) for _, tb, wb in means})}."
        )
    baseline = max(clean)
    # (test_ber, weight_ber, accuracy, -train_ber): the largest is the choice.
    train_ber, test_ber, weight_ber, accuracy = max(
        (
            (b, tb, wb, a)
            for (b, tb, wb), a in means.items()
            if a >= baseline - tolerance
        ),
        key=lambda c: (c[1], c[2], c[3], -c[0]),
    )
    try:
        storage = storage_time_for_weight_ber(
            weight_ber,
            device,
            reads=reads,
            read_voltage=read_voltage,
            read_pulse=read_pulse,
        )
    except ValueError as error:
        raise ValueError(
            f"At the cheapest write (test_ber {test_ber:g}, training BER "
            f"{train_ber:g}) the table tolerates a weight BER of {weight_ber:g}: "
            f"{error}"
        ) from None
    return _write_point(
        test_ber,
        accuracy,
        baseline,
        device,
        train_ber=train_ber,
        weight_ber=weight_ber,
        storage_time=storage,
        reads=int(reads),
        read_voltage=device.v_c0 / 3 if read_voltage is None else float(read_voltage),
        read_pulse=float(read_pulse),
    )
