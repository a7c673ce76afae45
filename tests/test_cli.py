"""The `larq-ber` command line, every subcommand (the MTJ ones included)."""

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from larq_ber import cli
from larq_ber.results import COLUMNS

COMMANDS = ["demo", "sweep", "results", "robustness", "plot", "export", "mtj"]


def _help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*([command] if command else []), "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def _example_commands(text):
    """The `larq-ber …` command lines of a help text's examples, joined across
    backslash continuations, without comments and environment assignments."""
    examples = text.split("examples:", 1)[1].replace("\\\n", " ")
    commands = []
    for line in examples.splitlines():
        words = shlex.split(line.split("#", 1)[0])
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words.pop(0)
        if words[:1] == ["larq-ber"]:
            commands.append(words[1:])
    return commands


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_example_in_the_help_parses(command, capsys):
    text = _help(command, capsys)
    examples = _example_commands(text)
    assert examples, "the help shows no example"
    if command:
        assert all(words[0] == command for words in examples)
    parser = cli.build_parser()
    for words in examples:
        parser.parse_args(words)  # exits (status 2) if an example is wrong


def _subparser(command):
    return cli.build_parser()._subparsers._group_actions[0].choices[command]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help_text_and_shows_its_default(command):
    for action in _subparser(command)._actions:
        name = f"larq-ber {command}: {action.option_strings or action.dest}"
        if action.dest == "help" or action.help == argparse.SUPPRESS:
            continue
        assert action.help, name
        if action.default not in (None, False, [], argparse.SUPPRESS):
            shown = " ".join(str(v) for v in np.atleast_1d(action.default))
            assert "default" in action.help, name
            assert shown.replace(".0", "") in action.help.replace(".0", ""), name


def test_an_option_name_means_one_thing_across_commands():
    """`--out` is the sweep folder; files are `--figure`, `--tflite`, `--csv`."""
    meanings = {}
    for command in COMMANDS:
        for action in _subparser(command)._actions:
            if action.help == argparse.SUPPRESS:
                continue
            for option in action.option_strings:
                meanings.setdefault(option, set()).add(action.dest)
    assert all(len(dests) == 1 for dests in meanings.values()), meanings
    assert meanings["--figure"] == {"figure"} and meanings["--tflite"] == {"tflite"}
    assert "--out" not in _subparser("plot").format_help()


@pytest.mark.parametrize(
    ("argv", "dest"),
    [
        (["plot", "runs/x", "--out", "f.png"], "figure"),
        (["export", "runs/x/runs/r", "--out", "m.tflite"], "tflite"),
        (["mtj", "figure", "--out", "fig5.png"], "figure"),
    ],
)
def test_the_old_out_spelling_still_works_with_a_note(argv, dest, capsys):
    args = cli.build_parser().parse_args(argv)
    assert getattr(args, dest) == argv[-1]
    err = capsys.readouterr().err
    assert f"--out is now called --{dest}" in err and "0.3" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["results", "{nope}", "--csv", "{tmp}/r.csv"],
        ["plot", "{nope}", "--figure", "{tmp}/f.png"],
        ["robustness", "{nope}"],
        ["export", "{nope}", "--tflite", "{tmp}/m.tflite"],
    ],
)
def test_a_missing_folder_is_said_not_to_exist(argv, tmp_path, capsys):
    nope = tmp_path / "nope"
    argv = [a.format(nope=nope, tmp=tmp_path) for a in argv]
    assert cli.main(argv) == 2
    assert f"{str(nope)!r} does not exist" in _one_line_error(capsys, argv[0])
    (tmp_path / "file").write_text("")
    argv[1] = str(tmp_path / "file")
    assert cli.main(argv) == 2
    assert "is not a folder" in _one_line_error(capsys, argv[0])


def test_plot_and_export_need_their_output_file(tmp_path, capsys):
    assert cli.main(["plot", str(tmp_path)]) == 2
    assert "--figure FILE is required" in _one_line_error(capsys, "plot")
    assert cli.main(["export", str(tmp_path)]) == 2
    assert "--tflite FILE is required" in _one_line_error(capsys, "export")


