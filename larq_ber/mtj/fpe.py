r"""MRAM write-error physics of a magnetic tunnel junction (MTJ), numpy/scipy only.

The write error rate (WER) of a perpendicular MTJ follows Tzoufras, *Switching
probability of all-perpendicular spin valve nanopillars*, AIP Advances 8, 056002
(2018), arXiv:1708.01671: a macrospin free layer with azimuthal symmetry,
$z = \cos\theta$, reduced time $\tau = t/\tau_D$, reduced drive $i = V/V_{c0}$,
reduced field $h$ and thermal stability $\Delta$. The density $\rho(z, \tau)$ of the
magnetisation direction obeys the Fokker–Planck equation (FPE)

$$\frac{\partial\rho}{\partial\tau} = \frac{\partial}{\partial z}\left[(1 - z^2)
(i - h - z)\,\rho + \frac{1 - z^2}{2\Delta}\frac{\partial\rho}{\partial z}\right],$$

starting from thermal equilibrium in the initial well,
$\rho(z, 0) \propto e^{-\Delta(1 - z^2)}$ for $z > 0$. The write error rate is the
probability still in the initial hemisphere, $\mathrm{WER}(\tau) = \int_0^1 \rho\,dz$.

`write_error_rate(model="fpe")` expands $\rho = \sum_n r_n P_n(z)$ in Legendre
polynomials. The operator maps polynomials of degree $n$ to degree $n + 2$, so the
truncated system $r' = A r$ is exact up to the truncation order $N$; with
$A = V \Lambda V^{-1}$, $\mathrm{WER}(\tau) = \sum_k w_k e^{\lambda_k \tau}$, which
makes every pulse length of one voltage cheap. $N$ defaults to
$\lceil 20\sqrt{\Delta}\rceil$ (127 at $\Delta = 40$), where the result has
converged (the tests compare with $1.5N$). The eigenvector matrix is badly
conditioned, which limits the absolute accuracy (measured against `scipy.linalg.expm`
of the same matrix) to about $10^{-5}$ for pulses up to $\tau_D$, where the WER is
near 1, and about $10^{-9}$ beyond: WERs down to $10^{-7}$ are accurate to better than
0.1 %, smaller ones are not resolved. Pulses shorter than $0.25\tau_D$ use the matrix
exponential directly. $A$ is pentadiagonal and built from the Legendre recurrences.
`model="finite_volume"` solves the same FPE independently on a graded grid in $z$
(slow; the cross-check), and
`model="approx"` is the closed-form approximation

$$\mathrm{WER} \approx 1 - \exp\left[-\frac{\pi^2\Delta}{4}
\frac{i - 1}{e^{2(i-1)\tau} - 1}\right],$$

valid only well above threshold ($i > 1$).

Also here: the inverses `voltage_for_wer` and `pulse_for_wer`, retention
(Néel–Arrhenius), read disturb (thermally activated switching at the read voltage),
a parameterised endurance model, the paper's Table I (`operating_points`) and
Figure 5 (`plot_write_window`), and the bridge to training: `ber_from_operating_point`
and `cheapest_operating_point`.

Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.polynomial import legendre as leg
from numpy.typing import ArrayLike

__all__ = [
    "MTJ",
    "OperatingPoint",
    "OperatingPoints",
    "ber_from_operating_point",
    "cheapest_operating_point",
    "endurance_cycles",
    "operating_points",
    "plot_write_window",
    "pulse_for_wer",
    "read_disturb_rate",
    "retention_failure",
    "switching_probability",
    "voltage_for_wer",
    "write_error_rate",
]

MODELS = ("fpe", "finite_volume", "approx")
SECONDS_PER_YEAR = 365.25 * 24 * 3600


@dataclasses.dataclass(frozen=True)
class MTJ:
    r"""Parameters of a perpendicular MTJ bit.

    Attributes:
        delta: Thermal stability factor $\Delta = E_b / k_B T$ (dimensionless, > 0).
        tau_d: Characteristic switching time $\tau_D$ (s).
        v_c0: Critical switching voltage $V_{c0}$ at zero temperature (V).
        v_bd: Breakdown voltage $V_{bd}$ of the tunnel barrier (V), > `v_c0`.
        tau_0: Attempt time $\tau_0$ of thermal switching (s).
        h: Reduced external field $h = H / H_K$, in (−1, 1).
        cycles_at_vbd: Endurance: write cycles to breakdown when writing at
            $V_{bd}$.
        endurance_exponent: Power-law endurance exponent $n$ in
            $N = N_{bd}(V_{bd}/V)^n$; 62 gives $10^6\times$ more cycles at 20 %
            lower voltage (the paper's figure).
        endurance_slope: Exponential (E-model) slope $\gamma$ in
            $N = N_{bd}\,e^{\gamma (V_{bd} - V)}$ (1/V); 57.6 /V gives
            $10^6\times$ at 20 % below 1.2 V.

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

    def __post_init__(self) -> None:
        positive = {
            "delta": self.delta,
            "tau_d": self.tau_d,
            "v_c0": self.v_c0,
            "v_bd": self.v_bd,
            "tau_0": self.tau_0,
            "cycles_at_vbd": self.cycles_at_vbd,
            "endurance_exponent": self.endurance_exponent,
            "endurance_slope": self.endurance_slope,
        }
        for name, value in positive.items():
            if not (
                isinstance(value, int | float) and math.isfinite(value) and value > 0
            ):
                raise ValueError(
                    f"MTJ `{name}` must be a finite number > 0, got {value!r}."
                )
        if not self.v_bd > self.v_c0:
            raise ValueError(
                f"MTJ `v_bd` ({self.v_bd} V) must be above `v_c0` ({self.v_c0} V)."
            )
        if not -1 < self.h < 1:
            raise ValueError(f"MTJ `h` must be in (-1, 1), got {self.h!r}.")

    @classmethod
    def paper(cls) -> MTJ:
        """The paper's example device: Δ = 40, τ_D = 2 ns, V_c0 = 0.3 V, V_bd = 1.2 V.

        Returns:
            The `MTJ`.
        """
        return cls()


# ---------------------------------------------------------------- the FPE, Legendre
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
    $D P_n = -n(n+1) P_n$; the tests compare with numpy's Legendre-series algebra.
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


def _modes(
    i: float, h: float, delta: float, order: int
) -> tuple[np.ndarray, np.ndarray]:
    """(λ_k, w_k) with WER(τ) = Σ_k w_k exp(λ_k τ) for one reduced drive i."""
    b, z, d = _operator_parts(order)
    a = (i - h) * b - z + d / (2 * delta)
    r0, c = _initial_and_hemisphere(delta, order)
    lam, vectors = np.linalg.eig(a)
    weights = (c @ vectors) * np.linalg.solve(vectors, r0)
    return lam, weights


#: Reduced pulse length below which `_fpe` uses the matrix exponential.
_SHORT_PULSE = 0.25


def _fpe(
    i: np.ndarray, tau: np.ndarray, h: float, delta: float, order: int
) -> np.ndarray:
    out = np.empty(i.shape)
    values, inverse = np.unique(i, return_inverse=True)

    def solve(k: int) -> None:
        rows = np.nonzero(inverse == k)[0]
        lam, weights = _modes(float(values[k]), h, delta, order)
        out[rows] = np.real(np.exp(np.outer(tau[rows], lam)) @ weights)
        # Very short pulses: every mode still counts and the eigen-expansion's
        # rounding shows (~1e-3 at 1e-3 tau_D); the matrix exponential is exact.
        short = rows[tau[rows] < _SHORT_PULSE]
        if short.size:
            from scipy.linalg import expm

            b, z, d = _operator_parts(order)
            a = (float(values[k]) - h) * b - z + d / (2 * delta)
            r0, c = _initial_and_hemisphere(delta, order)
            for row in short:
                out[row] = c @ (expm(a * tau[row]) @ r0)

    workers = min(len(values), os.cpu_count() or 1)
    if workers == 1:
        for k in range(len(values)):
            solve(k)
        return out
    # One eigensystem per voltage, one per core: BLAS limited to one thread each
    # (2.5x faster than BLAS's own threads on these 127 x 127 matrices, 2 cores).
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    _operator_parts(order), _initial_and_hemisphere(delta, order)  # fill the caches
    with threadpool_limits(1), ThreadPoolExecutor(workers) as pool:
        list(pool.map(solve, range(len(values))))
    return out


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


def _positive_array(value: ArrayLike, name: str, unit: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array <= 0):
        bad = array[~(np.isfinite(array) & (array > 0))] if array.size else array
        raise ValueError(
            f"`{name}` must be finite and > 0 ({unit}); got {bad.ravel()[:3].tolist()}"
            f"{' ...' if bad.size > 3 else ''}."
        )
    return array


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
        ValueError: If a voltage or pulse is not > 0, or `model` is unknown.

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
        n = order or default_order(device.delta)
        out = _fpe(i.ravel(), tau.ravel(), device.h, device.delta, n).reshape(i.shape)
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


# ------------------------------------------------------------------------ inverses
def _check_wer(wer: ArrayLike, name: str = "wer") -> np.ndarray:
    array = np.asarray(wer, dtype=float)
    if array.size == 0 or not np.all((array > 0) & (array < 1)):
        raise ValueError(
            f"`{name}` must be in (0, 1), got {array.ravel()[:3].tolist()}."
        )
    return array


#: Voltages (V_c0 / 2 … V_bd) on which `voltage_for_wer` interpolates.
_GRID_POINTS = 64
#: −log WER beyond which the eigen-expansion is not trusted (WER < 1e-9).
_DEPTH_FLOOR = -math.log(1e-9)


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
        ValueError: If `wer` is outside (0, 1), a pulse is not > 0, or a target
            cannot be reached below the breakdown voltage $V_{bd}$ (the message
            gives the WER at $V_{bd}$).

    Example:
        >>> round(float(voltage_for_wer(1e-6, 10e-9)), 4)
        0.8348
    """
    device = device or MTJ.paper()
    volts, at_bd = _voltage_for_wer(wer, pulse, device)
    if np.any(np.isnan(volts)):
        target, t = np.broadcast_arrays(_check_wer(wer), np.asarray(pulse, float))
        k = int(np.argmax(np.isnan(volts).ravel()))
        raise ValueError(
            f"`wer` {target.ravel()[k]:g} cannot be reached with a {t.ravel()[k]:g} s "
            f"pulse below the breakdown voltage v_bd = {device.v_bd} V (WER there is "
            f"{at_bd.ravel()[k]:.3g}); use a longer pulse or a larger target."
        )
    return volts


def _voltage_for_wer(
    wer: ArrayLike, pulse: ArrayLike, device: MTJ
) -> tuple[np.ndarray, np.ndarray]:
    """`voltage_for_wer` with NaN where unreachable, and the WER at V_bd."""
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
    for column in range(len(unique_t)):
        rows = np.nonzero(inverse == column)[0]
        x = depth[:, column]
        # Keep the strictly increasing part clear of the plateau WER ≈ 1, where
        # the eigen-expansion's rounding (~1e-5) is larger than the signal.
        # Below WER ~1e-9 it is below the expansion's absolute accuracy.
        keep = (x > 1e-3) & (x < _DEPTH_FLOOR)
        keep &= x > np.maximum.accumulate(np.concatenate([[-np.inf], x[:-1]]))
        reachable = goal[rows] <= x[-1]
        if keep.sum() >= 2:
            spline = PchipInterpolator(x[keep], grid[keep], extrapolate=True)
            values = spline(goal[rows])
        else:  # pragma: no cover - a target within 1e-3 of WER = 1
            values = np.full(rows.shape, grid[0])
        result[rows] = np.where(
            reachable, np.clip(values, grid[0], device.v_bd), np.nan
        )
    at_bd = wer_grid[-1, inverse]
    return result.reshape(t.shape), at_bd.reshape(t.shape)


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
        ValueError: If `wer` is outside (0, 1), a voltage is not in
            $(0, V_{bd}]$, or a target needs a pulse longer than $10^4 \tau_D$.

    Example:
        >>> round(float(pulse_for_wer(1e-6, 0.8348)) * 1e9, 2)  # ns
        10.0
    """
    from scipy.optimize import brentq

    device = device or MTJ.paper()
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
        lam, weights = _modes(volt / device.v_c0, device.h, device.delta, order)

        def log_wer(tau: float, lam: np.ndarray = lam, weights: np.ndarray = weights,
                    goal: float = goal) -> float:  # fmt: skip
            value = float(np.real(np.exp(lam * tau) @ weights))
            return math.log(max(value, 1e-300)) - math.log(goal)

        values = np.array([log_wer(x) for x in taus])
        below = np.nonzero(values < 0)[0]
        if below.size == 0:
            raise ValueError(
                f"`wer` {goal:g} needs a pulse longer than 1e4 tau_D at {volt} V."
            )
        j = below[0]
        if j == 0:
            result[k] = taus[0] * device.tau_d
            continue
        result[k] = brentq(log_wer, taus[j - 1], taus[j], xtol=1e-12, rtol=1e-10)
        result[k] *= device.tau_d
    return result.reshape(v.shape)


# ------------------------------------------------------ retention, disturb, endurance
def retention_failure(duration: ArrayLike, device: MTJ | None = None) -> np.ndarray:
    r"""Probability that an idle bit flips thermally within a duration (Néel–Arrhenius).

    $$P_\mathrm{fail}(t) = 1 - \exp\left(-\frac{t}{\tau_0} e^{-\Delta}\right).$$

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
        >>> round(float(retention_failure(10 * SECONDS_PER_YEAR)), 2)
        0.74
    """
    device = device or MTJ.paper()
    t = np.asarray(duration, dtype=float)
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
    write and the FPE switching probability is returned.

    Args:
        read_voltage: Read voltage(s) (V), >= 0.
        read_pulse: Read pulse length(s) (s), > 0.
        device: The MTJ (`MTJ.paper()` if `None`).

    Returns:
        The read-disturb probability, of the broadcast shape.

    Raises:
        ValueError: If a voltage is negative or a pulse is not > 0.

    Example:
        >>> f"{float(read_disturb_rate(0.1, 10e-9)):.2e}"  # V_c0 / 3, 10 ns
        '1.90e-07'
    """
    device = device or MTJ.paper()
    v = np.asarray(read_voltage, dtype=float)
    if not np.all(np.isfinite(v) & (v >= 0)):
        raise ValueError(
            f"`read_voltage` must be >= 0 (V), got {v.ravel()[:3].tolist()}."
        )
    t = _positive_array(read_pulse, "read_pulse", "s")
    v, t = np.broadcast_arrays(v, t)
    i = v / device.v_c0
    barrier = device.delta * np.clip(1 - i, 0, None) ** 2
    out = np.array(-np.expm1(-(t / device.tau_0) * np.exp(-barrier)), dtype=float)
    above = i >= 1
    if np.any(above):
        out[above] = switching_probability(v[above], t[above], device)
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
    device = device or MTJ.paper()
    v = _positive_array(voltage, "voltage", "V")
    if model == "power":
        return device.cycles_at_vbd * (device.v_bd / v) ** device.endurance_exponent
    if model == "exponential":
        return device.cycles_at_vbd * np.exp(device.endurance_slope * (device.v_bd - v))
    raise ValueError(f"`model` must be one of {list(ENDURANCE_MODELS)}, got {model!r}.")


# --------------------------------------------------------------- Table I, Figure 5
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


def plot_write_window(
    device: MTJ | None = None,
    ax: Any = None,
    *,
    wer_targets: Sequence[float] = (1e-1, 1e-2, 1e-6),
    pulses: ArrayLike | None = None,
) -> Any:
    r"""The paper's Figure 5: write voltage vs pulse length for WER targets.

    One line per target ($V$ with `voltage_for_wer`; left out where it would need
    more than $V_{bd}$), with $V_{c0}$ and $V_{bd}$ as horizontal lines: the
    conventional write window lies between them near the strict target, the
    error-resilient one just above $V_{c0}$.

    Args:
        device: The MTJ (`MTJ.paper()` if `None`).
        ax: Matplotlib axes (`None`: a new figure).
        wer_targets: Targets to draw, each in (0, 1).
        pulses: Pulse lengths (s); default 200 log-spaced from 0.5 to 100 τ_D.

    Returns:
        The matplotlib `Figure`.

    Example:
        >>> fig = plot_write_window()
        >>> len(fig.axes[0].lines)  # 3 targets + V_c0 + V_bd
        5
    """
    import matplotlib.pyplot as plt

    device = device or MTJ.paper()
    _check_wer(list(wer_targets), "wer_targets")
    t = (
        np.geomspace(0.5, 100, 200) * device.tau_d
        if pulses is None
        else _positive_array(pulses, "pulses", "s")
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    targets = np.asarray(list(wer_targets), dtype=float)
    volts, _ = _voltage_for_wer(targets[:, None], t[None, :], device)
    for target, line in zip(targets, volts, strict=True):
        ax.plot(t * 1e9, line, label=f"WER = {target:g}")
    ax.axhline(device.v_c0, color="grey", ls="--", lw=1, label=r"$V_{c0}$")
    ax.axhline(device.v_bd, color="black", ls=":", lw=1, label=r"$V_{bd}$")
    ax.set_xscale("log")
    ax.set_xlabel("pulse length (ns)")
    ax.set_ylabel("write voltage amplitude (V)")
    ax.set_title(rf"MTJ write window, $\Delta$ = {device.delta:g}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    ax.figure.tight_layout()
    return ax.figure


# -------------------------------------------------------------------------- bridge
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

    Attributes:
        ber: The bit error rate chosen (the WER of the point).
        accuracy: The accuracy measured at that BER.
        voltage: Write voltage (V).
        pulse: Pulse length (s).
        energy: Write energy relative to the reference point, V²t / (V_ref² t_ref).
        endurance_gain: Endurance at `voltage` / endurance at the reference
            voltage (`endurance_cycles`, power model).
        reference_voltage: The conventional point: WER 1e-6 at 5 τ_D (V).
        reference_pulse: Its pulse length (s).
    """

    ber: float
    accuracy: float
    voltage: float
    pulse: float
    energy: float
    endurance_gain: float
    reference_voltage: float
    reference_pulse: float


def _min_energy_point(wer: float, device: MTJ) -> tuple[float, float]:
    """(V, t) minimising V²t along WER(V, t) = wer, for V in (V_c0, V_bd]."""
    taus = np.geomspace(0.25, 200, 60) * device.tau_d
    volts, _ = _voltage_for_wer(wer, taus, device)
    energy = np.where(np.isnan(volts), np.inf, volts**2 * taus)
    k = int(np.argmin(energy))
    return float(volts[k]), float(taus[k])


def cheapest_operating_point(
    accuracy_by_ber: Mapping[float, float] | Sequence[Mapping[str, Any]],
    tolerance: float,
    device: MTJ | None = None,
) -> OperatingPoint:
    r"""From an accuracy-vs-BER curve to the lowest-energy write operating point.

    Among the measured BERs whose accuracy is within `tolerance` of the error-free
    run (BER 0), takes the largest (a larger WER always allows a cheaper write)
    and finds the pulse length and voltage with $\mathrm{WER}(V, t)$ = that BER and
    the smallest write energy $\propto V^2 t$ (at fixed resistance), searched
    over 0.25–200 τ_D with $V \le V_{bd}$. The energy and endurance are compared
    with the conventional point, WER $10^{-6}$ at $5\tau_D$.

    Args:
        accuracy_by_ber: `{ber: accuracy}` (e.g. ⟨Top1Max⟩ of a sweep), or the
            records of `larq_ber.plots.top1max_table` (`ber`, `mean`); must
            include BER 0.
        tolerance: Largest accuracy loss accepted (same unit as the accuracies,
            e.g. 0.01 for one point when they are fractions), >= 0.
        device: The MTJ (`MTJ.paper()` if `None`).

    Returns:
        The `OperatingPoint`.

    Raises:
        ValueError: If BER 0 is missing, `tolerance` is negative, or a BER is
            outside [0, 1).

    Example:
        >>> curve = {0.0: 0.97, 0.04: 0.968, 0.16: 0.957}
        >>> point = cheapest_operating_point(curve, 0.005)
        >>> point.ber, round(point.energy, 2)
        (0.04, 0.33)
    """
    device = device or MTJ.paper()
    if isinstance(accuracy_by_ber, Mapping):
        curve = {float(b): float(a) for b, a in accuracy_by_ber.items()}
    else:
        curve = {float(r["ber"]): float(r["mean"]) for r in accuracy_by_ber}
    if not tolerance >= 0:
        raise ValueError(f"`tolerance` must be >= 0, got {tolerance!r}.")
    if 0.0 not in curve:
        raise ValueError(
            "`accuracy_by_ber` must include BER 0 (the error-free baseline); got BERs "
            f"{sorted(curve)}."
        )
    bad = [b for b in curve if not 0 <= b < 1]
    if bad:
        raise ValueError(f"`accuracy_by_ber` BERs must be in [0, 1), got {bad}.")
    baseline = curve[0.0]
    allowed = [b for b, a in curve.items() if a >= baseline - tolerance]
    reference_pulse = 5 * device.tau_d
    reference_voltage = float(voltage_for_wer(1e-6, reference_pulse, device))
    ber = max(allowed)
    if ber <= 1e-6:  # nothing relaxes the conventional point
        volt, length = reference_voltage, reference_pulse
    else:
        volt, length = _min_energy_point(ber, device)
    return OperatingPoint(
        ber=ber,
        accuracy=curve[ber],
        voltage=volt,
        pulse=length,
        energy=volt**2 * length / (reference_voltage**2 * reference_pulse),
        endurance_gain=float(
            endurance_cycles(volt, device) / endurance_cycles(reference_voltage, device)
        ),
        reference_voltage=reference_voltage,
        reference_pulse=reference_pulse,
    )
