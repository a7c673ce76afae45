"""The lifetime figure: accuracy vs time since write, written as an image."""

import pytest

from larq_ber.study.lifetime_figure import plot_lifetime
from larq_ber.study.plots import save_figure

from .lifetime_rows import lifetime_folder, lifetime_row


def _rows():
    return [
        lifetime_row(ber=ber, kelvin=kelvin, spread=spread, time=t, draw=d,
                     top1=max(0.1, 0.9 - 0.05 * d - 1e-9 * t * kelvin * (1 + spread)))
        for ber in (0.0, 0.04) for kelvin in (298.15, 358.15) for spread in (0.0, 0.1)
        for t in (0.0, 1.0, 3600.0, 86400.0, 3.15e7, 3.15e8) for d in (0, 1)
    ]  # fmt: skip


def test_one_panel_per_training_ber_a_line_per_temperature_and_spread():
    import matplotlib.pyplot as plt

    fig = plot_lifetime(_rows())
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 2
    for ax in panels:
        assert ax.get_xscale() == "log"
        assert ax.get_xlabel() == "time since the weights were written"
        assert len(ax.lines) == 2 * 2 + 2  # temperatures x spreads + references
        assert min(ax.lines[0].get_xdata()) > 0  # time 0 is off the log axis
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "25 °C (298.15 K)" in labels and "85 °C (358.15 K)" in labels
    assert "spread Δ 0.1, Vc0 0" in labels
    ticks = [t.get_text() for t in panels[0].get_xticklabels()]
    assert "1 h" in ticks and "10 years" in ticks
    plt.close(fig)


def test_save_figure_writes_a_png_and_refuses_a_folder_without_rows(tmp_path):
    out = lifetime_folder(tmp_path, _rows())
    path = save_figure(out, tmp_path / "life.png", kind="lifetime")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 20_000
    with pytest.raises(FileNotFoundError, match="No lifetime rows"):
        save_figure(tmp_path, tmp_path / "none.png", kind="lifetime")
    with pytest.raises(ValueError, match="`rows` is empty"):
        plot_lifetime([])
