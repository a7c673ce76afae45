"""The paper's figures from a table of results."""

import os

import numpy as np
import pytest
from scipy import stats as scipy_stats

from larq_ber.study.plots import plot_epochs, plot_top1max, save_figure
from larq_ber.study.results import SweepFiles
from larq_ber.study.summary import top1max_table
from larq_ber.tables import EPOCHS


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
        assert record["std"] == pytest.approx(np.std(best, ddof=1))
        low, high = scipy_stats.t.interval(
            0.95, 2, loc=np.mean(best), scale=scipy_stats.sem(best)
        )
        assert (record["ci_low"], record["ci_high"]) == pytest.approx((low, high))


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


def test_figures_say_model_dataset_n_and_what_the_band_is(rows):
    rows = [{**row, "model": "nin"} for row in rows]
    shown = {"traces": "thick: mean over 3 runs, thin: each run",
             "std": "mean ± 1 std (ddof = 1) over 3 runs"}  # fmt: skip
    for style, text in shown.items():
        for k, ax in enumerate(plot_epochs(rows, style=style).axes, start=1):
            title = ax.get_title()
            assert title == f"NiN on ImageNet, 2 classes (subset seed {k})\n{text}"
            assert all("(n=3)" in t.get_text() for t in ax.get_legend().get_texts())
    title = plot_top1max(rows).axes[0].get_title()
    assert title.startswith("NiN on ImageNet\n") and "n runs" not in title
    assert title.endswith("mean and 95 % t-interval over 3 runs")


def test_a_single_run_is_marked_as_having_no_spread(rows):
    rows = [r for r in rows if not (r["ber"] == 0.08 and r["seed"] > 0)]
    ax = plot_epochs(rows, style="std").axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["BER 0 % (n=3)", "BER 8 % (n = 1: no spread)"]
    assert "over 1–3 runs" in ax.get_title()
    ax = plot_top1max(rows).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[-1] == "n = 1: no spread" and labels[0].endswith("(n=1–3)")
    hollow = [line for line in ax.lines if line.get_markerfacecolor() == "white"]
    assert len(hollow) == 2  # one per subset, at BER 8 %
    assert all(list(line.get_xdata()) == [8.0] for line in hollow)
    bars = ax.containers[0]  # the single-run point has no whisker
    segments = bars.lines[2][0].get_segments()
    assert [s[1][1] - s[0][1] for s in segments][1] == 0


def test_ber_axes_are_symmetric_log_with_a_tick_per_ber(rows, robust_rows):
    ax = plot_top1max(rows).axes[0]
    assert ax.get_xscale() == "symlog"
    assert list(ax.get_xticks()) == [0, 8]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "8"]
    low, high = ax.get_xlim()
    assert low < 0 and high > 8  # no point on the frame
    from larq_ber.study.plots import plot_robustness

    curves = plot_robustness(robust_rows).axes[2]
    assert curves.get_xscale() == "symlog"
    assert list(curves.get_xticks()) == [0, 4, 32]
    # 0 → 4 % is not squeezed next to 4 → 32 %
    position = curves.transData.transform([[0, 0], [4, 0], [32, 0]])[:, 0]
    assert (position[1] - position[0]) > 0.7 * (position[2] - position[1])


def test_accuracy_axes_fit_the_data(rows):
    rows = [{**r, "test_top1": 0.85 + 0.05 * r["test_top1"]} for r in rows]
    for style in ("traces", "std"):
        for ax in plot_epochs(rows, style=style).axes:
            low, high = ax.get_ylim()
            assert 85 - 1 < low < 85 + 2.5 and 90 - 1 < high < 91


def test_std_band_is_the_sample_std_and_colours_are_colour_blind_safe(rows):
    from matplotlib.colors import to_hex

    from larq_ber.study.plots import COLOURS

    ax = plot_epochs(rows, style="std").axes[0]
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    runs = {
        r["run_id"]: [] for r in rows if r["subset"].endswith("1") and r["ber"] == 0
    }
    for r in rows:
        if r["run_id"] in runs:
            runs[r["run_id"]].append(100 * r["test_top1"])
    first_epoch = np.array([values[0] for values in runs.values()])
    expected = np.mean(first_epoch) + np.array([-1, 1]) * np.std(first_epoch, ddof=1)
    assert np.min(np.abs(band[:, None] - expected[None, :]), axis=0) == pytest.approx(
        [0, 0], abs=1e-9
    )
    assert [to_hex(line.get_color()) for line in ax.lines] == [
        c.lower() for c in COLOURS[:2]
    ]
    low, high = ax.get_ylim()
    assert low <= band.min() and high >= band.max() and high <= 100.5


