"""What the tests of the `larq-ber` verbs share."""

import pytest

from larq_ber.study import cli


def help_text(argv, capsys):
    """The `--help` output of `larq-ber *argv`."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def one_line_error(capsys, command):
    """The one line `larq-ber COMMAND: …` that a failed command printed."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"larq-ber {command}: ")
    return err[0]


def usage_error(argv, capsys):
    """The standard error of a command line argparse rejects (status 2)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def listing(folder):
    """Every file with its size, except the sweep lock's record of who held it."""
    return sorted(
        (str(p), p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file() and p.name != ".lock"
    )


def sweep_folder(tmp_path, rows):
    """A sweep folder `tmp_path/out` with one run and its (epoch, top1) rows."""
    from larq_ber.study.results import SweepFiles
    from larq_ber.tables import EPOCHS

    run = SweepFiles(tmp_path / "out").run("ber0_rep0")
    run.folder.mkdir(parents=True)
    for epoch, top1 in rows:
        EPOCHS.append(run.epochs, {
            "run_id": "ber0_rep0", "recipe": "t", "model": "lenet4",
            "dataset": "digits", "subset": "", "ber": 0.0, "ber_neg": 0.0,
            "ber_pos": 0.0, "seed": 0, "epoch": epoch, "test_top1": top1,
            "test_top5": "", "train_loss": 1.0, "wall_s": 1.0,
        })  # fmt: skip
    return tmp_path / "out", run
