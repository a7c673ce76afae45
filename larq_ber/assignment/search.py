r"""`assign_write_points`: a write voltage per layer, as cheap as the tolerance allows.

The problem: give each binarized layer $l$ (it writes $n_l$ binary activations per
input) a rung $b_{r_l}$ of a `WriteLadder` so that the activation write energy per
input $\sum_l n_l e(b_{r_l})$ is smallest while the deployed accuracy, with every
layer's activations written at its own rate, stays within `tolerance` of the
error-free accuracy $c$: the lower bound of its t-interval over error draws is at
least $c - \text{tolerance}$.

**The search: greedy marginal analysis on measured accuracies.** It starts with
every layer on the first rung and repeats: for each layer not yet blocked, measure
the network with that layer one rung higher (the others as they are); a layer whose
move leaves the tolerance is blocked (raising any layer only adds errors, so its
move would not come back within later); among the moves that stay within, take the
one that saves the most energy per point of accuracy it costs,
$n_l\,(e(b_{r_l}) - e(b_{r_l + 1})) / \max(\bar a - \bar a_l, \epsilon)$ ($\bar a$
the current mean, $\bar a_l$ the candidate's, $\epsilon$ = 1/20 of the tolerance
or 0.01 points, so moves that cost nothing measurable go by energy alone). It
stops when every layer is blocked or at the top rung. This is the classic greedy
for a separable budget problem (a multiple-choice knapsack, as in bit allocation
for mixed-precision networks): it spends the tolerance where it buys the most
energy, needs about $L$ evaluations per step rather than the $R^L$ of an
exhaustive search, and, unlike coordinate descent from a single point, lets a
large tolerant layer climb while a small fragile one stays low. It is not
guaranteed optimal: errors in different layers interact and the ratios are
measured with noise, which is why the answer is verified, and compared with the
best single point.

**The single point.** Every layer on one rung, rung by rung until a rung's upper
bound falls below the threshold; `larq_ber.mtj.cheapest_operating_point` picks the
largest rung decided within on these measurements (the paper's global operating
point at this tolerance).

**Verification.** The search's own draws chose the answer, so its interval is
optimistic (the winner's curse). The per-layer answer and the single point are
measured again on `verify_draws` fresh draws (numbers `draws`,
`draws + 1`, ...: independent of the search's, and common to both); an answer
whose lower bound misses is replaced by the previous state of the path (up to
`MAX_BACKOFF` times). If the verified single point is cheaper than the verified
per-layer answer, the single point is the answer.

Draw $k$ of every assignment is seeded from `(seed, k)` (common random numbers:
differences between assignments are less noisy than their accuracies); a
`Ledger` keeps every draw, so a killed search resumes where it stopped and the
same seed gives the same table.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.assignment.ladder import DEFAULT_LADDER, WriteLadder
from larq_ber.assignment.ledger import Ledger, assignment_key
from larq_ber.assignment.result import Assignment, LayerPoint, SearchStep
from larq_ber.errors import ErrorMap, activation_errors
from larq_ber.errors.maps import activation_positions
from larq_ber.evaluation import (
    Position,
    accuracy,
    check_draws,
    chosen_layers,
    draw_key,
    named_seed,
)
from larq_ber.mtj.cheapest import cheapest_operating_point
from larq_ber.mtj.device import MTJ
from larq_ber.stats import Interval, check_confidence, mean_interval

__all__ = ["MAX_BACKOFF", "METHOD", "assign_write_points"]

#: The search, in words (`Assignment.method`).
METHOD = "greedy marginal analysis on measured accuracies"

#: Most states of the path tried again when a verification misses.
MAX_BACKOFF = 5

Levels = tuple[int, ...]


@dataclasses.dataclass
class _Measure:
    """Measures assignments (rung indices per layer), through the ledger."""

    model: tf.keras.Model
    data: Any
    positions: list[Position]
    ladder: WriteLadder
    ledger: Ledger
    seed: int
    metric: str | None
    confidence: float
    threshold: float
    steps: list[SearchStep] = dataclasses.field(default_factory=list)
    progress: Callable[[SearchStep], None] | None = None
    measured: set[str] = dataclasses.field(default_factory=set)

    def bers(self, levels: Levels) -> tuple[float, ...]:
        return tuple(self.ladder.rungs[r] for r in levels)

    def values(self, levels: Levels, first: int, count: int) -> list[float]:
        """The accuracy (points) of draws `first` ... `first + count - 1`."""
        paths = [path for path, _, _ in self.positions]
        key = assignment_key(paths, self.bers(levels))
        self.measured.add(key)
        draws = range(first, first + count)
        found = {k: self.ledger.get(key, self.seed, k) for k in draws}
        missing = [k for k in draws if found[k] is None]
        if missing:
            errors = ErrorMap(
                activations={
                    path: (np.full(shape, b, np.float32),) * 2
                    for (path, _, shape), b in zip(
                        self.positions, self.bers(levels), strict=True
                    )
                }
            )
            with activation_errors(self.model, errors, seed=0) as quantizers:
                for k in missing:
                    base = draw_key(self.seed, k)
                    for i, quantizer in enumerate(quantizers):
                        quantizer.reseed_inference_errors(base + i)
                    found[k] = accuracy(self.model, self.data, self.metric)
                    self.ledger.put(key, self.seed, k, found[k])  # type: ignore[arg-type]
        return [float(found[k]) for k in draws]  # type: ignore[arg-type]

    def __call__(
        self, levels: Levels, first: int, count: int, **step: Any
    ) -> tuple[Interval, list[float]]:
        """The interval and values of an assignment, recorded as a step."""
        values = self.values(levels, first, count)
        interval = mean_interval(values, self.confidence)
        record = SearchStep(
            bers=self.bers(levels),
            energy=self.ladder.energy(self.writes, levels),
            accuracy=interval,
            within=interval.low >= self.threshold,
            **step,
        )
        self.steps.append(record)
        if self.progress is not None:
            self.progress(record)
        return interval, values

    @property
    def writes(self) -> list[int]:
        return [int(np.prod(shape)) for _, _, shape in self.positions]

    def take(self, index: int) -> None:
        """Marks step `index` as taken."""
        self.steps[index] = dataclasses.replace(self.steps[index], taken=True)


def _greedy(
    measure: _Measure, draws: int, floor: float, free: set[int]
) -> list[Levels]:
    """The greedy path: the states taken, from all first rungs to the last."""
    layers, top = len(measure.positions), len(measure.ladder) - 1
    energies = measure.ladder.energies
    state: Levels = (0,) * layers
    current, _ = measure(state, 0, draws, phase="start", moved="", taken=True)
    path = [state]
    if not measure.steps[-1].within:
        return path
    blocked = {i for i in range(layers) if i not in free}
    while True:
        best: tuple[tuple[float, float, int], Levels, Interval, int] | None = None
        for i in range(layers):
            if i in blocked or state[i] == top:
                continue
            move = (*state[:i], state[i] + 1, *state[i + 1 :])
            acc, _ = measure(move, 0, draws, phase="greedy",
                             moved=measure.positions[i][0], taken=False)  # fmt: skip
            if not measure.steps[-1].within:
                blocked.add(i)
                continue
            saving = measure.writes[i] * (energies[state[i]] - energies[state[i] + 1])
            rank = (saving / max(current.mean - acc.mean, floor), saving, -i)
            if best is None or rank > best[0]:
                best = (rank, move, acc, len(measure.steps) - 1)
        if best is None:
            return path
        _, state, current, index = best
        measure.take(index)
        path.append(state)


def _single_curve(measure: _Measure, draws: int) -> list[tuple[float, list[float]]]:
    """`(rung, values)` of every layer on one rung, until one is clearly beyond."""
    layers = len(measure.positions)
    curve = []
    for r, rung in enumerate(measure.ladder.rungs):
        acc, values = measure((r,) * layers, 0, draws, phase="single", moved="",
                              taken=False)  # fmt: skip
        curve.append((rung, values))
        if acc.high < measure.threshold:
            break
    return curve


def _single_level(
    curve: list[tuple[float, list[float]]],
    clean: float,
    tolerance: float,
    device: MTJ,
    confidence: float,
) -> int | None:
    """The rung of `cheapest_operating_point` on the curve (`None`: none within)."""
    records = [
        {
            "ber": 0.0,
            "test_ber": rate,
            "weight_ber": 0.0,
            "draw": k,
            "test_top1": value / 100,
        }
        for rate, values in [(0.0, [clean] * len(curve[0][1])), *curve]
        for k, value in enumerate(values)
    ]
    point = cheapest_operating_point(
        records, tolerance / 100, device, confidence=confidence
    )
    rungs = [rate for rate, _ in curve]
    return rungs.index(point.ber) if point.ber in rungs else None


def _verified(
    measure: _Measure, candidates: Sequence[Levels], first: int, count: int
) -> tuple[Levels, Interval, bool]:
    """The first candidate whose verification draws stay within (or the last tried)."""
    for state in candidates[: MAX_BACKOFF + 1]:
        acc, _ = measure(state, first, count, phase="verify", moved="", taken=False)
        if measure.steps[-1].within:
            measure.take(len(measure.steps) - 1)
            return state, acc, True
    return state, acc, False


def _tolerance(value: Any) -> float:
    """`value` as a tolerance in points; else a one-line ValueError."""
    number = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if not (number and math.isfinite(value) and 0 <= value <= 100):
        raise ValueError(
            f"`tolerance` must be a number in [0, 100] (accuracy points), got "
            f"{value!r}."
        )
    return float(value)


def _layer_points(ladder: WriteLadder, positions: list[Position],
                  levels: Levels) -> tuple[LayerPoint, ...]:  # fmt: skip
    """The write point of each layer at `levels`."""
    writes = [int(np.prod(shape)) for _, _, shape in positions]
    energies = [
        n * ladder.points[r].energy for n, r in zip(writes, levels, strict=True)
    ]
    return tuple(
        LayerPoint(
            path,
            n,
            n / sum(writes),
            ladder.rungs[r],
            ladder.points[r].voltage,
            ladder.points[r].pulse,
            ladder.points[r].energy,
            e / sum(energies),
        )
        for (path, _, _), n, r, e in zip(
            positions, writes, levels, energies, strict=True
        )
    )


def assign_write_points(
    model: tf.keras.Model,
    data: Any,
    tolerance: float,
    *,
    confidence: float = 0.95,
    ladder: Sequence[float] = DEFAULT_LADDER,
    device: MTJ | None = None,
    draws: int = 10,
    verify_draws: int = 50,
    seed: int = 0,
    metric: str | None = None,
    layers: Sequence[str] | None = None,
    ledger: str | os.PathLike[str] | Ledger | None = None,
    progress: Callable[[SearchStep], None] | None = None,
) -> Assignment:
    r"""Per-layer activation write points that save energy within a tolerance.

    Searches a rate per binarized layer on the `ladder` (greedy marginal
    analysis on measured accuracies, see the module), verifies the answer and
    the best single operating point on fresh draws, and returns both with their
    write energies relative to the conventional write (WER $10^{-6}$ at
    $5\tau_D$), so the saving over the single point is read off.

    Args:
        model: A compiled Keras model with `BerSteSign` quantizers (built) and
            an accuracy metric (`top1` or `accuracy`).
        data: The test data: a `tf.data.Dataset` of `(x, y)` batches or an
            `(x, y)` pair of arrays.
        tolerance: Accuracy loss accepted, in points (e.g. 0.5), in [0, 100].
        confidence: Confidence of the intervals, in (0, 1): an assignment is
            within when its interval's lower bound is at least the error-free
            accuracy minus `tolerance`.
        ladder: The rungs: 2 to 64 strictly increasing write error rates in
            [0, 1), the first the safest (default `DEFAULT_LADDER`, from the
            conventional $10^{-6}$ to 24 %).
        device: The MTJ (`MTJ.paper()` if `None`).
        draws: Error draws per assignment in the search, in [2, 100,000].
        verify_draws: Fresh draws of the verification, in [2, 100,000].
        seed: Integer >= 0 seeding the draws (draw $k$ from `(seed, k)`).
        metric: The accuracy metric of `evaluate`'s logs (`None`: `top1` or
            `accuracy`).
        layers: The layers whose rate may rise (`None`: all); the others stay
            on the first rung.
        ledger: A CSV file (or a `Ledger`) keeping every draw measured: give the
            same one to resume a killed search or to search again at another
            tolerance without measuring anything twice (`None`: keep nothing).
        progress: Called with each `SearchStep` as it is measured.

    Returns:
        The `Assignment` (print it; `layer_bers()` to train at it).

    Raises:
        ValueError: If `tolerance`, `confidence`, `draws`, `verify_draws`,
            `seed` or `ladder` is out of range, the model has no binarized
            layer, a name of `layers` is not one of them (the message lists
            them), the metric is not compiled, or the ledger belongs to another
            model or test set.

    Example:
        ```python
        answer = assign_write_points(model, (x_test, y_test), 0.5,
                                     ledger="search.csv")
        print(answer)                 # per layer: BER, V, t, energy; the saving
        model = LeNet4(ber=answer.layer_bers())   # train at the assignment
        ```
    """
    tolerance, confidence = _tolerance(tolerance), check_confidence(confidence)
    draws, seed = check_draws(draws), named_seed("seed", seed)
    verify_draws = check_draws(verify_draws, "verify_draws")
    positions = activation_positions(model)
    free = {i for i, p in enumerate(positions) if p in chosen_layers(positions, layers)}
    steps = WriteLadder.build(ladder, device)
    book = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    clean = accuracy(model, data, metric)
    book.check_clean(clean)
    threshold = clean - tolerance
    measure = _Measure(model, data, positions, steps, book, seed, metric,
                       confidence, threshold, progress=progress)  # fmt: skip
    curve = _single_curve(measure, draws)
    path = _greedy(measure, draws, max(tolerance / 20, 0.01), free)
    return _answer(measure, path, curve, clean, tolerance, draws, verify_draws)


def _answer(
    measure: _Measure,
    path: list[Levels],
    curve: list[tuple[float, list[float]]],
    clean: float,
    tolerance: float,
    draws: int,
    verify_draws: int,
) -> Assignment:
    """Verifies the greedy answer and the single point; the cheaper one wins."""
    layers, ladder = len(measure.positions), measure.ladder
    threshold = clean - tolerance
    level = _single_level(curve, clean, tolerance, ladder.device, measure.confidence)
    single = [(r,) * layers for r in range(level or 0, -1, -1)]
    one, one_acc, one_met = _verified(measure, single, draws, verify_draws)
    best, acc, met = _verified(measure, path[::-1], draws, verify_draws)
    method = METHOD
    if one_met and (
        not met
        or ladder.energy(measure.writes, one) <= ladder.energy(measure.writes, best)
    ):
        best, acc, met = one, one_acc, one_met
        method += " (its path ended no cheaper than the single point, kept)"
    single_energy = ladder.energy(measure.writes, one) if level is not None else 1.0
    return Assignment(
        layers=_layer_points(ladder, measure.positions, best),
        energy=ladder.energy(measure.writes, best),
        accuracy=acc,
        met=met,
        single_ber=ladder.rungs[one[0]] if level is not None else 0.0,
        single_energy=single_energy,
        single_accuracy=one_acc,
        single_met=one_met and level is not None,
        clean=clean,
        tolerance=tolerance,
        threshold=threshold,
        confidence=measure.confidence,
        draws=draws,
        verify_draws=verify_draws,
        seed=measure.seed,
        ladder=ladder.rungs,
        evaluations=len(measure.measured),
        steps=tuple(measure.steps),
        method=method,
    )
