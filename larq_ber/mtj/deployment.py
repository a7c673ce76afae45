r"""Errors at deployment: the two write directions and the stored weights' errors.

A binarized network deployed on MRAM sees two kinds of bit errors:

- **Activations** are written afresh at every inference, so their errors are write
  errors, a new draw per write. Binary values map to MTJ states as
  $-1 \leftrightarrow$ P (parallel) and $+1 \leftrightarrow$ AP (antiparallel):
  writing $-1$ is an AP→P switch and writing $+1$ a P→AP switch, and the two
  switches differ physically. With the reduced field $h$ of the device (positive
  along the reference layer, favouring P; see `MTJ`), the Fokker–Planck drift
  $(i - h - z)$ of `larq_ber.mtj.fpe`, written for a field along the *initial*
  magnetisation, gets $+h$ for P→AP (the field holds the initial P state) and $-h$
  for AP→P (it pushes the initial AP state over). With the spin-transfer efficiency
  asymmetry $r$ = `MTJ.stt_asymmetry`, the critical voltages are
  $V_{c0}\sqrt{r}$ (P→AP) and $V_{c0}/\sqrt{r}$ (AP→P), so the reduced drives are
  $i = V / (V_{c0}\sqrt{r})$ and $i = V\sqrt{r} / V_{c0}$.
- **Weights** are written once and read at every inference, so their errors
  persist: retention (Néel–Arrhenius) over the storage time and read disturb
  accumulated over the reads.

`error_rates` computes all three rates of one deployment condition as a
`larq_ber.rates.ErrorRates`; `weight_error_rate` is its weight part and
`storage_time_for_weight_ber` its inverse (the longest storage that keeps the
weight bit error rate at a target).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import scipy.optimize

from larq_ber.mtj.device import MTJ
from larq_ber.mtj.fpe import write_error_rate
from larq_ber.mtj.reliability import read_disturb_rate
from larq_ber.rates import ErrorRates

__all__ = [
    "DEFAULT_READ_PULSE",
    "error_rates",
    "storage_time_for_weight_ber",
    "weight_error_rate",
]

#: Read pulse length used when none is given (s).
DEFAULT_READ_PULSE = 10e-9


def _real(value: Any, name: str, unit: str, *, zero: bool) -> float:
    """`value` as a finite float, > 0 (or >= 0 with `zero`); else a ValueError."""
    bound = ">= 0" if zero else "> 0"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"`{name}` must be a finite number {bound} ({unit}), got {value!r}."
        )
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not zero):
        raise ValueError(
            f"`{name}` must be a finite number {bound} ({unit}), got {value!r}."
        )
    return number


def _reads(value: Any) -> int:
    """`value` as a non-negative int (1e6 is accepted); else a ValueError."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
        or float(value) < 0
        or float(value) != math.floor(float(value))
    ):
        raise ValueError(f"`reads` must be an integer >= 0, got {value!r}.")
    return int(float(value))


def _log_read_survival(
    reads: Any, read_voltage: Any, read_pulse: Any, device: MTJ
) -> float:
    r"""$n \ln(1 - p_\mathrm{rd})$ after validating the read arguments (<= 0)."""
    n = _reads(reads)
    volt = (
        device.v_c0 / 3
        if read_voltage is None
        else _real(read_voltage, "read_voltage", "V", zero=True)
    )
    length = _real(read_pulse, "read_pulse", "s", zero=False)
    if n == 0:
        return 0.0
    p = float(read_disturb_rate(volt, length, device))
    return -math.inf if p >= 1 else n * math.log1p(-p)


def _barriers(device: MTJ) -> tuple[float, float]:
    r"""$\Delta(1 + h)^2$ (the state along the field) and $\Delta(1 - h)^2$."""
    return device.delta * (1 + device.h) ** 2, device.delta * (1 - device.h) ** 2


