"""The `larq-ber` command line, every subcommand (the MTJ ones included)."""

import re
import shlex
import subprocess
import sys

import pytest

from larq_ber import cli
from larq_ber.results import COLUMNS

COMMANDS = ["demo", "sweep", "results", "plot", "export", "mtj"]


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


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help_text(command):
    parser = cli.build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]
    for action in sub._actions:
        if action.dest != "help":
            assert action.help, (
                f"larq-ber {command}: {action.option_strings or action.dest}"
            )


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
    assert cli.main(["plot", str(tmp_path), "--out", str(tmp_path / "f.gif")]) == 2
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
    assert cli.main(["mtj", "figure", "--out", str(tmp_path / "fig5.svg")]) == 0
    assert (tmp_path / "fig5.svg").read_bytes().startswith(b"<?xml")
    assert cli.main(["mtj", "figure", "--out", str(tmp_path / "f.gif")]) == 2
