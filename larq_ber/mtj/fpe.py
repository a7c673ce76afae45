r"""The Fokker–Planck write error rate of an MTJ and its three solutions.

The equation and its parameters are described in `larq_ber.mtj`. Here:

- the Legendre solution (`model="fpe"`, the default): `legendre_operator` is the
  truncated operator $A$ of $r' = A r$ for the Legendre coefficients $r$ of the
  density, built from the Legendre recurrences; its eigensystem gives every pulse
  length of one voltage at once, and pulses shorter than $0.25\tau_D$ use the
  matrix exponential; `default_order` is the truncation order;
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
from numpy.polynomial import legendre as leg
from numpy.typing import ArrayLike

from larq_ber.mtj.device import MTJ, _positive_array

__all__ = [
    "MODELS",
    "default_order",
    "legendre_operator",
    "switching_probability",
    "write_error_rate",
]

MODELS = ("fpe", "finite_volume", "approx")


#: Largest Legendre order (and finite-volume cell count) accepted: an order N
#: needs N x N matrices (16 N^2 bytes complex) and an O(N^3) eigensystem per
#: voltage; 2048 is 64 MiB and a few seconds, and covers Delta up to ~10,000.
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


def default_order(delta: float) -> int:
    r"""The Legendre truncation order used by default, $\lceil 20\sqrt{\Delta}\rceil$.

    Args:
        delta: Thermal stability factor.

    Returns:
        The order $N$ (number of Legendre polynomials).

    Example:
        >>> default_order(40.0)
        127
    """
    return max(32, math.ceil(20 * math.sqrt(delta)))


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
    eigensystem (or, for short pulses, exponential) `write_error_rate` uses.

    Args:
        voltage: Write voltage $V$ (V), > 0.
        device: The MTJ (`MTJ.paper()` if `None`): gives $V_{c0}$, $h$, $\Delta$.
        order: Number $N$ of Legendre polynomials, >= 1 (default
            `default_order(device.delta)`).

    Returns:
        $A$, an $N \times N$ float array (per reduced time $\tau = t/\tau_D$); a
        new array on each call.

    Raises:
        ValueError: If `voltage` is not > 0 or `order` is below 1.

    Example:
        >>> a = legendre_operator(0.6)  # 2 V_c0, the paper's device
        >>> a.shape, bool(np.all(np.triu(a, 3) == 0) and np.all(np.tril(a, -3) == 0))
        ((127, 127), True)
    """
    device = device or MTJ.paper()
    v = float(_positive_array(voltage, "voltage", "V"))
    n = check_order(default_order(device.delta) if order is None else order)
    return _operator(v / device.v_c0, device.h, device.delta, n)


