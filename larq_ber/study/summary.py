"""The summaries of a sweep, each number with its confidence interval.

⟨Top1Max⟩ per BER, the numbers a sweep is run for, and (`robustness_table`) the
accuracy under errors at deployment per (training BER, test BER, weight BER).

`top1max_table` aggregates a sweep's epoch table (`larq_ber.study.results.
read_results`) into one record per (class subset, BER): each run's Top1Max (its
best error-free test accuracy over the epochs), then their mean, sample standard
deviation and Student's t interval over the training runs
(`larq_ber.tables.summarize`, `larq_ber.stats.t_interval`). `format_top1max`
writes it as a fixed-width text table in accuracy points (%), `summary_text` does
both for a sweep folder: `larq-ber sweep`, `larq-ber demo` and `larq-ber results`
print it. Figures (`larq_ber.study.plots`) use the same records.
`robustness_table` / `format_robustness` / `robustness_text` do the same for the
robustness table (`larq_ber.study.sweeps.robustness`), which `larq-ber results`
prints too. Nothing here imports TensorFlow.

Example:
    >>> rows = [{"subset": "", "ber": 0.04, "run_id": r, "epoch": e,
    ...          "test_top1": v} for r, e, v in
    ...         [("a", 1, 0.96), ("a", 2, 0.97), ("b", 1, 0.98), ("c", 1, 0.975)]]
    >>> print(format_top1max(top1max_table(rows), what="LeNet-4 on MNIST"))
    ⟨Top1Max⟩ of LeNet-4 on MNIST: each run's best error-free test top-1 accuracy
    (%); mean, std (ddof = 1) and 95 % t-interval over n training runs
      BER (%)     n    mean     std   ci_low  ci_high
            4     3   97.50    0.50    96.26    98.74
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from larq_ber.stats import t_interval
from larq_ber.study.names import describe, subset_name
from larq_ber.study.results import SweepFiles, read_json, read_results, read_robustness
from larq_ber.study.sweeps.plan import AutoRepeats
from larq_ber.tables import Table, summarize

__all__ = [
    "ROBUSTNESS_SUMMARY",
    "format_robustness",
    "format_top1max",
    "robustness_table",
    "robustness_text",
    "summary_text",
    "sweep_rule",
    "top1max_table",
]


def top1max_table(
    rows: Sequence[dict[str, Any]], confidence: float = 0.95
) -> list[dict[str, Any]]:
    """⟨Top1Max⟩ per (subset, BER): mean, spread and t-interval over the runs.

    Args:
        rows: Rows of `larq_ber.study.results.read_results` (keys `subset`, `ber`,
            `run_id`, `test_top1`).
        confidence: Confidence level of the interval, in (0, 1).

    Returns:
        One record per (subset, BER), sorted: `subset`, `ber`, `runs` and `n`
        (training runs), `mean`, `std` (sample standard deviation, ddof = 1; 0
        for one run), `ci_low` and `ci_high` (Student's t interval over the runs,
        `larq_ber.stats.t_interval`; NaN for one run). Accuracies are fractions.

    Raises:
        ValueError: If `confidence` is not in (0, 1) or a row is malformed
            (`larq_ber.tables.summarize`).

    Example:
        >>> rows = [{"subset": "", "ber": 0.0, "run_id": r, "epoch": e,
        ...          "test_top1": v} for r, e, v in
        ...         [("a", 1, 0.5), ("a", 2, 0.7), ("b", 1, 0.9), ("b", 2, 0.8)]]
        >>> record = top1max_table(rows)[0]
        >>> record["runs"], record["mean"], record["std"]
        (2, 0.8, 0.141421356237)
    """
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (str(row["subset"]), str(row["run_id"]))
        top1 = float(row["test_top1"])
        if key not in best or top1 > best[key]["test_top1"]:
            best[key] = {"ber": row["ber"], "run_id": key[1], "test_top1": top1}
    table = []
    for subset in sorted({subset for subset, _ in best}):
        runs = [record for (s, _), record in best.items() if s == subset]
        for cell in summarize(runs, by=("ber",)):
            interval = t_interval(cell["mean"], cell["std"], cell["n"], confidence)
            table.append({
                "subset": subset, **cell,
                "ci_low": round(interval.low, 12), "ci_high": round(interval.high, 12),
            })  # fmt: skip
    return table


def _cell(value: float, width: int) -> str:
    """A fraction as accuracy points, or a dash where undefined."""
    return f"{100 * value:{width}.2f}" if math.isfinite(value) else f"{'–':>{width}}"


def format_top1max(
    table: Sequence[dict[str, Any]], *, what: str = "", confidence: float = 0.95
) -> str:
    """`top1max_table`'s records as a fixed-width text table in accuracy points.

    Args:
        table: Records of `top1max_table`.
        what: What was trained, for the header (e.g. `"LeNet-4 on MNIST"`).
        confidence: The confidence level the records were computed with.

    Returns:
        A header saying what the numbers are and what the interval covers
        ("95 % t-interval over n training runs"), one line per (subset, BER)
        with BER (%), n, mean, std, ci_low and ci_high (accuracy points, %), and
        a note under the table where a BER has a single run (no spread, no
        interval).

    Example:
        >>> print(format_top1max([{"subset": "", "ber": 0.04, "runs": 1, "n": 1,
        ...     "mean": 0.9, "std": 0.0, "ci_low": math.nan,
        ...     "ci_high": math.nan}]).splitlines()[-1])
        n = 1: no spread and no interval from a single training run.
    """
    level = f"{100 * confidence:g} %"
    of = f" of {what}" if what else ""
    lines = [
        f"⟨Top1Max⟩{of}: each run's best error-free test top-1 accuracy",
        f"(%); mean, std (ddof = 1) and {level} t-interval over n training runs",
    ]
    subsets = any(record["subset"] for record in table)
    width = max([6, *(len(subset_name(r["subset"])) for r in table)])
    head = f"{'subset':<{width}}  " if subsets else ""
    lines.append(f"  {head}BER (%)     n    mean     std   ci_low  ci_high")
    for r in table:
        name = f"{subset_name(r['subset']):<{width}}  " if subsets else ""
        std = r["std"] if r["n"] > 1 else math.nan
        lines.append(
            f"  {name}{100 * r['ber']:7g} {r['n']:5d} {_cell(r['mean'], 7)} "
            f"{_cell(std, 7)} {_cell(r['ci_low'], 8)} {_cell(r['ci_high'], 8)}"
        )
    if any(r["n"] == 1 for r in table):
        lines.append("n = 1: no spread and no interval from a single training run.")
    return "\n".join(lines)


def summary_text(out: str | os.PathLike[str], confidence: float = 0.95) -> str:
    """The ⟨Top1Max⟩ table of a sweep folder as text (`format_top1max`).

    Args:
        out: The sweep's output folder.
        confidence: Confidence level of the intervals, in (0, 1).

    Returns:
        The table, its header naming the model and dataset of the runs.

    Raises:
        FileNotFoundError: If `out` has no run with a finished epoch.
        ValueError: If a table holds a malformed row.

    Example:
        ```python
        print(summary_text("runs/quickstart"))  # after `larq-ber sweep quickstart`
        ```
    """
    rows = read_results(out)
    what = describe(str(rows[0].get("model") or ""), str(rows[0].get("dataset") or ""))
    return format_top1max(
        top1max_table(rows, confidence), what=what, confidence=confidence
    )


#: `robustness_table`'s records as a CSV table (accuracies as fractions; empty
#: bounds where a cell has no interval; `at_cap` empty where the rule is unknown).
ROBUSTNESS_SUMMARY = Table(
    name="robustness summary",
    columns=("subset", "weights", "ber", "test_ber", "weight_ber", "runs", "n",
             "mean", "std", "ci_low", "ci_high", "half_width", "over", "at_cap"),
    ints=frozenset({"runs", "n", "at_cap"}),
    floats=frozenset({"ber", "test_ber", "weight_ber", "mean", "std", "ci_low",
                      "ci_high", "half_width"}),
    fractions=frozenset({"ber", "test_ber", "weight_ber", "mean", "ci_low",
                         "ci_high"}),
    required=("ber", "test_ber", "weight_ber", "runs", "n", "mean"),
    sort_by=("subset", "weights", "ber", "test_ber", "weight_ber"),
)  # fmt: skip

_CELL = ("ber", "test_ber", "weight_ber")


def robustness_table(
    rows: Sequence[dict[str, Any]],
    confidence: float = 0.95,
    rule: AutoRepeats | None = None,
) -> list[dict[str, Any]]:
    """Accuracy under deployment errors per cell, with its t interval.

    A cell is (subset, weights, training BER, test BER, weight BER). Two levels,
    as in the figures: with several runs, the interval is over the runs' means
    (each run's mean over its draws; `larq_ber.tables.summarize` with
    `within="run_id"`), so it covers training runs and error draws; with one
    run, over its draws, so it covers the error draws on a fixed test set
    only. The error-free cell (test BER 0, weight BER 0) has no randomness and
    counts once per run, however many identical rows it has.

    Args:
        rows: Rows of `larq_ber.study.results.read_robustness`.
        confidence: Confidence level of the intervals, in (0, 1).
        rule: The rule the draws were planned with, if any: then `at_cap` counts
            the runs in which the cell stopped at its cap.

    Returns:
        One record per cell, sorted: `subset`, `weights`, `ber`, `test_ber`,
        `weight_ber`, `runs`, `n` (real draws over all runs), `mean`, `std` (of
        the values the interval is over; 0 for one), `ci_low`, `ci_high`,
        `half_width` (NaN without an interval), `over` (`"runs"` or `"draws"`)
        and `at_cap` (`None` without `rule`). Accuracies are fractions.

    Raises:
        ValueError: If `confidence` is not in (0, 1) or a row is malformed.

    Example:
        >>> rows = [{"subset": "", "weights": "best", "ber": 0.0, "test_ber": 0.1,
        ...          "weight_ber": 0.0, "run_id": "a", "draw": d, "test_top1": v}
        ...         for d, v in enumerate((0.80, 0.82, 0.81))]
        >>> record = robustness_table(rows)[0]
        >>> record["n"], record["over"], round(record["ci_low"], 4)
        (3, 'draws', 0.7852)
    """
    parts: dict[tuple[str, str], list[dict[str, Any]]] = {}
    draws_of: dict[tuple[Any, ...], dict[int, float]] = {}  # per cell and run
    for row in rows:
        kind = (str(row["subset"]), str(row["weights"]))
        place = (*kind, *(float(row[c]) for c in _CELL))
        have = draws_of.setdefault((*place, str(row["run_id"])), {})
        if have and row["test_ber"] == 0 and row["weight_ber"] == 0:
            continue  # the error-free cell: the same evaluation again
        have[int(row["draw"])] = float(row["test_top1"])
        parts.setdefault(kind, []).append(row)
    capped = _capped(draws_of, rule)
    table = []
    for (subset, weights), part in sorted(parts.items()):
        draws = summarize(part, by=_CELL)
        runs = summarize(part, by=_CELL, within="run_id")
        for per_draw, per_run in zip(draws, runs, strict=True):
            cell = per_run if per_run["runs"] > 1 else per_draw
            interval = t_interval(cell["mean"], cell["std"], cell["n"], confidence)
            key = tuple(per_draw[c] for c in _CELL)
            where = dict(zip(_CELL, key, strict=True))
            table.append({
                "subset": subset, "weights": weights, **where,
                "runs": per_run["runs"], "n": per_draw["n"], "mean": cell["mean"],
                "std": cell["std"], "ci_low": round(interval.low, 12),
                "ci_high": round(interval.high, 12),
                "half_width": round(interval.half_width, 12),
                "over": "runs" if per_run["runs"] > 1 else "draws",
                "at_cap": capped.get((subset, weights, *key), 0) if rule else None,
            })  # fmt: skip
    return table


def _capped(
    draws_of: dict[tuple[Any, ...], dict[int, float]], rule: AutoRepeats | None
) -> dict[tuple[Any, ...], int]:
    """Per cell, the runs whose pilot planned more draws than the rule's cap."""
    capped: dict[tuple[Any, ...], int] = {}
    if rule is None:
        return capped
    for (*cell, _), have in draws_of.items():
        pilot = [have.get(d) for d in range(rule.minimum)]
        if cell[3] == cell[4] == 0 or None in pilot:
            continue  # error-free, or not planned by the rule
        at_cap = rule.planned([float(v) for v in pilot if v is not None])[1]
        capped[tuple(cell)] = capped.get(tuple(cell), 0) + int(at_cap)
    return capped


