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
  persist: retention (Néel–Arrhenius switching both ways, a two-state Markov
  chain) over the storage time and read disturb accumulated over the reads. The
  weight error rate tends to 1/2 (a random bit), never above.

`error_rates` computes all three rates of one deployment condition as a
`larq_ber.rates.ErrorRates`; `weight_error_rate` is its weight part and
`storage_time_for_weight_ber` its inverse (the longest storage that keeps the
weight bit error rate at a target, refused for targets of 1/2 and more, which
are never reached). Voltages above $V_{bd}$, pulses beyond $10^4\tau_D$ and read
counts that are not integers in [0, 1e30] are refused with one line naming the
argument and its range.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import numpy as np

from larq_ber.mtj.device import MTJ, _device, _is_real, _number, _voltage_array
from larq_ber.mtj.fpe import _pulse_array, _wer
from larq_ber.mtj.reliability import read_disturb_rate
from larq_ber.rates import ErrorRates

__all__ = [
    "DEFAULT_READ_PULSE",
    "MAX_READS",
    "READ_POLARITIES",
    "error_rates",
    "state_error_rates",
    "storage_time_for_weight_ber",
    "weight_error_rate",
]

#: Read pulse length used when none is given (s).
DEFAULT_READ_PULSE = 10e-9


#: Most reads of one weight bit accepted: 1e30 reads is 3e13 years at one read
#: per nanosecond, beyond any deployment; larger counts are refused rather than
#: overflowing.
MAX_READS = 10**30


#: The read schemes of `weight_error_rate`: `"fixed"`, a read current of one
#: polarity (in the AP→P write direction: it can switch AP, a stored +1, to P and
#: holds P); `"bipolar"`, reads that disturb both states (pulses of both polarities).
READ_POLARITIES = ("fixed", "bipolar")


def _polarity(value: Any) -> int:
    """States a read disturbs (1: `"fixed"`, 2: `"bipolar"`); else a ValueError."""
    if not (isinstance(value, str) and value in READ_POLARITIES):
        raise ValueError(
            f"`read_polarity` must be one of {list(READ_POLARITIES)}, got {value!r}."
        )
    return READ_POLARITIES.index(value) + 1


def _reads(value: Any) -> int:
    """`value` as an int in [0, `MAX_READS`] (1e6 is accepted); else a ValueError."""
    shown = repr(value)
    shown = shown if len(shown) <= 40 else f"{shown[:12]}... ({len(shown)} digits)"
    message = (
        f"`reads` must be an integer in [0, 1e30] (a count of reads; bools and "
        f"fractions are not counts), got {shown}."
    )
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
        count = int(value)
    elif _is_real(value) and math.isfinite(value) and float(value).is_integer():
        count = int(float(value))
    else:
        raise ValueError(message)
    if not 0 <= count <= MAX_READS:
        raise ValueError(message)
    return count


def _switch_device(device: MTJ, leaving: str) -> MTJ:
    r"""The device of the switch leaving `leaving`, for `read_disturb_rate`.

    Leaving P: field $+h$, $V_{c0}\sqrt{r}$; leaving AP: $-h$, $V_{c0}/\sqrt{r}$
    (the drives of `error_rates`; the breakdown check stays on the voltage).
    """
    root = math.sqrt(device.stt_asymmetry)
    if device.h == 0 and root == 1:
        return device
    if leaving == "AP":
        return dataclasses.replace(
            device, h=-device.h, v_c0=device.v_c0 / root, stt_asymmetry=1.0
        )
    return dataclasses.replace(device, v_c0=device.v_c0 * root, stt_asymmetry=1.0)


