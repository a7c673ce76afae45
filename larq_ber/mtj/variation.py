r"""Cell-to-cell variation of an MRAM array: the error rates of each cell of a chip.

The cells of a chip (`larq_ber.mtj.cells`: `CellVariation`, `draw_cells`,
`CellPopulation`, also importable from here) each have their own thermal
stability $\Delta_\mathrm{cell} = \Delta f_\Delta$ and critical voltage
$V_{c0,\mathrm{cell}} = V_{c0} f_V$ for the device given (at its temperature).

Per cell, vectorised over the population:

- `cell_write_error_rates`: the Fokker–Planck WER of the two write directions at
  the cell's own $\Delta_\mathrm{cell}$ and drive $i = V/V_{c0,\mathrm{cell}}$ (with
  the field and spin-transfer asymmetry of `larq_ber.mtj.error_rates`). Solving the
  equation per cell is too slow, so the WER is tabulated once per (pulse, field)
  over a grid covering the variation's range, $\Delta$ in steps of at most
  `DELTA_STEP` and $\ln i$ in steps of at most `DRIVE_STEP`, refined by local
  cubic (4-node) Lagrange interpolation in $\mathrm{logit}(\mathrm{WER})$ until
  bilinear interpolation on the fine grid agrees with the cubic one to
  `REFINE_TOLERANCE`, and read bilinearly per cell. Against direct Legendre
  solves of 400 sampled cells (5-10 % spreads, 0.35-0.9 V, 6-40 ns, with and
  without field and asymmetry) the interpolated WER was within
  $2 \times 10^{-4}$ relative wherever it is at least $10^{-8}$, and within
  $10^{-10}$ absolute below; the tests (tests/mtj/test_variation.py) hold it to
  $10^{-3}$ and $10^{-8}$. Below about $10^{-8}$ the Legendre solution itself is
  no longer resolved.
- `cell_stored_error_rates`: the probability that a stored $-1$ (P) and a stored
  $+1$ (AP) read wrong after a storage time and reads, from the cell's two-state
  chain (`larq_ber.mtj.deployment.state_error_rates`).
- `cell_retention_failure`: the probability of at least one thermal flip.

Transient write errors of an array behave binomially at the population's mean
WER, but retention is ruled by the low-$\Delta$ tail: the fraction of cells flipped
after $t$ is $E_\Delta[1 - e^{-(t/\tau_0)e^{-\Delta}}]$, far above the value at the
mean $\Delta$. With a 10 % spread of $\Delta = 40$, a 3-sigma cell has
$\Delta = 28$ and a mean time to a flip of $\tau_0 e^{28}$ = 24 minutes, so an hour
flips 0.67 % of the cells (440 times the nominal cell's $1.5 \times 10^{-5}$) and
a day 4.1 % (110 times $3.7 \times 10^{-4}$).

Cost, measured for $10^7$ cells (one core of a shared machine): `draw_cells`
0.7 s, `cell_write_error_rates` 0.55 s per write direction, `cell_stored_error_rates`
0.85 s (with reads), `cell_retention_failure` 0.1 s; the population holds 80 MB
(two float32 factors), each result array 40 MB, and the work runs in blocks of
`CHUNK` cells with a few MB of scratch. A new table (another pulse, field, device
or variation) takes 1-5 s once for 5-10 % spreads (one Legendre solve per node)
and is cached (`_table`: 16 tables, typically 2-3 MB each, at most 16 MB).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy.ndimage import map_coordinates
from scipy.special import expit, logit

from larq_ber.mtj.cells import CHUNK, CellPopulation
from larq_ber.mtj.cells import CellVariation as CellVariation
from larq_ber.mtj.cells import draw_cells as draw_cells
from larq_ber.mtj.deployment import DEFAULT_READ_PULSE, _polarity, _reads
from larq_ber.mtj.device import MTJ, _device, _number, _voltage_array
from larq_ber.mtj.fpe import (
    UNRESOLVED,
    _pulse_array,
    legendre_wer,
)

# `CellPopulation`, `CellVariation` and `draw_cells` (of `larq_ber.mtj.cells`) are
# importable from here too.
__all__ = [
    "cell_retention_failure",
    "cell_stored_error_rates",
    "cell_write_error_rates",
]

#: Largest spacing of the WER table in the thermal stability.
DELTA_STEP = 2.0

#: Largest spacing of the WER table in the log of the reduced drive, ln i.
DRIVE_STEP = 0.025

#: The table is refined (by cubic interpolation) until bilinear interpolation on
#: it is within this of the cubic one, in logit WER (a relative error in the WER).
REFINE_TOLERANCE = 2e-6

#: Most refinement per axis, and most nodes of a refined table (8 bytes each).
MAX_REFINE = 64
MAX_FINE_NODES = 2**21


@dataclasses.dataclass(frozen=True)
class _Table:
    """The logit WER on a fine regular grid in (Δ, ln i): origins, steps, values."""

    delta0: float
    delta_step: float
    drive0: float
    drive_step: float
    values: np.ndarray  # (Δ nodes, ln i nodes)


def _nodes(low: float, high: float, step: float) -> tuple[float, float, int]:
    """(origin, spacing, count) of >= 4 evenly spaced nodes, or 1 if low == high."""
    if high - low <= 1e-12 * max(1.0, abs(high)):
        return low, 1.0, 1
    count = max(4, math.ceil((high - low) / step) + 1)
    return low, (high - low) / (count - 1), count


def _stencil(x: np.ndarray, count: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """First node and the Lagrange weights of the 4 nodes around `x` (>= 4 nodes)."""
    x = np.clip(x, 0, count - 1)
    first = np.clip(np.floor(x).astype(np.int64) - 1, 0, count - 4)
    t = x - first
    weights = []
    for a in range(4):
        weight = np.ones(x.shape)
        for b in range(4):
            if b != a:
                weight *= (t - b) / (a - b)
        weights.append(weight)
    return first, weights


def _refine(values: np.ndarray, axis: int, clipped: float) -> np.ndarray:
    """`values` on a grid `R` times finer along `axis`, by local cubic Lagrange.

    `R` makes the bilinear interpolation of the fine grid agree with the cubic
    one to `REFINE_TOLERANCE` (its error is at most 1/8 of the second difference
    over `R²`), judged where the three nodes are resolved (not `clipped`).
    """
    count = values.shape[axis]
    if count == 1:
        return values
    moved = np.moveaxis(values, axis, 0)
    second = np.abs(moved[2:] - 2 * moved[1:-1] + moved[:-2])
    resolved = np.abs(moved) < clipped
    second = second[resolved[2:] & resolved[1:-1] & resolved[:-2]]
    worst = float(np.max(second)) if second.size else 0.0
    ratio = math.ceil(math.sqrt(worst / (8 * REFINE_TOLERANCE)))
    ratio = max(1, min(ratio, MAX_REFINE, MAX_FINE_NODES // moved.size))
    first, weights = _stencil(np.arange((count - 1) * ratio + 1) / ratio, count)
    fine = sum(
        w[:, None] * moved.reshape(count, -1)[first + a] for a, w in enumerate(weights)
    )
    return np.moveaxis(np.reshape(fine, (-1, *moved.shape[1:])), 0, axis)


@functools.lru_cache(maxsize=16)
def _table(
    tau: float, h: float, deltas: tuple[float, float], drives: tuple[float, float]
) -> _Table:
    """The logit of the Legendre WER over Δ in `deltas` and ln i in `drives`."""
    d0, d_step, d_count = _nodes(*deltas, DELTA_STEP)
    i0, i_step, i_count = _nodes(*drives, DRIVE_STEP)
    i = np.exp(i0 + i_step * np.arange(i_count))
    rows = []
    for k in range(d_count):
        delta = d0 + d_step * k
        rows.append(legendre_wer(i, tau, h=h, delta=delta))  # default order per i
    # Clipped a decade beyond the solution's resolution, so that unresolved
    # values interpolate back to 0 or 1.
    clipped = float(logit(1 - UNRESOLVED / 10)) * (1 - 1e-9)
    values = logit(np.clip(np.array(rows), UNRESOLVED / 10, 1 - UNRESOLVED / 10))
    values = _refine(_refine(values, 0, clipped), 1, clipped)
    values.setflags(write=False)
    d_ratio = max(1, values.shape[0] - 1) / max(1, d_count - 1)
    i_ratio = max(1, values.shape[1] - 1) / max(1, i_count - 1)
    return _Table(d0, d_step / d_ratio, i0, i_step / i_ratio, values)


def _interpolate(table: _Table, delta: np.ndarray, ln_drive: np.ndarray) -> np.ndarray:
    """The logit WER at each (Δ, ln i): bilinear on the table's fine grid."""
    where = np.empty((2, delta.size))
    np.subtract(delta, table.delta0, out=where[0])
    where[0] /= table.delta_step
    np.subtract(ln_drive, table.drive0, out=where[1])
    where[1] /= table.drive_step
    return map_coordinates(table.values, where, order=1, mode="nearest")