def format_robustness(
    table: Sequence[dict[str, Any]],
    *,
    confidence: float = 0.95,
    rule: AutoRepeats | None = None,
) -> str:
    """`robustness_table`'s records as a fixed-width text table in accuracy points.

    Args:
        table: Records of `robustness_table`.
        confidence: The confidence level the records were computed with.
        rule: The rule the draws were planned with, for the note on cells that
            stopped at its cap.

    Returns:
        A header saying what the interval covers, one line per cell: training,
        test and weight BER (%), runs, n (real draws), mean, ci_low, ci_high,
        ± (half-width, points) and what the interval is over; notes under it.

    Example:
        >>> print(format_robustness([{"subset": "", "weights": "best", "ber": 0.0,
        ...     "test_ber": 0.04, "weight_ber": 0.0, "runs": 1, "n": 10,
        ...     "mean": 0.8, "std": 0.01, "ci_low": 0.79, "ci_high": 0.81,
        ...     "half_width": 0.01, "over": "draws", "at_cap": None}]
        ...     ).splitlines()[-1].split())
        ['0', '4', '0', '1', '10', '80.00', '79.00', '81.00', '1.00', 'draws']
    """
    level = f"{100 * confidence:g} %"
    lines = [
        f"Top-1 under errors at deployment (%): mean and {level} t-interval per",
        "cell, over the runs' means where runs > 1 (covers training runs and error",
        "draws), else over one run's draws (error draws on a fixed test set only);",
        "n counts real draws, the error-free cell once per run",
    ]
    extra = any(r["subset"] or r["weights"] != "best" for r in table)
    width = max([7, *(len(_part(r)) for r in table)])
    head = f"{'weights':<{width}}  " if extra else ""
    lines.append(
        f"  {head}BER (%)  test (%)  weight (%)  runs     n    mean   ci_low  "
        "ci_high      ±  over"
    )
    for r in table:
        name = f"{_part(r):<{width}}  " if extra else ""
        mark = "*" if r.get("at_cap") else ""
        lines.append(
            f"  {name}{100 * r['ber']:7g} {100 * r['test_ber']:8g} "
            f"{100 * r['weight_ber']:10g} {r['runs']:5d} {r['n']:5d} "
            f"{_cell(r['mean'], 7)} {_cell(r['ci_low'], 8)} {_cell(r['ci_high'], 8)} "
            f"{_cell(r['half_width'], 6)}  {r['over']}{mark}"
        )
    if any(r.get("at_cap") for r in table) and rule is not None:
        lines.append(
            f"* stopped at the cap of {rule.maximum} draws in at least one run: "
            f"the interval may be wider than ±{rule.margin:g} points."
        )
    if any(not math.isfinite(r["half_width"]) for r in table):
        lines.append("–: a single value (one run, one draw): no interval.")
    return "\n".join(lines)


