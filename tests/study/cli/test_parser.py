"""The parser of `larq-ber`: help texts, examples, option names, argument checks."""

import argparse
import re
import shlex

import numpy as np
import pytest

from larq_ber import __version__
from larq_ber.study import cli
from larq_ber.tables import COLUMNS

from .helpers import help_text, usage_error

VERBS = ["demo", "recipes", "sweep", "results", "robustness", "sensitivity", "assign",
         "plot", "export", "mtj",
         "kernel"]  # fmt: skip


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


def _children(parser):
    """The sub-parsers of `parser` by name ({} if it has none)."""
    if parser._subparsers is None:
        return {}
    return parser._subparsers._group_actions[0].choices


def _commands(parser=None, prefix=()):
    """Every (command words, parser) of `larq-ber`, sub-verbs (`mtj wer`) included."""
    parser = parser or cli.build_parser()
    for name, child in _children(parser).items():
        yield (*prefix, name), child
        yield from _commands(child, (*prefix, name))


COMMANDS = [words for words, _ in _commands()]


def _parser(words):
    return dict(_commands())[tuple(words)]


def test_every_verb_has_a_module_and_the_help_lists_them_all(capsys):
    assert [words[0] for words in COMMANDS if len(words) == 1] == VERBS
    assert ("mtj", "wer") in COMMANDS
    assert "{" + ",".join(VERBS) + "}" in help_text([], capsys)


@pytest.mark.parametrize("command", [(), *COMMANDS], ids=" ".join)
def test_every_example_in_the_help_parses(command, capsys):
    examples = _example_commands(help_text(command, capsys))
    assert examples, "the help shows no example"
    assert all(words[: len(command)] == list(command) for words in examples)
    parser = cli.build_parser()
    for words in examples:
        parser.parse_args(words)  # exits (status 2) if an example is wrong


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_option_has_help_text_and_shows_its_default(command):
    for action in _parser(command)._actions:
        name = f"larq-ber {' '.join(command)}: {action.option_strings or action.dest}"
        if action.dest == "help":
            continue
        assert action.help, name
        if action.default not in (None, False, [], argparse.SUPPRESS):
            shown = " ".join(str(v) for v in np.atleast_1d(action.default))
            assert "default" in action.help, name
            assert shown.replace(".0", "") in action.help.replace(".0", ""), name


def test_an_option_name_means_one_thing_across_commands():
    """`--out` is the sweep folder; files are `--figure`, `--tflite`, `--csv`."""
    meanings = {}
    for _, parser in _commands():
        for action in parser._actions:
            for option in action.option_strings:
                meanings.setdefault(option, set()).add(action.dest)
    assert all(len(dests) == 1 for dests in meanings.values()), meanings
    assert meanings["--figure"] == {"figure"} and meanings["--tflite"] == {"tflite"}
    assert "--out" not in _parser(["plot"]).format_help()


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["plot", "runs/x"], "--figure"),
        (["export", "runs/x/runs/r"], "--tflite"),
        (["mtj", "figure"], "--figure"),
        (["mtj", "wer", "--pulse", "1e-8"], "--voltage"),
        (["mtj", "wer", "--voltage", "0.6"], "--pulse"),
        (["sweep", "recipe.toml"], "--out"),
    ],
)
def test_output_files_and_needed_values_are_required_and_shown_so(argv, option, capsys):
    err = usage_error(argv, capsys)
    assert f"the following arguments are required: {option}" in err
    verb = argv[:2] if argv[0] == "mtj" else argv[:1]
    usage = " ".join(_parser(verb).format_usage().split())
    assert re.search(rf"(?<!\[){option} [A-Z]", usage), usage  # not in [brackets]


def test_version_names_the_program(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"larq-ber {__version__}"


def test_results_help_lists_the_table_columns(capsys):
    text = " ".join(help_text(["results"], capsys).split())
    assert ", ".join(COLUMNS) in text


def test_demo_rejects_bad_ber_with_message(capsys):
    assert "a BER must be a number in [0, 1]" in usage_error(
        ["demo", "--bers", "2"], capsys
    )


def test_robustness_checks_its_arguments(tmp_path, capsys):
    err = usage_error(["robustness", str(tmp_path), "--test-bers", "1.5"], capsys)
    assert "a BER must be a number in [0, 1], got '1.5'" in err
    err = usage_error(["robustness", str(tmp_path), "--repeats", "0"], capsys)
    assert "expected an integer >= 1" in err


def test_mtj_checks_its_arguments(capsys):
    assert "expected a number > 0" in usage_error(
        ["mtj", "wer", "--voltage", "-1", "--pulse", "1e-8"], capsys
    )
    assert "expected a number in (0, 1]" in usage_error(
        ["mtj", "table", "--scale", "1.5"], capsys
    )
    assert "unrecognized arguments: --scale" in usage_error(
        ["mtj", "wer", "--voltage", "0.6", "--pulse", "1e-8", "--scale", "0.9"], capsys
    )
