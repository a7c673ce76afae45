"""The lifetime figure: accuracy vs time since the weights were written to MRAM.

`plot_lifetime` draws the records of `larq_ber.study.lifetime_summary.
lifetime_table`: one panel per training BER (a row of panels per further condition:
weights, device, write point, read scheme, reads), a line per operating
temperature (colour) and cell spread (line style), the mean with its 95 %
t-interval as a band (over the runs' means where there are several runs, else over
one run's draws, as in the robustness figure), the time since write on a log axis
with readable units, and the error-free accuracy with the 1-point threshold of the
`larq-ber results` summary as dashed lines. A storage time of 0 has no place on a
log axis: it is left out of the curves (its accuracy is the error-free one when the
activations are). `larq_ber.study.plots.save_figure(kind="lifetime")` writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from larq_ber.palette import COLOURS
from larq_ber.study._axes import fit_ylim, what
from larq_ber.study.lifetime_summary import CONDITION, lifetime_table

__all__ = ["plot_lifetime"]

_STYLES = ("-", "--", ":", "-.")
_TICKS = ((1.0, "1 s"), (60.0, "1 min"), (3600.0, "1 h"), (86400.0, "1 day"),
          (2629800.0, "1 month"), (31557600.0, "1 year"),
          (315576000.0, "10 years"), (3155760000.0, "100 years"))  # fmt: skip


def _time_axis(ax: Any, times: Sequence[float]) -> None:
    """A log axis of time since write, ticks at readable units inside the data."""
    ax.set_xscale("log")
    low, high = min(times), max(times)
    ticks = [(t, name) for t, name in _TICKS if low / 1.5 <= t <= high * 1.5]
    if len(ticks) >= 2:
        ax.set_xticks([t for t, _ in ticks], [name for _, name in ticks])
        ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlabel("time since the weights were written")


def _panel(ax: Any, records: list[dict[str, Any]], temps: list[float],
           spreads: list[tuple[float, float]]) -> tuple[float, float]:  # fmt: skip
    """One panel's curves; returns the accuracy range drawn (%)."""
    lowest, highest = 100.0, 0.0
    for i, kelvin in enumerate(temps):
        for j, spread in enumerate(spreads):
            points = sorted(
                (r for r in records if r["temperature_k"] == kelvin
                 and (r["delta_spread"], r["v_c0_spread"]) == spread
                 and r["storage_time_s"] > 0),
                key=lambda r: r["storage_time_s"],
            )  # fmt: skip
            if not points:
                continue
            x = [r["storage_time_s"] for r in points]
            mean = [100 * r["mean"] for r in points]
            low = [100 * r["ci_low"] for r in points]
            high = [100 * r["ci_high"] for r in points]
            colour = COLOURS[i % len(COLOURS)]
            ax.fill_between(x, low, high, color=colour, alpha=0.15, lw=0)
            ax.plot(x, mean, color=colour, ls=_STYLES[j % len(_STYLES)], lw=1.8,
                    marker="o", ms=3)  # fmt: skip
            lowest = min(lowest, *low, *mean)
            highest = max(highest, *high, *mean)
    clean = 100 * records[0]["clean"]
    ax.axhline(clean, color="0.55", ls="-", lw=1)
    ax.axhline(clean - 1, color="0.6", ls=":", lw=1)
    return min(lowest, clean - 1), max(highest, clean)