def _part(record: dict[str, Any]) -> str:
    """The weights (and subset) of a record, for the first column."""
    subset = subset_name(record["subset"]) if record["subset"] else ""
    return f"{record['weights']} {subset}".strip()


def robustness_text(out: str | os.PathLike[str], confidence: float = 0.95) -> str:
    """The robustness summary of a sweep folder as text, or "" if it has none.

    The rule of `test_repeats = "auto"` is read from the sweep's recipe
    (`sweep.json`), to mark the cells that stopped at its cap.

    Args:
        out: The sweep's output folder (or a run folder).
        confidence: Confidence level of the intervals, in (0, 1).

    Returns:
        `format_robustness` of `robustness_table`, or "" without robustness rows.

    Raises:
        ValueError: If a table holds a malformed row.

    Example:
        ```python
        print(robustness_text("runs/fashion"))
        ```
    """
    rows = read_robustness(out)
    if not rows:
        return ""
    rule = sweep_rule(out)
    return format_robustness(
        robustness_table(rows, confidence, rule), confidence=confidence, rule=rule
    )


def sweep_rule(out: str | os.PathLike[str]) -> AutoRepeats | None:
    """The `AutoRepeats` rule of a sweep's recipe, if it planned its draws.

    Args:
        out: The sweep's output folder.

    Returns:
        The rule, or `None` (fixed draws, or no `sweep.json`).
    """
    path = SweepFiles(Path(out)).recipe
    saved = read_json(path) if path.exists() else {}
    draws = saved.get("test_repeats") if isinstance(saved, dict) else None
    return AutoRepeats(**draws) if isinstance(draws, dict) else None
