"""The paper's Figure 5: the write window of an MTJ (needs matplotlib)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from larq_ber.mtj.device import MTJ, _check_wer, _device, _positive_array
from larq_ber.mtj.inverse import _voltage_for_wer, pulse_for_wer
from larq_ber.palette import COLOURS

__all__ = ["plot_write_window"]


def _power_of_ten(value: float) -> str:
    r"""`1e-06` as the mathtext $10^{-6}$; other values as `%g`."""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) < 1e-9:
        return rf"$10^{{{round(exponent)}}}$"
    return f"{value:g}"


def plot_write_window(
    device: MTJ | None = None,
    ax: Any = None,
    *,
    wer_targets: Sequence[float] = (1e-1, 1e-2, 1e-6),
    pulses: ArrayLike | None = None,
) -> Any:
    r"""The paper's Figure 5: write voltage vs pulse length for WER targets.

    One line per target ($V$ with `voltage_for_wer`, drawn up to $V_{bd}$ at the
    shortest pulse that reaches the target there), with $V_{c0}$ and $V_{bd}$ as
    horizontal lines: the conventional write window lies between them near the
    strict target, the error-resilient one just above $V_{c0}$.

    Args:
        device: The MTJ (`MTJ.paper()` if `None`).
        ax: Matplotlib axes (`None`: a new figure).
        wer_targets: Targets to draw, each in (0, 1).
        pulses: Pulse lengths (s); default 200 log-spaced from 0.5 to 100 τ_D.

    Returns:
        The matplotlib `Figure`.

    Example:
        >>> fig = plot_write_window()
        >>> len(fig.axes[0].lines)  # 3 targets + V_c0 + V_bd
        5
    """
    import matplotlib.pyplot as plt

    device = _device(device)
    _check_wer(list(wer_targets), "wer_targets")
    t = (
        np.geomspace(0.5, 100, 200) * device.tau_d
        if pulses is None
        else _positive_array(pulses, "pulses", "s")
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    targets = np.asarray(list(wer_targets), dtype=float)
    volts, _, _ = _voltage_for_wer(targets[:, None], t[None, :], device)
    for k, (target, line) in enumerate(zip(targets, volts, strict=True)):
        t_line, v_line = t, line
        # Close the curve at V_bd: the shortest pulse that reaches the target.
        try:
            t_bd = float(pulse_for_wer(target, device.v_bd, device)[()])
        except ValueError:  # the target is not reached within the solver's range
            t_bd = math.nan
        if t[0] <= t_bd <= t[-1]:
            later = t > t_bd
            t_line = np.concatenate([[t_bd], t[later]])
            v_line = np.concatenate([[device.v_bd], line[later]])
        ax.plot(
            t_line * 1e9,
            v_line,
            color=COLOURS[k % len(COLOURS)],
            label=f"WER = {_power_of_ten(target)}",
        )
    ax.axhline(device.v_c0, color="grey", ls="--", lw=1, label=r"$V_{c0}$")
    ax.axhline(device.v_bd, color="black", ls=":", lw=1, label=r"$V_{bd}$")
    ax.set_xscale("log")
    ax.set_xlabel("pulse length (ns)")
    ax.set_ylabel("write voltage amplitude (V)")
    ax.set_title(rf"MTJ write window, $\Delta$ = {device.delta:g}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    ax.figure.tight_layout()
    return ax.figure