def _read_intensities(
    reads: Any, read_voltage: Any, read_pulse: Any, device: MTJ, read_polarity: Any
) -> tuple[float, float]:
    r"""The read intensities $(L_\mathrm{P}, L_\mathrm{AP})$, after validation.

    $L_s = -n\ln(1 - p_s)$, $p_s$ the `read_disturb_rate` of the switch leaving
    $s$ (a one-way switch of probability $p$ is an integrated rate $-\ln(1 - p)$);
    `"fixed"` reads (the AP→P direction) have $L_\mathrm{P} = 0$.
    """
    disturbed = _polarity(read_polarity)
    n = _reads(reads)
    volt = device.v_c0 / 3 if read_voltage is None else read_voltage
    volt = _number(volt, "read_voltage", "V", low=0, high=device.v_bd)
    length = _number(read_pulse, "read_pulse", "s", low=0, low_open=True)
    _pulse_array(length, device, "read_pulse")  # at most 1e4 tau_D
    if n == 0:
        return 0.0, 0.0

    def intensity(leaving: str) -> float:
        p = float(read_disturb_rate(volt, length, _switch_device(device, leaving)))
        return math.inf if p >= 1 else -(float(n) * math.log1p(-p))

    leaving_ap = intensity("AP")
    if disturbed == 1:
        return 0.0, leaving_ap
    symmetric = device.h == 0 and device.stt_asymmetry == 1
    return (leaving_ap if symmetric else intensity("P")), leaving_ap


def _log_read_survival(
    reads: Any, read_voltage: Any, read_pulse: Any, device: MTJ
) -> float:
    r"""$-L_\mathrm{AP}$ of `"fixed"` reads after validating the arguments (<= 0)."""
    return -_read_intensities(reads, read_voltage, read_pulse, device, "fixed")[1]


def _log_rate_sum(device: MTJ) -> float:
    r"""$\ln[(e^{-\Delta_\mathrm{P}} + e^{-\Delta_\mathrm{AP}}) / \tau_0]$ (1/s)."""
    low, high = sorted(
        (device.delta * (1 + device.h) ** 2, device.delta * (1 - device.h) ** 2)
    )
    return -low + math.log1p(math.exp(low - high)) - math.log(device.tau_0)


