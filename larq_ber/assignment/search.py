r"""`assign_write_points`: a write voltage per layer, as cheap as the tolerance allows.

The problem: give each binarized layer $l$ (it writes $n_l$ binary activations per
input) a rung $b_{r_l}$ of a `WriteLadder` so that the activation write energy per
input $\sum_l n_l e(b_{r_l})$ is smallest while the deployed accuracy, with every
layer's activations written at its own rate, stays within `tolerance` of the
error-free accuracy $c$ (or of a given `reference`): the lower bound of its
t-interval over error draws is at least $c - \text{tolerance}$.

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
large tolerant layer climb while a small fragile one stays low.

**Pairwise exchanges** then polish the greedy's end, where a ratio measured with
noise may have sent the last rung to the wrong layer: raise one layer by a rung
and lower another by one, when that saves energy (largest saving measured first,
the first within taken), until no exchange is within. Every exchange lowers the
energy, so they end; each round measures at most $L(L - 1)$ moves.

It is not guaranteed optimal: errors in different layers interact and accuracies
are measured with noise, which is why the answer is verified, and compared with
the best single point.

**The single point.** Every layer on one rung, rung by rung until a rung's upper
bound falls below the threshold; `larq_ber.mtj.cheapest_operating_point` picks the
largest rung decided within on these measurements (the paper's global operating
point at this tolerance). Both answers are then verified on fresh draws
(`larq_ber.assignment.verification`).

The greedy is the marginal analysis of Fox (1966, "Discrete optimization via
marginal analysis", Management Science 13(3)), as Shoham and Gersho (1988,
"Efficient bit allocation for an arbitrary set of quantizers", IEEE Trans. ASSP
36(9)) used it for bit allocation.

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
from larq_ber.assignment.ledger import Ledger
from larq_ber.assignment.measure import Levels, Measure
from larq_ber.assignment.result import Assignment, SearchStep
from larq_ber.assignment.verification import answer
from larq_ber.errors.maps import activation_positions
from larq_ber.evaluation import accuracy, check_draws, chosen_layers, named_seed
from larq_ber.mtj.device import MTJ
from larq_ber.stats import Interval, check_confidence

__all__ = ["assign_write_points"]


def _greedy(measure: Measure, draws: int, floor: float, free: set[int]) -> list[Levels]:
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


def _exchanges(
    measure: Measure, draws: int, state: Levels, free: set[int]
) -> list[Levels]:
    """Pairwise exchanges after the greedy: the states taken, in order.

    A move raises one layer (of `free`) by a rung and lowers another by one; of
    the moves that save energy, the largest saving is measured first and the first
    within is taken; this repeats until no move is within. Every move taken
    lowers the energy, so the exchanges end.
    """
    layers, top = len(measure.positions), len(measure.ladder) - 1
    path: list[Levels] = []
    while True:
        moves = []
        for i in sorted(free):
            for j in range(layers):
                if i == j or state[i] == top or state[j] == 0:
                    continue
                levels = list(state)
                levels[i], levels[j] = state[i] + 1, state[j] - 1
                saving = measure.ladder.energy(measure.writes, state)
                saving -= measure.ladder.energy(measure.writes, levels)
                if saving > 1e-12:
                    moves.append((-saving, i, j, tuple(levels)))
        for _, i, j, move in sorted(moves):
            names = measure.positions[i][0], measure.positions[j][0]
            measure(move, 0, draws, phase="exchange", taken=False,
                    moved=f"{names[0]} up, {names[1]} down")  # fmt: skip
            if measure.steps[-1].within:
                measure.take(len(measure.steps) - 1)
                state = move
                path.append(state)
                break
        else:
            return path


def _single_curve(measure: Measure, draws: int) -> list[tuple[float, list[float]]]:
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


def _points(value: Any, name: str) -> float:
    """`value` as accuracy points in [0, 100]; else a one-line ValueError."""
    number = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if not (number and math.isfinite(value) and 0 <= value <= 100):
        raise ValueError(
            f"`{name}` must be a number in [0, 100] (accuracy points), got {value!r}."
        )
    return float(value)


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
    reference: float | None = None,
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
            within when its interval's lower bound is at least `reference`
            minus `tolerance`.
        ladder: The rungs: 2 to 64 strictly increasing write error rates in
            (0, 1), the first the safest (default `DEFAULT_LADDER`, from the
            conventional $10^{-6}$ to 24 %).
        device: The MTJ (`MTJ.paper()` if `None`).
        draws: Error draws per assignment in the search, in [2, 100,000].
        verify_draws: Fresh draws of the verification, in [2, 100,000].
        seed: Integer >= 0 seeding the draws (draw $k$ from `(seed, k)`).
        metric: The accuracy metric of `evaluate`'s logs (`None`: `top1` or
            `accuracy`).
        layers: The layers whose rate may rise (`None`: all); the others stay
            on the first rung.
        reference: The accuracy (points, in [0, 100]) the tolerance counts
            from (`None`: the model's own error-free accuracy). Give one
            network's error-free accuracy to compare several networks against
            one absolute target: each network's own would move the target
            with its training noise.
        ledger: A CSV file (or a `Ledger`) keeping every draw measured: give the
            same one to resume a killed search or to search again at another
            tolerance without measuring anything twice (`None`: keep nothing).
        progress: Called with each `SearchStep` as it is measured.

    Returns:
        The `Assignment` (print it; `layer_bers()` to train at it).

    Raises:
        ValueError: If `tolerance`, `reference`, `confidence`, `draws`,
            `verify_draws`, `seed` or `ladder` is out of range, the model has
            no binarized layer, a name of `layers` is not one of them (the
            message lists them), the metric is not compiled, or the ledger
            belongs to another model or test set.

    Example:
        ```python
        answer = assign_write_points(model, (x_test, y_test), 0.5,
                                     ledger="search.csv")
        print(answer)                 # per layer: BER, V, t, energy; the saving
        model = LeNet4(ber=answer.layer_bers())   # train at the assignment
        ```
    """
    tolerance, confidence = (
        _points(tolerance, "tolerance"),
        check_confidence(confidence),
    )
    if reference is not None:
        reference = _points(reference, "reference")
    draws, seed = check_draws(draws), named_seed("seed", seed)
    verify_draws = check_draws(verify_draws, "verify_draws")
    positions = activation_positions(model)
    free = {i for i, p in enumerate(positions) if p in chosen_layers(positions, layers)}
    steps = WriteLadder.build(ladder, device)
    book = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    clean = accuracy(model, data, metric)
    book.check_clean(clean)
    threshold = (clean if reference is None else reference) - tolerance
    measure = Measure(model, data, positions, steps, book, seed, metric,
                       confidence, threshold, progress=progress)  # fmt: skip
    curve = _single_curve(measure, draws)
    path = _greedy(measure, draws, max(tolerance / 20, 0.01), free)
    if next(s for s in measure.steps if s.phase == "start").within:
        path += _exchanges(measure, draws, path[-1], free)
    base = clean if reference is None else reference
    result = answer(measure, path, curve, (clean, base, tolerance),
                     (draws, verify_draws), free)  # fmt: skip
    return dataclasses.replace(result, reference=reference)
