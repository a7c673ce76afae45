r"""Inverses of the write error rate: the voltage or the pulse for a target WER.

`voltage_for_wer` interpolates $V$ against $-\log\mathrm{WER}$ on a grid of 64
voltages; `pulse_for_wer` finds the root in the pulse length. Both evaluate the
WER with `larq_ber.mtj.fpe.legendre_wer`, the evaluator of `write_error_rate`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from larq_ber.mtj.device import (
    MTJ,
    _check_wer,
    _device,
    _positive_array,
    _voltage_array,
)
from larq_ber.mtj.fpe import legendre_wer, write_error_rate

__all__ = ["RESOLVED_WER", "pulse_for_wer", "voltage_for_wer"]


#: Voltages (V_c0 / 2 … V_bd) on which `voltage_for_wer` interpolates.
_GRID_POINTS = 64
#: The inverses answer for targets in [RESOLVED_WER, 1 - RESOLVED_WER]: ten times
#: the forward solution's resolution (`larq_ber.mtj.fpe.UNRESOLVED`, 1e-10).
RESOLVED_WER = 1e-9
_DEPTH_FLOOR = -math.log(RESOLVED_WER)


def voltage_for_wer(
    wer: ArrayLike, pulse: ArrayLike, device: MTJ | None = None
) -> np.ndarray:
    r"""The write voltage that reaches a write error rate with a given pulse.

    Solves $\mathrm{WER}(V, t) = \mathrm{wer}$ for $V$ in $[V_{c0}/2, V_{bd}]$
    (long pulses switch thermally below $V_{c0}$): the FPE WER
    (`write_error_rate`) is computed on a grid of 64 voltages and $V$ is
    interpolated monotonically (PCHIP) as a
    function of $-\log \mathrm{WER}$, which is smooth in $V$. The WER at the
    result is within 2 % of the target (median 0.01 %, measured over targets
    $10^{-1}$…$10^{-6}$ and 6–200 ns).

    Args:
        wer: Target write error rate(s), in [`RESOLVED_WER`, 1 − `RESOLVED_WER`];
            broadcast with `pulse`.
        pulse: Pulse length(s) (s), > 0.
        device: The MTJ (`MTJ.paper()` if `None`).

    Returns:
        The voltage(s) (V), of the broadcast shape.

    Raises:
        ValueError: If `wer` is outside (0, 1) or closer than `RESOLVED_WER` to 0
            or 1, a pulse is not > 0, or a target cannot be reached between
            $V_{c0}/2$ and the breakdown voltage $V_{bd}$ (the message gives the
            reachable range).

    Example:
        >>> round(float(voltage_for_wer(1e-6, 10e-9)), 4)
        0.8348
    """
    device = _device(device)
    _check_resolved(wer)
    volts, at_bd, at_low = _voltage_for_wer(wer, pulse, device)
    if np.any(np.isnan(volts)):
        target, t = np.broadcast_arrays(_check_wer(wer), np.asarray(pulse, float))
        k = int(np.argmax(np.isnan(volts).ravel()))
        goal, length = target.ravel()[k], t.ravel()[k]
        low, high = max(at_bd.ravel()[k], RESOLVED_WER), at_low.ravel()[k]
        raise ValueError(
            f"`wer` {goal:g} cannot be reached with a {length:g} s pulse between "
            f"v_c0 / 2 = {device.v_c0 / 2:g} V and the breakdown voltage v_bd = "
            f"{device.v_bd} V: the reachable write error rates are {low:.3g} … "
            f"{high:.3g}; use another pulse length or target."
        )
    return volts


def _check_resolved(wer: ArrayLike) -> None:
    """A ValueError for targets outside [`RESOLVED_WER`, 1 − `RESOLVED_WER`]."""
    target = _check_wer(wer)
    if np.any(target < RESOLVED_WER):
        raise ValueError(
            f"`wer` {float(np.min(target)):g} is below {RESOLVED_WER:g}, the smallest "
            "write error rate the Fokker-Planck solution resolves."
        )
    if np.any(target > 1 - RESOLVED_WER):
        raise ValueError(
            f"`wer` {float(np.max(target))!r} is above 1 - {RESOLVED_WER:g}: write "
            "error rates that close to 1 (pulses much shorter than tau_D, or "
            "voltages far below v_c0) are not resolved by the Fokker-Planck "
            "solution; ask for a smaller target."
        )


def _voltage_for_wer(
    wer: ArrayLike, pulse: ArrayLike, device: MTJ
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`voltage_for_wer` with NaN where unreachable.

    Also returns the WER at V_bd and the largest WER the interpolation covers
    (at its lowest voltage).
    """
    from scipy.interpolate import PchipInterpolator

    target = _check_wer(wer)
    t = _positive_array(pulse, "pulse", "s")
    target, t = np.broadcast_arrays(target, t)
    flat_t, goal = t.ravel(), -np.log(target.ravel())
    # From V_c0 / 2 (long pulses switch thermally below V_c0) to V_bd, denser low.
    low = 0.5 * device.v_c0
    grid = low + (device.v_bd - low) * np.linspace(0, 1, _GRID_POINTS) ** 1.5
    grid[-1] = device.v_bd  # exactly: `write_error_rate` refuses anything above
    unique_t, inverse = np.unique(flat_t, return_inverse=True)
    wer_grid = write_error_rate(grid[:, None], unique_t[None, :], device)
    depth = -np.log(np.maximum(wer_grid, 1e-300))  # grows with the voltage
    result = np.full(flat_t.shape, np.nan)
    largest = np.ones(len(unique_t))
    for column in range(len(unique_t)):
        rows = np.nonzero(inverse == column)[0]
        x = depth[:, column]
        # Keep the strictly increasing part clear of the plateau WER ≈ 1 (depth
        # below 1e-3), where V is a steep function of the depth, and above the
        # resolved range (WER < RESOLVED_WER).
        keep = (x > 1e-3) & (x < _DEPTH_FLOOR)
        keep &= x > np.maximum.accumulate(np.concatenate([[-np.inf], x[:-1]]))
        last = np.nonzero(keep)[0]
        # The first voltage past the floor closes the bracket up to RESOLVED_WER.
        if last.size and last[-1] + 1 < len(x) and x[last[-1] + 1] > x[last[-1]]:
            keep[last[-1] + 1] = True
        if keep.sum() < 2:  # nothing between the plateau and the floor
            continue
        inside = (goal[rows] >= x[keep][0]) & (goal[rows] <= x[keep][-1])
        largest[column] = math.exp(-x[keep][0])
        spline = PchipInterpolator(x[keep], grid[keep], extrapolate=False)
        result[rows] = np.where(inside, spline(goal[rows]), np.nan)
    at_bd = wer_grid[-1, inverse]
    at_low = largest[inverse]
    return result.reshape(t.shape), at_bd.reshape(t.shape), at_low.reshape(t.shape)