def weight_error_rate(
    storage_time: float = 0.0,
    device: MTJ | None = None,
    *,
    reads: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
    read_polarity: str = "fixed",
) -> float:
    r"""Probability that a stored binary weight reads as the opposite sign.

    A weight written once is idle for `storage_time` $t$ and read `reads` $n$
    times. Its cell is a two-state Markov chain. Thermally (Néel–Arrhenius) it
    leaves P at the rate $k_\mathrm{P} = e^{-\Delta_\mathrm{P}}/\tau_0$ and AP at
    $k_\mathrm{AP} = e^{-\Delta_\mathrm{AP}}/\tau_0$, with
    $\Delta_\mathrm{P} = \Delta(1 + h)^2$ and $\Delta_\mathrm{AP} = \Delta(1 - h)^2$
    for the field $h$ of `MTJ`; and it can switch back. A read switches a state it
    destabilises with a probability $p_s$ ($s$ = P or AP), an integrated rate
    $L_s = -n\ln(1 - p_s)$ over the $n$ reads. $p_s$ is the `read_disturb_rate`
    of the write that leaves $s$, with the physics of `error_rates`: leaving AP
    (an AP→P read) at the field $-h$ and the drive $i = V\sqrt{r}/V_{c0}$,
    leaving P (a P→AP read) at $+h$ and $i = V/(V_{c0}\sqrt{r})$, with
    $r$ = `MTJ.stt_asymmetry` (the breakdown check is on the read voltage $V$):

    - `read_polarity="fixed"` (the default): the read current has one polarity, so
      it destabilises one state and stabilises the other; only one direction of
      read disturb occurs (Ran et al., *Read disturbance issue for nanoscale
      STT-MRAM*, IEEE NVMSA 2015, doi:10.1109/NVMSA.2015.7304372). By this
      package's convention the read current flows in the AP→P write direction: it
      can switch AP (a stored $+1$) to P and holds P (a stored $-1$), so
      $L_\mathrm{P} = 0$ and a read's matrix has the determinant $1 - p_\mathrm{AP}$.
    - `read_polarity="bipolar"`: each read disturbs both states (e.g. a read with
      pulses of both polarities; the 0.1 releases' model), each at its own rate
      $-\ln(1 - p_s)$, so the determinant of a read is
      $(1 - p_\mathrm{P})(1 - p_\mathrm{AP})$ (for a symmetric device and a rare
      disturb, twice the fixed read's rate).

    Averaged over $\pm 1$ weights equally likely, the chance of reading the wrong
    sign of any 2 x 2 stochastic matrix is $\frac{1}{2}(1 - \det)$, and the
    determinants of the steps multiply ($e^{-(k_\mathrm{P} + k_\mathrm{AP})t}$ for
    the storage), so, exactly for any order of reads and idle times:

    $$P_w = \frac{1}{2}\left[1 - e^{-(k_\mathrm{P} + k_\mathrm{AP})\,t
    - L_\mathrm{P} - L_\mathrm{AP}}\right],$$

    evaluated with `expm1` and `log1p`, so rates far below $10^{-16}$ stay
    accurate. At $h = 0$ and no reads it is $\frac{1}{2}(1 - e^{-2t/\tau})$ with
    $\tau = \tau_0 e^\Delta$, whose small-$t$ limit $t/\tau$ is
    `retention_failure`. Guarantees: $P_w$ is in $[0, \frac{1}{2}]$, grows with
    $t$ and $n$, and tends to $\frac{1}{2}$ (a bit that keeps flipping is
    random, not inverted); the 0.1 releases counted every flip as wrong and
    tended to 1. Read disturb below the critical voltage uses the thermal law of
    `read_disturb_rate`, the barrier $\Delta(1 - i)^2$ at the direction's drive
    $i$ without $h$ (a simplification; $h$ enters through the Fokker–Planck cap
    at $i = 1$ and the rate at $i \ge 1$). The error of each stored value
    separately is `state_error_rates`.

    Args:
        storage_time: Time $t$ the weights are stored before (and while) being
            read (s), finite, >= 0.
        device: The MTJ (`MTJ.paper()` if `None`).
        reads: Number $n$ of reads of each weight bit, an integer in [0, 1e30]
            (Python or numpy int, or an integral float such as 1e6).
        read_voltage: Read voltage (V), in $[0, V_{bd}]$; `device.v_c0 / 3` if
            `None`.
        read_pulse: Read pulse length (s), in $(0, 10^4\tau_D]$.
        read_polarity: `"fixed"` (one polarity, disturbs AP) or `"bipolar"`
            (disturbs both states).

    Returns:
        $P_w$, in [0, 1/2].

    Raises:
        ValueError: If an argument is out of its range (the message names it and
            gives the range) or `read_polarity` is not one of `READ_POLARITIES`.

    Example:
        >>> f"{weight_error_rate(24 * 3600):.2e}"  # one day, the paper's device
        '3.67e-04'
        >>> f"{weight_error_rate(0.0, reads=1000):.2e}"  # 1e3 reads at 0.1 V, 10 ns
        '9.51e-05'
        >>> f"{weight_error_rate(0.0, reads=1000, read_polarity='bipolar'):.2e}"
        '1.90e-04'
        >>> weight_error_rate(1e30)  # forever: a random bit, not an inverted one
        0.5
    """
    device = _device(device)
    t = _number(storage_time, "storage_time", "s", low=0)
    reading = _read_intensities(reads, read_voltage, read_pulse, device, read_polarity)
    log_reads = -(reading[0] + reading[1])  # ln det of the reads
    # -(k_P + k_AP) t; past e^700 the result is 1/2 anyway.
    exponent = -math.exp(min(700.0, _log_rate_sum(device) + math.log(t))) if t else 0.0
    return max(0.0, min(0.5, -0.5 * math.expm1(exponent + log_reads)))


