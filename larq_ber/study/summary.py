"""⟨Top1Max⟩ per BER with its confidence interval: the numbers a sweep is run for.

`top1max_table` aggregates a sweep's epoch table (`larq_ber.study.results.
read_results`) into one record per (class subset, BER): each run's Top1Max (its
best error-free test accuracy over the epochs), then their mean, sample standard
deviation and Student's t interval over the training runs
(`larq_ber.tables.summarize`, `larq_ber.stats.t_interval`). `format_top1max`
writes it as a fixed-width text table in accuracy points (%), `summary_text` does
both for a sweep folder: `larq-ber sweep`, `larq-ber demo` and `larq-ber results`
print it. Figures (`larq_ber.study.plots`) use the same records. Nothing here
imports TensorFlow.

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
from typing import Any

from larq_ber.stats import t_interval
from larq_ber.study.names import describe, subset_name
from larq_ber.study.results import read_results
from larq_ber.tables import summarize

__all__ = ["format_top1max", "summary_text", "top1max_table"]


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
