r"""The Fokker–Planck write error rate of an MTJ and its three solutions.

The equation and its parameters are described in `larq_ber.mtj`; every solution
starts from the field-aware equilibrium in the initial well of
`larq_ber.mtj.initial`. Here:

- the Legendre solution (`model="fpe"`, the default): `legendre_operator` is the
  truncated operator $A$ of $r' = A r$ for the Legendre coefficients $r$ of the
  density, built from the Legendre recurrences; `legendre_wer` evaluates
  $\mathrm{WER} = c \cdot e^{A\tau} r_0$, the one evaluator behind
  `write_error_rate` and the inverses of `larq_ber.mtj.inverse`;
  `default_order` is the truncation order;
- an independent finite-volume solution on a graded grid in $z$
  (`model="finite_volume"`, slow; the cross-check);
- the closed-form approximation (`model="approx"`, only well above threshold);
- `write_error_rate` and `switching_probability`, the public entry points.
"""

from __future__ import annotations

import functools
import math
import os
from typing import Any

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from larq_ber.mtj.device import MTJ, _device, _positive_array, _voltage_array
from larq_ber.mtj.initial import initial_and_hemisphere as _initial_and_hemisphere
from larq_ber.mtj.initial import initial_density, initial_well

__all__ = [
    "MAX_PULSE",
    "MODELS",
    "default_order",
    "legendre_operator",
    "switching_probability",
    "write_error_rate",
]

MODELS = ("fpe", "finite_volume", "approx")

#: Longest pulse accepted, in units of tau_D. Up to here the Legendre solution is
#: within ~2e-9 of its limits (measured, Delta 20-60, |h| <= 0.9); far beyond it
#: its truncation leaks about 2e-12 per tau_D out of a state that should hold for
#: years, so a 1 s pulse at 0.01 V gave WER 0.99991 next to 1.0 at 0.001 V.
#: Idle times that long are thermal switching: `larq_ber.mtj.retention_failure`.
MAX_PULSE = 1e4


#: Largest Legendre order (and finite-volume cell count) accepted: an order N
#: needs N x N matrices (8 N^2 bytes each, ~25 of them cached per voltage) and
#: O(N^3) products per voltage; 2048 is a few seconds, and covers Delta up to
#: ~10,000.
MAX_ORDER = 2048


def check_order(order: Any, what: str = "order") -> int:
    """An order (or cell count) as an int in [1, `MAX_ORDER`], or a ValueError.

    Args:
        order: The value to check.
        what: What it is, for the message.

    Returns:
        `int(order)`.

    Raises:
        ValueError: If it is not an integer in [1, `MAX_ORDER`].

    Example:
        >>> check_order(127)
        127
    """
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise ValueError(f"`{what}` must be an integer >= 1, got {order!r}.")
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(
            f"`{what}` must be an integer in [1, {MAX_ORDER}], got {order!r}: the "
            f"solution needs {what}² matrix entries (a larger thermal stability "
            "delta asks for a larger order, ceil(20 sqrt(delta)))."
        )
    return int(order)


def default_order(delta: float, drive: float = 1.0) -> int:
    r"""The Legendre truncation order used by default at a thermal stability and drive.

    $N = \lceil 20\sqrt{\Delta}\rceil$ (at least 32) up to $i = 2$, and beyond,
    where the drive pushes the density harder, the larger of that and
    $20\sqrt{\Delta\, i / 2.5}$ rounded up to a multiple of 16 (so that nearby
    drives share one order and its cached matrices). The order needed for the
    resolution `UNRESOLVED` (1e-10), measured against orders 2.5 times larger over
    $\Delta$ = 10–100, $i$ = 1–40, $h$ = 0, ±0.5 and pulses of
    0.1–$10^4\,\tau_D$, is about $20\sqrt{\Delta i / 3.9}$ (e.g. 288 at
    $\Delta = 40$, $i = 20$, where $\lceil 20\sqrt{\Delta}\rceil = 127$ was off
    by $5 \times 10^{-4}$); this rule keeps a margin of at least 1.14 over it.

    Args:
        delta: Thermal stability factor $\Delta$.
        drive: Reduced drive $i = V/V_{c0}$ (1 by default, i.e. the order at or
            below $i = 2$).

    Returns:
        The order $N$ (number of Legendre polynomials).

    Example:
        >>> default_order(40.0), default_order(40.0, 2.0), default_order(40.0, 4.0)
        (127, 127, 160)
    """
    order = max(32, math.ceil(20 * math.sqrt(delta)))
    if drive > 2.0:
        order = max(order, 16 * math.ceil(20 * math.sqrt(delta * drive / 2.5) / 16))
    return order


