"""larq_ber.mtj.plots: the paper's Figure 5, and CLI `figure`."""

import numpy as np
import pytest

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
