"""`larq-ber sensitivity`: the layer sensitivity of a finished run."""

import csv

import pytest

from larq_ber.sensitivity import COLUMNS
from larq_ber.study import cli

from .helpers import one_line_error, usage_error

LAYERS = ["binary_conv_2", "binary_dense_3"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished run of LeNet-4 on digits (BER 0.04, one epoch)."""
    from larq_ber.study.recipes import load_recipe
    from larq_ber.study.sweeps import run_sweep

    folder = tmp_path_factory.mktemp("sensitivity")
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


def _read(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


@pytest.mark.slow
def test_the_table_csv_and_figure_of_a_run(trained, tmp_path, capsys):
    table, figure = tmp_path / "s.csv", tmp_path / "s.png"
    argv = ["sensitivity", str(trained), "--ber", "0.2", "--draws", "3"]
    assert cli.main([*argv, "--csv", str(table), "--figure", str(figure)]) == 0
    out = capsys.readouterr().out
    assert all(layer in out for layer in LAYERS) and "BER 0.2" in out
    assert "2 layers written to" in out and "figure written to" in out
    rows = _read(table)
    assert [row["layer"] for row in rows] == LAYERS
    assert tuple(rows[0]) == COLUMNS
    # LeNet-4's inputs: 12 x 12 x 20 into the convolution, 800 into the dense one
    assert [int(row["writes"]) for row in rows] == [2880, 800]
    assert sum(float(row["share"]) for row in rows) == pytest.approx(1.0)
    for row in rows:
        drop, clean = float(row["drop"]), float(row["clean"])
        assert drop == pytest.approx(clean - float(row["accuracy"]))
        assert float(row["drop_low"]) <= drop <= float(row["drop_high"])
        assert row["draws"] == "3" and row["seed"] == "0"  # the run's seed
    assert figure.read_bytes()[:4] == b"\x89PNG"
    # the same seed gives the same table
    again = tmp_path / "again.csv"
    assert cli.main([*argv, "--csv", str(again), "--layers", LAYERS[1]]) == 0
    assert _read(again) == rows[1:]


@pytest.mark.slow
def test_an_unknown_layer_lists_the_layers(trained, capsys):
    argv = ["sensitivity", str(trained), "--ber", "0.1", "--layers", "dense"]
    assert cli.main(argv) == 2
    line = one_line_error(capsys, "sensitivity")
    assert "--layers must name binarized layers of the model, got ['dense']" in line
    assert str(LAYERS) in line


def test_bad_folders_and_options_get_one_line(tmp_path, capsys):
    assert cli.main(["sensitivity", str(tmp_path / "nope"), "--ber", "0.1"]) == 2
    assert "does not exist" in one_line_error(capsys, "sensitivity")
    assert cli.main(["sensitivity", str(tmp_path)]) == 2
    assert "--ber is needed" in one_line_error(capsys, "sensitivity")
    argv = ["sensitivity", str(tmp_path), "--ber", "0.1"]
    assert cli.main([*argv, "--figure", str(tmp_path / "f.gif")]) == 2
    assert "--figure must end in one of" in one_line_error(capsys, "sensitivity")
    assert cli.main([*argv, "--csv", str(tmp_path / "no" / "t.csv")]) == 2
    assert "--csv: the folder" in one_line_error(capsys, "sensitivity")
    assert cli.main(argv) == 2
    assert "has no run.json" in one_line_error(capsys, "sensitivity")


def test_an_unfinished_run_is_refused(tmp_path, capsys):
    (tmp_path / "run.json").write_text(
        '{"run_id": "r", "model": "lenet4", "dataset": "digits", "ber": 0.0, '
        '"input_shape": [28, 28, 1], "num_classes": 10, "seed": 0}'
    )
    assert cli.main(["sensitivity", str(tmp_path), "--ber", "0.1"]) == 2
    assert "run r is not finished" in one_line_error(capsys, "sensitivity")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--ber", "1.5", "a BER must be a number in [0, 1]"),
     ("--draws", "1", "expected an integer >= 2"),
     ("--confidence", "1", "expected a number in (0, 1)"),
     ("--seed", "-1", "expected an integer >= 0")],
)  # fmt: skip
def test_bad_values_are_usage_errors(tmp_path, capsys, option, value, message):
    err = usage_error(["sensitivity", str(tmp_path), option, value], capsys)
    assert message in err