@functools.lru_cache(maxsize=16)
def _operator_parts(order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""B, Z, D with A = (i − h) B − Z + D / (2Δ), in the Legendre basis.

    Column $n$ is the image of $P_n$ (truncated to `order` coefficients) under
    $B = \partial_z(1 - z^2)$, $Z = \partial_z(1 - z^2) z$ and
    $D = \partial_z(1 - z^2)\partial_z$. From the Legendre recurrences,
    $B P_n = \frac{n(n-1)}{2n+1} P_{n-1} - \frac{(n+1)(n+2)}{2n+1} P_{n+1}$,
    $z P_n = \frac{n+1}{2n+1} P_{n+1} + \frac{n}{2n+1} P_{n-1}$ and
    $D P_n = -n(n+1) P_n$ (see `legendre_operator`, whose tests compare them with
    numpy's Legendre-series algebra).
    """
    n = np.arange(order, dtype=float)

    def b_column(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # coefficients of P_{m-1} and P_{m+1} in B P_m
        return m * (m - 1) / (2 * m + 1), -(m + 1) * (m + 2) / (2 * m + 1)

    b, z = np.zeros((order, order)), np.zeros((order, order))
    down, up = b_column(n)
    b[n[1:].astype(int) - 1, n[1:].astype(int)] = down[1:]
    b[n[:-1].astype(int) + 1, n[:-1].astype(int)] = up[:-1]
    above, below = (n + 1) / (2 * n + 1), n / (2 * n + 1)  # z P_n
    down_next, up_next = b_column(n + 1)  # B P_{n+1}: P_n, P_{n+2}
    down_prev, up_prev = b_column(n - 1)  # B P_{n-1}: P_{n-2}, P_n
    diagonal = above * down_next + below * up_prev
    idx = np.arange(order)
    z[idx, idx] = diagonal
    z[idx[:-2] + 2, idx[:-2]] = (above * up_next)[:-2]
    z[idx[2:] - 2, idx[2:]] = (below * down_prev)[2:]
    d = np.diag(-n * (n + 1))
    return b, z, d


def _operator(i: float, h: float, delta: float, order: int) -> np.ndarray:
    """A = (i − h) B − Z + D / (2Δ) for a reduced drive i (a new array)."""
    b, z, d = _operator_parts(order)
    return (i - h) * b - z + d / (2 * delta)


def legendre_operator(
    voltage: float, device: MTJ | None = None, *, order: int | None = None
) -> np.ndarray:
    r"""The Fokker–Planck operator in the Legendre basis, truncated to `order`.

    With $\rho(z, \tau) = \sum_n r_n(\tau) P_n(z)$, the Fokker–Planck equation of
    `larq_ber.mtj` becomes $dr/d\tau = A r$ with

    $$A = (i - h) B - Z + \frac{D}{2\Delta},\quad
    B = \partial_z(1 - z^2),\ Z = \partial_z(1 - z^2) z,\
    D = \partial_z(1 - z^2)\partial_z,$$

    $i = V/V_{c0}$. Column $n$ of each matrix holds the Legendre coefficients of
    the image of $P_n$, truncated to the first `order`. They come from the
    Legendre recurrences,
    $B P_n = \frac{n(n-1)}{2n+1} P_{n-1} - \frac{(n+1)(n+2)}{2n+1} P_{n+1}$,
    $z P_n = \frac{n+1}{2n+1} P_{n+1} + \frac{n}{2n+1} P_{n-1}$ and
    $D P_n = -n(n+1) P_n$, so $A$ is pentadiagonal. This is the matrix whose
    exponential `write_error_rate` uses (through `legendre_wer`).

    Args:
        voltage: Write voltage $V$ (V), in $(0, V_{bd}]$.
        device: The MTJ (`MTJ.paper()` if `None`): gives $V_{c0}$, $h$, $\Delta$.
        order: Number $N$ of Legendre polynomials, >= 1 (default
            `default_order(device.delta, voltage / device.v_c0)`).

    Returns:
        $A$, an $N \times N$ float array (per reduced time $\tau = t/\tau_D$); a
        new array on each call.

    Raises:
        ValueError: If `voltage` is outside $(0, V_{bd}]$ or `order` is below 1.

    Example:
        >>> a = legendre_operator(0.6)  # 2 V_c0, the paper's device
        >>> a.shape, bool(np.all(np.triu(a, 3) == 0) and np.all(np.tril(a, -3) == 0))
        ((127, 127), True)
    """
    device = _device(device)
    v = float(_voltage_array(voltage, device))
    i = v / device.v_c0
    n = check_order(default_order(device.delta, i) if order is None else order)
    return _operator(i, device.h, device.delta, n)


#: Terms of the Taylor series of exp(A δ) r for the remainder δ < s (‖A s‖₁ ≤ 1/2:
#: the next term is below 0.5**19 / 19! ≈ 2e-23 of ‖r‖₁).
_TAYLOR_TERMS = 18

#: The Legendre solution's absolute resolution: WERs closer than this to 1 are
#: reported as 1 and smaller ones as 0. The truncated series puts ~1e-12 of the
#: initial mass below the equator (3e-10 at Delta = 20) and leaves a stationary
#: remainder of up to ~4e-11 in the initial hemisphere at long pulses; within
#: those the values wander by rounding and are not monotonic.
UNRESOLVED = 1e-10


def _step(a: np.ndarray) -> float:
    """The largest power of 2, at most 1, with ‖A s‖₁ ≤ ½."""
    norm = float(np.linalg.norm(a, 1))
    return 2.0 ** -max(0, math.ceil(math.log2(2 * norm))) if norm > 0 else 1.0


@functools.lru_cache(maxsize=8)
def _ladder(
    i: float, h: float, delta: float, order: int, length: int
) -> tuple[float, tuple[np.ndarray, ...]]:
    """(s, (e^{As}, e^{2As}, e^{4As}, …)), `length` powers, s a power of 2, ‖As‖₁ ≤ ½.

    Each power is the square of the one before (what `scipy.linalg.expm` does
    for a large ‖Aτ‖ anyway). Read-only arrays: cached, as the inverses evaluate
    one drive many times.
    """
    a = _operator(i, h, delta, order)
    s = _step(a)
    powers = [scipy.linalg.expm(a * s)]
    while len(powers) < length:
        powers.append(powers[-1] @ powers[-1])
    for power in powers:
        power.setflags(write=False)
    return s, tuple(powers)


def _one_drive(
    i: float, tau: np.ndarray, h: float, delta: float, order: int
) -> np.ndarray:
    r"""Unclipped WER $c \cdot e^{A\tau} r_0$ at reduced pulses `tau` (1-D), drive i.

    $\tau = j s + \delta$ with $0 \le \delta < s$ exactly ($s$ is a power of 2):
    $e^{A j s}$ is the product of the ladder's powers for the binary digits of
    $j$, and $e^{A\delta}$ a Taylor series. Measured against `scipy.linalg.expm`
    of $A\tau$ (0.2–1.2 V, $10^{-3}$–$10^4\,\tau_D$): within 2e-13 absolute,
    5e-12 at 0.2 V beyond $3\tau_D$. No eigensystem: the eigenvectors are far from
    orthogonal (rcond ~1e-17), so an eigen-expansion's short-pulse values depend on
    the BLAS build (up to 1e-3 off; the 0.1 releases' WER 1.00064).
    """
    a = _operator(i, h, delta, order)
    r0, c = _initial_and_hemisphere(delta, order, h)
    steps = np.floor(tau / _step(a))
    length = int(np.max(steps)).bit_length()
    s, powers = _ladder(i, h, delta, order, max(length, 24))  # 24: to ~10^4 tau_D
    rest = tau - steps * s  # exact: s is a power of 2
    r = np.repeat(r0[:, None], tau.size, axis=1)
    for m, power in enumerate(powers[:length]):
        digit = np.floor(steps / 2.0**m) % 2 == 1
        if np.any(digit):
            r[:, digit] = power @ r[:, digit]
    total, term = r.copy(), r
    for k in range(1, _TAYLOR_TERMS + 1):
        term = (a @ term) * (rest / k)
        total += term
    return c @ total


def legendre_wer(
    i: ArrayLike, tau: ArrayLike, *, h: float, delta: float, order: int | None = None
) -> np.ndarray:
    r"""The Legendre solution's WER at reduced drives and pulse lengths.

    The one evaluator of the Fokker–Planck WER: `write_error_rate` (its default
    model), `voltage_for_wer` and `pulse_for_wer` all call it, so the inverses
    are exact inverses of the forward function. It is
    $c \cdot e^{A\tau} r_0$ (hemisphere integrals $c$, initial coefficients
    $r_0$) for every pulse length, from one ladder of squared exponentials
    $e^{A s 2^m}$ per drive and a Taylor series for the remainder (no
    eigensystem, so no BLAS-dependent rounding). Values within `UNRESOLVED`
    (1e-10) of 0 or 1, which the truncated solution does not resolve, are 0 or
    1, so the result is in [0, 1] and does not increase with $\tau$ (checked on
    dense grids, 0.2–1.2 V, $10^{-3}$–$10^3\,\tau_D$, $\Delta$ = 20–60).

    Args:
        i: Reduced drive(s) $i = V/V_{c0}$, > 0; broadcast with `tau`.
        tau: Reduced pulse length(s) $\tau = t/\tau_D$, > 0.
        h: Reduced field.
        delta: Thermal stability factor.
        order: Legendre truncation order, checked by `check_order`; by default
            `default_order(delta, i)` for each drive, so a value does not depend
            on the other drives of the call.

    Returns:
        The WER, an array of the broadcast shape, in [0, 1].

    Example:
        >>> float(legendre_wer(2.0, 5.0, h=0.0, delta=40.0, order=127).round(5))
        0.00133
    """
    i, tau = np.broadcast_arrays(np.asarray(i, float), np.asarray(tau, float))
    flat_i, flat_tau = i.ravel(), tau.ravel()
    out = np.empty(flat_i.shape)
    values, inverse = np.unique(flat_i, return_inverse=True)
    inverse = inverse.ravel()
    orders = [
        check_order(default_order(delta, float(v)) if order is None else order)
        for v in values
    ]

    def solve(k: int) -> None:
        rows = np.nonzero(inverse == k)[0]
        out[rows] = _one_drive(float(values[k]), flat_tau[rows], h, delta, orders[k])

    workers = min(len(values), os.cpu_count() or 1)
    if workers == 1:
        for k in range(len(values)):
            solve(k)
    else:
        # One drive per core, BLAS limited to one thread each (2.5x faster than
        # BLAS's own threads on these 127 x 127 matrices, 2 cores).
        from concurrent.futures import ThreadPoolExecutor

        from threadpoolctl import threadpool_limits

        for n in sorted(set(orders))[-16:]:  # fill the caches (16 orders each)
            _operator_parts(n), _initial_and_hemisphere(delta, n, h)
        with threadpool_limits(1), ThreadPoolExecutor(workers) as pool:
            # largest orders first, so that no core is left with one at the end
            list(pool.map(solve, sorted(range(len(values)), key=lambda k: -orders[k])))
    out[out < UNRESOLVED] = 0.0
    out[out > 1.0 - UNRESOLVED] = 1.0
    return out.reshape(i.shape)


def _finite_volume(i: float, tau: float, h: float, delta: float, cells: int) -> float:
    """The FPE on a graded finite-volume grid in z, integrated with expm_multiply."""
    from scipy.sparse import diags
    from scipy.sparse.linalg import expm_multiply

    # Faces clustered at z = ±1 where the density lives: z = −cos(π s), s uniform.
    faces = -np.cos(np.pi * np.linspace(0.0, 1.0, cells + 1))
    faces[cells // 2] = 0.0 if cells % 2 == 0 else faces[cells // 2]
    width = np.diff(faces)
    centres = 0.5 * (faces[1:] + faces[:-1])
    inner = faces[1:-1]
    mobility = 1 - inner**2
    drift = mobility * (i - h - inner)  # flux J = drift·ρ + mobility/(2Δ)·ρ_z
    gap = np.diff(centres)
    diffusion = mobility / (2 * delta) / gap
    # Upwind-free central scheme: ρ at a face = average of its two cells.
    left = 0.5 * drift - diffusion  # coefficient of ρ_left in J (J > 0: towards +z)
    right = 0.5 * drift + diffusion  # coefficient of ρ_right
    # dρ_j/dτ = (J_{j+1/2} − J_{j−1/2}) / width_j with J as ∂/∂z of the bracket.
    main = np.zeros(cells)
    lower = np.zeros(cells - 1)
    upper = np.zeros(cells - 1)
    main[:-1] += left / width[:-1]
    upper += right / width[:-1]
    main[1:] -= right / width[1:]
    lower -= left / width[1:]
    matrix = diags([lower, main, upper], [-1, 0, 1], format="csc")
    upper_half = centres > 0
    well = centres > initial_well(h)
    rho0 = np.zeros(cells)
    rho0[well] = initial_density(centres[well], h, delta)
    mass0 = rho0 * width
    rho0 /= mass0.sum()
    rho = expm_multiply(matrix * tau, rho0) if tau > 0 else rho0
    return float(np.sum((rho * width)[upper_half]))


def _approx(i: np.ndarray, tau: np.ndarray, delta: float) -> np.ndarray:
    excess = i - 1
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        rate = (np.pi**2 * delta / 4) * excess / np.expm1(2 * excess * tau)
        out = -np.expm1(-rate)
    return np.where(excess > 0, out, 1.0)


def write_error_rate(
    voltage: ArrayLike,
    pulse: ArrayLike,
    device: MTJ | None = None,
    *,
    model: str = "fpe",
    order: int | None = None,
) -> np.ndarray:
    r"""Probability that a write pulse leaves the bit unswitched.

    Args:
        voltage: Write voltage amplitude(s) $V$ (V), in $(0, V_{bd}]$; broadcast
            with `pulse`. Above the breakdown voltage the barrier breaks down and
            there is no write error rate: such voltages are refused.
        pulse: Pulse length(s) $t$ (s), in $(0, 10^4\tau_D]$ (`MAX_PULSE`).
        device: The MTJ (`MTJ.paper()` if `None`).
        model: `"fpe"`: Legendre solution of the Fokker–Planck equation (default);
            `"finite_volume"`: an independent finite-volume solution of the same
            equation (slow, for cross-checks); `"approx"`: closed-form
            approximation, valid only for $V > V_{c0}$ well above threshold.
        order: Legendre truncation order for `"fpe"` (default
            `default_order(device.delta, voltage / device.v_c0)`, per voltage), or
            number of cells for `"finite_volume"` (default 1000).

    Returns:
        The WER, an array of the broadcast shape, in [0, 1].

    Raises:
        ValueError: If a voltage is outside $(0, V_{bd}]$, a pulse outside
            $(0, 10^4\tau_D]$, `device` is not an `MTJ`, `model` is unknown, or the
            order (given, or the default for the device's delta) is outside
            [1, `MAX_ORDER`].

    Example:
        >>> wer = write_error_rate([0.6, 0.9], 10e-9)  # 2 and 3 V_c0, 5 tau_D
        >>> [f"{w:.3g}" for w in wer]
        ['0.00133', '1.26e-07']
    """
    device = _device(device)
    if model not in MODELS:
        raise ValueError(f"`model` must be one of {list(MODELS)}, got {model!r}.")
    v = _voltage_array(voltage, device)
    t = _pulse_array(pulse, device)
    v, t = np.broadcast_arrays(v, t)
    if order is not None:
        check_order(order, "order" if model == "fpe" else "cells")
    return _wer(v / device.v_c0, t / device.tau_d, device, model=model, order=order)


def _pulse_array(pulse: ArrayLike, device: MTJ, name: str = "pulse") -> np.ndarray:
    """`pulse` as a float array in (0, `MAX_PULSE` tau_D] (s); else a ValueError."""
    t = _positive_array(pulse, name, "s")
    longest = MAX_PULSE * device.tau_d
    if np.any(t > longest):
        raise ValueError(
            f"`{name}` {float(np.max(t)):g} s is too long: it must be in (0, "
            f"{MAX_PULSE:g} tau_D = {longest:g}] s, where the Fokker-Planck solution "
            "is resolved (thermal switching over longer times: retention_failure)."
        )
    return t


def _wer(
    i: np.ndarray,
    tau: np.ndarray,
    device: MTJ,
    *,
    model: str = "fpe",
    order: int | None = None,
) -> np.ndarray:
    """`write_error_rate` at checked reduced drives and pulses (same shape)."""
    if model == "approx":
        out = _approx(i, tau, device.delta)
    elif model == "finite_volume":
        cells = order or 1000
        out = np.array(
            [
                _finite_volume(a, b, device.h, device.delta, cells)
                for a, b in zip(i.ravel(), tau.ravel(), strict=True)
            ]
        ).reshape(i.shape)
    else:
        return legendre_wer(i, tau, h=device.h, delta=device.delta, order=order)
    return np.clip(out, 0.0, 1.0)


def switching_probability(
    voltage: ArrayLike, pulse: ArrayLike, device: MTJ | None = None, **kwargs: Any
) -> np.ndarray:
    """`1 − write_error_rate(voltage, pulse, device, **kwargs)`.

    Args:
        voltage: Write voltage(s) (V).
        pulse: Pulse length(s) (s).
        device: The MTJ (`MTJ.paper()` if `None`).
        **kwargs: `model`, `order` of `write_error_rate`.

    Returns:
        The switching probability, in [0, 1].

    Example:
        >>> float(switching_probability(0.6, 10e-9).round(4))
        0.9987
    """
    return 1.0 - write_error_rate(voltage, pulse, device, **kwargs)
