r"""Inverses of the write error rate: the voltage or the pulse for a target WER.

`voltage_for_wer` interpolates $V$ against $-\log\mathrm{WER}$ on a grid of 64
voltages; `pulse_for_wer` finds the root in the pulse length from one Legendre
eigensystem per voltage (see `larq_ber.mtj.fpe`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from larq_ber.mtj.device import MTJ, _check_wer, _positive_array
from larq_ber.mtj.fpe import _expand, _modes, default_order, write_error_rate

__all__ = ["RESOLVED_WER", "pulse_for_wer", "voltage_for_wer"]


#: Voltages (V_c0 / 2 … V_bd) on which `voltage_for_wer` interpolates.
_GRID_POINTS = 64
#: The smallest write error rate the inverses answer for: below it the Legendre
#: solution's absolute accuracy (~1e-9 around 3 tau_D) is larger than the value.
RESOLVED_WER = 1e-9
_DEPTH_FLOOR = -math.log(RESOLVED_WER)


def voltage_for_wer(
    wer: ArrayLike, pulse: ArrayLike, device: MTJ | None = None
) -> np.ndarray:
    r"""The write voltage that reaches a write error rate with a given pulse.

    Solves $\mathrm{WER}(V, t) = \mathrm{wer}$ for $V$ in $[V_{c0}/2, V_{bd}]$
    (long pulses switch thermally below $V_{c0}$): the FPE WER is computed on a
    grid of 64 voltages (one Legendre eigensystem each,
    every pulse length for free) and $V$ is interpolated monotonically (PCHIP) as a
    function of $-\log \mathrm{WER}$, which is smooth in $V$. The WER at the
    result is within 2 % of the target (median 0.01 %, measured over targets
    $10^{-1}$…$10^{-6}$ and 6–200 ns).

    Args:
        wer: Target write error rate(s), in (0, 1); broadcast with `pulse`.
        pulse: Pulse length(s) (s), > 0.
        device: The MTJ (`MTJ.paper()` if `None`).

    Returns:
        The voltage(s) (V), of the broadcast shape.

    Raises:
        ValueError: If `wer` is outside (0, 1) or below `RESOLVED_WER`, a pulse is
            not > 0, or a target cannot be reached between $V_{c0}/2$ and the
            breakdown voltage $V_{bd}$ (the message gives the reachable range).

    Example:
        >>> round(float(voltage_for_wer(1e-6, 10e-9)), 4)
        0.8348
    """
    device = device or MTJ.paper()
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
    target = _check_wer(wer)
    if np.any(target < RESOLVED_WER):
        raise ValueError(
            f"`wer` {float(np.min(target)):g} is below {RESOLVED_WER:g}, the smallest "
            "write error rate the Fokker-Planck solution resolves."
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
    unique_t, inverse = np.unique(flat_t, return_inverse=True)
    wer_grid = write_error_rate(grid[:, None], unique_t[None, :], device)
    depth = -np.log(np.maximum(wer_grid, 1e-300))  # grows with the voltage
    result = np.full(flat_t.shape, np.nan)
    largest = np.ones(len(unique_t))
    for column in range(len(unique_t)):
        rows = np.nonzero(inverse == column)[0]
        x = depth[:, column]
        # Keep the strictly increasing part clear of the plateau WER ≈ 1, where
        # the eigen-expansion's rounding (~1e-5) is larger than the signal.
        # Below WER ~1e-9 it is below the expansion's absolute accuracy.
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

    For one voltage, $\mathrm{WER}(t) = \sum_k w_k e^{\lambda_k t/\tau_D}$ decreases
    with $t$; the root is bracketed on a logarithmic grid and refined with Brent's
    method, all from one Legendre eigensystem per voltage.

    Args:
        wer: Target write error rate(s), in (0, 1); broadcast with `voltage`.
        voltage: Write voltage(s) (V), > 0 and at most $V_{bd}$ (below $V_{c0}$
            the bit switches only thermally, slowly).
        device: The MTJ (`MTJ.paper()` if `None`).

    Returns:
        The pulse length(s) (s).

    Raises:
        ValueError: If `wer` is outside (0, 1) or below `RESOLVED_WER`, a voltage
            is not in $(0, V_{bd}]$, or a target needs a pulse longer than
            $10^4 \tau_D$ or shorter than $10^{-3} \tau_D$.

    Example:
        >>> round(float(pulse_for_wer(1e-6, 0.8348)) * 1e9, 2)  # ns
        10.0
    """
    from scipy.optimize import brentq

    device = device or MTJ.paper()
    _check_resolved(wer)
    target = _check_wer(wer)
    v = _positive_array(voltage, "voltage", "V")
    if np.any(v > device.v_bd):
        raise ValueError(
            f"`voltage` must be at most v_bd = {device.v_bd} V, where the barrier "
            f"breaks down; got {v.ravel()[:3].tolist()}."
        )
    target, v = np.broadcast_arrays(target, v)
    result = np.empty(v.size)
    order = default_order(device.delta)
    taus = np.geomspace(1e-3, 1e4, 141)
    for k, (goal, volt) in enumerate(zip(target.ravel(), v.ravel(), strict=True)):
        modes = _modes(volt / device.v_c0, device.h, device.delta, order)

        def log_wer(tau: float, modes: Any = modes, goal: float = goal) -> float:
            value = float(_expand(modes, np.array([tau]))[0])
            return math.log(max(value, 1e-300)) - math.log(goal)

        values = np.array([log_wer(x) for x in taus])
        below = np.nonzero(values < 0)[0]
        if below.size == 0:
            raise ValueError(
                f"`wer` {goal:g} needs a pulse longer than 1e4 tau_D at {volt} V."
            )
        j = below[0]
        if j == 0:
            raise ValueError(
                f"`wer` {goal:g} at {volt} V is reached by any pulse shorter than "
                f"{taus[0]:g} tau_D = {taus[0] * device.tau_d:g} s (WER there is "
                f"{math.exp(values[0] + math.log(goal)):.3g}); ask for a smaller "
                "target."
            )
        result[k] = brentq(log_wer, taus[j - 1], taus[j], xtol=1e-12, rtol=1e-10)
        result[k] *= device.tau_d
    return result.reshape(v.shape)