def state_error_rates(
    storage_time: float = 0.0,
    device: MTJ | None = None,
    *,
    reads: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
    read_polarity: str = "fixed",
) -> tuple[float, float]:
    r"""The probabilities that a bit stored as P, and one stored as AP, read wrong.

    The two-state chain of `weight_error_rate` (binary $-1 \leftrightarrow$ P,
    $+1 \leftrightarrow$ AP), with the `reads` spread evenly over the storage,
    in the continuous limit: over the storage time $t$ the cell leaves P with
    the integrated rate $a = k_\mathrm{P} t + L_\mathrm{P}$ and AP with
    $b = k_\mathrm{AP} t + L_\mathrm{AP}$, with the read intensities
    $L_s = -n\ln(1 - p_s)$ of `weight_error_rate`: $p_\mathrm{AP}$ from the
    AP→P switch (field $-h$, drive $V\sqrt{r}/V_{c0}$), $p_\mathrm{P}$ from the
    P→AP switch ($+h$, $V/(V_{c0}\sqrt{r})$) for `"bipolar"` reads, and
    $L_\mathrm{P} = 0$ for `"fixed"` ones (the AP→P read current). Then

    $$P_\mathrm{P} = \frac{a}{a + b}\left(1 - e^{-(a + b)}\right),\quad
    P_\mathrm{AP} = \frac{b}{a + b}\left(1 - e^{-(a + b)}\right),$$

    whose mean is `weight_error_rate` exactly. Each is exact for reads alone
    ($t = 0$: the $n$-th power of one read's matrix) and for storage alone
    ($n = 0$: the thermal chain); with both, reads spread evenly over the storage
    approach it as $n$ grows. Reads that are few and far apart leave a memory of
    their times that the limit ignores; the average never depends on them.

    Args:
        storage_time: Time $t$ the bit is stored (s), finite, >= 0.
        device: The MTJ (`MTJ.paper()` if `None`).
        reads: Number $n$ of reads, an integer in [0, 1e30].
        read_voltage: Read voltage (V), in $[0, V_{bd}]$; `device.v_c0 / 3` if
            `None`.
        read_pulse: Read pulse length (s), in $(0, 10^4\tau_D]$.
        read_polarity: `"fixed"` (disturbs AP) or `"bipolar"` (both states).

    Returns:
        `(p_err_if_stored_P, p_err_if_stored_AP)`: the probabilities that a stored
        $-1$ and a stored $+1$ read as the opposite sign, each in [0, 1].

    Raises:
        ValueError: If an argument is out of its range (the message names it).

    Example:
        >>> p, ap = state_error_rates(0.0, reads=1000)  # fixed reads disturb AP
        >>> f"{p:.2e} {ap:.2e}"
        '0.00e+00 1.90e-04'
        >>> p, ap = state_error_rates(24 * 3600)  # a day: the thermal chain
        >>> f"{p:.2e} {ap:.2e}"
        '3.67e-04 3.67e-04'
    """
    device = _device(device)
    t = _number(storage_time, "storage_time", "s", low=0)
    l_p, l_ap = _read_intensities(
        reads, read_voltage, read_pulse, device, read_polarity
    )

    # ln(k t) of leaving P and of leaving AP; where a + b passes e^700 the bit
    # surely flips, and both are scaled down together (the shares a / (a + b) stay).
    barriers = (device.delta * (1 + device.h) ** 2, device.delta * (1 - device.h) ** 2)
    logs = [
        math.log(t) - barrier - math.log(device.tau_0) if t else -math.inf
        for barrier in barriers
    ]
    shift = max(0.0, max(logs) - 700.0)
    a = math.exp(logs[0] - shift) + l_p * math.exp(-shift)  # inf stays inf
    b = math.exp(logs[1] - shift) + l_ap * math.exp(-shift)
    total = a + b
    if total == 0:
        return 0.0, 0.0
    if math.isinf(total):  # a certain switch: the finite side gets nothing
        share = math.isinf(a) / (math.isinf(a) + math.isinf(b))
        return share, 1.0 - share
    flipped = -math.expm1(-total)
    return min(1.0, a / total * flipped), min(1.0, b / total * flipped)