@functools.lru_cache(maxsize=16)
def _initial_and_hemisphere(delta: float, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Legendre coefficients of ρ(z, 0) and the integrals ∫_0^1 P_n dz."""
    x, w = leg.leggauss(max(4 * order, 200))
    z, w = 0.5 * (x + 1), 0.5 * w  # Gauss–Legendre on [0, 1]
    rho = np.exp(-delta * (1 - z**2))
    rho /= np.sum(w * rho)
    vander = leg.legvander(z, order - 1)
    coefficients = (2 * np.arange(order) + 1) / 2 * (vander.T @ (w * rho))
    hemisphere = vander.T @ w  # ∫_0^1 P_n dz, exact for n < 2 · quadrature points
    return coefficients, hemisphere


@functools.lru_cache(maxsize=64)
def _modes(i: float, h: float, delta: float, order: int) -> tuple[np.ndarray, np.ndarray]:
    """(λ_k, w_k) with WER(τ) = Σ_k w_k exp(λ_k τ) for τ ≥ `_LONG_PULSE`, one drive i.

    w_k = (c·v_k)(u_k·r0)/(u_k·v_k) with right and left eigenvectors v_k, u_k
    (scipy's LAPACK). The eigenvector matrix is far from orthogonal (rcond
    ~1e-17), so the fast modes' weights carry rounding errors of up to ~1e-4 that
    depend on the BLAS build; they have decayed from τ = 3 on (measured against
    `expm`: within 2e-11 absolute at τ = 3, 2e-13 from τ = 5 on, for 0.35–1.2 V),
    which is why shorter pulses use the matrix exponential. Cached (read-only
    arrays): the inverses evaluate one drive many times.
    """
    a = _operator(i, h, delta, order)
    r0, c = _initial_and_hemisphere(delta, order)
    lam, left, right = scipy.linalg.eig(a, left=True, right=True)
    weights = (c @ right) * (left.conj().T @ r0)
    weights /= np.einsum("ij,ij->j", left.conj(), right)
    lam.setflags(write=False)
    weights.setflags(write=False)
    return lam, weights


#: Reduced pulse length from which the eigen-expansion is used; shorter pulses
#: use the matrix exponential.
_LONG_PULSE = 3.0

#: WERs closer than this to 1 are reported as 1: the truncated initial density
#: already puts ~6e-13 of its mass below the equator (paper's device), and the
#: solution drifts by that much on the plateau, so they are not resolved.
_PLATEAU = 1e-11


def _one_drive(i: float, tau: np.ndarray, h: float, delta: float, order: int) -> np.ndarray:
    """Unclipped WER at reduced pulse lengths `tau` (1-D) for one reduced drive i."""
    out = np.empty(tau.shape)
    long = tau >= _LONG_PULSE
    if np.any(long):
        lam, weights = _modes(i, h, delta, order)
        out[long] = np.real(np.exp(np.outer(tau[long], lam)) @ weights)
    if not np.all(long):
        a = _operator(i, h, delta, order)
        r0, c = _initial_and_hemisphere(delta, order)
        lengths, where = np.unique(tau[~long], return_inverse=True)
        values = np.array([c @ (scipy.linalg.expm(a * t) @ r0) for t in lengths])
        out[~long] = values[where.ravel()]
    return out


def legendre_wer(
    i: ArrayLike, tau: ArrayLike, *, h: float, delta: float, order: int
) -> np.ndarray:
    r"""The Legendre solution's WER at reduced drives and pulse lengths.

    The one evaluator of the Fokker–Planck WER: `write_error_rate` (its default
    model), `voltage_for_wer` and `pulse_for_wer` all call it, so the inverses
    are exact inverses of the forward function. Per drive: the matrix
    exponential $c \cdot e^{A\tau} r_0$ for $\tau < 3$ and the eigen-expansion
    $\sum_k w_k e^{\lambda_k\tau}$ beyond (one eigensystem per drive, cached).
    The result is clipped to [0, 1] and values within `_PLATEAU` (1e-11) of 1,
    which the truncated solution does not resolve, are 1; it does not increase
    with $\tau$.

    Args:
        i: Reduced drive(s) $i = V/V_{c0}$, > 0; broadcast with `tau`.
        tau: Reduced pulse length(s) $\tau = t/\tau_D$, > 0.
        h: Reduced field.
        delta: Thermal stability factor.
        order: Legendre truncation order, checked by `check_order`.

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

    def solve(k: int) -> None:
        rows = np.nonzero(inverse == k)[0]
        out[rows] = _one_drive(float(values[k]), flat_tau[rows], h, delta, order)

    workers = min(len(values), os.cpu_count() or 1)
    if workers == 1:
        for k in range(len(values)):
            solve(k)
    else:
        # One eigensystem per drive, one per core: BLAS limited to one thread
        # each (2.5x faster than BLAS's own threads on 127 x 127, 2 cores).
        from concurrent.futures import ThreadPoolExecutor

        from threadpoolctl import threadpool_limits

        _operator_parts(order), _initial_and_hemisphere(delta, order)  # fill caches
        with threadpool_limits(1), ThreadPoolExecutor(workers) as pool:
            list(pool.map(solve, range(len(values))))
    out = np.clip(out, 0.0, 1.0)
    out[out > 1.0 - _PLATEAU] = 1.0
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
    rho0 = np.where(centres > 0, np.exp(-delta * (1 - centres**2)), 0.0)
    mass0 = rho0 * width
    rho0 /= mass0.sum()
    rho = expm_multiply(matrix * tau, rho0) if tau > 0 else rho0
    upper_half = centres > 0
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
        voltage: Write voltage amplitude(s) $V$ (V), > 0; broadcast with `pulse`.
        pulse: Pulse length(s) $t$ (s), > 0.
        device: The MTJ (`MTJ.paper()` if `None`).
        model: `"fpe"`: Legendre solution of the Fokker–Planck equation (default);
            `"finite_volume"`: an independent finite-volume solution of the same
            equation (slow, for cross-checks); `"approx"`: closed-form
            approximation, valid only for $V > V_{c0}$ well above threshold.
        order: Legendre truncation order for `"fpe"` (default
            `default_order(device.delta)`), or number of cells for
            `"finite_volume"` (default 1000).

    Returns:
        The WER, an array of the broadcast shape, in [0, 1].

    Raises:
        ValueError: If a voltage or pulse is not > 0, `model` is unknown, or the
            order (given, or the default for the device's delta) is outside
            [1, `MAX_ORDER`].

    Example:
        >>> wer = write_error_rate([0.6, 0.9], 10e-9)  # 2 and 3 V_c0, 5 tau_D
        >>> [f"{w:.3g}" for w in wer]
        ['0.00133', '1.26e-07']
    """
    device = device or MTJ.paper()
    if model not in MODELS:
        raise ValueError(f"`model` must be one of {list(MODELS)}, got {model!r}.")
    v = _positive_array(voltage, "voltage", "V")
    t = _positive_array(pulse, "pulse", "s")
    v, t = np.broadcast_arrays(v, t)
    i = v / device.v_c0
    tau = t / device.tau_d
    if order is not None:
        check_order(order, "order" if model == "fpe" else "cells")
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
        n = check_order(order or default_order(device.delta))
        return legendre_wer(i, tau, h=device.h, delta=device.delta, order=n)
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
