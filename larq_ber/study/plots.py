"""The paper's figures from a sweep's table (`larq_ber.study.results.read_results`).

* `plot_epochs` — error-free test top-1 accuracy vs epoch, one colour per BER:
  the mean with every individual run (`style="traces"`, Fig. 1) or the mean ± one
  standard deviation over the repeats (`style="std"`, Fig. 2–4a); one panel per
  class subset.
* `plot_top1max` — ⟨Top1Max⟩ (the mean over repeats of each run's best epoch)
  vs BER, with its 95 % t-interval over the runs, one line per class subset
  (Fig. 4b); the records of `larq_ber.study.summary.top1max_table`, the table
  `larq-ber results` prints.
* `plot_robustness` — accuracy under errors at deployment (`robustness_table`):
  per weight BER, a heat map of the mean top-1 over training BER × test BER and
  the accuracy vs test BER, one line per training BER. Two levels, as in the
  tables: each run's mean over its draws, then the mean and 95 % t-interval over
  the runs (draws of one run share its weights; the error-free cell counts once
  per run).

Titles use readable names (`larq_ber.study.names`); BER axes are symmetric-log
(linear below the smallest non-zero BER, at most 1 %), so 0, 1 and 4 % are as
distinct as 16 and 32 %; a point from a single run is drawn hollow and labelled
"n = 1: no spread". `save_figure` draws any of them from a sweep folder and writes
PNG, PDF or SVG, chosen by the file extension.
"""

from __future__ import annotations

import collections
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from larq_ber.palette import COLOURS
from larq_ber.stats import t_interval
from larq_ber.study._axes import (
    SINGLE,
    TOP1MAX,
    ber_axis,
    counted,
    errorbars,
    fit_ylim,
    legend_below,
    mark_single,
    over,
    what,
)
from larq_ber.study.names import dataset_name, subset_name
from larq_ber.study.results import read_results, read_robustness
from larq_ber.study.summary import top1max_table
from larq_ber.tables import summarize

__all__ = [
    "FORMATS",
    "KINDS",
    "plot_epochs",
    "plot_robustness",
    "plot_top1max",
    "robustness_table",
    "save_figure",
]

#: File extensions `save_figure` writes.
FORMATS = (".png", ".pdf", ".svg")
_STYLES = ("traces", "std")
#: Figure kinds of `save_figure`.
KINDS = ("epochs", "top1max", "robustness", "lifetime")


def _runs(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, float], dict[str, dict]]:
    """(subset, ber) → run_id → {epoch: top1}."""
    runs: dict[tuple[str, float], dict[str, dict]] = collections.defaultdict(
        lambda: collections.defaultdict(dict)
    )
    for row in rows:
        runs[(row["subset"], float(row["ber"]))][row["run_id"]][int(row["epoch"])] = (
            float(row["test_top1"])
        )
    return runs


