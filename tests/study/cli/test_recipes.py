"""`larq-ber recipes`, and `larq-ber sweep` with a recipe's name or missing data."""

import time

import pytest

from larq_ber.study import cli
from larq_ber.study.data import offline
from larq_ber.study.recipes import load_recipe, names

from .helpers import one_line_error


@pytest.fixture
def offline_machine(monkeypatch):
    """No download host answers (and no test touches the network)."""
    monkeypatch.setattr(offline, "reachable", lambda host, port=443, timeout=3: False)


def test_recipes_lists_every_bundled_recipe_with_its_grid(tmp_path, capsys):
    assert cli.main(["recipes", "--data-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "recipe", "model", "dataset", "BERs", "repeats", "epochs", "offline"
    ]  # fmt: skip
    rows = {line.split()[0]: line for line in lines[1 : 1 + len(names())]}
    assert sorted(rows) == names()
    assert rows["quickstart"].split() == [
        "quickstart", "lenet4", "digits", "0,", "0.04,", "0.16", "3", "6", "yes"
    ]  # fmt: skip
    fig1 = load_recipe("fig1_lenet4_mnist")
    assert rows["fig1_lenet4_mnist"].split()[-3:] == [
        str(fig1.repeats), str(fig1.epochs), "no"  # no MNIST in an empty data dir
    ]  # fmt: skip
    assert "0, 0.01, 0.02, 0.04, 0.08, 0.16" in rows["fig1_lenet4_mnist"]
    assert "imagenet2012 (5 subsets)" in rows["fig4b_alexnet_imagenet_2class"]
    assert "--set dataset=digits" in lines[-1]


def test_recipes_sees_prepared_tfds_data(tmp_path, capsys):
    (tmp_path / "mnist" / "3.0.1").mkdir(parents=True)
    (tmp_path / "mnist" / "3.0.1" / "dataset_info.json").write_text("{}")
    assert cli.main(["recipes", "--data-dir", str(tmp_path)]) == 0
    row = next(
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("fig1_lenet4_mnist")
    )
    assert row.split()[-1] == "yes"


def test_sweep_takes_a_name_and_says_the_known_ones_for_a_typo(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["sweep", "quickstrat", "--out", str(out)]) == 2
    line = one_line_error(capsys, "sweep")
    assert "quickstrat: neither a recipe file nor a bundled recipe" in line
    assert all(name in line for name in names())
    assert not out.exists()


def test_sweep_of_missing_tfds_data_offline_fails_at_once_in_one_line(
    tmp_path, capsys, offline_machine
):
    out, data = tmp_path / "out", tmp_path / "tfds"
    start = time.monotonic()
    code = cli.main(
        ["sweep", "fig1_lenet4_mnist", "--out", str(out), "--data-dir", str(data)]
    )
    assert code == 2 and time.monotonic() - start < 3
    line = one_line_error(capsys, "sweep")
    assert f"dataset 'mnist' is not prepared in {data}" in line
    assert "'digits'" in line and "tfds build mnist" in line
    assert not out.exists()  # nothing started


def test_listing_the_recipes_imports_no_tensorflow(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from larq_ber.study.cli.recipes import table\n"
        f"rows = table({str(tmp_path)!r})\n"
        "print(len(rows), 'tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [str(len(names()) + 1), "False"]