def weight_error_rate(
    storage_time: float = 0.0,
    device: MTJ | None = None,
    *,
    reads: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
) -> float:
    r"""Probability that a stored binary weight reads as the opposite sign.

    A weight written once is idle for `storage_time` and read `reads` times. Each
    state $s$ of the bit fails by retention (Néel–Arrhenius, with its own barrier:
    $\Delta_\mathrm{P} = \Delta(1 + h)^2$ and $\Delta_\mathrm{AP} = \Delta(1 - h)^2$
    for the field $h$ of `MTJ`) or by read disturb (each read independently, with
    the probability $p_\mathrm{rd}$ of `read_disturb_rate` at the read voltage and
    pulse). The two causes are independent, and $\pm 1$ weights are equally likely:

    $$P_w = \frac{1}{2}\sum_{s \in \{\mathrm{P}, \mathrm{AP}\}}\left[1 -
    \exp\left(-\frac{t}{\tau_0} e^{-\Delta_s}\right)(1 - p_\mathrm{rd})^n\right],$$

    evaluated as $-\mathrm{expm1}(-\tfrac{t}{\tau_0}e^{-\Delta_s} +
    n\,\mathrm{log1p}(-p_\mathrm{rd}))$, so rates far below $10^{-16}$ stay
    accurate. Every flip is counted as a wrong weight: a second flip that restores
    the value is neglected (a read pulse of fixed polarity cannot switch the bit
    back, and a thermal return is of second order in the rates), so $P_w$ is an
    upper bound, tight while $P_w \ll 1$, and tends to 1 (not to the thermal
    equilibrium $\frac{1}{2}$) for very long storage. At $h = 0$ and no reads it
    is `retention_failure`. Read disturb below $V_{c0}$ uses the barrier
    $\Delta(1 - V/V_{c0})^2$ of `read_disturb_rate`, without $h$.

    Args:
        storage_time: Time $t$ the weights are stored before (and while) being
            read (s), finite, >= 0.
        device: The MTJ (`MTJ.paper()` if `None`).
        reads: Number $n$ of reads of each weight bit, an integer >= 0.
        read_voltage: Read voltage (V), >= 0; `device.v_c0 / 3` if `None`.
        read_pulse: Read pulse length (s), > 0.

    Returns:
        $P_w$, in [0, 1].

    Raises:
        ValueError: If an argument is out of its range (the message names it).

    Example:
        >>> f"{weight_error_rate(24 * 3600):.2e}"  # one day, the paper's device
        '3.67e-04'
        >>> f"{weight_error_rate(0.0, reads=10**6):.2e}"  # 1e6 reads at 0.1 V, 10 ns
        '1.73e-01'
    """
    device = device or MTJ.paper()
    t = _real(storage_time, "storage_time", "s", zero=True)
    log_reads = _log_read_survival(reads, read_voltage, read_pulse, device)
    rates = [
        -math.expm1(-(t / device.tau_0) * math.exp(-barrier) + log_reads)
        for barrier in _barriers(device)
    ]
    return max(0.0, min(1.0, (rates[0] + rates[1]) / 2))


def storage_time_for_weight_ber(
    weight_ber: float,
    device: MTJ | None = None,
    *,
    reads: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
) -> float:
    r"""The longest storage time that keeps the weight bit error rate at a target.

    Inverts `weight_error_rate` in the storage time $t$ (it grows monotonically
    in $t$). At $h = 0$ in closed form,
    $t = \tau_0 e^\Delta\left[n \ln(1 - p_\mathrm{rd}) - \ln(1 - P_w)\right]$;
    otherwise by bracketed root finding in $\ln t$ between the closed forms for
    the two barriers. The result is rounded down, so
    `weight_error_rate(t, ...) <= weight_ber`.

    Args:
        weight_ber: The largest weight bit error rate accepted, in [0, 1].
        device: The MTJ (`MTJ.paper()` if `None`).
        reads: Number of reads of each weight bit during the storage, >= 0.
        read_voltage: Read voltage (V), >= 0; `device.v_c0 / 3` if `None`.
        read_pulse: Read pulse length (s), > 0.

    Returns:
        The storage time (s): 0.0 when the target leaves no room for a flip
        (`weight_ber` equal to the read-disturb share, e.g. 0 without reads), and
        `math.inf` at `weight_ber` = 1.

    Raises:
        ValueError: If an argument is out of its range, or if the reads alone
            already exceed `weight_ber` (the message gives that rate).

    Example:
        >>> t = storage_time_for_weight_ber(1e-3)  # the paper's device
        >>> f"{t / 3600:.1f} h"
        '65.4 h'
    """
    device = device or MTJ.paper()
    if isinstance(weight_ber, bool) or not isinstance(weight_ber, numbers.Real):
        raise ValueError(
            f"`weight_ber` must be a number in [0, 1], got {weight_ber!r}."
        )
    target = float(weight_ber)
    if not 0 <= target <= 1:
        raise ValueError(f"`weight_ber` must be in [0, 1], got {weight_ber!r}.")
    log_reads = _log_read_survival(reads, read_voltage, read_pulse, device)
    at_zero = -math.expm1(log_reads)
    if at_zero > target:
        raise ValueError(
            f"`reads` = {reads} alone give a weight bit error rate of {at_zero:.3g} "
            f"(read disturb), above `weight_ber` = {target:.3g}: use fewer reads, "
            "a lower `read_voltage` or a shorter `read_pulse`."
        )
    if target >= 1:
        return math.inf
    room = log_reads - math.log1p(-target)  # >= 0: the retention exponent allowed
    if room <= 0:
        return 0.0
    high_barrier, low_barrier = sorted(_barriers(device), reverse=True)
    log_room = math.log(room) + math.log(device.tau_0)
    # ln t at which the less (more) stable state alone reaches the target.
    low, high = log_room + low_barrier, log_room + high_barrier

    def excess(log_t: float) -> float:
        rates = [
            -math.expm1(-math.exp(log_t - math.log(device.tau_0) - b) + log_reads)
            for b in (high_barrier, low_barrier)
        ]
        return (rates[0] + rates[1]) / 2 - target

    if high - low > 1e-12:
        log_t = scipy.optimize.brentq(excess, low, high, xtol=1e-14, rtol=1e-15)
    else:
        log_t = low
    if log_t > 709:  # beyond the largest float
        return math.inf
    time = math.exp(log_t)
    # Round down onto the accepted side of the target (0 always is: checked above).
    for step in range(8):
        rate = weight_error_rate(
            time, device, reads=reads, read_voltage=read_voltage, read_pulse=read_pulse
        )
        if rate <= target:
            return time
        time *= 1 - 10.0 ** (step - 15)
    return 0.0


