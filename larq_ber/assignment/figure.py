r"""`plot_assignment`: accuracy against write energy of every assignment measured.

The figure of a per-layer search: the single operating points (every layer on
one rung) as a curve, the greedy path and exchanges through per-layer
assignments, the moves it measured and refused, the two verified answers with
their intervals, and the threshold (the error-free accuracy, or the reference,
minus the tolerance). Cheaper is to the left.
"""

from __future__ import annotations

from typing import Any

from larq_ber.assignment.result import Assignment, SearchStep
from larq_ber.palette import COLOURS

__all__ = ["plot_assignment"]


def _errorbar(ax: Any, steps: list[SearchStep], **style: Any) -> None:
    """Points with their accuracy intervals as vertical bars."""
    if not steps:
        return
    ax.errorbar(
        [s.energy for s in steps],
        [s.accuracy.mean for s in steps],
        yerr=[
            [s.accuracy.mean - s.accuracy.low for s in steps],
            [s.accuracy.high - s.accuracy.mean for s in steps],
        ],
        **style,
    )


def plot_assignment(answer: Assignment, ax: Any = None) -> Any:
    r"""Draws accuracy against activation write energy for a per-layer search.

    x: the write energy per input relative to the conventional write (WER
    $10^{-6}$ at $5\tau_D$); y: the accuracy (points) with its interval. The
    single points form a line labelled with their BER; the greedy path's taken
    moves are joined; refused moves are grey crosses; the verified per-layer
    answer and single point are large markers with their verification
    intervals; a dashed line marks the threshold.

    Args:
        answer: The result of `assign_write_points`.
        ax: The matplotlib axes to draw into (`None`: a new figure).

    Returns:
        The matplotlib `Figure`.

    Example:
        ```python
        figure = plot_assignment(assign_write_points(model, (x, y), 0.5))
        figure.savefig("assignment.png", dpi=150)
        ```
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    steps = list(answer.steps)
    curve = [s for s in steps if s.phase == "single"]
    moves = ("start", "greedy", "exchange")
    path = [s for s in steps if s.phase in moves and s.taken]
    refused = [s for s in steps if s.phase in moves[1:] and not s.taken]
    _errorbar(ax, curve, fmt="o-", color=COLOURS[0], ms=4, lw=1.2, capsize=2,
              label="single point (every layer on one rung)")  # fmt: skip
    for s in curve:
        ax.annotate(f"{s.bers[0]:g}", (s.energy, s.accuracy.mean),
                    fontsize="x-small", xytext=(4, -10), textcoords="offset points",
                    color=COLOURS[0])  # fmt: skip
    _errorbar(ax, path, fmt="s-", color=COLOURS[1], ms=4, lw=1.2, capsize=2,
              label="greedy path, then exchanges (per layer)")  # fmt: skip
    if refused:
        ax.plot([s.energy for s in refused], [s.accuracy.mean for s in refused], "x",
                color="0.6", label="moves measured, not taken")  # fmt: skip
    verified = [s for s in steps if s.phase == "verify" and s.taken]
    chosen = [s for s in verified if s.bers == tuple(p.ber for p in answer.layers)]
    single = (answer.single_ber,) * len(answer.layers)
    others = [s for s in verified if s.bers == single and answer.single_met]
    _errorbar(ax, chosen[:1], fmt="*", color=COLOURS[2], ms=14, capsize=5, lw=2,
              label=f"answer, verified ({answer.verify_draws} draws)")  # fmt: skip
    _errorbar(ax, others, fmt="D", color=COLOURS[0], ms=8, capsize=5, lw=2,
              label="single point, verified")  # fmt: skip
    base = "error-free"
    if answer.reference is not None:
        base = f"{answer.reference:.2f} %"
    ax.axhline(answer.threshold, color="0.4", ls="--", lw=1,
               label=f"threshold: {answer.tolerance:g} below {base}")  # fmt: skip
    ax.set_xlabel("activation write energy per input (conventional write = 1)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(
        f"Per-layer write points, {100 * answer.saving:.1f} % below the single "
        f"point\n{answer.confidence:.0%} t-intervals over {answer.draws} draws "
        f"(search), seed {answer.seed}",
        fontsize="medium",
    )
    ax.legend(fontsize="x-small", loc="lower right")
    return ax.figure