def test_commands_that_import_tensorflow_print_only_their_own_lines(tmp_path):
    """No TF/absl chatter (the cuDNN factory lines, warnings) without --verbose."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    script = Path(sys.executable).with_name("larq-ber")  # the console script
    module = [sys.executable, "-m", "larq_ber.cli"]
    command = [str(script)] if script.exists() else module
    done = subprocess.run(
        [*command, "robustness", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"larq-ber robustness: No finished run under {str(tmp_path)!r} (expected "
        "runs/*/result.json or a run folder)."
    ]


def test_quiet_restores_the_logging_and_warning_settings():
    import logging
    import warnings

    logger = logging.getLogger("tensorflow")
    before, filters = logger.level, list(warnings.filters)
    with cli._quiet(verbose=False):
        assert logger.level == logging.ERROR
    assert logger.level == before and warnings.filters == filters


def test_results_help_lists_the_table_columns(capsys):
    text = " ".join(_help("results", capsys).split())
    assert ", ".join(COLUMNS) in text


def test_help_and_results_do_not_import_tensorflow(tmp_path):
    code = (
        "import sys; from larq_ber import cli\n"
        "try:\n    cli.main(['results', '--help'])\nexcept SystemExit:\n    pass\n"
        f"cli.main(['results', {str(tmp_path)!r}, '--csv', "
        f"{str(tmp_path / 'r.csv')!r}])\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_demo_rejects_bad_ber_with_message(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["demo", "--bers", "2"])
    assert exc.value.code == 2
    assert "a BER must be a number in [0, 1]" in capsys.readouterr().err


@pytest.mark.slow
def test_console_script_demo_runs():
    out = subprocess.run(
        [sys.executable, "-m", "larq_ber.cli", "demo", "--epochs", "1", "--bers",
         "0", "0.04"],
        check=True, capture_output=True, text=True, timeout=600,
    ).stdout  # fmt: skip
    lines = out.strip().splitlines()
    assert lines[-2].split()[:3] == ["epoch", "BER", "0%"]
    row = lines[-1].split()
    assert row[0] == "1" and all(cell.endswith("%") for cell in row[1:])


def test_sweep_reports_every_recipe_problem(tmp_path, tiny_recipe_file, capsys):
    recipe = tiny_recipe_file()
    sets = ["--set", "epochs=0", "--set", "bers=[0, 2]", "--set", "colour=1"]
    code = cli.main(["sweep", str(recipe), "--out", str(tmp_path / "out"), *sets])
    assert code == 2
    err = capsys.readouterr().err
    assert "3 problem(s)" in err and "epochs = 0" in err and "'colour'" in err
    assert not (tmp_path / "out").exists()  # nothing started


def test_results_and_plot_errors(tmp_path, capsys):
    assert cli.main(["results", str(tmp_path), "--csv", str(tmp_path / "r.csv")]) == 2
    assert "No finished epoch" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()
    assert cli.main(["plot", str(tmp_path), "--figure", str(tmp_path / "f.gif")]) == 2
    assert "must end in one of" in capsys.readouterr().err


def test_mtj_wer(capsys):
    assert cli.main(["mtj", "wer", "--voltage", "0.6", "--pulse", "10e-9"]) == 0
    assert "1.3285e-03" in capsys.readouterr().out
    assert cli.main(["mtj", "wer", "--voltage", "0.6"]) == 2


def test_mtj_table(capsys):
    assert cli.main(["mtj", "table"]) == 0
    out = capsys.readouterr().out
    for value in ("0.6679 V", "0.8348", "0.5288", "0.4378", "14.195", "6.725", "4.825"):
        assert value in out, value


def test_mtj_figure(tmp_path):
    assert cli.main(["mtj", "figure", "--figure", str(tmp_path / "fig5.svg")]) == 0
    assert (tmp_path / "fig5.svg").read_bytes().startswith(b"<?xml")
    assert cli.main(["mtj", "figure", "--figure", str(tmp_path / "f.gif")]) == 2


def _listing(folder):
    """Every file with its size, except the sweep lock's record of who held it."""
    return sorted(
        (str(p), p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file() and p.name != ".lock"
    )


def _one_line_error(capsys, command):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"larq-ber {command}: ")
    return err[0]


