"""larq_ber.mtj.plots: the paper's Figure 5, and CLI `figure`."""

import numpy as np
import pytest

from larq_ber.mtj.device import MTJ
from larq_ber.mtj.fpe import write_error_rate
from larq_ber.mtj.plots import plot_write_window


def test_figure_five():
    fig = plot_write_window()
    lines = fig.axes[0].lines
    assert len(lines) == 5
    for line, target in zip(lines[:3], (1e-1, 1e-2, 1e-6), strict=True):
        pulses, volts = line.get_data()
        ok = ~np.isnan(volts)
        assert ok.sum() > 100 and np.all(np.diff(volts[ok]) < 0)
        k = np.nonzero(ok)[0][len(np.nonzero(ok)[0]) // 2]
        assert float(write_error_rate(volts[k], pulses[k] * 1e-9)) == pytest.approx(
            target, rel=1e-2
        )


def test_figure_five_curves_reach_the_breakdown_voltage_and_label_powers_of_ten():
    device = MTJ.paper()
    fig = plot_write_window(device)
    lines = fig.axes[0].lines[:3]
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels[:3] == ["WER = $10^{-1}$", "WER = $10^{-2}$", "WER = $10^{-6}$"]
    for line, target in zip(lines, (1e-1, 1e-2, 1e-6), strict=True):
        pulses, volts = (np.asarray(a, float) for a in line.get_data())
        first = np.nonzero(~np.isnan(volts))[0][0]
        assert volts[first] == pytest.approx(device.v_bd)
        assert float(
            write_error_rate(device.v_bd, pulses[first] * 1e-9, device)
        ) == pytest.approx(target, rel=1e-3)
    assert len({line.get_color() for line in lines}) == 3
