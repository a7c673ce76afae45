r"""Verifying a search's answer and the best single point on fresh draws.

The search's own draws chose its answer, so their interval is optimistic (the
winner's curse). The per-layer answer and the single point (every layer on one
rung) are measured again on `verify_draws` fresh draws (numbers `draws`,
`draws + 1`, ...: independent of the search's and common to both); a candidate
whose lower bound misses is replaced by the previous state of its path (at most
`MAX_BACKOFF` times). Every verification test is made at the Bonferroni level
$1 - (1 - c) / \text{VERIFY\_TESTS}$, so that a candidate that is in truth beyond
passes any of them with probability at most that of one test at confidence $c$.
The single point starts at the higher of `cheapest_operating_point`'s rung and
the highest rung whose interval still reaches the threshold, so it is verified
as generously as the per-layer path. If every layer may rise and the verified
single point is no dearer, it is the answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from larq_ber.assignment.ladder import WriteLadder
from larq_ber.assignment.measure import Levels, Measure
from larq_ber.assignment.result import Assignment, LayerPoint
from larq_ber.evaluation import Position
from larq_ber.mtj.cheapest import cheapest_operating_point
from larq_ber.mtj.device import MTJ
from larq_ber.stats import Interval, draws_to_settle, mean_interval

__all__ = ["MAX_BACKOFF", "METHOD", "VERIFY_TESTS", "answer"]

#: The search, in words (`Assignment.method`).
METHOD = "greedy marginal analysis on measured accuracies, then pairwise exchanges"

#: Most states tried again when a verification misses (per answer).
MAX_BACKOFF = 3

#: Most verification tests of one search: the per-layer answer and the single
#: point, each with its back-offs. Each test is made at confidence
#: 1 - (1 - confidence) / VERIFY_TESTS (Bonferroni), so that all of them together
#: wrongly pass a candidate with probability at most that of one test at
#: `confidence`.
VERIFY_TESTS = 2 * (MAX_BACKOFF + 1)


def _single_level(
    curve: list[tuple[float, list[float]]],
    base: float,
    tolerance: float,
    device: MTJ,
    confidence: float,
) -> int | None:
    """The rung of `cheapest_operating_point` on the curve (`None`: none within).

    The baseline cell (BER 0) holds `base`, the accuracy the tolerance counts
    from.
    """
    records = [
        {
            "ber": 0.0,
            "test_ber": rate,
            "weight_ber": 0.0,
            "draw": k,
            "test_top1": value / 100,
        }
        for rate, values in [(0.0, [base] * len(curve[0][1])), *curve]
        for k, value in enumerate(values)
    ]
    point = cheapest_operating_point(
        records, tolerance / 100, device, confidence=confidence
    )
    rungs = [rate for rate, _ in curve]
    return rungs.index(point.ber) if point.ber in rungs else None


def _verified(
    measure: Measure, candidates: Sequence[Levels], first: int, count: int
) -> tuple[Levels, Interval, bool, tuple[Levels, Interval] | None]:
    """The first candidate verified within (or the last tried); the first missed.

    At most `MAX_BACKOFF + 1` candidates are tried, each at the Bonferroni level
    of `VERIFY_TESTS` tests.
    """
    level = 1 - (1 - measure.confidence) / VERIFY_TESTS
    missed = None
    for state in candidates[: MAX_BACKOFF + 1]:
        acc, _ = measure(state, first, count, level, phase="verify", moved="",
                         taken=False)  # fmt: skip
        if measure.steps[-1].within:
            measure.take(len(measure.steps) - 1)
            return state, acc, True, missed
        missed = missed or (state, acc)
    return state, acc, False, missed


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


def _single_from(
    curve: list[tuple[float, list[float]]], level: int | None, measure: Measure
) -> int | None:
    """The rung the single point's verification starts at (`None`: none).

    The higher of `cheapest_operating_point`'s rung (decided within on the search
    draws) and the highest rung not decided beyond (upper bound at least the
    threshold): an undecided rung gets its verification, as the per-layer path's
    last states do.
    """
    open_rungs = [
        r
        for r, (_, values) in enumerate(curve)
        if mean_interval(values, measure.confidence).high >= measure.threshold
    ]
    found = [r for r in (level, max(open_rungs, default=None)) if r is not None]
    return max(found, default=None)


def answer(
    measure: Measure,
    path: list[Levels],
    curve: list[tuple[float, list[float]]],
    accuracies: tuple[float, float, float],
    counts: tuple[int, int],
    free: set[int],
) -> Assignment:
    """Verifies the per-layer answer and the single point; the cheaper one wins.

    `accuracies` is (error-free, the one the tolerance counts from, tolerance);
    `counts` is (search draws, verification draws).
    """
    layers, ladder, writes = len(measure.positions), measure.ladder, measure.writes
    clean, base, tolerance = accuracies
    draws, verify_draws = counts
    threshold, method = measure.threshold, METHOD
    level = _single_level(curve, base, tolerance, ladder.device, measure.confidence)
    start = _single_from(curve, level, measure)
    single = [(r,) * layers for r in range(start if start is not None else -1, -1, -1)]
    one, one_acc, one_met = (0,) * layers, None, False
    if single:
        one, one_acc, one_met, _ = _verified(measure, single, draws, verify_draws)
    best, acc, met, missed = _verified(measure, path[::-1], draws, verify_draws)
    settle = None
    if missed is not None and missed[1].high >= threshold:
        settle = (measure.bers(missed[0]), draws_to_settle(missed[1], threshold))
    if not met:  # report the first rungs, measured on the verification draws
        best = path[0]
        acc, _ = measure(best, draws, verify_draws, phase="verify", moved="",
                         taken=False)  # fmt: skip
    cheaper = ladder.energy(writes, one) <= ladder.energy(writes, best)
    if one_met and len(free) == layers and (cheaper or not met):
        best, acc, met = one, one_acc, one_met  # type: ignore[assignment]
        method += " (the per-layer answer was no cheaper: the single point is kept)"
    return Assignment(
        layers=_layer_points(ladder, measure.positions, best),
        energy=ladder.energy(writes, best),
        accuracy=acc,
        met=met,
        single_ber=ladder.rungs[one[0]],
        single_energy=ladder.energy(writes, one) if one_met else 1.0,
        single_accuracy=one_acc,
        single_met=one_met,
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
        undecided=settle[0] if settle else None,
        undecided_draws=settle[1] if settle else None,
        free=tuple(measure.positions[i][0] for i in sorted(free)),
    )