def pulse_for_wer(
    wer: ArrayLike, voltage: ArrayLike, device: MTJ | None = None
) -> np.ndarray:
    r"""The pulse length that reaches a write error rate at a given voltage.

    $\mathrm{WER}(t)$ decreases with $t$; per voltage it is evaluated on a
    logarithmic grid of 141 pulses ($10^{-3}$…$10^4\,\tau_D$), which brackets the
    root, and refined with Brent's method, both with the evaluator of
    `write_error_rate` (`larq_ber.mtj.fpe.legendre_wer`), so
    `write_error_rate(voltage, pulse_for_wer(wer, voltage))` is `wer`.

    Args:
        wer: Target write error rate(s), in [`RESOLVED_WER`, 1 − `RESOLVED_WER`];
            broadcast with `voltage`.
        voltage: Write voltage(s) (V), > 0 and at most $V_{bd}$ (below $V_{c0}$
            the bit switches only thermally, slowly).
        device: The MTJ (`MTJ.paper()` if `None`).

    Returns:
        The pulse length(s) (s).

    Raises:
        ValueError: If `wer` is outside (0, 1) or closer than `RESOLVED_WER` to 0
            or 1, a voltage is not in $(0, V_{bd}]$, or a target needs a pulse
            longer than $10^4 \tau_D$ or shorter than $10^{-3} \tau_D$.

    Example:
        >>> round(float(pulse_for_wer(1e-6, 0.8348)) * 1e9, 2)  # ns
        10.0
    """
    device = _device(device)
    _check_resolved(wer)
    target = _check_wer(wer)
    v = _voltage_array(voltage, device)
    target, v = np.broadcast_arrays(target, v)
    flat_v, flat_target = v.ravel(), target.ravel()
    result = np.empty(v.size)
    for volt in np.unique(flat_v):
        rows = np.nonzero(flat_v == volt)[0]
        result[rows] = _pulses_at(flat_target[rows], float(volt), device)
    return result.reshape(v.shape)


#: The reduced pulse lengths on which `pulse_for_wer` brackets its roots.
_PULSE_GRID = np.geomspace(1e-3, 1e4, 141)


def _pulses_at(targets: np.ndarray, volt: float, device: MTJ) -> np.ndarray:
    """`pulse_for_wer` for checked targets at one voltage (s)."""
    from scipy.optimize import brentq

    h, delta = device.h, device.delta  # and the drive's default order
    drive = volt / device.v_c0

    def log_wer(tau: float, goal: float) -> float:
        value = float(legendre_wer(drive, tau, h=h, delta=delta))
        return math.log(max(value, 1e-300)) - math.log(goal)

    grid = legendre_wer(drive, _PULSE_GRID, h=h, delta=delta)
    out = np.empty(targets.shape)
    for k, goal in enumerate(targets):
        below = np.nonzero(grid < goal)[0]
        if below.size == 0:
            raise ValueError(
                f"`wer` {goal:g} needs a pulse longer than 1e4 tau_D at {volt} V."
            )
        j = below[0]
        if j == 0:
            raise ValueError(
                f"`wer` {goal:g} at {volt} V is reached by any pulse shorter than "
                f"{_PULSE_GRID[0]:g} tau_D = {_PULSE_GRID[0] * device.tau_d:g} s "
                f"(WER there is {grid[0]:.3g}); ask for a smaller target."
            )
        lo, hi = _PULSE_GRID[j - 1], _PULSE_GRID[j]
        tau = brentq(log_wer, lo, hi, args=(goal,), xtol=1e-12, rtol=1e-10)
        out[k] = tau * device.tau_d
    return out
