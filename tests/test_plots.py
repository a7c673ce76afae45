"""The paper's figures from a table of results."""

import os

import numpy as np
import pytest

from larq_ber.plots import plot_epochs, plot_top1max, save_figure, top1max_table
from larq_ber.results import SweepFiles, append_row


@pytest.fixture
def rows():
    """2 subsets x 2 BERs x 3 runs x 3 epochs of random accuracies."""
    rng = np.random.default_rng(0)
    table = []
    for subset in ("classes=2,subset_seed=1", "classes=2,subset_seed=2"):
        for ber in (0.0, 0.08):
            for seed in range(3):
                for epoch in (1, 2, 3):
                    table.append(
                        {"subset": subset, "ber": ber, "seed": seed, "epoch": epoch,
                         "run_id": f"{subset}|{ber}|{seed}", "dataset": "imagenet2012",
                         "test_top1": float(rng.uniform(0.5, 1.0))}
                    )  # fmt: skip
    return table


def test_top1max_table_is_mean_and_std_of_each_runs_best_epoch(rows):
    table = top1max_table(rows)
    assert len(table) == 4 and {r["runs"] for r in table} == {3}
    for record in table:
        best = [
            max(r["test_top1"] for r in rows if r["run_id"] == run)
            for run in {r["run_id"] for r in rows}
            if run.rsplit("|", 1)[0] == f"{record['subset']}|{record['ber']}"
        ]
        assert record["mean"] == pytest.approx(np.mean(best))
        assert record["std"] == pytest.approx(np.std(best))


def test_plot_epochs_panels_and_traces(rows):
    fig = plot_epochs(rows, style="traces")
    assert len(fig.axes) == 2  # one panel per subset
    # per panel: 2 BERs x (3 runs + 1 mean)
    assert [len(ax.lines) for ax in fig.axes] == [8, 8]
    fig = plot_epochs(rows, style="std")
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]  # means; bands are patches
    assert [len(ax.collections) for ax in fig.axes] == [2, 2]
    with pytest.raises(ValueError, match="`style` must be one of"):
        plot_epochs(rows, style="band")
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_epochs([])


def test_plot_top1max_has_one_line_per_subset(rows):
    fig = plot_top1max(rows)
    assert len(fig.axes[0].containers) == 2
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["classes=2,subset_seed=1 (n=3)", "classes=2,subset_seed=2 (n=3)"]


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF"),
                                          (".svg", b"<?xml")])  # fmt: skip
def test_save_figure_formats(tmp_path, rows, suffix, magic):
    folder = SweepFiles(tmp_path).run("r").folder
    folder.mkdir(parents=True)
    for row in rows:
        append_row(folder / "epochs.csv", {**row, "recipe": "", "model": ""})
    for kind in ("epochs", "top1max"):
        path = save_figure(tmp_path, tmp_path / f"{kind}{suffix}", kind=kind)
        assert path.read_bytes().startswith(magic)
    with pytest.raises(ValueError, match="must end in one of"):
        save_figure(tmp_path, tmp_path / "f.jpg")
    with pytest.raises(ValueError, match="`kind` must be"):
        save_figure(tmp_path, tmp_path / "f.png", kind="heat")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_figure(tmp_path, tmp_path / "missing" / "f.png")
    assert not os.path.exists(tmp_path / "missing")
