"""Axes helpers shared by the study's figures (`larq_ber.study.plots`).

Readable titles, run counts, accuracy limits fitted to the data, symmetric-log BER
axes with a tick per BER, and means with interval whiskers where a single-run point
is drawn hollow and named in the legend. Matplotlib is imported by the callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from larq_ber.study.names import describe

__all__ = ["SINGLE", "TOP1MAX", "ber_axis", "counted", "errorbars", "fit_ylim",
           "legend_below", "mark_single", "over", "what"]  # fmt: skip

#: ⟨Top1Max⟩ in mathtext (the angle brackets are missing from the default font).
TOP1MAX = r"$\langle$Top1Max$\rangle$"
#: Legend text of a point drawn from one run.
SINGLE = "n = 1: no spread"


def what(rows: Sequence[dict[str, Any]]) -> str:
    """`"LeNet-4 on MNIST"` from the first row's `model` and `dataset`."""
    first = rows[0]
    return describe(str(first.get("model") or ""), str(first.get("dataset") or ""))


def counted(counts: Sequence[int]) -> str:
    """`"3"`, or `"1–3"` where the points have different run counts."""
    low, high = min(counts), max(counts)
    return f"{low}" if low == high else f"{low}–{high}"


def over(counts: Sequence[int]) -> str:
    """`"3 runs"`, `"1 run"` or `"1–3 runs"` for the run counts of the points."""
    return f"{counted(counts)} run{'' if max(counts) == 1 else 's'}"


def fit_ylim(axes: Sequence[Any], low: float, high: float) -> None:
    """Accuracy axes (%) fitted to the data in [low, high], padded, within 0–100."""
    pad = max(0.5, 0.06 * (high - low))
    for ax in axes:
        ax.set_ylim(max(0.0, low - pad), min(100.5, high + pad))


def ber_axis(ax: Any, percents: Sequence[float], label: str) -> None:
    """A symmetric-log BER axis (%) with a tick at every BER of the grid.

    Linear up to the smallest non-zero BER (at most 1 %), logarithmic above, so
    0, 1 and 4 % are as far apart as 16 and 32 %.
    """
    from matplotlib.ticker import NullLocator

    values = sorted(set(percents))
    positive = [v for v in values if v > 0]
    ax.set_xscale("symlog", linthresh=min([1.0, *positive]), linscale=0.8)
    ax.set_xticks(values, [f"{v:g}" for v in values])
    ax.xaxis.set_minor_locator(NullLocator())
    # 5 % of the axis' width as a margin on either side, in the scale's coordinates
    scale = ax.xaxis.get_transform()
    low, high = scale.transform([values[0], values[-1]])
    pad = 0.05 * (high - low) if high > low else 0.5
    ax.set_xlim(*scale.inverted().transform([low - pad, high + pad]))
    ax.set_xlabel(label)


def errorbars(
    ax: Any, points: Sequence[dict[str, Any]], x: str, colour: str, label: str
) -> tuple[float, float]:
    """Means (%) with t-interval whiskers; single-run points hollow, no whisker.

    Args:
        ax: The matplotlib axes.
        points: Records with `x` (a fraction), `n`, `mean`, `ci_low`, `ci_high`.
        x: The key of the x value (a BER).
        colour: The line's colour.
        label: The line's legend label.

    Returns:
        The lowest and highest value drawn (%).
    """
    xs = np.array([100 * p[x] for p in points])
    mean = np.array([100 * p["mean"] for p in points])
    low = np.array([100 * p["ci_low"] for p in points])
    high = np.array([100 * p["ci_high"] for p in points])
    single = np.array([p["n"] == 1 for p in points])
    yerr = np.where(single, 0.0, np.vstack([mean - low, high - mean]))
    ax.errorbar(xs, mean, yerr=yerr, marker="o", capsize=3, color=colour,
                label=label)  # fmt: skip
    if single.any():
        ax.plot(xs[single], mean[single], ls="none", marker="o", ms=7, mfc="white",
                mec=colour, mew=1.5)  # fmt: skip
    return (
        float(np.min(np.where(single, mean, low))),
        float(np.max(np.where(single, mean, high))),
    )


def mark_single(ax: Any) -> None:
    """Adds "n = 1: no spread" (a hollow marker) to the legend."""
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], ls="none", marker="o", ms=7, mfc="white",
                          mec="0.3", mew=1.5))  # fmt: skip
    ax.legend(handles, [*labels, SINGLE], fontsize="small")


def legend_below(ax: Any, entries: int) -> None:
    """The legend under the axes, in up to three columns, clear of the data."""
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16),
              ncol=min(3, entries), frameon=False)  # fmt: skip
