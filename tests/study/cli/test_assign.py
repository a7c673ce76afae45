"""`larq-ber assign`: per-layer write points of a finished run."""

import csv
import json

import pytest

from larq_ber.assignment import LAYER_COLUMNS, STEP_COLUMNS, Ledger
from larq_ber.study import cli

from .helpers import one_line_error, usage_error

LAYERS = ["binary_conv_2", "binary_dense_3"]
QUICK = ["--ladder", "1e-6", "0.01", "0.1", "--draws", "2", "--verify-draws", "3"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished run of LeNet-4 on digits (BER 0.04, one epoch)."""
    from larq_ber.study.recipes import load_recipe
    from larq_ber.study.sweeps import run_sweep

    folder = tmp_path_factory.mktemp("assign")
    path = folder / "tiny.toml"
    path.write_text(
        'model = "lenet4"\ndataset = "digits"\nbers = [0.04]\nrepeats = 1\n'
        'epochs = 1\nbatch_size = 64\noptimizer = "adam"\nlearning_rate = 0.003\n'
        "weight_decay = 0.0\ndecay_epochs = []\n"
    )
    out = folder / "out"
    summary = run_sweep(load_recipe(path), out, progress=False)
    assert summary.finished == 1 and not summary.failed
    return next((out / "runs").iterdir())


@pytest.mark.slow
def test_the_answer_its_files_and_a_resumed_search(trained, tmp_path, capsys):
    table, figure, steps = tmp_path / "a.csv", tmp_path / "a.png", tmp_path / "s.csv"
    argv = ["assign", str(trained), "--tolerance", "2", *QUICK]
    outputs = ["--csv", str(table), "--figure", str(figure), "--steps-csv", str(steps)]
    assert cli.main([*argv, *outputs]) == 0
    out = capsys.readouterr().out
    assert all(layer in out for layer in LAYERS) and "single point" in out
    assert "To train at it, add to a recipe: layer_bers = {binary_conv_2 = " in out
    saved = json.loads((trained / "assignment" / "tolerance2.json").read_text())
    assert list(saved["layer_bers"]) == LAYERS
    assert saved["tolerance"] == 2.0 and saved["accuracy"]["n"] == 3
    with open(table, newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["layer"] for row in rows] == LAYERS and tuple(rows[0]) == LAYER_COLUMNS
    assert [float(row["ber"]) for row in rows] == list(saved["layer_bers"].values())
    assert figure.read_bytes()[:4] == b"\x89PNG"
    with open(steps, newline="") as file:
        path = list(csv.DictReader(file))
    assert tuple(path[0]) == STEP_COLUMNS and path[-1]["phase"] == "verify"
    assert path[0]["phase"] == "single" and path[0]["bers"] == "1e-06 1e-06"
    ledger = trained / "assignment" / "ledger.csv"
    measured = len(Ledger(ledger))
    # Again: everything comes from the ledger, the same answer.
    assert cli.main(argv) == 0
    assert len(Ledger(ledger)) == measured
    again = json.loads((trained / "assignment" / "tolerance2.json").read_text())
    assert again == saved
    # Against an absolute target: its own file, the threshold from it.
    assert cli.main([*argv, "--reference", "50"]) == 0
    target = json.loads(
        (trained / "assignment" / "tolerance2_reference50.json").read_text()
    )
    assert target["reference"] == 50.0 and target["threshold"] == 48.0
    assert "within 2 point(s) of 50.00 % (error-free" in capsys.readouterr().out


@pytest.mark.slow
def test_an_unknown_layer_lists_the_layers(trained, capsys):
    argv = ["assign", str(trained), "--tolerance", "1", "--layers", "dense", *QUICK]
    assert cli.main(argv) == 2
    line = one_line_error(capsys, "assign")
    assert "--layers must name binarized layers of the model, got ['dense']" in line
    assert str(LAYERS) in line


def test_bad_folders_and_options_get_one_line(tmp_path, capsys):
    assert cli.main(["assign", str(tmp_path / "nope"), "--tolerance", "1"]) == 2
    assert "does not exist" in one_line_error(capsys, "assign")
    argv = ["assign", str(tmp_path), "--tolerance", "1"]
    assert cli.main([*argv, "--figure", str(tmp_path / "f.gif")]) == 2
    assert "--figure must end in one of" in one_line_error(capsys, "assign")
    assert cli.main([*argv, "--csv", str(tmp_path / "no" / "a.csv")]) == 2
    assert "--csv: the folder" in one_line_error(capsys, "assign")
    assert "--tolerance" in usage_error(["assign", str(tmp_path)], capsys)
    err = usage_error(["assign", str(tmp_path), "--tolerance", "-1"], capsys)
    assert "expected points in [0, 100]" in err
    err = usage_error([*argv, "--draws", "1"], capsys)
    assert "expected an integer >= 2" in err
