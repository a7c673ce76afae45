"""The cheapest write that keeps the accuracy, chosen from measured accuracies.

`cheapest_operating_point` reads an accuracy-vs-BER curve, or a robustness table
of deployed accuracies (aggregated with `larq_ber.tables.summarize`), picks the
largest tolerable bit error rate and returns the lowest-energy write for it
(`OperatingPoint.cheapest_write`), and, for a robustness table, the storage and
read conditions that keep the weights' errors tolerable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from larq_ber.mtj.deployment import (
    DEFAULT_READ_PULSE,
    _log_read_survival,
    storage_time_for_weight_ber,
)
from larq_ber.mtj.device import MTJ, _device, _number
from larq_ber.mtj.operating import OperatingPoint
from larq_ber.stats import cell_interval, draws_to_settle
from larq_ber.tables import summarize

__all__ = ["cheapest_operating_point"]

#: The cell of a robustness table: training BER, activation and weight BER at
#: inference; and the upper end of each one's range ("1)": open, "1]": closed).
_CELL = (("ber", "1)"), ("test_ber", "1)"), ("weight_ber", "1]"))


def cheapest_operating_point(
    accuracy_by_ber: Mapping[float, float] | Sequence[Mapping[str, Any]],
    tolerance: float,
    device: MTJ | None = None,
    *,
    reads: int = 0,
    read_voltage: float | None = None,
    read_pulse: float = DEFAULT_READ_PULSE,
    confidence: float | None = None,
) -> OperatingPoint:
    r"""From an accuracy-vs-BER curve to the lowest-energy write operating point.

    Among the measured BERs whose accuracy is within `tolerance` of the error-free
    run (BER 0), takes the largest (a larger WER always allows a cheaper write)
    and finds the pulse length and voltage with $\mathrm{WER}(V, t)$ = that BER and
    the smallest write energy $\propto V^2 t$ (at fixed resistance), minimised
    continuously along that contour with $V \le V_{bd}$
    (`OperatingPoint.cheapest_write`). The energy and endurance are compared with
    the conventional point, WER $10^{-6}$ at $5\tau_D$.

    **A robustness table** (the records of a robustness sweep, one per trained
    network, error draw and deployment condition, with the columns `ber`: the
    training BER, `test_ber`: the activation BER at inference, `weight_ber`: the
    weight BER at inference, and `test_top1`: the deployed accuracy, a fraction;
    strings, as read from a CSV file, are parsed; other columns such as `draw` are
    ignored, so give one model and dataset at a time) is read as follows:

    1. the accuracy of a cell (training BER, `test_ber`, `weight_ber`) is the mean
       `test_top1` of its records (over the draws; `larq_ber.tables.summarize`);
    2. the baseline is the best cell with `test_ber` 0 and `weight_ber` 0, over
       the training BERs; a cell is acceptable when its accuracy is within
       `tolerance` of it;
    3. the write point is set by the largest acceptable `test_ber`, over all
       training BERs (the returned `ber`), found as above (with
       `write_error_rate`, the same for both write directions; for a device with
       a field or an STT asymmetry, `error_rates` gives the two directions'
       rates at the returned voltage and pulse);
    4. of the cells with that `test_ber`, the one with the largest acceptable
       `weight_ber` is taken (then the higher accuracy, then the smaller training
       BER): its training BER is `train_ber` and its weight BER `weight_ber`;
    5. `storage_time` is the longest storage that keeps the weight BER at most
       `weight_ber` with `reads` reads at `read_voltage` and `read_pulse`
       (`storage_time_for_weight_ber`; `math.inf` if a weight BER of 1/2 or
       more is tolerated: the weights' error rate never exceeds 1/2).

    As for the curve, the largest acceptable values are taken: a noisy table where
    a smaller error rate misses the tolerance but a larger one meets it is not
    smoothed.

    **Deciding on bounds** (`confidence`, robustness tables only): a mean that
    meets the threshold $a_0 - \text{tolerance}$ ($a_0$ the baseline's mean) by
    less than its own noise is a coin toss. With `confidence` $1 - \alpha$, each
    cell gets a two-sided t interval (`larq_ber.stats.cell_interval`): over its
    runs' means when every cell holds two or more trained runs (the variation of
    training and of the error draws), else over its draws (error draws only, on
    the fixed test set). A cell is acceptable only when its **lower bound** is at
    least the threshold; the baseline's own cell always is. The point reports that
    bound (`accuracy_low`), and `undecided` names the cheapest cell whose interval
    straddles the threshold, with the draws (or runs) that would settle it at the
    same spread (`larq_ber.stats.draws_to_settle`).

    Args:
        accuracy_by_ber: `{ber: accuracy}` (e.g. ⟨Top1Max⟩ of a sweep), the
            records of `larq_ber.study.plots.top1max_table` (`ber`, `mean`), or a
            robustness table (records with `ber`, `test_ber`, `weight_ber`,
            `test_top1`); must include BER 0 (for a robustness table: a cell
            with `test_ber` 0 and `weight_ber` 0).
        tolerance: Largest accuracy loss accepted (same unit as the accuracies,
            e.g. 0.01 for one point when they are fractions), >= 0.
        device: The MTJ (`MTJ.paper()` if `None`).
        reads: Robustness table only: reads of each weight bit during the
            storage, an integer >= 0.
        read_voltage: Robustness table only: read voltage (V), >= 0;
            `device.v_c0 / 3` if `None`.
        read_pulse: Robustness table only: read pulse length (s), > 0.
        confidence: Robustness table only: decide on the lower bounds of
            intervals at this level, in (0, 1) (`None`: on the means).

    Returns:
        The `OperatingPoint`.

    Raises:
        ValueError: If BER 0 (or the cell with `test_ber` 0 and `weight_ber` 0) is
            missing, `tolerance` is negative, a BER is outside [0, 1) (a weight
            BER outside [0, 1]), a value is not a finite number (a `test_top1`
            not one in [0, 1]), a record lacks a column (the message names the
            row), a read argument is out of range, or the reads alone exceed the
            tolerated weight BER.

    Example:
        >>> curve = {0.0: 0.97, 0.04: 0.968, 0.16: 0.957}
        >>> point = cheapest_operating_point(curve, 0.005)
        >>> point.ber, round(point.energy, 2)
        (0.04, 0.33)
        >>> table = [
        ...     {"ber": b, "test_ber": tb, "weight_ber": wb, "draw": 0, "test_top1": a}
        ...     for b, tb, wb, a in [
        ...         (0.0, 0.0, 0.0, 0.970), (0.0, 0.04, 0.0, 0.950),
        ...         (0.04, 0.0, 0.0, 0.968), (0.04, 0.04, 0.0, 0.967),
        ...         (0.04, 0.04, 1e-3, 0.966), (0.04, 0.04, 1e-2, 0.940),
        ...     ]
        ... ]
        >>> point = cheapest_operating_point(table, 0.005)
        >>> point.ber, point.train_ber, point.weight_ber, round(point.energy, 2)
        (0.04, 0.04, 0.001, 0.33)
        >>> f"{point.storage_time / 3600:.1f} h"  # no reads, the paper's device
        '65.5 h'
    """
    device = _device(device)
    tolerance = _number(tolerance, "tolerance", "", low=0)
    _log_read_survival(reads, read_voltage, read_pulse, device)  # checks them
    if confidence is not None:
        confidence = _number(
            confidence, "confidence", "", low=0, high=1, low_open=True, high_open=True
        )
    if not isinstance(accuracy_by_ber, Mapping):
        accuracy_by_ber = list(accuracy_by_ber)  # read twice below
        if _is_robustness_table(accuracy_by_ber):
            return _table_point(
                accuracy_by_ber,
                tolerance,
                device,
                reads=reads,
                read_voltage=read_voltage,
                read_pulse=read_pulse,
                confidence=confidence,
            )
    if confidence is not None:
        raise ValueError(
            "`confidence` needs a robustness table (records with their draws): a "
            "curve of means has no spread to decide on."
        )
    curve = _curve(accuracy_by_ber)
    baseline = curve[0.0]
    ber = max(b for b, a in curve.items() if a >= baseline - tolerance)
    return OperatingPoint.cheapest_write(
        ber, curve[ber], device, baseline_accuracy=baseline
    )


def _is_robustness_table(table: Sequence[Any]) -> bool:
    """Whether `table` holds records with robustness columns."""
    return any(
        isinstance(r, Mapping) and ("test_ber" in r or "weight_ber" in r) for r in table
    )


def _curve(
    accuracy_by_ber: Mapping[float, float] | Sequence[Mapping[str, Any]],
) -> dict[float, float]:
    """`{ber: accuracy}` of a curve (a mapping or `ber`/`mean` records), checked."""
    if isinstance(accuracy_by_ber, Mapping):
        curve = {float(b): float(a) for b, a in accuracy_by_ber.items()}
    else:
        curve = {float(r["ber"]): float(r["mean"]) for r in accuracy_by_ber}
    if 0.0 not in curve:
        raise ValueError(
            "`accuracy_by_ber` must include BER 0 (the error-free baseline); got BERs "
            f"{sorted(curve)}."
        )
    not_finite = [b for b, a in curve.items() if not math.isfinite(a)]
    if not_finite:
        raise ValueError(
            f"`accuracy_by_ber` must map each BER to a finite accuracy; the BERs "
            f"{not_finite} have {[curve[b] for b in not_finite]}."
        )
    bad = [b for b in curve if not 0 <= b < 1]
    if bad:
        raise ValueError(f"`accuracy_by_ber` BERs must be in [0, 1), got {bad}.")
    return curve


def _cells(
    table: Sequence[Mapping[str, Any]], over_runs: bool = False
) -> dict[tuple[float, float, float], dict[str, Any]]:
    """The `summarize` record per (ber, test_ber, weight_ber) cell, checked."""
    by = tuple(key for key, _ in _CELL)
    try:
        summary = summarize(
            table, by=by, value="test_top1", within="run_id" if over_runs else None
        )
    except ValueError as error:
        raise ValueError(f"`accuracy_by_ber` {error}") from None
    for cell in summary:
        for key, upper in _CELL:
            value = cell[key]
            if not 0 <= value <= 1 or (upper == "1)" and value == 1):
                row = next(k for k, r in enumerate(table) if float(r[key]) == value)
                raise ValueError(
                    f"`accuracy_by_ber` row {row}: `{key}` must be in [0, {upper}, "
                    f"got {table[row][key]!r}."
                )
    return {(c["ber"], c["test_ber"], c["weight_ber"]): c for c in summary}


def _decide(
    cells: dict[tuple[float, float, float], dict[str, Any]],
    baseline: tuple[float, float, float],
    tolerance: float,
    confidence: float | None,
    unit: str = "draw",
) -> tuple[tuple[float, float, float], float | None, str]:
    """The chosen cell, its lower bound and the undecided cheaper cell, if any.

    Cells are ordered by (test_ber, weight_ber, accuracy, -ber): the largest
    acceptable one is the cheapest write with the most tolerant weights.
    """
    threshold = cells[baseline]["mean"] - tolerance

    def key(cell: tuple[float, float, float]) -> tuple[float, ...]:
        return (cell[1], cell[2], cells[cell]["mean"], -cell[0])

    if confidence is None:
        ok = [c for c in cells if cells[c]["mean"] >= threshold]
        return max(ok, key=key), None, ""
    bounds = {c: cell_interval(cells[c], confidence) for c in cells}
    ok = [c for c in cells if c == baseline or bounds[c].low >= threshold]
    chosen = max(ok, key=key)
    doubtful = [
        c
        for c in cells
        if key(c) > key(chosen) and not bounds[c].low >= threshold
        and not bounds[c].high < threshold
    ]  # fmt: skip
    low = bounds[chosen].low if math.isfinite(bounds[chosen].low) else None
    if not doubtful:
        return chosen, low, ""
    cell = max(doubtful, key=key)
    interval, more = bounds[cell], draws_to_settle(bounds[cell], threshold)
    settle = (
        f"about {more} more {unit}{'s' if more > 1 else ''} at the same spread "
        "would settle it"
        if more
        else f"more {unit}s are needed to estimate its spread"
    )
    spread = (
        f"[{100 * interval.low:.2f}, {100 * interval.high:.2f}] "
        f"({100 * confidence:g} %, n = {interval.n})"
        if math.isfinite(interval.low)
        else f"(n = {interval.n}: spread unknown)"
    )
    undecided = (
        f"undecided: training BER {cell[0]:g}, test BER {cell[1]:g}, weight BER "
        f"{cell[2]:g} has {100 * interval.mean:.2f} % {spread} against the "
        f"threshold {100 * threshold:.2f} %; {settle}"
    )
    return chosen, low, undecided


def _table_point(
    table: Sequence[Mapping[str, Any]],
    tolerance: float,
    device: MTJ,
    *,
    reads: int,
    read_voltage: float | None,
    read_pulse: float,
    confidence: float | None = None,
) -> OperatingPoint:
    """`cheapest_operating_point` for a robustness table."""
    cells = _cells(table)
    over_runs = confidence is not None and all(c["runs"] >= 2 for c in cells.values())
    if over_runs:
        cells = _cells(table, over_runs=True)
    clean = [c for c in cells if c[1] == 0 and c[2] == 0]
    if not clean:
        raise ValueError(
            "`accuracy_by_ber` must include cells with `test_ber` 0 and "
            "`weight_ber` 0 (the error-free baseline); got (test_ber, weight_ber) "
            f"{sorted({(tb, wb) for _, tb, wb in cells})}."
        )
    baseline = max(clean, key=lambda c: cells[c]["mean"])
    chosen, low, undecided = _decide(
        cells, baseline, tolerance, confidence, "run" if over_runs else "draw"
    )
    train_ber, test_ber, weight_ber = chosen
    accuracy = cells[chosen]["mean"]
    if weight_ber >= 0.5:  # never reached: the weights' error rate stays below 1/2
        storage = math.inf
    else:
        storage = _storage_time(
            weight_ber,
            device,
            reads=reads,
            read_voltage=read_voltage,
            read_pulse=read_pulse,
            cell=(test_ber, train_ber),
        )
    return OperatingPoint.cheapest_write(
        test_ber,
        accuracy,
        device,
        baseline_accuracy=cells[baseline]["mean"],
        confidence=confidence,
        accuracy_low=low,
        undecided=undecided,
        train_ber=train_ber,
        weight_ber=weight_ber,
        storage_time=storage,
        reads=int(reads),
        read_voltage=device.v_c0 / 3 if read_voltage is None else float(read_voltage),
        read_pulse=float(read_pulse),
    )


def _storage_time(
    weight_ber: float,
    device: MTJ,
    *,
    reads: int,
    read_voltage: float | None,
    read_pulse: float,
    cell: tuple[float, float],
) -> float:
    """`storage_time_for_weight_ber`, its error prefixed with the table's cell."""
    test_ber, train_ber = cell
    try:
        return storage_time_for_weight_ber(
            weight_ber,
            device,
            reads=reads,
            read_voltage=read_voltage,
            read_pulse=read_pulse,
        )
    except ValueError as error:
        raise ValueError(
            f"At the cheapest write (test_ber {test_ber:g}, training BER "
            f"{train_ber:g}) the table tolerates a weight BER of {weight_ber:g}: "
            f"{error}"
        ) from None