def _chunks(population: CellPopulation) -> Iterator[slice]:
    for start in range(0, len(population), CHUNK):
        yield slice(start, min(start + CHUNK, len(population)))


def _population(value: Any) -> CellPopulation:
    if not isinstance(value, CellPopulation):
        raise ValueError(
            "`population` must be a CellPopulation (from draw_cells), got "
            f"{type(value).__name__}."
        )
    return value


def _deltas(device: MTJ, population: CellPopulation) -> tuple[float, float]:
    low, high = population.variation.delta_bounds
    return device.delta * low, device.delta * high


def cell_write_error_rates(
    population: CellPopulation,
    voltage: float,
    pulse: float,
    device: MTJ | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Each cell's write error rates of the two write directions.

    As `larq_ber.mtj.error_rates`, per cell: writing $+1$ (P→AP) fails with the
    WER at $i = V / (V_{c0,\mathrm{cell}}\sqrt{r})$ and field $+h$, writing $-1$
    (AP→P) at $i = V\sqrt{r} / V_{c0,\mathrm{cell}}$ and $-h$, both at the cell's
    $\Delta_\mathrm{cell}$ ($r$ = `device.stt_asymmetry`). Interpolated in a
    cached table of the Legendre solution (see the module's docstring: within
    $10^{-3}$ relative down to WER $10^{-8}$); with zero spread it equals
    `error_rates`. The mean over the cells is the array's WER, and a write is a
    Bernoulli draw at its cell's rate.

    Args:
        population: The cells, a `CellPopulation`.
        voltage: Write voltage $V$ (V), in $(0, V_{bd}]$.
        pulse: Write pulse length (s), in $(0, 10^4\tau_D]$.
        device: The nominal MTJ (`MTJ.paper()` if `None`), at its temperature.

    Returns:
        `(ber_neg, ber_pos)`: float32 arrays, one rate per cell, of writing $-1$
        and $+1$.

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Example:
        >>> chip = draw_cells(10**4, CellVariation(v_c0_spread=0.05), seed=0)
        >>> ber_neg, ber_pos = cell_write_error_rates(chip, 0.6, 10e-9)
        >>> f"{ber_pos.min():.1e} {ber_pos.mean():.1e} {ber_pos.max():.1e}"
        '1.6e-05 1.8e-03 2.0e-02'
    """
    population = _population(population)
    device = _device(device)
    volt = _number(voltage, "voltage", "V", low=0, low_open=True)
    volt = float(_voltage_array(volt, device))
    length = _number(pulse, "pulse", "s", low=0, low_open=True)
    tau = float(_pulse_array(length, device)) / device.tau_d
    root = math.sqrt(device.stt_asymmetry)
    v_low, v_high = population.variation.v_c0_bounds
    out = []
    for drive, h in ((volt * root, -device.h), (volt / root, device.h)):
        nominal = math.log(drive / device.v_c0)
        drives = (nominal - math.log(v_high), nominal - math.log(v_low))
        table = _table(tau, h, _deltas(device, population), drives)
        rates = np.empty(len(population), dtype=np.float32)
        for part in _chunks(population):
            delta = device.delta * population.delta_factor[part].astype(float)
            ln_i = nominal - np.log(population.v_c0_factor[part].astype(float))
            wer = expit(_interpolate(table, delta, ln_i))
            wer[wer < UNRESOLVED] = 0.0
            wer[wer > 1 - UNRESOLVED] = 1.0
            rates[part] = wer
        out.append(rates)
        if device.h == 0 and root == 1:
            return rates, rates.copy()
    return out[0], out[1]


def _read_intensity(
    table: _Table,
    delta: np.ndarray,
    ln_i: np.ndarray,
    read_pulse: float,
    device: MTJ,
) -> np.ndarray:
    r"""$-\ln(1 - p_\mathrm{rd})$ of one read per cell (`read_disturb_rate`'s law)."""
    below = ln_i < 0
    barrier = delta * np.square(-np.expm1(np.minimum(ln_i, 0.0)))  # Δ (1 - i)²
    law = (read_pulse / device.tau_0) * np.exp(-barrier)
    # The Fokker–Planck switching probability at V_c0 caps the law; at and above
    # V_c0 the read is a write. Both at least the solution's resolution.
    at_c0 = expit(-_interpolate(table, delta, np.zeros(delta.shape)))
    cap = -np.log1p(-np.maximum(at_c0, UNRESOLVED))
    out = np.minimum(law, cap)
    if not np.all(below):
        above = ~below
        switched = expit(-_interpolate(table, delta[above], ln_i[above]))
        switched[switched > 1 - UNRESOLVED] = 1.0  # a certain switch
        with np.errstate(divide="ignore"):
            out[above] = -np.log1p(-np.maximum(switched, UNRESOLVED))
    return out


def _chain(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-state chain with integrated leaving rates a (P), b (AP): P(wrong)."""
    total = a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        flipped = -np.expm1(-total)
        from_p, from_ap = a / total * flipped, b / total * flipped
    infinite = np.isinf(total)
    if np.any(infinite):  # a certain switch: the finite side gets nothing
        a_inf, b_inf = np.isinf(a[infinite]), np.isinf(b[infinite])
        from_p[infinite] = a_inf / (a_inf.astype(float) + b_inf)
        from_ap[infinite] = b_inf / (a_inf.astype(float) + b_inf)
    from_p[total == 0] = 0.0
    from_ap[total == 0] = 0.0
    return np.minimum(from_p, 1.0), np.minimum(from_ap, 1.0)


def _thermal(barrier: np.ndarray, storage_time: float, device: MTJ) -> np.ndarray:
    """Integrated thermal rate k t = t e^{-barrier} / τ_0, capped at e^700."""
    if not storage_time:
        return np.zeros(barrier.shape)
    log_rate = math.log(storage_time) - math.log(device.tau_0)
    return np.exp(np.minimum(700.0, log_rate - barrier))


def cell_stored_error_rates(
    population: CellPopulation,
    storage_time: float,
    device: MTJ | None = None,
    *,
    reads: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
    read_polarity: str = "fixed",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Each cell's probability that a stored $-1$, and a stored $+1$, read wrong.

    `larq_ber.mtj.deployment.state_error_rates` per cell: over the storage time
    $t$ the cell leaves P with the integrated rate
    $a = k_\mathrm{P} t + L_\mathrm{P}$ and AP with $b = k_\mathrm{AP} t +
    L_\mathrm{AP}$, with $k_\mathrm{P} = e^{-\Delta_\mathrm{cell}(1 + h)^2}/\tau_0$,
    $k_\mathrm{AP} = e^{-\Delta_\mathrm{cell}(1 - h)^2}/\tau_0$ and the read
    intensities $L_s = -n\ln(1 - p_s)$: $L_\mathrm{AP}$ always (the AP→P read
    current of `"fixed"` reads), $L_\mathrm{P}$ for `"bipolar"` reads only; then
    $P_\mathrm{P} = \frac{a}{a + b}(1 - e^{-(a + b)})$ and
    $P_\mathrm{AP} = \frac{b}{a + b}(1 - e^{-(a + b)})$. The read disturb
    $p_s$ of a cell is the `read_disturb_rate` of the cell's switch leaving $s$,
    with the physics of `cell_write_error_rates`: leaving AP at the field $-h$
    and the drive $i = V_\mathrm{read}\sqrt{r}/V_{c0,\mathrm{cell}}$, leaving P
    at $+h$ and $i = V_\mathrm{read}/(V_{c0,\mathrm{cell}}\sqrt{r})$. Below
    $i = 1$ it is the thermal law
    $1 - \exp[-(t_\mathrm{rd}/\tau_0)e^{-\Delta_\mathrm{cell}(1 - i)^2}]$
    (without $h$, as `read_disturb_rate`), capped at that switch's Fokker–Planck
    switching probability at $i = 1$ for the cell's $\Delta$ (it matters only
    close to $V_{c0}$); at and above it that switching probability, both
    interpolated in a table per switch over $\Delta$ and $i \ge 1$. With zero
    spread it equals `state_error_rates`, whose mean is `weight_error_rate`.

    Args:
        population: The cells, a `CellPopulation`.
        storage_time: Storage time $t$ (s), finite, >= 0.
        device: The nominal MTJ (`MTJ.paper()` if `None`), at its temperature.
        reads: Reads $n$ of each cell during the storage, an integer in [0, 1e30].
        read_voltage: Read voltage (V), in $[0, V_{bd}]$; `device.v_c0 / 3` if
            `None`.
        read_pulse: Read pulse length (s), in $(0, 10^4\tau_D]$.
        read_polarity: `"fixed"` (disturbs AP) or `"bipolar"` (both states).

    Returns:
        `(p_err_if_minus1, p_err_if_plus1)`: float32 arrays, per cell, each in
        [0, 1].

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Example:
        >>> chip = draw_cells(10**5, CellVariation(delta_spread=0.1), seed=0)
        >>> minus, plus = cell_stored_error_rates(chip, 3600.0)  # an hour
        >>> from larq_ber.mtj import weight_error_rate
        >>> f"{minus.mean():.1e} vs {weight_error_rate(3600.0):.1e} nominal"
        '5.1e-03 vs 1.5e-05 nominal'
    """
    population, device = _population(population), _device(device)
    t = _number(storage_time, "storage_time", "s", low=0)
    n, both = _reads(reads), _polarity(read_polarity) == 2
    volt = device.v_c0 / 3 if read_voltage is None else read_voltage
    volt = _number(volt, "read_voltage", "V", low=0, high=device.v_bd)
    length = _number(read_pulse, "read_pulse", "s", low=0, low_open=True)
    length = float(_pulse_array(length, device, "read_pulse"))
    root = math.sqrt(device.stt_asymmetry)
    # The switches that leave the disturbed states: (leaves P, drive voltage, field).
    switches = [(False, volt * root, -device.h or 0.0)]
    if both and not (device.h == 0 and root == 1):
        switches.append((True, volt / root, device.h))
    tables = []
    for leaves_p, drive, h in switches if n else []:
        nominal = math.log(drive / device.v_c0) if drive > 0 else -math.inf
        highest = nominal - math.log(population.variation.v_c0_bounds[0])
        deltas = _deltas(device, population)
        table = _table(length / device.tau_d, h, deltas, (0.0, max(0.0, highest)))
        tables.append((leaves_p, nominal, table))
    minus = np.empty(len(population), dtype=np.float32)
    plus = np.empty(len(population), dtype=np.float32)
    for part in _chunks(population):
        delta = device.delta * population.delta_factor[part].astype(float)
        a = _thermal(delta * (1 + device.h) ** 2, t, device)
        b = _thermal(delta * (1 - device.h) ** 2, t, device)
        ln_v_c0 = np.log(population.v_c0_factor[part].astype(float))
        for leaves_p, nominal, table in tables:
            with np.errstate(over="ignore"):
                intensity = n * _read_intensity(
                    table, delta, nominal - ln_v_c0, length, device
                )
            if leaves_p:
                a += intensity
            else:
                b += intensity
                if both and len(tables) == 1:  # a symmetric device: the same
                    a += intensity
        minus[part], plus[part] = _chain(a, b)
    return minus, plus


def cell_retention_failure(
    population: CellPopulation, duration: float, device: MTJ | None = None
) -> np.ndarray:
    r"""Each cell's probability of at least one thermal flip within a duration.

    `retention_failure` per cell: $1 - \exp[-(t/\tau_0)e^{-\Delta_\mathrm{cell}}]$.
    Its mean over the cells, $E_\Delta[\cdot]$, is ruled by the low-$\Delta$ tail.

    Args:
        population: The cells, a `CellPopulation`.
        duration: Idle time $t$ (s), finite, >= 0.
        device: The nominal MTJ (`MTJ.paper()` if `None`), at its temperature.

    Returns:
        The failure probability per cell, a float32 array.

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Example:
        >>> weak = CellPopulation(np.array([0.7]), np.array([1.0]), CellVariation(0.1))
        >>> f"{cell_retention_failure(weak, 1800.0)[0]:.2f}"  # Δ = 28, half an hour
        '0.71'
    """
    population, device = _population(population), _device(device)
    t = _number(duration, "duration", "s", low=0)
    out = np.empty(len(population), dtype=np.float32)
    for part in _chunks(population):
        delta = device.delta * population.delta_factor[part].astype(float)
        out[part] = -np.expm1(-(t / device.tau_0) * np.exp(-delta))
    return out
