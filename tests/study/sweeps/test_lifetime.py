"""Lifetime tables: trained runs on an MRAM chip over storage time, heat and spread."""

import shutil

import numpy as np
import pytest

from larq_ber.study import cli
from larq_ber.study.results import read_lifetime
from larq_ber.tables import LIFETIME

YEARS_30 = 30 * 365.25 * 86400.0
GRID = {"storage_times": [0, 100, "30y"], "temperatures": [300, "125C"], "draws": 3}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A sweep of LeNet-4 on digits (BER 0, one run, one epoch) whose recipe asks
    for the lifetime table."""
    from larq_ber.study.recipes import load_recipe
    from larq_ber.study.sweeps import run_sweep

    folder = tmp_path_factory.mktemp("lifetime")
    path = folder / "tiny.toml"
    path.write_text(
        'model = "lenet4"\ndataset = "digits"\nbers = [0.0]\nrepeats = 1\n'
        'epochs = 1\nbatch_size = 64\noptimizer = "adam"\nlearning_rate = 0.003\n'
        'weight_decay = 0.0\ndecay_epochs = []\nstorage_times = [0, 100, "30y"]\n'
        'temperatures = [300, "125C"]\nlifetime_draws = 3\n'
    )
    out = folder / "out"
    summary = run_sweep(load_recipe(path), out, progress=False)
    assert summary.finished == 1 and not summary.failed
    return out


def _table(out):
    """Every row, keyed by (run, spread, K, s, reads, draw)."""
    return {
        (r["run_id"], r["delta_spread"], r["temperature_k"], r["storage_time_s"],
         r["reads"], r["draw"]): r
        for r in read_lifetime(out)
    }  # fmt: skip


def _copy(trained, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(trained, copy)
    run = copy / "runs" / "ber0_rep0"
    (run / "lifetime.csv").unlink()
    return copy, run


@pytest.mark.slow
def test_a_lifetime_recipe_tables_every_point_and_draw(trained):
    table = _table(trained)
    assert len(table) == len(read_lifetime(trained)) == 2 * 3 * 3  # no duplicates
    row = next(iter(table.values()))
    assert row["device"] == "tzoufras2019" and row["seed"] == 0
    assert row["weights"] == "best" and row["write_voltage"] is None
    clean = row["clean_top1"]
    for kelvin in (300.0, 398.15):
        fresh = [table[("ber0_rep0", 0.0, kelvin, 0.0, 0, d)] for d in range(3)]
        assert {r["test_top1"] for r in fresh} == {clean}  # nothing flipped yet
        rates = [table[("ber0_rep0", 0.0, kelvin, t, 0, 0)]["weight_ber"]
                 for t in (0.0, 100.0, YEARS_30)]  # fmt: skip
        assert rates[0] == 0 and rates == sorted(rates)  # errors grow with time
    hot = table[("ber0_rep0", 0.0, 398.15, 100.0, 0, 0)]["weight_ber"]
    assert hot > table[("ber0_rep0", 0.0, 300.0, 100.0, 0, 0)]["weight_ber"]
    # After 30 years at 300 K half the weights are wrong: chance level, 10 classes.
    old = [table[("ber0_rep0", 0.0, 300.0, YEARS_30, 0, d)]["test_top1"]
           for d in range(3)]  # fmt: skip
    n = 359  # digits test split
    assert len(set(old)) > 1  # independent draws differ
    assert abs(np.mean(old) - 0.1) <= 4 * np.sqrt(0.1 * 0.9 / (3 * n)) + 0.05


@pytest.mark.slow
def test_rows_are_the_same_evaluated_in_pieces_or_after_a_torn_row(trained, tmp_path):
    from larq_ber.study.sweeps.lifetime import evaluate_run_lifetime

    copy, run = _copy(trained, tmp_path)
    grid = {**GRID, "storage_times": ["30y"], "temperatures": ["125C"]}
    assert evaluate_run_lifetime(run, **grid) == 3
    assert evaluate_run_lifetime(run, **GRID) == 15  # only the missing points
    assert evaluate_run_lifetime(run, **GRID) == 0
    assert _table(copy) == _table(trained)
    # A crash tore the last row: it is dropped and evaluated again, the same.
    path = run / "lifetime.csv"
    text = path.read_text()
    path.write_text(text[: text.rstrip("\n").rfind(",")])
    assert evaluate_run_lifetime(run, **GRID) == 1
    assert _table(copy) == _table(trained)


@pytest.mark.slow
def test_a_spread_is_another_chip_seeded_by_the_run(trained, tmp_path):
    from larq_ber.study.sweeps.lifetime import evaluate_run_lifetime

    copy, run = _copy(trained, tmp_path)
    grid = {"storage_times": [1000], "temperatures": ["85C"], "draws": 2}
    assert evaluate_run_lifetime(run, **grid, delta_spread=[0.0, 0.2]) == 4
    rows = _table(copy)
    uniform = rows[("ber0_rep0", 0.0, 358.15, 1000.0, 0, 0)]["weight_ber"]
    spread = rows[("ber0_rep0", 0.2, 358.15, 1000.0, 0, 0)]["weight_ber"]
    assert spread > uniform  # weak cells lose their bits first (Jensen)
    again = tmp_path / "again.csv"
    shutil.move(run / "lifetime.csv", again)
    assert evaluate_run_lifetime(run, **grid, delta_spread=0.2) == 2
    assert {k: v for k, v in rows.items() if k[1] == 0.2} == _table(copy)


@pytest.mark.slow
def test_what_cannot_be_evaluated_is_refused_in_one_line(trained, tmp_path):
    from larq_ber.study.sweeps.lifetime import (
        evaluate_run_lifetime,
        evaluate_sweep_lifetime,
    )

    run = trained / "runs" / "ber0_rep0"
    with pytest.raises(ValueError, match="`weights` must be one of"):
        evaluate_run_lifetime(run, storage_times=[1], weights="last")
    with pytest.raises(ValueError, match="`storage_times` must be times >= 0"):
        evaluate_run_lifetime(run, storage_times=[-1])
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        evaluate_run_lifetime(tmp_path, storage_times=[1])
    with pytest.raises(FileNotFoundError, match="No finished run"):
        evaluate_sweep_lifetime(tmp_path, storage_times=[1], progress=False)
    unfinished = tmp_path / "runs" / "x"
    unfinished.mkdir(parents=True)
    shutil.copy(run / "run.json", unfinished / "run.json")
    with pytest.raises(ValueError, match="is not finished: nothing to evaluate"):
        evaluate_run_lifetime(unfinished, storage_times=[1])
    with pytest.raises(ValueError, match="The lifetime plan needs"):
        evaluate_sweep_lifetime(trained, storage_times=list(range(10**4)),
                                draws=101, progress=False)  # fmt: skip
    assert LIFETIME.read([run / "lifetime.csv"])  # nothing was changed


@pytest.mark.slow
def test_the_commands_evaluate_summarise_and_plot_a_lifetime(trained, tmp_path, capsys):
    copy, _ = _copy(trained, tmp_path)
    assert cli.main(["robustness", str(copy), "--storage-times", "0", "100", "30y",
                     "--temperatures", "300,125C", "--draws", "3",
                     "--no-progress"]) == 0  # fmt: skip
    assert "18 new lifetime rows for 1 run(s)" in capsys.readouterr().out
    assert _table(copy) == _table(trained)
    assert cli.main(["results", str(copy), "--lifetime-csv",
                     str(tmp_path / "life.csv")]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "18 lifetime rows written" in printed and "Lifetime on MRAM" in printed
    assert "n=3 draws" in printed and "26.85" in printed and "125" in printed
    figure = tmp_path / "life.png"
    assert cli.main(["plot", str(copy), "--kind", "lifetime",
                     "--figure", str(figure)]) == 0  # fmt: skip
    assert figure.read_bytes()[:4] == b"\x89PNG"
