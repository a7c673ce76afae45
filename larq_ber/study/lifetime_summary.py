r"""The lifetime summary of a sweep: how long each network stays near its accuracy.

`lifetime_table` aggregates the lifetime rows (`larq_ber.study.results.
read_lifetime`) into one record per point, as `larq_ber.study.summary.
robustness_table` does: with several runs, the t interval is over the runs' means
(each run's mean over its draws), so it covers training runs and error draws; with
one run, over its draws (error draws on a fixed test set only).
`lifetime_limits` answers per curve (training BER, temperature, cell spread, reads,
write point): the longest storage time evaluated at which the interval's lower
bound is still within `tolerance` (1 point) of the error-free accuracy of the same
weights (`clean_top1`, averaged like the accuracy), at that time and at every
shorter one evaluated; the first time beyond it is *below* the threshold when its
upper bound is under it, else *undecided* (more draws would tell).
`lifetime_text` prints it for `larq-ber results`. Nothing here imports TensorFlow.

Example:
    >>> rows = [{"subset": "", "weights": "best", "device": "tzoufras2019",
    ...          "write_voltage": None, "write_pulse": None,
    ...          "read_polarity": "fixed", "ber": 0.0, "delta_spread": 0.0,
    ...          "v_c0_spread": 0.0, "temperature_k": 358.15, "reads": 0,
    ...          "storage_time_s": t, "run_id": "a", "draw": d,
    ...          "clean_top1": 0.9, "test_top1": v}
    ...         for t, vs in ((1.0, (0.9, 0.9)), (3600.0, (0.6, 0.62)))
    ...         for d, v in enumerate(vs)]
    >>> limit = lifetime_limits(lifetime_table(rows))[0]
    >>> limit["within_s"], limit["beyond_s"], limit["decided"]
    (1.0, 3600.0, True)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

from larq_ber.stats import t_interval
from larq_ber.study.names import describe
from larq_ber.study.results import read_lifetime
from larq_ber.tables import summarize

__all__ = [
    "CURVE",
    "duration_text",
    "format_lifetime",
    "lifetime_limits",
    "lifetime_table",
    "lifetime_text",
]

#: What the rows of one evaluation share (text or empty cells).
CONDITION = ("subset", "weights", "device", "write_voltage", "write_pulse",
             "read_polarity")  # fmt: skip
#: The numbers of one curve over storage time.
CURVE = ("ber", "delta_spread", "v_c0_spread", "temperature_k", "reads")
_CELL = (*CURVE, "storage_time_s")
_YEAR = 365.25 * 86400.0


def duration_text(seconds: float) -> str:
    """A time in its largest readable unit: `"1 s"`, `"2 h"`, `"10 years"`.

    Example:
        >>> duration_text(3600), duration_text(315576000.0), duration_text(0)
        ('1 h', '10 years', '0 s')
    """
    for unit, size in (("years", _YEAR), ("days", 86400.0), ("h", 3600.0),
                       ("min", 60.0)):  # fmt: skip
        if seconds >= size:
            value = seconds / size
            name = unit[:-1] if unit.endswith("s") and round(value, 2) == 1 else unit
            return f"{value:.3g} {name}"
    return f"{seconds:.3g} s"


def lifetime_table(
    rows: Sequence[dict[str, Any]], confidence: float = 0.95
) -> list[dict[str, Any]]:
    """Accuracy per lifetime point, with its t interval and the error-free level.

    Args:
        rows: Rows of `larq_ber.study.results.read_lifetime`.
        confidence: Confidence level of the intervals, in (0, 1).

    Returns:
        One record per point, sorted: the `CONDITION` cells, the `CURVE`
        numbers, `storage_time_s`, `runs`, `n` (the size of the interval's
        sample: runs where `over` is `"runs"`, else draws), `draws` (over all
        runs), `mean`, `std`, `ci_low`, `ci_high`, `over` and `clean`
        (the error-free accuracy, mean over the runs). Accuracies are fractions.

    Raises:
        ValueError: If `confidence` is not in (0, 1) or a row is malformed.
    """
    parts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        parts.setdefault(tuple(_text(row[c]) for c in CONDITION), []).append(row)
    table = []
    for _, part in sorted(parts.items()):
        condition = {c: part[0][c] for c in CONDITION}
        draws = summarize(part, by=_CELL)
        runs = summarize(part, by=_CELL, within="run_id")
        clean = {
            tuple(c[k] for k in CURVE): c["mean"]
            for c in summarize(part, by=CURVE, value="clean_top1", within="run_id")
        }
        for per_draw, per_run in zip(draws, runs, strict=True):
            cell = per_run if per_run["runs"] > 1 else per_draw
            interval = t_interval(cell["mean"], cell["std"], cell["n"], confidence)
            table.append({
                **condition, **{c: per_draw[c] for c in _CELL},
                "runs": per_run["runs"], "n": cell["n"], "draws": per_draw["n"],
                "mean": cell["mean"],
                "std": cell["std"], "ci_low": round(interval.low, 12),
                "ci_high": round(interval.high, 12),
                "over": "runs" if per_run["runs"] > 1 else "draws",
                "clean": clean[tuple(per_draw[c] for c in CURVE)],
            })  # fmt: skip
    return table


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def lifetime_limits(
    table: Sequence[dict[str, Any]], tolerance: float = 0.01
) -> list[dict[str, Any]]:
    """Per curve, the longest storage time evaluated within `tolerance`.

    Args:
        table: Records of `lifetime_table`.
        tolerance: Accuracy the network may lose, a fraction (0.01: 1 point).

    Returns:
        One record per curve: its `CONDITION` cells and `CURVE` numbers,
        `clean` and `threshold` (`clean - tolerance`), `within_s` (the longest
        time whose `ci_low` >= threshold, with every shorter one; `None` if not
        even the shortest; a point without an interval is not within),
        `at_within` (its record), `beyond_s` (the first time that is not;
        `None` if every time is), `at_beyond` and `decided` (whether `ci_high`
        < threshold there; a point without an interval is undecided).
    """
    curves: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for record in table:
        key = tuple(_text(record[c]) for c in CONDITION) + tuple(
            record[c] for c in CURVE
        )
        curves.setdefault(key, []).append(record)
    limits = []
    for points in curves.values():
        points = sorted(points, key=lambda r: r["storage_time_s"])
        threshold = points[0]["clean"] - tolerance
        within, beyond = None, None
        for point in points:
            # No interval (one value): not decided within; the search stops there.
            low = point["ci_low"] if math.isfinite(point["ci_low"]) else -math.inf
            if low < threshold - 1e-12:
                beyond = point
                break
            within = point
        limits.append({
            **{c: points[0][c] for c in (*CONDITION, *CURVE)},
            "clean": points[0]["clean"], "threshold": threshold,
            "within_s": None if within is None else within["storage_time_s"],
            "at_within": within,
            "beyond_s": None if beyond is None else beyond["storage_time_s"],
            "at_beyond": beyond,
            "decided": beyond is not None
            and math.isfinite(beyond["ci_high"])
            and beyond["ci_high"] < threshold,
        })  # fmt: skip
    return limits


def _interval(record: dict[str, Any] | None) -> str:
    """`mean [low, high] n=10 draws` in accuracy points, or a dash."""
    if record is None:
        return "–"
    bounds = (
        f"[{100 * record['ci_low']:.2f}, {100 * record['ci_high']:.2f}]"
        if math.isfinite(record["ci_low"])
        else "[no interval]"
    )
    return f"{100 * record['mean']:.2f} {bounds} n={record['n']} {record['over']}"


def _condition_line(limit: dict[str, Any]) -> str:
    """The device, weights, write point and read scheme of a group of curves."""
    write = (
        "activations error-free"
        if limit["write_voltage"] is None
        else f"activations written at {limit['write_voltage']:g} V, "
        f"{1e9 * limit['write_pulse']:g} ns"
    )
    subset = f", subset {limit['subset']}" if limit["subset"] else ""
    return (
        f"device {limit['device']}, {limit['weights']} weights, {write}, "
        f"{limit['read_polarity']}-polarity reads{subset}:"
    )


def format_lifetime(
    limits: Sequence[dict[str, Any]],
    *,
    what: str = "",
    confidence: float = 0.95,
    tolerance: float = 0.01,
) -> str:
    """`lifetime_limits`' records as text, one line per curve.

    Args:
        limits: Records of `lifetime_limits`.
        what: What was trained, for the header (e.g. `"LeNet-4 on MNIST"`).
        confidence: The confidence level of the intervals.
        tolerance: The tolerance the limits were computed with (a fraction).

    Returns:
        A header saying what is decided and what the intervals cover, then per
        condition one line per curve: training BER (%), temperature (°C),
        spreads, reads, the error-free accuracy, the longest time within and
        the accuracy there, the first time beyond and the accuracy there.
    """
    of = f" of {what}" if what else ""
    lines = [
        f"Lifetime on MRAM{of}: the longest time since write (of those evaluated) "
        f"at which the {100 * confidence:g} %",
        f"t-interval's lower bound stays within {100 * tolerance:g} point(s) of the "
        "error-free accuracy of the same weights;",
        "intervals over the runs' means where runs > 1, else over one run's draws "
        "(error draws only).",
    ]
    head = (
        "  BER (%)  T (°C)  Δ spread  Vc0 spread  reads  error-free  within up to  "
        "top-1 there (%)                    first beyond  top-1 there (%)"
    )
    shown = None
    for limit in sorted(limits, key=_order):
        condition = _condition_line(limit)
        if condition != shown:
            lines += [condition, head]
            shown = condition
        within = "none" if limit["within_s"] is None else duration_text(
            limit["within_s"])  # fmt: skip
        if limit["beyond_s"] is None:
            beyond, verdict = "none (all within)", ""
        else:
            beyond = duration_text(limit["beyond_s"])
            verdict = " below" if limit["decided"] else " undecided"
        lines.append(
            f"  {100 * limit['ber']:7g} {limit['temperature_k'] - 273.15:7.4g} "
            f"{limit['delta_spread']:9g} {limit['v_c0_spread']:11g} "
            f"{limit['reads']:6.3g} {100 * limit['clean']:11.2f}  {within:<12}  "
            f"{_interval(limit['at_within']):<33}  {beyond:<12}  "
            f"{_interval(limit['at_beyond'])}{verdict}"
        )
    lines.append(
        "below: the first time beyond is decided under the threshold; undecided: "
        "its interval straddles it (more draws would tell)."
    )
    return "\n".join(lines)


def _order(limit: dict[str, Any]) -> tuple[Any, ...]:
    return (*(_text(limit[c]) for c in CONDITION), *(limit[c] for c in CURVE))


def lifetime_text(
    out: str | os.PathLike[str], confidence: float = 0.95, tolerance: float = 0.01
) -> str:
    """The lifetime summary of a sweep folder as text, or "" if it has none.

    Args:
        out: The sweep's output folder (or a run folder).
        confidence: Confidence level of the intervals, in (0, 1).
        tolerance: Accuracy the network may lose, a fraction (0.01: 1 point).

    Returns:
        `format_lifetime` of `lifetime_limits`, or "" without lifetime rows.

    Raises:
        ValueError: If a table holds a malformed row.

    Example:
        ```python
        print(lifetime_text("runs/fashion_lifetime"))
        ```
    """
    rows = read_lifetime(out)
    if not rows:
        return ""
    what = describe(str(rows[0].get("model") or ""), str(rows[0].get("dataset") or ""))
    limits = lifetime_limits(lifetime_table(rows, confidence), tolerance)
    return format_lifetime(
        limits, what=what, confidence=confidence, tolerance=tolerance
    )