def error_rates(
    voltage: float,
    pulse: float,
    device: MTJ | None = None,
    *,
    storage_time: float = 0.0,
    reads: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
) -> ErrorRates:
    r"""The bit error rates of one deployment condition, from the device physics.

    - `ber_pos` (a written $+1$ stored as $-1$) is the write error rate of the
      P→AP switch: `write_error_rate` at the reduced drive
      $i = V / (V_{c0}\sqrt{r})$ and field $+h$;
    - `ber_neg` (a written $-1$ stored as $+1$) is that of the AP→P switch:
      $i = V\sqrt{r} / V_{c0}$ and field $-h$;
    - `weight_ber` is `weight_error_rate(storage_time, device, reads=...)`.

    Here $h$ = `device.h` (positive along the reference layer, favouring P) and
    $r$ = `device.stt_asymmetry` = $V_{c0}(\mathrm{P \to AP}) /
    V_{c0}(\mathrm{AP \to P})$. A symmetric device ($h = 0$, $r = 1$) gives
    `ber_neg == ber_pos == write_error_rate(voltage, pulse, device)`. The write
    rates are the full WER of each switch: every write changes the cell's state,
    as when each write follows a reset to the opposite state. If a cell's previous
    content is independent of the new value and equally likely $\pm 1$, only half
    of the writes switch, and the rates to use are half of these.

    Args:
        voltage: Write voltage amplitude $V$ (V), > 0.
        pulse: Write pulse length $t$ (s), > 0.
        device: The MTJ (`MTJ.paper()` if `None`).
        storage_time: Time the weights are stored (s), finite, >= 0.
        reads: Number of reads of each weight bit, an integer >= 0.
        read_voltage: Read voltage (V), >= 0; `device.v_c0 / 3` if `None`.
        read_pulse: Read pulse length (s), > 0.

    Returns:
        The `larq_ber.rates.ErrorRates` (`ber_neg`, `ber_pos`, `weight_ber`).

    Raises:
        ValueError: If an argument is out of its range (the message names it).

    Example:
        >>> import dataclasses
        >>> rates = error_rates(0.6, 10e-9)  # 2 V_c0, 5 tau_D: symmetric device
        >>> f"{rates.ber_neg:.3g} {rates.ber_pos:.3g} {rates.weight_ber}"
        '0.00133 0.00133 0.0'
        >>> skewed = dataclasses.replace(MTJ.paper(), h=0.1)
        >>> rates = error_rates(0.6, 10e-9, skewed, storage_time=24 * 3600)
        >>> f"{rates.ber_neg:.3g} {rates.ber_pos:.3g} {rates.weight_ber:.2f}"
        '0.000549 0.00316 0.26'

        The field makes P→AP harder and AP→P easier, and lowers the AP state's
        barrier to $\Delta(1 - h)^2 = 32.4$: a day of storage flips about half of
        the weights stored as AP.
    """
    device = device or MTJ.paper()
    volt = _real(voltage, "voltage", "V", zero=False)
    length = _real(pulse, "pulse", "s", zero=False)
    weight = weight_error_rate(
        storage_time,
        device,
        reads=reads,
        read_voltage=read_voltage,
        read_pulse=read_pulse,
    )
    scale = math.sqrt(device.stt_asymmetry)
    ber_pos = float(write_error_rate(volt / scale, length, device))
    if device.h == 0 and scale == 1:
        ber_neg = ber_pos
    else:
        reverse = dataclasses.replace(device, h=-device.h)
        ber_neg = float(write_error_rate(volt * scale, length, reverse))
    return ErrorRates(ber_neg=ber_neg, ber_pos=ber_pos, weight_ber=weight)
