r"""The cells of an MRAM chip: their cell-to-cell variation and a seeded population.

The cells of a real array differ: their thermal stability $\Delta$ and critical
voltage $V_{c0}$ spread from cell to cell (the size, shape and anisotropy of the
free layers vary), with relative standard deviations of a few per cent up to about
10 %. `CellVariation` holds the two relative spreads and a truncation;
`draw_cells` draws a seeded chip, a `CellPopulation` of relative factors
$f_\Delta, f_V$ (so a cell has $\Delta_\mathrm{cell} = \Delta f_\Delta$ and
$V_{c0,\mathrm{cell}} = V_{c0} f_V$ for whatever device, e.g. one at another
temperature). Each factor is normal with mean 1, truncated to
$[\max(1 - k\sigma, 0.1),\ 1 + k\sigma]$ with $k$ = `truncation` sigmas: a cell with
less than a tenth of the nominal barrier or critical voltage (`FACTOR_FLOOR`) is a
defect (a shorted or superparamagnetic bit), screened at test, not variation.
`CellPopulation.block` cuts a chip into consecutive blocks, so that the positions
of a model map onto one chip. The error rates of each cell are in
`larq_ber.mtj.variation`.

Drawing $10^7$ cells takes about 0.7 s and holds 80 MB (two float32 factors per
cell), drawn in blocks of `CHUNK` cells.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from larq_ber.mtj.device import _number

__all__ = ["CellPopulation", "CellVariation", "draw_cells"]

#: Largest relative spread accepted (exclusive): beyond it the normal law with
#: mean 1 is mostly truncation.
MAX_SPREAD = 0.5

#: Accepted range of `CellVariation.truncation`, in standard deviations.
TRUNCATION_RANGE = (1.0, 6.0)

#: Smallest factor of a cell's thermal stability or critical voltage.
FACTOR_FLOOR = 0.1

#: Most cells of one population (two float32 factors each: 8 GB).
MAX_CELLS = 10**9

#: Cells processed at once (keeps the scratch memory to a few MB).
CHUNK = 2**18


@dataclasses.dataclass(frozen=True)
class CellVariation:
    r"""The cell-to-cell spread of an array's thermal stability and critical voltage.

    Each cell's factors $f_\Delta$ and $f_V$ are normal with mean 1 and standard
    deviations `delta_spread` and `v_c0_spread`, independent, truncated to
    $[\max(1 - k\sigma, 0.1),\ 1 + k\sigma]$ with $k$ = `truncation`.

    Attributes:
        delta_spread: Relative standard deviation $\sigma_\Delta$ of the thermal
            stability, in [0, 0.5) (0.05-0.1 is typical).
        v_c0_spread: Relative standard deviation $\sigma_V$ of the critical
            voltage, in [0, 0.5).
        truncation: Truncation $k$ in standard deviations, in [1, 6].

    Raises:
        ValueError: If an attribute is out of range (the message names it).

    Example:
        >>> CellVariation(delta_spread=0.1).delta_bounds
        (0.6, 1.4)
    """

    delta_spread: float = 0.0
    v_c0_spread: float = 0.0
    truncation: float = 4.0

    def __post_init__(self) -> None:
        for name in ("delta_spread", "v_c0_spread"):
            value = getattr(self, name)
            value = _number(value, name, "", low=0, high=MAX_SPREAD, high_open=True)
            object.__setattr__(self, name, value)
        low, high = TRUNCATION_RANGE
        k = _number(self.truncation, "truncation", "sigmas", low=low, high=high)
        object.__setattr__(self, "truncation", k)

    def _bounds(self, spread: float) -> tuple[float, float]:
        width = self.truncation * spread
        return max(round(1 - width, 12), FACTOR_FLOOR), round(1 + width, 12)

    @property
    def delta_bounds(self) -> tuple[float, float]:
        r"""The range `(low, high)` of the thermal-stability factor $f_\Delta$."""
        return self._bounds(self.delta_spread)

    @property
    def v_c0_bounds(self) -> tuple[float, float]:
        """The range `(low, high)` of the critical-voltage factor $f_V$."""
        return self._bounds(self.v_c0_spread)


def _factors(value: Any, name: str, bounds: tuple[float, float]) -> np.ndarray:
    """`value` as a read-only 1-D float32 array within `bounds`; else a ValueError."""
    array = np.asarray(value)
    if array.dtype.kind != "f" or array.ndim != 1:
        raise ValueError(f"`{name}` must be a 1-D float array, got {array.dtype}.")
    if array.dtype != np.float32 or array.flags.writeable:
        array = array.astype(np.float32)  # a private copy
        array.setflags(write=False)
    low, high = bounds
    if array.size and not (
        np.min(array) >= low * (1 - 1e-6) and np.max(array) <= high * (1 + 1e-6)
    ):
        raise ValueError(
            f"`{name}` must lie in the variation's range [{low:g}, {high:g}], got "
            f"[{float(np.min(array)):g}, {float(np.max(array)):g}]."
        )
    return array


@dataclasses.dataclass(frozen=True, eq=False)
class CellPopulation:
    r"""The cells of one chip: their relative thermal stability and critical voltage.

    Cell $j$ of a device has $\Delta_j = \Delta f_{\Delta,j}$ and
    $V_{c0,j} = V_{c0} f_{V,j}$; the factors are read-only float32 arrays (4 bytes
    per cell each). `block(start, stop)` gives consecutive cells, so the positions
    of a model can be laid out on one chip.

    Attributes:
        delta_factor: $f_\Delta$ per cell, 1-D, within `variation.delta_bounds`.
        v_c0_factor: $f_V$ per cell, same length, within `variation.v_c0_bounds`.
        variation: The `CellVariation` the cells were drawn from (its range sets
            the WER tables).

    Raises:
        ValueError: If the factors are not 1-D float arrays of one length within
            the variation's range.

    Example:
        >>> chip = draw_cells(1000, CellVariation(delta_spread=0.1), seed=0)
        >>> len(chip), len(chip.block(100, 300))
        (1000, 200)
    """

    delta_factor: np.ndarray
    v_c0_factor: np.ndarray
    variation: CellVariation

    def __post_init__(self) -> None:
        if not isinstance(self.variation, CellVariation):
            raise ValueError(
                f"`variation` must be a CellVariation, got {self.variation!r}."
            )
        delta = _factors(self.delta_factor, "delta_factor", self.variation.delta_bounds)
        v_c0 = _factors(self.v_c0_factor, "v_c0_factor", self.variation.v_c0_bounds)
        if delta.size != v_c0.size:
            raise ValueError(
                f"`delta_factor` and `v_c0_factor` must have one length, got "
                f"{delta.size} and {v_c0.size}."
            )
        object.__setattr__(self, "delta_factor", delta)
        object.__setattr__(self, "v_c0_factor", v_c0)

    def __len__(self) -> int:
        return int(self.delta_factor.size)

    def block(self, start: int, stop: int) -> CellPopulation:
        """The consecutive cells `start` to `stop` (excluded), without a copy.

        Args:
            start: First cell, an integer in [0, len].
            stop: End of the block, an integer in [start, len].

        Returns:
            The `CellPopulation` of those cells (same variation).

        Raises:
            ValueError: If the block is not within the population.

        Example:
            >>> chip = draw_cells(10, CellVariation(v_c0_spread=0.05), seed=1)
            >>> bool(chip.block(2, 5).v_c0_factor[0] == chip.v_c0_factor[2])
            True
        """
        size = len(self)
        good = all(_is_integer(x) for x in (start, stop)) and 0 <= start <= stop
        if not (good and stop <= size):
            raise ValueError(
                f"`start`, `stop` must be integers with 0 <= start <= stop <= {size}, "
                f"got {start!r}, {stop!r}."
            )
        return CellPopulation(
            self.delta_factor[start:stop], self.v_c0_factor[start:stop], self.variation
        )


def _is_integer(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _truncated_normal(
    count: int, spread: float, bounds: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """`count` float32 draws of N(1, spread²) truncated to `bounds` (inverse CDF)."""
    out = np.ones(count, dtype=np.float32)
    if spread == 0:
        return out
    low, high = (ndtr((b - 1) / spread) for b in bounds)
    for start in range(0, count, CHUNK):
        u = rng.random(min(CHUNK, count - start))
        u *= high - low
        u += low
        ndtri(u, out=u)
        out[start : start + u.size] = np.clip(1 + spread * u, *bounds)
    return out


def draw_cells(n: int, variation: CellVariation, seed: int) -> CellPopulation:
    r"""Draw the cells of a chip: `n` seeded pairs of factors $(f_\Delta, f_V)$.

    The two factors come from independent streams of the seed, so a chip's
    $f_\Delta$ do not change with `v_c0_spread` (and vice versa); the same seed
    gives the same cells. Drawn by inverting the normal CDF between the truncation
    bounds, in blocks of `CHUNK` (10^7 cells: about 0.7 s and 80 MB).

    Args:
        n: Number of cells, an integer in [1, 1e9].
        variation: The `CellVariation`.
        seed: Seed, an integer >= 0.

    Returns:
        The `CellPopulation`.

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Example:
        >>> chip = draw_cells(10**5, CellVariation(delta_spread=0.1), seed=0)
        >>> f"{chip.delta_factor.std():.2f} {chip.v_c0_factor.std():.2f}"
        '0.10 0.00'
    """
    if not (_is_integer(n) and 1 <= n <= MAX_CELLS):
        raise ValueError(f"`n` must be an integer in [1, 1e9] (cells), got {n!r}.")
    if not (_is_integer(seed) and seed >= 0):
        raise ValueError(f"`seed` must be an integer >= 0, got {seed!r}.")
    if not isinstance(variation, CellVariation):
        raise ValueError(f"`variation` must be a CellVariation, got {variation!r}.")
    delta_rng, v_c0_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(2)
    )
    delta = _truncated_normal(
        int(n), variation.delta_spread, variation.delta_bounds, delta_rng
    )
    v_c0 = _truncated_normal(
        int(n), variation.v_c0_spread, variation.v_c0_bounds, v_c0_rng
    )
    delta.setflags(write=False)
    v_c0.setflags(write=False)
    return CellPopulation(delta, v_c0, variation)
