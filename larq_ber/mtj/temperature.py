r"""Temperature: how the MTJ parameters change with the temperature of the chip.

A device is a device at its temperature (`MTJ.temperature`, 300 K by default):
`MTJ.at(T)` returns the same device at another temperature, and every function of
`larq_ber.mtj` then follows it. This module holds the laws behind `MTJ.at` as
functions of floats, `temperature_scaling` and `reduced_magnetization`, and
`celsius` (°C to K), so `MTJ.paper().at(celsius(85))` is the paper's device at 85 °C.

**The laws.** The barrier of a macrospin free layer of volume $V$ is
$E_b = \tfrac12\mu_0 M_s H_K V = K V$, so $\Delta = E_b/(k_B T)$ changes with $T$
both through $k_B T$ and through the saturation magnetisation $M_s(T)$ and the
anisotropy $K(T)$. With $m(T) = M_s(T)/M_s(0)$ (`MTJ.magnetization_law`):

- `"bloch"` (default): Bloch's spin-wave law $m = 1 - (T/T_c)^{b}$ with $b = 3/2$
  (`MTJ.magnetization_exponent`), extended up to the Curie temperature $T_c$;
- `"critical"`: the power law $m = (1 - T/T_c)^{\beta}$ of the critical region,
  with $\beta$ = `MTJ.magnetization_exponent` (e.g. about 0.3–0.5; set it).

The anisotropy follows the Callen–Callen power law $K(T) \propto M_s(T)^n$
(H. B. Callen and E. Callen, *The present status of the temperature dependence of
magnetocrystalline anisotropy, and the l(l+1)/2 power law*, J. Phys. Chem. Solids
27, 1271 (1966)): $n = l(l+1)/2 = 3$ for a single-ion uniaxial anisotropy.
Interfacial anisotropy of CoFeB/MgO deviates from it: H. Sato, P. Chureemart,
F. Matsukura, R. W. Chantrell, H. Ohno and R. F. L. Evans (*Temperature-dependent
properties of CoFeB/MgO thin films: Experiments versus simulations*) trace it to a
two-site anisotropic exchange, and F. Ibrahim et al. (*Unveiling temperature
dependence mechanisms of perpendicular magnetic anisotropy at Fe/MgO interfaces*,
arXiv:2011.02220) show that dead layers and inhomogeneous interfaces lower the
measured exponent below the Callen–Callen value. `MTJ.anisotropy_exponent`
defaults to $n = 2$, a typical value in that range (with $n = 2$ the demagnetising
energy $\mu_0 M_s^2/2$ scales like the interfacial anisotropy, so the effective
$K_\mathrm{eff} \propto M_s^2$ exactly). With $r = m(T)/m(T_0)$:

$$\Delta(T) = \Delta(T_0)\,\frac{T_0}{T}\,r^n, \qquad
V_{c0}(T) = V_{c0}(T_0)\,r^n, \qquad
\tau_D(T) = \tau_D(T_0)\,r^{-(n-1)}, \qquad h(T) = h(T_0)\,r^{-(n-1)}.$$

The critical current of a perpendicular macrospin balances the damping torque in
the anisotropy field, $I_{c0} \propto \alpha M_s H_K V/\eta \propto \alpha E_b/\eta$,
so at a fixed resistance $V_{c0} \propto E_b \propto r^n$;
$H_K = 2K/(\mu_0 M_s) \propto M_s^{n-1}$, so the precession time
$\tau_D \propto 1/H_K$ and the reduced field $h = H/H_K$ of a fixed applied or stray
field $H$ scale by $r^{-(n-1)}$. $\Delta$ vanishes at $T_c$.

**Defaults and simplifications.** `curie_temperature` = 1000 K, $b = 3/2$ and
$n = 2$ are assumed typical values, not measurements of the paper's device: fit
them to the $\Delta(T)$ (and $V_{c0}(T)$) of your device. The attempt time
$\tau_0$, the breakdown voltage $V_{bd}$, the endurance parameters and
`stt_asymmetry` are kept; so are the damping $\alpha$, the spin-transfer
efficiency $\eta$ and the resistance (the tunnel magnetoresistance falls with
temperature, which a measured $V_{c0}(T)$ would include). Joule heating during a
write is not modelled: `temperature` is that of the chip.

It imports only `larq_ber.mtj.device` (which computes the laws for `MTJ.at`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from larq_ber.mtj.device import (
    ANISOTROPY_EXPONENT_RANGE,
    MAGNETIZATION_LAWS,
    MTJ,
    _number,
    _reduced_magnetization,
    _temperature_factors,
)

__all__ = [
    "ZERO_CELSIUS",
    "TemperatureScaling",
    "celsius",
    "reduced_magnetization",
    "temperature_scaling",
]

#: 0 °C in kelvin.
ZERO_CELSIUS = 273.15

_DEFAULT = MTJ()


def celsius(value: Any) -> float:
    r"""A temperature in degrees Celsius, in kelvin: $T = \theta + 273.15$.

    Args:
        value: The temperature $\theta$ (°C), above −273.15 °C.

    Returns:
        The temperature (K), > 0.

    Raises:
        ValueError: If `value` is not a finite number above −273.15 °C.

    Example:
        >>> celsius(85)
        358.15
    """
    degrees = _number(value, "value", "°C", low=-ZERO_CELSIUS, low_open=True)
    return degrees + ZERO_CELSIUS


def _law(law: Any) -> str:
    if law not in MAGNETIZATION_LAWS:
        raise ValueError(f"`law` must be one of {MAGNETIZATION_LAWS}, got {law!r}.")
    return str(law)


def reduced_magnetization(
    temperature: Any,
    curie_temperature: Any = _DEFAULT.curie_temperature,
    *,
    law: str = _DEFAULT.magnetization_law,
    exponent: Any = _DEFAULT.magnetization_exponent,
) -> float:
    r"""The saturation magnetisation relative to 0 K, $m(T) = M_s(T)/M_s(0)$.

    `"bloch"`: $m = 1 - (T/T_c)^{b}$; `"critical"`: $m = (1 - T/T_c)^{\beta}$, with
    `exponent` $= b$ or $\beta$. Both are 1 at 0 K and 0 at $T_c$.

    Args:
        temperature: $T$ (K), in $[0, T_c]$.
        curie_temperature: $T_c$ (K), > 0.
        law: `"bloch"` or `"critical"`.
        exponent: $b$ (Bloch, 3/2) or $\beta$ (critical), > 0.

    Returns:
        $m(T)$, in [0, 1].

    Raises:
        ValueError: If an argument is out of range (one line naming it).

    Example:
        >>> round(reduced_magnetization(300.0), 4)  # 1 - 0.3 ** 1.5
        0.8357
    """
    curie = _number(curie_temperature, "curie_temperature", "K", low=0, low_open=True)
    kelvin = _number(temperature, "temperature", "K", low=0, high=curie)
    power = _number(exponent, "exponent", "", low=0, low_open=True)
    return _reduced_magnetization(kelvin, curie, _law(law), power)


class TemperatureScaling(NamedTuple):
    r"""The factors that take a device from $T_0$ to $T$ (`temperature_scaling`).

    Attributes:
        magnetization: $r = M_s(T)/M_s(T_0)$.
        delta: The factor of $\Delta$, $(T_0/T)\,r^n$.
        v_c0: The factor of $V_{c0}$, $r^n$.
        tau_d: The factor of $\tau_D$, $r^{-(n-1)}$ (inf at $T_c$ when $n > 1$).
        h: The factor of $h$, $r^{-(n-1)}$.
    """

    magnetization: float
    delta: float
    v_c0: float
    tau_d: float
    h: float


def temperature_scaling(
    temperature: Any,
    reference: Any = _DEFAULT.temperature,
    *,
    curie_temperature: Any = _DEFAULT.curie_temperature,
    law: str = _DEFAULT.magnetization_law,
    magnetization_exponent: Any = _DEFAULT.magnetization_exponent,
    anisotropy_exponent: Any = _DEFAULT.anisotropy_exponent,
) -> TemperatureScaling:
    r"""The factors by which $\Delta$, $V_{c0}$, $\tau_D$ and $h$ go from $T_0$ to $T$.

    $\Delta(T) = \Delta(T_0)(T_0/T)\,r^n$, $V_{c0}(T) = V_{c0}(T_0)\,r^n$,
    $\tau_D$ and $h$ times $r^{-(n-1)}$, with $r = m(T)/m(T_0)$ (see the module
    docstring for the laws and their sources); `MTJ.at` applies them.

    Args:
        temperature: The new temperature $T$ (K), in $(0, T_c]$ (at $T_c$ the
            barrier is 0).
        reference: The temperature $T_0$ (K) of the known values, in $(0, T_c)$.
        curie_temperature: $T_c$ (K), > 0.
        law: `"bloch"` or `"critical"` (`MTJ.magnetization_law`).
        magnetization_exponent: $b$ or $\beta$, > 0.
        anisotropy_exponent: The Callen–Callen $n$, in [1, 10].

    Returns:
        The `TemperatureScaling`.

    Raises:
        ValueError: If an argument is out of range (one line naming it).

    Example:
        >>> scaling = temperature_scaling(celsius(85))
        >>> round(scaling.delta, 4), round(scaling.v_c0, 4)
        (0.7404, 0.8839)
    """
    curie = _number(curie_temperature, "curie_temperature", "K", low=0, low_open=True)
    kelvin = _number(temperature, "temperature", "K", low=0, high=curie, low_open=True)
    start = _number(
        reference, "reference", "K", low=0, high=curie, low_open=True, high_open=True
    )
    power = _number(
        magnetization_exponent, "magnetization_exponent", "", low=0, low_open=True
    )
    low, high = ANISOTROPY_EXPONENT_RANGE
    n = _number(anisotropy_exponent, "anisotropy_exponent", "", low=low, high=high)
    factors = _temperature_factors(kelvin, start, curie, _law(law), power, n)
    return TemperatureScaling(*factors)