def _sweep_folder(tmp_path, rows):
    from larq_ber.results import SweepFiles, append_row

    run = SweepFiles(tmp_path / "out").run("ber0_rep0")
    run.folder.mkdir(parents=True)
    for epoch, top1 in rows:
        append_row(run.epochs, {
            "run_id": "ber0_rep0", "recipe": "t", "model": "lenet4",
            "dataset": "digits", "subset": "", "ber": 0.0, "ber_neg": 0.0,
            "ber_pos": 0.0, "seed": 0, "epoch": epoch, "test_top1": top1,
            "test_top5": "", "train_loss": 1.0, "wall_s": 1.0,
        })  # fmt: skip
    return tmp_path / "out", run


@pytest.mark.parametrize(
    "damage",
    ["nul", "garbage", "truncated"],
)
def test_results_and_plot_name_a_damaged_table_in_one_line(tmp_path, capsys, damage):
    out, run = _sweep_folder(tmp_path, [(1, 0.5), (2, 0.6)])
    text = run.epochs.read_text()
    run.epochs.write_text(
        {
            "nul": text + "\0\0\0\n",
            "garbage": text + "x,y\n",
            "truncated": text[: len(text) - 20],
        }[damage]
    )
    before = _listing(tmp_path)
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "r.csv")]) == 2
    assert "epochs.csv, row " in _one_line_error(capsys, "results")
    assert cli.main(["plot", str(out), "--figure", str(tmp_path / "f.png")]) == 2
    assert "epochs.csv, row " in _one_line_error(capsys, "plot")
    assert _listing(tmp_path) == before


def test_results_into_a_directory_or_read_only_place(tmp_path, capsys):
    out, _ = _sweep_folder(tmp_path, [(1, 0.5)])
    (tmp_path / "dir.csv").mkdir()
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "dir.csv")]) == 2
    assert "dir.csv: Is a directory" in _one_line_error(capsys, "results")
    assert cli.main(["results", str(out), "--csv", "/proc/larq.csv"]) == 2
    assert "/proc/larq.csv" in _one_line_error(capsys, "results")


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(FileNotFoundError):
        cli.main(["results", str(tmp_path), "--csv", "r.csv", "--debug"])


@pytest.mark.parametrize("broken", ["sweep.json", "tuner/oracle.json"])
def test_sweep_names_damaged_state_files(tmp_path, tiny_recipe_file, capsys, broken):
    recipe = tiny_recipe_file()
    out = tmp_path / "out"
    path = out / broken
    path.parent.mkdir(parents=True)
    path.write_text('{"ongoing_trials": {"a": \x01}')
    if broken == "tuner/oracle.json":  # keras-tuner reloads when a tuner file exists
        import dataclasses

        from larq_ber.recipes import load_recipe
        from larq_ber.results import write_json

        (out / "tuner" / "tuner0.json").write_text("{}")
        write_json(out / "sweep.json", dataclasses.asdict(load_recipe(recipe)))
    before = _listing(out)
    assert cli.main(["sweep", str(recipe), "--out", str(out), "--no-progress"]) == 2
    line = _one_line_error(capsys, "sweep")
    assert broken.split("/")[-1] in line and "not valid JSON" in line
    assert _listing(out) == before


