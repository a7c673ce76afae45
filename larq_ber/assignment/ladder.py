r"""The write ladder: the bit error rates a layer may be written at, and their energy.

A per-layer assignment gives each binarized layer one rung of a ladder of write
error rates $b_0 < b_1 < \dots < b_{R-1}$. Rung $b$ is written at the cheapest
write whose WER is $b$ (`larq_ber.mtj.OperatingPoint.cheapest_write`: the voltage
$V$ and pulse $t$ on the contour $\mathrm{WER}(V, t) = b$ with the smallest
$V^2 t$), and its energy per written bit is counted relative to the conventional
write, WER $10^{-6}$ at $5\tau_D$ (a rung at or below $10^{-6}$ *is* that write,
energy 1). For a network whose layer $l$ writes $n_l$ binary activations per
input at rung $r_l$, the activation write energy per input, relative to writing
every bit conventionally, is

$$E = \frac{\sum_l n_l\, e(b_{r_l})}{\sum_l n_l},$$

with $e(b) = V_b^2 t_b / (V_{ref}^2 t_{ref})$ at fixed resistance. TF-free.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from typing import Any

from larq_ber.mtj.device import MTJ, _device
from larq_ber.mtj.operating import OperatingPoint

__all__ = ["DEFAULT_LADDER", "MAX_RUNGS", "WriteLadder"]

#: The default rungs: the conventional WER 10^-6, then 10^-4 ... 24 %. The
#: energy per bit falls fastest at small rates (0.64 at 10^-4, 0.40 at 1 %,
#: 0.33 at 4 %, 0.25 at 16 % for the paper's device), so the rungs are
#: logarithmic there; from 1 % on they are close enough (a step costs 3-9 % of
#: a rung's energy) that a layer's rate is not held back by a coarse step.
DEFAULT_LADDER = (1e-6, 1e-4, 1e-3, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.12, 0.16,
                  0.24)  # fmt: skip

#: Most rungs a ladder may have (each costs one cheapest-write solve, ~0.4 s).
MAX_RUNGS = 64


def _rungs(values: Any) -> tuple[float, ...]:
    """`values` as a strictly increasing tuple of rates in (0, 1); else a ValueError.

    A rate of 0 is refused: no write is error-free, and the single-point search
    keeps BER 0 for the error-free baseline.
    """
    message = (
        f"`ladder` must be 2 to {MAX_RUNGS} strictly increasing write error rates in "
        "(0, 1) (e.g. (1e-6, 1e-3, 0.01, 0.04, 0.16))"
    )
    try:
        rungs = tuple(float(v) for v in values if not isinstance(v, bool | str))
        count = len(values)
    except (TypeError, ValueError):
        raise ValueError(f"{message}, got {values!r}.") from None
    if len(rungs) != count or not 2 <= count <= MAX_RUNGS:
        raise ValueError(f"{message}, got {values!r}.")
    bad = [r for r in rungs if not (math.isfinite(r) and 0 < r < 1)]
    if bad or any(b <= a for a, b in itertools.pairwise(rungs)):
        raise ValueError(f"{message}, got {list(rungs)!r}.")
    return rungs


@dataclasses.dataclass(frozen=True)
class WriteLadder:
    r"""The rungs a layer may be written at, each with its cheapest write.

    Attributes:
        rungs: The write error rates, strictly increasing, in (0, 1).
        points: The cheapest write of each rung (`OperatingPoint.cheapest_write`;
            its `voltage` in V, `pulse` in s, `energy` relative to WER
            $10^{-6}$ at $5\tau_D$).
        device: The MTJ the writes are for.

    Example:
        >>> ladder = WriteLadder.build((1e-6, 0.04, 0.16))
        >>> [round(e, 2) for e in ladder.energies]
        [1.0, 0.33, 0.25]
        >>> round(ladder.energy([2880, 800], [2, 1]), 3)  # per input, relative
        0.265
    """

    rungs: tuple[float, ...]
    points: tuple[OperatingPoint, ...]
    device: MTJ

    @classmethod
    def build(
        cls, ladder: Sequence[float] = DEFAULT_LADDER, device: MTJ | None = None
    ) -> WriteLadder:
        """Finds the cheapest write of every rung.

        Args:
            ladder: The rungs: 2 to `MAX_RUNGS` strictly increasing write error
                rates in (0, 1).
            device: The MTJ (`MTJ.paper()` if `None`).

        Returns:
            The `WriteLadder`.

        Raises:
            ValueError: If `ladder` is not such a sequence, or `device` is not an
                `MTJ` (or cannot write the conventional point below its
                breakdown voltage).
        """
        checked, device = _rungs(ladder), _device(device)
        points = tuple(
            OperatingPoint.cheapest_write(b, math.nan, device) for b in checked
        )
        return cls(checked, points, device)

    @property
    def energies(self) -> tuple[float, ...]:
        """The write energy per bit of each rung, relative to the conventional write."""
        return tuple(point.energy for point in self.points)

    def __len__(self) -> int:
        return len(self.rungs)

    def energy(self, writes: Sequence[int], levels: Sequence[int]) -> float:
        r"""The activation write energy per input of an assignment, relative.

        Args:
            writes: Binary activations each layer writes per input ($n_l$).
            levels: The rung index of each layer ($r_l$), in [0, len(rungs)).

        Returns:
            $\sum_l n_l e(b_{r_l}) / \sum_l n_l$: 1 when every layer is written
            conventionally.
        """
        energies = self.energies
        total = sum(writes)
        return sum(n * energies[r] for n, r in zip(writes, levels, strict=True)) / total
