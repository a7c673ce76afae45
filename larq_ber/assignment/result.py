r"""The answer of a per-layer search: `Assignment`, its layers and its search path.

An `Assignment` gives each binarized layer a write point (`LayerPoint`: its rate,
voltage, pulse and energy), the network's write energy relative to the
conventional write, the verified accuracy with its interval, and the same for the
best single operating point, against which the saving is counted. `steps` keeps
every assignment the search measured, in order, for the record and the figure.
TF-free.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from larq_ber.stats import Interval

__all__ = ["LAYER_COLUMNS", "STEP_COLUMNS", "Assignment", "LayerPoint", "SearchStep"]

#: The columns of `Assignment.rows` (one row per layer).
LAYER_COLUMNS = ("layer", "writes", "share", "ber", "voltage_v", "pulse_s",
                 "energy_per_bit", "energy_share")  # fmt: skip

#: The columns of `Assignment.step_rows` (one row per assignment measured).
STEP_COLUMNS = ("step", "phase", "moved", "bers", "energy", "accuracy",
                "accuracy_low", "accuracy_high", "draws", "within")  # fmt: skip


@dataclasses.dataclass(frozen=True)
class LayerPoint:
    r"""One layer's write point in an assignment.

    Attributes:
        layer: The layer's path (as `larq_ber.errors.maps.activation_positions`
            names its quantizer).
        writes: Binary activations it writes per input.
        share: Its share of the network's activation writes, in [0, 1].
        ber: Its write error rate (both directions).
        voltage: Write voltage (V).
        pulse: Write pulse length (s).
        energy: Write energy per bit relative to the conventional write (WER
            $10^{-6}$ at $5\tau_D$).
        energy_share: Its share of the network's activation write energy.
    """

    layer: str
    writes: int
    share: float
    ber: float
    voltage: float
    pulse: float
    energy: float
    energy_share: float


@dataclasses.dataclass(frozen=True)
class SearchStep:
    """One assignment the search measured.

    Attributes:
        phase: `"single"` (every layer on one rung), `"start"` (every layer
            on the first rung), `"greedy"` (one layer raised by a rung),
            `"exchange"` (one layer raised, another lowered) or `"verify"`
            (independent draws of a candidate answer).
        moved: The layer raised (greedy), `"<up> up, <down> down"`
            (exchange), `""` otherwise.
        bers: The rate of each layer, in model order.
        energy: Its activation write energy per input, relative.
        accuracy: Its accuracy interval over the draws (points).
        within: Whether the interval's lower bound is at least the threshold.
        taken: Whether the search moved to it (start, greedy, exchange), or the
            answer passed (verify).
    """

    phase: str
    moved: str
    bers: tuple[float, ...]
    energy: float
    accuracy: Interval
    within: bool
    taken: bool


@dataclasses.dataclass(frozen=True)
class Assignment:
    r"""Per-layer write points that keep a network within a tolerance.

    Attributes:
        layers: One `LayerPoint` per binarized layer, in model order.
        energy: The activation write energy per input of the assignment,
            relative to writing every bit conventionally ($E$).
        accuracy: Its verified accuracy interval (points, over `verify_draws`
            draws independent of the search's, at the Bonferroni level of the
            search's verification tests: `accuracy.confidence`).
        met: Whether the verified lower bound is at least `threshold` (if not,
            `layers` are the first rungs, measured on the verification draws).
        single_ber: The rate of the best single operating point (every layer on
            one rung), verified as the answer is, from the higher of
            `larq_ber.mtj.cheapest_operating_point`'s rung on the search draws
            and the highest rung not decided beyond.
        single_energy: Its energy per input, relative (1.0, the conventional
            write, when no single point is verified within).
        single_accuracy: Its verified accuracy interval (points; `None` when
            every rung was decided beyond on the search draws).
        single_met: Whether that lower bound is at least `threshold`.
        clean: The error-free accuracy (points).
        tolerance: The accuracy loss accepted (points).
        threshold: `reference - tolerance` (points).
        confidence: Confidence of the intervals, in (0, 1).
        draws: Draws per assignment during the search.
        verify_draws: Draws of the verification.
        seed: The seed of the draws.
        ladder: The rungs of the search.
        evaluations: Assignments measured (from the ledger or afresh).
        steps: Every measured assignment, in order.
        method: The search, in words.
        undecided: The rates of a cheaper assignment of the path whose
            verification interval straddled the threshold (`None`: none did):
            neither within nor decided beyond.
        undecided_draws: The further verification draws that would settle it
            at the same spread (`larq_ber.stats.draws_to_settle`; `None` if
            none can tell).
        reference: The accuracy (points) the tolerance counts from, if not
            `clean` (`None`: `clean`).
        free: The layers the search could raise (`None`: all).

    Example:
        >>> from larq_ber.stats import mean_interval
        >>> point = LayerPoint("conv", 2880, 0.78, 0.16, 0.44, 9e-9, 0.25, 0.7)
        >>> answer = Assignment((point,), 0.25, mean_interval([90.0, 90.2]), True,
        ...     0.04, 0.33, mean_interval([90.1, 90.3]), True, 90.5, 1.0, 89.5,
        ...     0.95, 10, 50, 0, (1e-6, 0.04, 0.16), 12, (), "greedy")
        >>> round(answer.saving, 3), answer.layer_bers()
        (0.242, {'conv': 0.16})
    """

    layers: tuple[LayerPoint, ...]
    energy: float
    accuracy: Interval
    met: bool
    single_ber: float
    single_energy: float
    single_accuracy: Interval | None
    single_met: bool
    clean: float
    tolerance: float
    threshold: float
    confidence: float
    draws: int
    verify_draws: int
    seed: int
    ladder: tuple[float, ...]
    evaluations: int
    steps: tuple[SearchStep, ...]
    method: str
    undecided: tuple[float, ...] | None = None
    undecided_draws: int | None = None
    reference: float | None = None
    free: tuple[str, ...] | None = None

    @property
    def saving(self) -> float:
        """The energy saved over the best single operating point, a fraction."""
        return 1.0 - self.energy / self.single_energy

    def layer_bers(self) -> dict[str, float]:
        """`{layer name: rate}`: the assignment, e.g. for `LeNet4(ber=...)`.

        Returns:
            The rate of each layer, in model order, named as the models and the
            recipes' `layer_bers` name them: a quantizer no layer holds (NiN's
            `binary_conv_4_sign`: the sign before the pooling that feeds
            `binary_conv_4`) under its layer's name.
        """
        return {point.layer.removesuffix("_sign"): point.ber for point in self.layers}

    def rows(self) -> list[dict[str, Any]]:
        """The layers as CSV rows with the keys of `LAYER_COLUMNS` (SI units)."""
        rows = []
        for p in self.layers:
            row = {"layer": p.layer, "writes": p.writes, "share": p.share,
                   "ber": p.ber, "voltage_v": p.voltage, "pulse_s": p.pulse,
                   "energy_per_bit": p.energy,
                   "energy_share": p.energy_share}  # fmt: skip
            rows.append(row)
        return rows

    def step_rows(self) -> list[dict[str, Any]]:
        """The search path as CSV rows with the keys of `STEP_COLUMNS`."""
        rows = []
        for i, s in enumerate(self.steps):
            row = {"step": i, "phase": s.phase, "moved": s.moved,
                   "bers": " ".join(f"{b:g}" for b in s.bers), "energy": s.energy,
                   "accuracy": s.accuracy.mean, "accuracy_low": s.accuracy.low,
                   "accuracy_high": s.accuracy.high, "draws": s.accuracy.n,
                   "within": s.within}  # fmt: skip
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Everything but the path, as JSON-ready values (intervals as dicts)."""
        data = dataclasses.asdict(self)
        data.pop("steps")
        data["saving"] = self.saving
        data["layer_bers"] = self.layer_bers()
        return data

    def _verdict(self) -> str:
        """One line: the saving, or why there is none."""
        if not self.met:
            return (
                "The answer missed the tolerance on its verification draws: "
                "no assignment is decided within it (more draws, a larger "
                "tolerance or a lower first rung)."
            )
        if not self.single_met:
            return (
                "No single point of the ladder is verified within: against the "
                f"conventional write (WER 1e-6 at 5 tau_D), energy {self.energy:.3f}."
            )
        return (
            f"Energy {self.energy:.3f} of the conventional write (WER 1e-6 at "
            f"5 tau_D) vs {self.single_energy:.3f} at the best single point "
            f"(BER {self.single_ber:g}): {100 * self.saving:.1f} % saved."
        )

    def _single_line(self) -> str:
        """The single point's verification, in one line."""
        single = self.single_accuracy
        if single is None:
            return "  single point: every rung decided beyond on the search draws"
        return (
            f"  single point: BER {self.single_ber:g}, accuracy {single.mean:.2f} % "
            f"[{single.low:.2f}, {single.high:.2f}] over {single.n} verification "
            f"draws ({'within' if self.single_met else 'NOT within'}); "
            f"verification intervals at {single.confidence:.2%} (Bonferroni)"
        )

    def __str__(self) -> str:
        """A table: per layer its writes, rate, write point and energy; the verdict."""
        width = max([len("layer"), *(len(p.layer) for p in self.layers)])
        acc = self.accuracy
        base = f"{self.clean:.2f} %"
        if self.reference is not None:
            base = f"{self.reference:.2f} % (error-free {self.clean:.2f} %)"
        lines = [
            f"Per-layer write points within {self.tolerance:g} point(s) of "
            f"{base} ({self.confidence:.0%} t-intervals, seed "
            f"{self.seed}; {self.method}; {self.evaluations} assignments measured):",
            f"  {'layer':<{width}}  {'writes/input':>12}  {'share':>6}  "
            f"{'BER':>8}  {'V':>6}  {'t (ns)':>7}  {'energy/bit':>10}  "
            f"{'energy share':>12}",
        ]
        for p in self.layers:
            lines.append(
                f"  {p.layer:<{width}}  {p.writes:>12,}  {100 * p.share:>5.1f}%  "
                f"{p.ber:>8.3g}  {p.voltage:>6.3f}  {p.pulse * 1e9:>7.2f}  "
                f"{p.energy:>10.3f}  {100 * p.energy_share:>11.1f}%"
            )
        lines += [
            f"  per layer:    accuracy {acc.mean:.2f} % [{acc.low:.2f}, "
            f"{acc.high:.2f}] over {acc.n} verification draws "
            f"({'within' if self.met else 'NOT within'} {self.threshold:.2f} %)",
            self._single_line(),
            "  " + self._verdict(),
        ]
        if self.undecided is not None:
            more = self.undecided_draws
            lines.append(
                f"  Undecided: BERs {' '.join(f'{b:g}' for b in self.undecided)} "
                "straddled the threshold on verification"
                + (f"; about {more} more draws would settle it." if more else ".")
            )
        return "\n".join(lines)
