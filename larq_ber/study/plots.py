"""The paper's figures from a sweep's table (`larq_ber.study.results.read_results`).

* `plot_epochs` — error-free test top-1 accuracy vs epoch, one colour per BER:
  the mean with every individual run (`style="traces"`, Fig. 1) or the mean ± one
  standard deviation over the repeats (`style="std"`, Fig. 2–4a); one panel per
  class subset.
* `plot_top1max` — ⟨Top1Max⟩ (the mean over repeats of each run's best epoch)
  vs BER, with ± one standard deviation, one line per class subset (Fig. 4b).

* `plot_robustness` — accuracy under errors at deployment (`robustness_table`):
  per weight BER, a heat map of the mean top-1 over training BER × test BER and
  the accuracy vs test BER, one line per training BER, with ± one standard
  deviation over every draw of every repeat.

`save_figure` draws any of them from a sweep folder and writes PNG, PDF or SVG, chosen
by the file extension.
"""

from __future__ import annotations

import collections
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from larq_ber.palette import COLOURS
from larq_ber.study.results import read_results, read_robustness
from larq_ber.tables import summarize

__all__ = [
    "FORMATS",
    "KINDS",
    "plot_epochs",
    "plot_robustness",
    "plot_top1max",
    "robustness_table",
    "save_figure",
    "top1max_table",
]

#: File extensions `save_figure` writes.
FORMATS = (".png", ".pdf", ".svg")
_STYLES = ("traces", "std")
#: Figure kinds of `save_figure`.
KINDS = ("epochs", "top1max", "robustness")


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


def _label(subset: str, dataset: str = "") -> str:
    return subset or dataset or "all classes"


def _what(rows: Sequence[dict[str, Any]]) -> str:
    """`"lenet4 on mnist"` from the first row's `model` and `dataset`."""
    first = rows[0]
    model, dataset = first.get("model") or "", first.get("dataset") or ""
    return " on ".join(part for part in (model, dataset) if part) or "sweep"