def _legend(fig: Any, temps: list[float], spreads: list[tuple[float, float]]) -> None:
    """Colours = temperatures, line styles = spreads, and the reference lines."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=COLOURS[i % len(COLOURS)], lw=2,
               label=f"{kelvin - 273.15:.4g} °C ({kelvin:.5g} K)")
        for i, kelvin in enumerate(temps)
    ]  # fmt: skip
    if len(spreads) > 1:
        handles += [
            Line2D([], [], color="black", ls=_STYLES[j % len(_STYLES)],
                   label=f"spread Δ {d:g}, Vc0 {v:g}")
            for j, (d, v) in enumerate(spreads)
        ]  # fmt: skip
    handles += [
        Line2D([], [], color="0.55", ls="-", lw=1, label="error-free accuracy"),
        Line2D([], [], color="0.6", ls=":", label="error-free − 1 point"),
    ]
    columns = max(2, min(4, int(fig.get_figwidth() // 3.2)))
    fig.legend(handles=handles, loc="lower center", ncol=min(columns, len(handles)),
               fontsize="small", frameon=False)  # fmt: skip


def _condition_title(record: dict[str, Any]) -> str:
    write = (
        "activations error-free"
        if record["write_voltage"] is None
        else f"writes {record['write_voltage']:g} V, {1e9 * record['write_pulse']:g} ns"
    )
    return f"{record['reads']:g} reads, {write}"


def plot_lifetime(rows: Sequence[dict[str, Any]], confidence: float = 0.95) -> Any:
    """Draws top-1 accuracy vs time since write, per training BER.

    Args:
        rows: Rows of `larq_ber.study.results.read_lifetime`.
        confidence: Confidence level of the bands, in (0, 1).

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: If `rows` is empty.

    Example:
        >>> rows = [{"subset": "", "weights": "best", "device": "tzoufras2019",
        ...          "write_voltage": None, "write_pulse": None,
        ...          "read_polarity": "fixed", "ber": 0.0, "delta_spread": 0.0,
        ...          "v_c0_spread": 0.0, "temperature_k": k, "reads": 0,
        ...          "storage_time_s": t, "run_id": "a", "draw": d,
        ...          "clean_top1": 0.9, "test_top1": 0.9 - 0.01 * d * (t > 10),
        ...          "model": "lenet4", "dataset": "mnist"}
        ...         for k in (300.0, 358.15) for t in (1.0, 3600.0) for d in (0, 1)]
        >>> len(plot_lifetime(rows).axes[0].lines)  # 2 temperatures + 2 references
        4
    """
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("`rows` is empty: there is nothing to plot.")
    table = lifetime_table(rows, confidence)
    trains = sorted({r["ber"] for r in table})
    conditions = sorted({(*(str(r[c]) for c in CONDITION), r["reads"]) for r in table})
    temps = sorted({r["temperature_k"] for r in table})
    spreads = sorted({(r["delta_spread"], r["v_c0_spread"]) for r in table})
    handles = len(temps) + (len(spreads) if len(spreads) > 1 else 0) + 2
    width = max(7.0, 4.6 * len(trains))
    legend = 0.25 * -(-handles // max(2, min(4, int(width // 3.2))))  # inches
    fig, axes = plt.subplots(
        len(conditions), len(trains), squeeze=False, sharey=True,
        figsize=(width, 4.2 * len(conditions) + 1.0 + legend),
    )  # fmt: skip
    lowest, highest = 100.0, 0.0
    for row, condition in enumerate(conditions):
        for column, ber in enumerate(trains):
            ax = axes[row, column]
            records = [
                r for r in table
                if r["ber"] == ber
                and (*(str(r[c]) for c in CONDITION), r["reads"]) == condition
            ]  # fmt: skip
            if not records:
                ax.set_visible(False)
                continue
            low, high = _panel(ax, records, temps, spreads)
            lowest, highest = min(lowest, low), max(highest, high)
            _time_axis(ax, [r["storage_time_s"] for r in table if r["storage_time_s"]])
            title = f"trained at BER {100 * ber:g} %\n{_condition_title(records[0])}"
            ax.set_title(title, fontsize="medium")
            ax.grid(alpha=0.3, which="major")
        axes[row, 0].set_ylabel("top-1 test accuracy (%)")
    fit_ylim(list(axes.flat), lowest, highest)
    over = "runs" if any(r["over"] == "runs" for r in table) else "error draws"
    fig.suptitle(
        f"{what(rows)} on MRAM\n{table[0]['device']}, {table[0]['weights']} "
        f"weights; mean and {100 * confidence:g} % t-interval over {over}",
        fontsize="medium",
    )
    _legend(fig, temps, spreads)
    fig.tight_layout(rect=(0, (legend + 0.1) / fig.get_figheight(), 1, 1))
    return fig