def test_export_errors_name_the_run_and_its_files(tmp_path, capsys):
    assert cli.main(["export", str(tmp_path / "nope"), "--tflite", "m.tflite"]) == 2
    assert "does not exist" in _one_line_error(capsys, "export")
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{not json")
    assert cli.main(["export", str(run), "--tflite", str(tmp_path / "m.tflite")]) == 2
    assert "run.json" in _one_line_error(capsys, "export")
    (run / "run.json").write_text('{"model": "lenet4", "ber": 0.0}')
    assert cli.main(["export", str(run), "--tflite", str(tmp_path / "m.tflite")]) == 2
    assert "no valid input_shape" in _one_line_error(capsys, "export")
    (run / "run.json").write_text(
        '{"model": "lenet4", "ber": 0.0, "input_shape": [28, 28, 1], "num_classes": 10}'
    )
    for content in (b"\x89HDF\r\n\x1a\n" + b"\0" * 64, b"garbage"):
        (run / "top1max.weights.h5").write_bytes(content)
        tflite = str(tmp_path / "m.tflite")
        assert cli.main(["export", str(run), "--tflite", tflite]) == 2
        line = _one_line_error(capsys, "export")
        assert "top1max.weights.h5" in line and "cannot be read" in line
    assert not (tmp_path / "m.tflite").exists()


def test_mtj_refuses_voltages_above_breakdown_and_bounds_small_wers(capsys):
    assert cli.main(["mtj", "wer", "--voltage", "2.0", "--pulse", "10e-9"]) == 2
    assert "above the breakdown voltage" in _one_line_error(capsys, "mtj")
    assert cli.main(["mtj", "wer", "--voltage", "1.2", "--pulse", "40e-9"]) == 0
    assert "< 1e-09" in capsys.readouterr().out


@pytest.mark.slow
def test_ctrl_c_says_how_to_resume(tmp_path, tiny_recipe_file):
    import signal
    import time

    recipe = tiny_recipe_file()
    # A shell's background jobs (CI) inherit SIGINT ignored, and then Python installs
    # no KeyboardInterrupt handler; a terminal's Ctrl-C reaches a process that has
    # it, so the child installs it first. (Not with `preexec_fn`: forking a test
    # process with TensorFlow's and pytest-xdist's threads and running Python code
    # before exec aborted the child, SIGABRT, in CI.)
    start = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)"
        "; from larq_ber.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", start, "sweep", str(recipe), "--out",
         str(tmp_path / "out"), "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list((tmp_path / "out").glob("runs/*/run.json")):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the sweep ended early: {proc.communicate()}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == (
        "interrupted — run the same command to resume"
    )
    assert "Traceback" not in err


def test_robustness_checks_its_arguments_and_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["robustness", str(tmp_path), "--test-bers", "1.5"])
    assert exit_info.value.code == 2
    assert "a BER must be a number in [0, 1], got '1.5'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["robustness", str(tmp_path), "--repeats", "0"])
    assert "expected an integer >= 1" in capsys.readouterr().err
    assert cli.main(["robustness", str(tmp_path), "--no-progress"]) == 2
    assert "No finished run under" in _one_line_error(capsys, "robustness")
    assert cli.main(["plot", str(tmp_path), "--kind", "robustness",
                     "--figure", str(tmp_path / "r.png")]) == 2  # fmt: skip
    assert "run `larq-ber robustness` first" in _one_line_error(capsys, "plot")


def test_results_also_writes_the_robustness_table(tmp_path, capsys):
    from larq_ber.results import ROBUSTNESS_COLUMNS, append_robustness_row

    out, run = _sweep_folder(tmp_path, [(1, 0.5)])
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "r.csv")]) == 0
    assert "robustness" not in capsys.readouterr().out  # none yet
    assert not (tmp_path / "r.robustness.csv").exists()
    row = dict.fromkeys(ROBUSTNESS_COLUMNS, "")
    row.update(run_id="ber0_rep0", ber=0.0, seed=0, weights="best", test_ber=0.1,
               weight_ber=0.0, draw=0, test_top1=0.4)  # fmt: skip
    append_robustness_row(run.robustness, row)
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "r.csv")]) == 0
    printed = capsys.readouterr().out
    assert f"1 robustness rows written to {tmp_path / 'r.robustness.csv'}" in printed
    target = tmp_path / "mine.csv"
    assert cli.main(["results", str(out), "--csv", str(tmp_path / "r.csv"),
                     "--robustness-csv", str(target)]) == 0  # fmt: skip
    assert target.read_text().splitlines()[1].startswith("ber0_rep0,")