def _std(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Sample standard deviation (ddof = 1) ignoring NaN; 0 where one value."""
    count = np.sum(~np.isnan(values), axis=axis)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # ddof=1 of one value: NaN
        spread = np.nanstd(values, axis=axis, ddof=1)
    return np.where(count > 1, spread, 0.0)


def _honest_ylim(ax: Any, low: float) -> None:
    """Accuracy axis from a multiple of 10 % at or below `low` (%) up to 100 %."""
    bottom = max(0.0, 10 * np.floor((low - 1) / 10))
    ax.set_ylim(bottom, 100.5)


def plot_epochs(
    rows: Sequence[dict[str, Any]], *, style: str = "traces", axes: Any = None
) -> Any:
    """Draws accuracy vs epoch for every BER (Fig. 1 and 2 of the paper).

    Args:
        rows: Rows of `read_results` (keys `subset`, `ber`, `run_id`, `epoch`,
            `test_top1`).
        style: `"traces"`: mean and every run (thin); `"std"`: mean ± one
            sample standard deviation (ddof = 1) over the runs.
        axes: Matplotlib axes, one per class subset (`None`: a new figure).

    Returns:
        The matplotlib `Figure`.

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
            1, len(subsets), figsize=(5.5 * len(subsets), 4), squeeze=False
        )
        axes = list(axes[0])
    axes = list(np.atleast_1d(axes))
    if len(axes) < len(subsets):
        raise ValueError(
            f"`axes` has {len(axes)} entries, the rows have {len(subsets)} subsets."
        )
    bers = sorted({ber for _, ber in runs})
    lowest = 100.0
    for ax, subset in zip(axes, subsets, strict=False):
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
            label = f"BER {100 * ber:g} % (n={len(traces)})"
            if style == "traces":
                for trace_values in acc:
                    ax.plot(epochs, trace_values, color=colour, lw=0.6, alpha=0.35)
                lowest = min(lowest, float(np.nanmin(acc)))
            else:
                std = _std(acc)
                ax.fill_between(epochs, mean - std, mean + std, color=colour, alpha=0.2)
                lowest = min(lowest, float(np.nanmin(mean - std)))
            ax.plot(epochs, mean, color=colour, lw=2, label=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("error-free test top-1 accuracy (%)")
        shown = (
            "thick: mean over n runs, thin: each run"
            if style == "traces"
            else "mean ± 1 std (ddof = 1) over n runs"
        )
        where = f", {subset}" if subset else ""
        ax.set_title(f"{_what(rows)}{where}\n{shown}", fontsize="medium")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    for ax in axes[: len(subsets)]:
        _honest_ylim(ax, lowest)
    fig = axes[0].figure
    fig.tight_layout()
    return fig


def top1max_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """⟨Top1Max⟩ per (subset, BER): mean and standard deviation over the runs.

    Args:
        rows: Rows of `read_results`.

    Returns:
        One record per (subset, BER) with `subset`, `ber`, `runs`, `mean`, `std`
        (fractions; `std` is the sample standard deviation, ddof = 1, and 0 for
        one run).

    Example:
        >>> rows = [{"subset": "", "ber": 0.0, "run_id": r, "epoch": e,
        ...          "test_top1": v} for r, e, v in
        ...         [("a", 1, 0.5), ("a", 2, 0.7), ("b", 1, 0.9), ("b", 2, 0.8)]]
        >>> top1max_table(rows)
        [{'subset': '', 'ber': 0.0, 'runs': 2, 'mean': 0.8, 'std': 0.141421356237}]
    """
    table = []
    for (subset, ber), traces in sorted(_runs(rows).items()):
        best = np.array([max(t.values()) for t in traces.values()])
        table.append(
            {
                "subset": subset,
                "ber": ber,
                "runs": len(best),
                "mean": round(float(best.mean()), 12),
                "std": round(float(best.std(ddof=1)) if len(best) > 1 else 0.0, 12),
            }
        )
    return table


def plot_top1max(rows: Sequence[dict[str, Any]], *, ax: Any = None) -> Any:
    """Draws ⟨Top1Max⟩ vs BER, one line per class subset (Fig. 4b of the paper).

    Args:
        rows: Rows of `read_results`.
        ax: Matplotlib axes (`None`: a new figure).

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: If `rows` is empty.

    Example:
        >>> rows = [{"subset": "", "ber": b, "run_id": f"r{b}", "epoch": 1,
        ...          "test_top1": 0.9 - b} for b in (0.0, 0.1, 0.2)]
        >>> fig = plot_top1max(rows)
        >>> len(fig.axes[0].containers)  # one error-bar line per subset
        1
    """
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("`rows` is empty: there is nothing to plot.")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    table = top1max_table(rows)
    lowest = 100.0
    for k, subset in enumerate(sorted({r["subset"] for r in table})):
        points = [r for r in table if r["subset"] == subset]
        ber = np.array([100 * r["ber"] for r in points])
        mean = np.array([100 * r["mean"] for r in points])
        std = np.array([100 * r["std"] for r in points])
        runs = max(r["runs"] for r in points)
        lowest = min(lowest, float(np.min(mean - std)))
        ax.errorbar(
            ber,
            mean,
            yerr=std,
            marker="o",
            capsize=3,
            color=COLOURS[k % len(COLOURS)],
            label=f"{_label(subset, rows[0].get('dataset', ''))} (n={runs})",
        )
    _honest_ylim(ax, lowest)
    ax.set_title(
        f"{_what(rows)}\nmean ± 1 std (ddof = 1) of each run's best epoch",
        fontsize="medium",
    )
    ax.set_xlabel("bit error rate during training (%)")
    ax.set_ylabel("⟨Top1Max⟩ error-free test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.figure.tight_layout()
    return ax.figure


def robustness_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean top-1 per (training BER, test BER, weight BER) over runs and draws.

    Args:
        rows: Rows of `larq_ber.study.results.read_robustness`.

    Returns:
        One record per cell, sorted, with `ber`, `test_ber`, `weight_ber`, `runs`
        (distinct runs), `n` (rows), `mean` and `std` (fractions; `std` is the
        sample standard deviation over every draw of every run, ddof = 1, and 0
        for one row).

    Example:
        >>> rows = [{"ber": 0.0, "test_ber": 0.1, "weight_ber": 0.0, "run_id": "a",
        ...          "test_top1": v} for v in (0.8, 0.9)]
        >>> robustness_table(rows)[0]["mean"]
        0.85
    """
    return summarize(rows, by=("ber", "test_ber", "weight_ber"))


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
    """Mean top-1 (%) over training BER × test BER, every cell annotated."""
    low, high = scale
    grid = np.full((len(trains), len(tests)), np.nan)
    for i, ber in enumerate(trains):
        for j, test_ber in enumerate(tests):
            found = cell.get((ber, test_ber, weight_ber))
            if found is not None:
                grid[i, j] = 100 * found["mean"]
    image = heat.imshow(grid, cmap="viridis", aspect="auto", origin="lower",
                        vmin=low, vmax=high)  # fmt: skip
    for i in range(len(trains)):
        for j in range(len(tests)):
            if np.isfinite(grid[i, j]):
                colour = "white" if grid[i, j] < (low + high) / 2 else "black"
                heat.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center",
                          color=colour, fontsize=8)  # fmt: skip
    heat.set_xticks(range(len(tests)), [_percent(t) for t in tests])
    heat.set_yticks(range(len(trains)), [_percent(b) for b in trains])
    heat.set_xlabel("bit error rate at inference (%)")
    heat.set_ylabel("bit error rate during training (%)")
    heat.set_title(f"mean top-1 (%), weight BER {_percent(weight_ber)} %")
    return image


def _robustness_curves(
    curves: Any,
    cell: dict[tuple[float, float, float], dict[str, Any]],
    trains: list[float],
    tests: list[float],
    weight_ber: float,
) -> None:
    """Top-1 vs test BER, one line per training BER, ± one standard deviation."""
    for k, ber in enumerate(trains):
        points = [
            cell[(ber, t, weight_ber)] for t in tests if (ber, t, weight_ber) in cell
        ]
        n = max(p["n"] for p in points)
        curves.errorbar(
            [100 * p["test_ber"] for p in points],
            [100 * p["mean"] for p in points],
            yerr=[100 * p["std"] for p in points],
            marker="o",
            capsize=3,
            color=COLOURS[k % len(COLOURS)],
            label=f"trained at {_percent(ber)} % (n={n})",
        )
    curves.set_xlabel("bit error rate at inference (%)")
    curves.set_ylabel("top-1 test accuracy (%)")
    curves.set_title(f"weight BER {_percent(weight_ber)} %")
    curves.grid(alpha=0.3)
    curves.legend(fontsize="small")


def plot_robustness(rows: Sequence[dict[str, Any]]) -> Any:
    """Draws accuracy under errors at deployment, one column per weight BER.

    Top: heat map of the mean top-1 accuracy (%), training BER (rows) × test BER
    (columns), each cell annotated. Bottom: top-1 vs test BER, one line per
    training BER, with ± one standard deviation over every draw of every run.

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
        figsize=(4.8 * len(weights), 8),
        squeeze=False,
        gridspec_kw={"height_ratios": [1, 1.1]},
    )
    for column, weight_ber in enumerate(weights):
        image = _heat_map(axes[0, column], cell, trains, tests, weight_ber, (low, high))
        fig.colorbar(image, ax=axes[0, column], fraction=0.046, pad=0.04)
        _robustness_curves(axes[1, column], cell, trains, tests, weight_ber)
        _honest_ylim(axes[1, column], min(100 * (r["mean"] - r["std"]) for r in table))
    fig.suptitle(
        f"{_what(rows)}: accuracy under errors at deployment\n(mean ± 1 std, "
        "ddof = 1, over every draw of every run; n = draws × runs)"
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
        kind: `"epochs"` (`plot_epochs`), `"top1max"` (`plot_top1max`) or
            `"robustness"` (`plot_robustness`).
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
    else:
        rows = read_results(out)
        fig = plot_epochs(rows, style=style) if kind == "epochs" else plot_top1max(rows)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path
