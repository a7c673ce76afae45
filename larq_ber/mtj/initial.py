r"""The initial state of a write: the field-aware equilibrium in the initial well.

Every solution of the Fokker–Planck equation of `larq_ber.mtj` (`larq_ber.mtj.fpe`)
starts from the equilibrium of the same equation without current, restricted to
the initial well: at $i = 0$ the zero-flux condition
$(-h - z)\rho + \partial_z\rho / (2\Delta) = 0$ (drift $(i - h - z)$) gives

$$\rho(z, 0) \propto e^{\Delta z^2 + 2\Delta h z} \propto e^{-\Delta(1 - z^2)
+ 2\Delta h z}, \quad z > z_0 = \max(0, -h)$$

(`initial_density`, less its value at $z_0$ so that it vanishes there; the
barrier top is at $z = -h$, so a field against the initial state moves the
well's edge into the hemisphere: `initial_well`). A field along the initial
magnetisation ($h > 0$) thus also deepens the well the write starts from. The
0.1 releases started from $e^{-\Delta(1 - z^2)}$ for every $h$; at
$h = \pm 0.1$ on the paper's device (0.6 V, 10 ns) the field-aware start
changes the WER by +4.8 % ($h = 0.1$: 0.00316 to 0.00331) and −5.8 %
($h = -0.1$: 0.000549 to 0.000517); at $h = 0$ nothing changes.
`initial_and_hemisphere` gives the Legendre coefficients of the start.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.polynomial import legendre as leg

__all__ = ["initial_and_hemisphere", "initial_density", "initial_well"]


def initial_well(h: float) -> float:
    r"""The lower end $z_0 = \max(0, -h)$ of the initial density's support.

    The barrier top of the equilibrium $e^{\Delta(z + h)^2}$ is at $z = -h$: a
    field against the initial state ($h < 0$) moves it into the initial
    hemisphere, and the well that holds $z = 1$ is $z > -h$. The written bit
    starts in that well and in the initial hemisphere, $z > z_0$; at $h \ge 0$
    that is the hemisphere $z > 0$ (the well's part below the equator holds a
    fraction $e^{-\Delta(1 + 2h)}$ of it).

    Args:
        h: Reduced field (along the initial magnetisation), in (−1, 1).

    Returns:
        $z_0$, in $[0, 1)$.

    Example:
        >>> initial_well(0.1), initial_well(-0.5)
        (0.0, 0.5)
    """
    return max(0.0, -float(h))


def initial_density(z: np.ndarray, h: float, delta: float) -> np.ndarray:
    r"""The initial density $\rho(z, 0)$ in the initial well, unnormalised (peak 1).

    The equilibrium of the Fokker–Planck equation at $i = 0$ (zero flux:
    $(-h - z)\rho + \partial_z\rho/(2\Delta) = 0$) is
    $e^{E(z)}$, $E(z) = -\Delta(1 - z^2) + 2\Delta h z$. In the well $z > z_0$
    (`initial_well`) the start is $e^{E(z)} - e^{E(z_0)}$: it vanishes at the
    well's edge, as the quasi-stationary density of a well with an absorbing edge
    does, so its Legendre series does not ring (a jump of $e^{-\Delta(1 + h)^2}$
    at $z_0$, $4.5 \times 10^{-5}$ at $\Delta = 40$, $h = -0.5$, would put
    $10^{-8}$ of the bit outside the hemisphere before any pulse). At $h = 0$ it
    is $e^{E(z)}$ exactly, as in the 0.1 releases: the edge value, $e^{-\Delta}$
    of the peak, is omitted there. Callers pass only points in the well.

    Args:
        z: The points ($z = \cos\theta$, in $[z_0, 1]$).
        h: Reduced field (along the initial magnetisation).
        delta: Thermal stability factor.

    Returns:
        The density at `z` (>= 0, at most 1), a new array.

    Example:
        >>> initial_density(np.array([0.5, 1.0]), -0.5, 40.0).round(5).tolist()
        [0.0, 0.99995]
    """
    if not h:
        return np.exp(-delta * (1 - z**2))
    edge = initial_well(h)
    top = 2 * delta * h  # E(1), the largest value in the well

    def shifted(x: np.ndarray | float) -> np.ndarray:
        return -delta * (1 - np.square(x)) + 2 * delta * h * np.asarray(x) - top

    return np.maximum(np.exp(shifted(z)) - np.exp(shifted(edge)), 0.0)


@functools.lru_cache(maxsize=16)
def initial_and_hemisphere(
    delta: float, order: int, h: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""The Legendre coefficients $r_0$ of $\rho(z, 0)$ and the integrals $c$.

    $r_{0,n} = \frac{2n + 1}{2}\int_{z_0}^1 \rho(z, 0) P_n(z)\,dz$ (normalised,
    `initial_density`) and $c_n = \int_0^1 P_n\,dz$, by Gauss–Legendre
    quadrature with $\max(4N, 200)$ points, so $\mathrm{WER}(0) = c \cdot r_0$.
    Read-only use: cached (the arrays are shared).

    Args:
        delta: Thermal stability factor.
        order: Number $N$ of Legendre polynomials.
        h: Reduced field (along the initial magnetisation).

    Returns:
        `(r0, c)`, two arrays of length `order`.

    Example:
        >>> r0, c = initial_and_hemisphere(40.0, 127, 0.1)
        >>> round(float(c @ r0), 9)  # the whole bit starts in the hemisphere
        1.0
    """
    x, w = leg.leggauss(max(4 * order, 200))
    z, w = 0.5 * (x + 1), 0.5 * w  # Gauss–Legendre on [0, 1]
    vander = leg.legvander(z, order - 1)
    hemisphere = vander.T @ w  # ∫_0^1 P_n dz, exact for n < 2 · quadrature points
    start = initial_well(h)
    if start > 0:  # the same rule on [z_0, 1]
        z, w = start + (1 - start) * z, (1 - start) * w
        vander = leg.legvander(z, order - 1)
    rho = initial_density(z, h, delta)
    rho /= np.sum(w * rho)
    coefficients = (2 * np.arange(order) + 1) / 2 * (vander.T @ (w * rho))
    return coefficients, hemisphere
