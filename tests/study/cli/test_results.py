"""`larq-ber results`: the epoch and robustness tables of a sweep as CSV files."""

import pytest

from larq_ber.study import cli

from .helpers import listing, one_line_error, sweep_folder


def test_results_of_an_empty_folder_write_nothing(tmp_path, capsys):
    assert cli.main(["results", str(tmp_path), "--csv", str(tmp_path / "r.csv")]) == 2
    assert "No finished epoch" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize(
    "damage",
    ["nul", "garbage", "truncated"],
)
def test_results_and_plot_name_a_damaged_table_in_one_line(tmp_path, capsys, damage):
    out, run = sweep_folder(tmp_path, [(1, 0.5), (2, 0.6)])
    text = run.epochs.read_text()
    run.epochs.write_text(
        {
            "nul": text + "\0\0\0\n",
            "garbage": text + "x,y\n",
            "truncated": text[: len(text) - 20],
        }[damage]
    )
    before = listing(tmp_path)
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "r.csv")]) == 2
    assert "epochs.csv, row " in one_line_error(capsys, "results")
    assert cli.main(["plot", str(out), "--figure", str(tmp_path / "f.png")]) == 2
    assert "epochs.csv, row " in one_line_error(capsys, "plot")
    assert listing(tmp_path) == before


def test_results_into_a_directory_or_read_only_place(tmp_path, capsys):
    out, _ = sweep_folder(tmp_path, [(1, 0.5)])
    (tmp_path / "dir.csv").mkdir()
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "dir.csv")]) == 2
    assert "dir.csv: Is a directory" in one_line_error(capsys, "results")
    assert cli.main(["results", str(out), "--csv", "/proc/larq.csv"]) == 2
    assert "/proc/larq.csv" in one_line_error(capsys, "results")


def test_results_also_writes_the_robustness_table(tmp_path, capsys):
    from larq_ber.tables import ROBUSTNESS, ROBUSTNESS_COLUMNS

    out, run = sweep_folder(tmp_path, [(1, 0.5)])
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "r.csv")]) == 0
    assert "robustness" not in capsys.readouterr().out  # none yet
    assert not (tmp_path / "r.robustness.csv").exists()
    row = dict.fromkeys(ROBUSTNESS_COLUMNS, "")
    row.update(run_id="ber0_rep0", ber=0.0, seed=0, weights="best", test_ber=0.1,
               weight_ber=0.0, draw=0, test_top1=0.4)  # fmt: skip
    ROBUSTNESS.append(run.robustness, row)
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "r.csv")]) == 0
    printed = capsys.readouterr().out
    assert f"1 robustness rows written to {tmp_path / 'r.robustness.csv'}" in printed
    target = tmp_path / "mine.csv"
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "r.csv"),
                     "--robustness-csv", str(target)]) == 0  # fmt: skip
    assert target.read_text().splitlines()[1].startswith("ber0_rep0,")


def test_results_prints_top1max_per_ber_with_its_interval(tmp_path, capsys):
    from ..test_summary import sweep

    out = sweep(tmp_path / "out", model="nin", dataset="cifar10")
    assert cli.main(["results", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "⟨Top1Max⟩ of NiN on CIFAR-10: each run's best error-free test top-1 accuracy",
        "(%); mean, std (ddof = 1) and 95 % t-interval over n training runs",
        "  BER (%)     n    mean     std   ci_low  ci_high",
        "        0     3   97.50    0.50    96.26    98.74",
        "        4     3   96.40    0.53    95.09    97.71",
        "       16     1   90.00       –        –        –",
        "n = 1: no spread and no interval from a single training run.",
    ]
    assert list(tmp_path.glob("*.csv")) == []  # no --csv: nothing written
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "r.csv")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"21 rows written to {tmp_path / 'r.csv'}"
    assert printed[1:] == [line for line in printed[1:] if line] and len(printed) == 8


def test_the_end_of_a_sweep_prints_the_same_table(tmp_path, capsys):
    from larq_ber.study.cli.sweep import _print_top1max
    from larq_ber.study.summary import summary_text

    from ..test_summary import sweep

    _print_top1max(tmp_path)  # nothing finished: nothing printed
    assert capsys.readouterr().out == ""
    out = sweep(tmp_path / "out")
    _print_top1max(out)
    assert capsys.readouterr().out == "\n" + summary_text(out) + "\n"


def test_results_prints_and_writes_the_robustness_summary(tmp_path, capsys):
    from larq_ber.study.cli.results import ROBUSTNESS_SUMMARY_COLUMNS
    from larq_ber.study.summary import ROBUSTNESS_SUMMARY
    from larq_ber.tables import ROBUSTNESS, ROBUSTNESS_COLUMNS

    assert ROBUSTNESS_SUMMARY_COLUMNS == ROBUSTNESS_SUMMARY.columns
    out, run = sweep_folder(tmp_path, [(1, 0.5)])
    for test_ber, draws in ((0.0, [0.5] * 3), (0.1, [0.4, 0.42, 0.41])):
        for draw, top1 in enumerate(draws):
            row = dict.fromkeys(ROBUSTNESS_COLUMNS, "")
            row.update(run_id="ber0_rep0", ber=0.0, seed=0, weights="best",
                       test_ber=test_ber, weight_ber=0.0, draw=draw,
                       test_top1=top1)  # fmt: skip
            ROBUSTNESS.append(run.robustness, row)
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "r.csv")]) == 0
    printed = capsys.readouterr().out
    cells = tmp_path / "r.robustness-summary.csv"
    assert f"2 robustness cells written to {cells}" in printed
    assert "Top-1 under errors at deployment (%): mean and 95 % t-interval" in printed
    lines = printed.splitlines()
    assert lines[-3].split()[:5] == ["0", "0", "0", "1", "1"]  # clean: once
    assert lines[-4].split() == ["BER", "(%)", "test", "(%)", "weight", "(%)",
                                 "runs", "n", "mean", "ci_low", "ci_high", "±",
                                 "over"]  # fmt: skip
    written = ROBUSTNESS_SUMMARY.read([cells])
    assert [(r["test_ber"], r["n"], r["over"]) for r in written] == [
        (0.0, 1, "draws"), (0.1, 3, "draws")
    ]  # fmt: skip
    assert written[0]["ci_low"] is None and written[1]["ci_low"] < 0.41
    alone = tmp_path / "cells.csv"
    assert cli.main(["results", str(out), "--robustness-summary-csv", str(alone)]) == 0
    assert alone.read_text() == cells.read_text()