def storage_time_for_weight_ber(
    weight_ber: float,
    device: MTJ | None = None,
    *,
    reads: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
    read_polarity: str = "fixed",
) -> float:
    r"""The longest storage time that keeps the weight bit error rate at a target.

    Inverts `weight_error_rate` in the storage time $t$ (it grows monotonically
    in $t$ towards 1/2), in closed form:
    $t = [-L_\mathrm{P} - L_\mathrm{AP} - \ln(1 - 2P_w)] / (k_\mathrm{P} +
    k_\mathrm{AP})$, with the read intensities $L_s$ of `weight_error_rate`
    ($L_\mathrm{P} = 0$ for `"fixed"` reads). The result is rounded down, so
    `weight_error_rate(t, ...) <= weight_ber`.

    Args:
        weight_ber: The largest weight bit error rate accepted, in [0, 1/2): the
            weight error rate tends to 1/2 (a bit that keeps flipping thermally is
            random), so 1/2 and above are never reached.
        device: The MTJ (`MTJ.paper()` if `None`).
        reads: Number of reads of each weight bit during the storage, an integer
            in [0, 1e30].
        read_voltage: Read voltage (V), in $[0, V_{bd}]$; `device.v_c0 / 3` if
            `None`.
        read_pulse: Read pulse length (s), in $(0, 10^4\tau_D]$.
        read_polarity: `"fixed"` (one polarity, disturbs AP) or `"bipolar"`
            (disturbs both states); see `weight_error_rate`.

    Returns:
        The storage time (s): 0.0 when the target leaves no room for a flip
        (`weight_ber` equal to the read-disturb share, e.g. 0 without reads), and
        `math.inf` only when the time exceeds the float range (e.g. at a very
        large thermal stability).

    Raises:
        ValueError: If an argument is out of its range (`weight_ber` outside
            [0, 1/2), `read_polarity` not one of `READ_POLARITIES`), or if the
            reads alone already exceed `weight_ber` (the
            message gives that rate).

    Example:
        >>> t = storage_time_for_weight_ber(1e-3)  # the paper's device
        >>> f"{t / 3600:.2f} h"
        '65.45 h'
    """
    device = _device(device)
    target = _number(weight_ber, "weight_ber", "", low=0, high=0.5, high_open=True)
    reading = _read_intensities(reads, read_voltage, read_pulse, device, read_polarity)
    log_reads = -(reading[0] + reading[1])
    at_zero = -0.5 * math.expm1(log_reads)
    if at_zero > target:
        raise ValueError(
            f"`reads` = {reads} alone give a weight bit error rate of {at_zero:.3g} "
            f"(read disturb), above `weight_ber` = {target:.3g}: use fewer reads, "
            "a lower `read_voltage` or a shorter `read_pulse`."
        )
    room = log_reads - math.log1p(-2 * target)  # >= 0: the retention exponent
    if room <= 0:
        return 0.0
    log_t = math.log(room) - _log_rate_sum(device)
    if log_t > 709:  # beyond the largest float
        return math.inf
    time = math.exp(log_t)
    # Round down onto the accepted side of the target (0 always is: checked above).
    for step in range(8):
        rate = weight_error_rate(
            time,
            device,
            reads=reads,
            read_voltage=read_voltage,
            read_pulse=read_pulse,
            read_polarity=read_polarity,
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
    read_polarity: str = "fixed",
) -> ErrorRates:
    r"""The bit error rates of one deployment condition, from the device physics.

    - `ber_pos` (a written $+1$ stored as $-1$) is the write error rate of the
      P→AP switch: `write_error_rate` at the reduced drive
      $i = V / (V_{c0}\sqrt{r})$ and field $+h$;
    - `ber_neg` (a written $-1$ stored as $+1$) is that of the AP→P switch:
      $i = V\sqrt{r} / V_{c0}$ and field $-h$;
    - `weight_ber` is `weight_error_rate(storage_time, device, reads=...,
      read_polarity=...)`.

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
        read_polarity: `"fixed"` (one polarity, disturbs AP) or `"bipolar"`
            (disturbs both states); see `weight_error_rate`.

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
        '0.000517 0.00331 0.26'

        The field makes P→AP harder and AP→P easier, and lowers the AP state's
        barrier to $\Delta(1 - h)^2 = 32.4$: a day of storage flips about half of
        the weights stored as AP.
    """
    device = _device(device)
    volt = _number(voltage, "voltage", "V", low=0, low_open=True)
    volt = float(_voltage_array(volt, device))  # the breakdown voltage
    length = _number(pulse, "pulse", "s", low=0, low_open=True)
    length = float(_pulse_array(length, device))
    weight = weight_error_rate(
        storage_time,
        device,
        reads=reads,
        read_voltage=read_voltage,
        read_pulse=read_pulse,
        read_polarity=read_polarity,
    )
    scale = math.sqrt(device.stt_asymmetry)
    tau = np.asarray(length / device.tau_d)
    # The breakdown limit is on the voltage across the barrier, `volt`; the
    # direction's drive rescales the critical voltage, not the applied one.
    ber_pos = float(_wer(np.asarray((volt / scale) / device.v_c0), tau, device))
    if device.h == 0 and scale == 1:
        ber_neg = ber_pos
    else:
        reverse = dataclasses.replace(device, h=-device.h)
        ber_neg = float(_wer(np.asarray((volt * scale) / device.v_c0), tau, reverse))
    return ErrorRates(ber_neg=ber_neg, ber_pos=ber_pos, weight_ber=weight)