def _std(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Sample standard deviation (ddof = 1) ignoring NaN; 0 where one value."""
    count = np.sum(~np.isnan(values), axis=axis)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # ddof=1 of one value: NaN
        spread = np.nanstd(values, axis=axis, ddof=1)
    return np.where(count > 1, spread, 0.0)


def _epoch_panel(ax: Any, runs: dict, subset: str, bers: list[float],
                 style: str) -> tuple[float, float, list[int]]:  # fmt: skip
    """One subset's accuracy vs epoch; returns the range drawn (%) and run counts."""
    lowest, highest, counts = 100.0, 0.0, []
    for i, ber in enumerate(bers):
        if (subset, ber) not in runs:
            continue
        colour = COLOURS[i % len(COLOURS)]
        traces = runs[(subset, ber)]
        epochs = np.arange(1, max(max(t) for t in traces.values()) + 1)
        acc = np.full((len(traces), len(epochs)), np.nan)
        for r, trace in enumerate(traces.values()):
            for epoch, value in trace.items():
                acc[r, epoch - 1] = 100 * value
        mean = np.nanmean(acc, axis=0)
        counts.append(len(traces))
        label = f"BER {100 * ber:g} % (n={len(traces)})"
        if style == "traces":
            for trace_values in acc:
                ax.plot(epochs, trace_values, color=colour, lw=0.6, alpha=0.35)
            low, high = np.nanmin(acc), np.nanmax(acc)
        else:
            std = _std(acc)
            ax.fill_between(epochs, mean - std, mean + std, color=colour, alpha=0.2)
            low, high = np.nanmin(mean - std), np.nanmax(mean + std)
            if len(traces) == 1:
                label = f"BER {100 * ber:g} % ({SINGLE})"
        lowest, highest = min(lowest, float(low)), max(highest, float(high))
        ax.plot(epochs, mean, color=colour, lw=2, label=label)
    return lowest, highest, counts


def plot_epochs(
    rows: Sequence[dict[str, Any]], *, style: str = "traces", axes: Any = None
) -> Any:
    """Draws accuracy vs epoch for every BER (Fig. 1 and 2 of the paper).

    Args:
        rows: Rows of `read_results` (keys `subset`, `ber`, `run_id`, `epoch`,
            `test_top1`; `model` and `dataset` name the title).
        style: `"traces"`: mean and every run (thin); `"std"`: mean ± one
            sample standard deviation (ddof = 1) over the runs (a BER with one
            run is labelled "n = 1: no spread").
        axes: Matplotlib axes, one per class subset (`None`: a new figure).

    Returns:
        The matplotlib `Figure`; every panel's accuracy axis fits the data drawn.

    Raises:
        ValueError: If `style` is unknown, `rows` is empty, or `axes` has fewer
            entries than there are subsets.

    Example:
        >>> rows = [{"subset": "", "ber": b, "run_id": f"r{b}{s}", "epoch": e,
        ...          "test_top1": 0.9 - b + 0.01 * e + 0.01 * s}
        ...         for b in (0.0, 0.1) for s in (0, 1) for e in (1, 2, 3)]
        >>> fig = plot_epochs(rows, style="std")
        >>> len(fig.axes[0].lines)
        2
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if style not in _STYLES:
        raise ValueError(f"`style` must be one of {list(_STYLES)}, got {style!r}.")
    if not rows:
        raise ValueError("`rows` is empty: there is nothing to plot.")
    runs = _runs(rows)
    subsets = sorted({subset for subset, _ in runs})
    if axes is None:
        fig, axes = plt.subplots(
            1, len(subsets), figsize=(5.5 * len(subsets), 4.6), squeeze=False
        )
        axes = list(axes[0])
    axes = list(np.atleast_1d(axes))
    if len(axes) < len(subsets):
        raise ValueError(
            f"`axes` has {len(axes)} entries, the rows have {len(subsets)} subsets."
        )
    bers = sorted({ber for _, ber in runs})
    lowest, highest = 100.0, 0.0
    for ax, subset in zip(axes, subsets, strict=False):
        low, high, counts = _epoch_panel(ax, runs, subset, bers, style)
        lowest, highest = min(lowest, low), max(highest, high)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("error-free test top-1 accuracy (%)")
        shown = (
            f"thick: mean over {over(counts)}, thin: each run"
            if style == "traces"
            else f"mean ± 1 std (ddof = 1) over {over(counts)}"
        )
        where = f", {subset_name(subset)}" if subset else ""
        ax.set_title(f"{what(rows)}{where}\n{shown}", fontsize="medium")
        ax.grid(alpha=0.3)
        legend_below(ax, len(counts))
    fit_ylim(axes[: len(subsets)], lowest, highest)
    fig = axes[0].figure
    fig.tight_layout()
    return fig


def plot_top1max(rows: Sequence[dict[str, Any]], *, ax: Any = None) -> Any:
    """Draws ⟨Top1Max⟩ vs BER, one line per class subset (Fig. 4b of the paper).

    Whiskers are the 95 % t-interval over the training runs
    (`larq_ber.study.summary.top1max_table`, the table `larq-ber results`
    prints); a BER with one run is drawn hollow ("n = 1: no spread").

    Args:
        rows: Rows of `read_results`.
        ax: Matplotlib axes (`None`: a new figure).

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: If `rows` is empty.

    Example:
        >>> rows = [{"subset": "", "ber": b, "run_id": f"r{b}{s}", "epoch": 1,
        ...          "test_top1": 0.9 - b + 0.01 * s}
        ...         for b in (0.0, 0.1, 0.2) for s in (0, 1)]
        >>> fig = plot_top1max(rows)
        >>> len(fig.axes[0].containers)  # one error-bar line per subset
        1
    """
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("`rows` is empty: there is nothing to plot.")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.4))
    table = top1max_table(rows)
    lowest, highest = 100.0, 0.0
    dataset = dataset_name(str(rows[0].get("dataset") or ""))
    for k, subset in enumerate(sorted({r["subset"] for r in table})):
        points = [r for r in table if r["subset"] == subset]
        name = subset_name(subset) if subset else dataset or "all classes"
        label = f"{name} (n={counted([p['n'] for p in points])})"
        low, high = errorbars(ax, points, "ber", COLOURS[k % len(COLOURS)], label)
        lowest, highest = min(lowest, low), max(highest, high)
    if any(r["n"] == 1 for r in table):
        mark_single(ax)
    else:
        ax.legend(fontsize="small")
    fit_ylim([ax], lowest, highest)
    ber_axis(ax, [100 * r["ber"] for r in table], "bit error rate during training (%)")
    ax.set_title(
        f"{what(rows)}\n{TOP1MAX} (each run's best epoch):\nmean and 95 % "
        f"t-interval over {over([r['n'] for r in table])}",
        fontsize="medium",
    )
    ax.set_ylabel(f"{TOP1MAX} error-free test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.figure.tight_layout()
    return ax.figure


def robustness_table(
    rows: Sequence[dict[str, Any]], confidence: float = 0.95
) -> list[dict[str, Any]]:
    """Mean top-1 per (training BER, test BER, weight BER) over the runs.

    Two levels: each run's mean over its draws, then the mean, spread and
    Student's t interval over the runs (`larq_ber.tables.summarize` with
    `within="run_id"`) — the runs are the independent unit, and the error-free
    cell, stored as identical rows, counts once per run.

    Args:
        rows: Rows of `larq_ber.study.results.read_robustness`.
        confidence: Confidence level of the interval, in (0, 1).

    Returns:
        One record per cell, sorted, with `ber`, `test_ber`, `weight_ber`, `runs`
        and `n` (training runs), `mean` and `std` (of the runs' means; ddof = 1,
        0 for one run), `ci_low` and `ci_high` (NaN for one run); fractions.

    Example:
        >>> rows = [{"ber": 0.0, "test_ber": 0.1, "weight_ber": 0.0, "run_id": r,
        ...          "test_top1": v} for r, v in (("a", 0.8), ("a", 0.9), ("b", 0.7))]
        >>> record = robustness_table(rows)[0]
        >>> record["n"], record["mean"]  # (0.85 + 0.7) / 2
        (2, 0.775)
    """
    table = summarize(rows, by=("ber", "test_ber", "weight_ber"), within="run_id")
    for record in table:
        interval = t_interval(record["mean"], record["std"], record["n"], confidence)
        record["ci_low"] = round(interval.low, 12)
        record["ci_high"] = round(interval.high, 12)
    return table


def _percent(value: float) -> str:
    return f"{100 * value:g}"


def _heat_map(
    heat: Any,
    cell: dict[tuple[float, float, float], dict[str, Any]],
    trains: list[float],
    tests: list[float],
    weight_ber: float,
    scale: tuple[float, float],
) -> Any:
    """Mean top-1 (%) over training BER × test BER, annotated ± the half-width."""
    low, high = scale
    grid = np.full((len(trains), len(tests)), np.nan)
    half = np.full_like(grid, np.nan)
    for i, ber in enumerate(trains):
        for j, test_ber in enumerate(tests):
            found = cell.get((ber, test_ber, weight_ber))
            if found is not None:
                grid[i, j] = 100 * found["mean"]
                half[i, j] = 100 * (found["ci_high"] - found["mean"])
    image = heat.imshow(grid, cmap="viridis", aspect="auto", origin="lower",
                        vmin=low, vmax=high)  # fmt: skip
    for i in range(len(trains)):
        for j in range(len(tests)):
            if np.isfinite(grid[i, j]):
                colour = "white" if grid[i, j] < (low + high) / 2 else "black"
                text = f"{grid[i, j]:.1f}"
                if np.isfinite(half[i, j]):
                    text += f"\n±{half[i, j]:.1f}"
                heat.text(j, i, text, ha="center", va="center", color=colour,
                          fontsize=8, linespacing=1.1)  # fmt: skip
    heat.set_xticks(range(len(tests)), [_percent(t) for t in tests])
    heat.set_yticks(range(len(trains)), [_percent(b) for b in trains])
    heat.set_xlabel("bit error rate at inference (%)")
    heat.set_ylabel("bit error rate during training (%)")
    heat.set_title(f"weight BER {_percent(weight_ber)} %", fontsize="medium")
    return image


def _robustness_curves(
    curves: Any,
    cell: dict[tuple[float, float, float], dict[str, Any]],
    trains: list[float],
    tests: list[float],
    weight_ber: float,
) -> tuple[float, float]:
    """Top-1 vs test BER, one line per training BER; returns the range drawn (%)."""
    lowest, highest = 100.0, 0.0
    for k, ber in enumerate(trains):
        points = [
            cell[(ber, t, weight_ber)] for t in tests if (ber, t, weight_ber) in cell
        ]
        label = f"trained at {_percent(ber)} % (n={counted([p['n'] for p in points])})"
        low, high = errorbars(curves, points, "test_ber", COLOURS[k % len(COLOURS)],
                               label)  # fmt: skip
        lowest, highest = min(lowest, low), max(highest, high)
    ber_axis(curves, [100 * t for t in tests], "bit error rate at inference (%)")
    curves.set_ylabel("top-1 test accuracy (%)")
    curves.set_title(f"weight BER {_percent(weight_ber)} %", fontsize="medium")
    curves.grid(alpha=0.3)
    if any(p["n"] == 1 for p in cell.values()):
        mark_single(curves)
    else:
        curves.legend(fontsize="small")
    return lowest, highest


def plot_robustness(rows: Sequence[dict[str, Any]]) -> Any:
    """Draws accuracy under errors at deployment, one column per weight BER.

    Top: heat map of the mean top-1 accuracy (%), training BER (rows) × test BER
    (columns), each cell annotated with its mean and the half-width of its 95 %
    t-interval; one colour scale, labelled. Bottom: top-1 vs test BER, one line
    per training BER, with the 95 % t-interval as whiskers. Both from
    `robustness_table`: each run's mean over its draws, then the mean and
    interval over the runs.

    Args:
        rows: Rows of `larq_ber.study.results.read_robustness`.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: If `rows` is empty.

    Example:
        >>> rows = [{"ber": b, "test_ber": t, "weight_ber": 0.0, "run_id": f"r{b}",
        ...          "draw": 0, "test_top1": 0.9 - t * (1 - b), "model": "lenet4",
        ...          "dataset": "mnist"}
        ...         for b in (0.0, 0.1) for t in (0.0, 0.1, 0.2)]
        >>> fig = plot_robustness(rows)
        >>> len(fig.axes)  # heat map, curves, the colour bar
        3
    """
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("`rows` is empty: there is nothing to plot.")
    table = robustness_table(rows)
    trains = sorted({r["ber"] for r in table})
    tests = sorted({r["test_ber"] for r in table})
    weights = sorted({r["weight_ber"] for r in table})
    cell = {(r["ber"], r["test_ber"], r["weight_ber"]): r for r in table}
    # One colour scale for every heat map, so the panels compare.
    low, high = (100 * f(r["mean"] for r in table) for f in (min, max))
    fig, axes = plt.subplots(
        2,
        len(weights),
        figsize=(5.2 * len(weights), 9),
        squeeze=False,
        gridspec_kw={"height_ratios": [1, 1.1]},
    )
    lowest, highest = 100.0, 0.0
    for column, weight_ber in enumerate(weights):
        image = _heat_map(axes[0, column], cell, trains, tests, weight_ber, (low, high))
        bar = fig.colorbar(image, ax=axes[0, column], fraction=0.046, pad=0.04)
        bar.set_label("mean top-1 test accuracy (%)")
        drawn = _robustness_curves(axes[1, column], cell, trains, tests, weight_ber)
        lowest, highest = min(lowest, drawn[0]), max(highest, drawn[1])
    fit_ylim(axes[1], lowest, highest)
    fig.suptitle(
        f"{what(rows)}: accuracy under errors at deployment\neach run's mean over "
        f"its draws; mean and 95 % t-interval over {over([r['n'] for r in table])}"
    )
    fig.tight_layout()
    return fig


def save_figure(
    out: str | Path, path: str | Path, *, kind: str = "epochs", style: str = "traces"
) -> Path:
    """Draws a figure of a sweep folder and writes it (PNG, PDF or SVG).

    Args:
        out: The sweep's output folder.
        path: The file to write; its extension picks the format (`FORMATS`).
        kind: `"epochs"` (`plot_epochs`), `"top1max"` (`plot_top1max`),
            `"robustness"` (`plot_robustness`) or `"lifetime"`
            (`larq_ber.study.lifetime_figure.plot_lifetime`).
        style: For `kind="epochs"`: `"traces"` or `"std"`.

    Returns:
        The path written.

    Raises:
        ValueError: If `kind`, `style` or the extension is unknown.
        FileNotFoundError: If `out` has no results or the folder of `path` does
            not exist.

    Example:
        ```python
        save_figure("runs/quickstart", "fig.png")  # after `larq-ber sweep quickstart`
        ```
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(
            f"`--figure` must end in one of {list(FORMATS)}, got {str(path)!r}."
        )
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {list(KINDS)}, got {kind!r}.")
    if style not in _STYLES:
        raise ValueError(f"`style` must be one of {list(_STYLES)}, got {style!r}.")
    if not path.resolve().parent.is_dir():
        raise FileNotFoundError(
            f"`--figure`: the folder {str(path.resolve().parent)!r} does not exist."
        )
    if kind == "robustness":
        table = read_robustness(out)
        if not table:
            raise FileNotFoundError(
                f"No robustness rows under {str(out)!r} (expected "
                "runs/*/robustness.csv): run `larq-ber robustness` first."
            )
        fig = plot_robustness(table)
    elif kind == "lifetime":
        fig = _lifetime_figure(out)
    else:
        rows = read_results(out)
        fig = plot_epochs(rows, style=style) if kind == "epochs" else plot_top1max(rows)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def _lifetime_figure(out: str | Path) -> Any:
    """`plot_lifetime` of a sweep folder's lifetime rows."""
    from larq_ber.study.lifetime_figure import plot_lifetime
    from larq_ber.study.results import read_lifetime

    rows = read_lifetime(out)
    if not rows:
        raise FileNotFoundError(
            f"No lifetime rows under {str(out)!r} (expected runs/*/lifetime.csv): "
            "run `larq-ber robustness OUT --storage-times ...` first."
        )
    return plot_lifetime(rows)