def test_plot_top1max_has_one_line_per_subset(rows):
    fig = plot_top1max(rows)
    assert len(fig.axes[0].containers) == 2
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == [
        "2 classes (subset seed 1) (n=3)",
        "2 classes (subset seed 2) (n=3)",
    ]


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF"),
                                          (".svg", b"<?xml")])  # fmt: skip
def test_save_figure_formats(tmp_path, rows, suffix, magic):
    folder = SweepFiles(tmp_path).run("r").folder
    folder.mkdir(parents=True)
    for row in rows:
        EPOCHS.append(folder / "epochs.csv", {**row, "recipe": "", "model": ""})
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


@pytest.fixture
def robust_rows():
    """2 training BERs x 3 test BERs x 2 weight BERs x 2 runs x 3 draws."""
    rng = np.random.default_rng(1)
    table = []
    for ber in (0.0, 0.16):
        for run in range(2):
            for test_ber in (0.0, 0.04, 0.32):
                for weight_ber in (0.0, 0.01):
                    for draw in range(3):
                        table.append(
                            {"run_id": f"{ber}|{run}", "ber": ber, "model": "lenet4",
                             "dataset": "fashion_mnist", "test_ber": test_ber,
                             "weight_ber": weight_ber, "draw": draw,
                             "test_top1": float(rng.uniform(0.1, 0.9))}
                        )  # fmt: skip
    return table


def test_robustness_table_is_over_run_means_as_the_readme_tables(robust_rows):
    from larq_ber.study.plots import robustness_table

    table = robustness_table(robust_rows)
    assert len(table) == 2 * 3 * 2
    for record in table:
        key = (record["ber"], record["test_ber"], record["weight_ber"])
        cell = [r for r in robust_rows
                if (r["ber"], r["test_ber"], r["weight_ber"]) == key]  # fmt: skip
        means = [np.mean([r["test_top1"] for r in cell if r["run_id"] == run])
                 for run in sorted({r["run_id"] for r in cell})]  # fmt: skip
        assert (record["runs"], record["n"]) == (2, 2)
        assert record["mean"] == pytest.approx(np.mean(means))
        assert record["std"] == pytest.approx(np.std(means, ddof=1))
        low, high = scipy_stats.t.interval(
            0.95, 1, loc=np.mean(means), scale=scipy_stats.sem(means)
        )
        assert (record["ci_low"], record["ci_high"]) == pytest.approx((low, high))


def test_the_error_free_cell_counts_once_per_run(robust_rows):
    from larq_ber.study.plots import robustness_table

    clean = [{**r, "test_top1": 0.9 if r["run_id"].endswith("0") else 0.8}
             for r in robust_rows if r["test_ber"] == r["weight_ber"] == 0]  # fmt: skip
    record = robustness_table(clean)[0]
    assert (record["n"], record["mean"]) == (2, pytest.approx(0.85))
    assert record["std"] == pytest.approx(np.std([0.9, 0.8], ddof=1))  # not of 6 rows


def test_plot_robustness_has_a_heat_map_and_curves_per_weight_ber(robust_rows):
    from larq_ber.study.plots import plot_robustness

    fig = plot_robustness(robust_rows)
    heat, heat2, curves, curves2, *bars = fig.axes
    assert len(bars) == 2  # a colour bar per heat map
    assert all(bar.get_ylabel() == "mean top-1 test accuracy (%)" for bar in bars)
    assert fig._suptitle.get_text().startswith("LeNet-4 on Fashion-MNIST: accuracy")
    assert "over 2 runs" in fig._suptitle.get_text()
    assert heat.texts[0].get_text().count("\n±") == 1  # mean and half-width
    assert heat.images[0].get_array().shape == (2, 3)
    assert len(heat.texts) == 6  # every cell annotated
    assert heat.images[0].get_clim() == heat2.images[0].get_clim()  # one scale
    assert len(curves.containers) == 2 and len(curves2.containers) == 2
    assert "weight BER 1 %" in curves2.get_title()
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_robustness([])


def test_save_figure_robustness_needs_rows(tmp_path, robust_rows):
    from larq_ber.tables import ROBUSTNESS

    with pytest.raises(FileNotFoundError, match="larq-ber robustness"):
        save_figure(tmp_path, tmp_path / "r.png", kind="robustness")
    run = SweepFiles(tmp_path).run("x").folder
    run.mkdir(parents=True)
    for row in robust_rows[:12]:
        ROBUSTNESS.append(
            run / "robustness.csv",
            {**row, "recipe": "r", "subset": "", "seed": 0, "weights": "best",
             "test_top5": ""},
        )  # fmt: skip
    path = save_figure(tmp_path, tmp_path / "r.png", kind="robustness")
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="`kind` must be one of"):
        save_figure(tmp_path, tmp_path / "r.png", kind="heat")
