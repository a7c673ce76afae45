"""What the verbs of `larq-ber` share: argument types, options, the command error."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

__all__ = [
    "CommandError",
    "add_command",
    "add_data_dir",
    "add_no_progress",
    "checked",
    "common_options",
    "existing_folder",
    "output_folder",
    "positive_float",
    "positive_int",
    "rate",
]


class CommandError(Exception):
    """A command cannot run as asked; the message is printed as one line."""


def checked(
    cast: Callable[[str], Any], accept: Callable[[Any], bool], expected: str
) -> Callable[[str], Any]:
    """Builds an argparse `type`: converts with `cast`, rejects what `accept` does not.

    Args:
        cast: Converts the text of the argument (`int`, `float`, …); a `ValueError`
            counts as a rejection.
        accept: Whether a converted value is allowed.
        expected: What a valid value is, for the error message.

    Returns:
        The `type` callable; it raises `argparse.ArgumentTypeError` with
        "`expected`, got 'text'" for a rejected value.

    Example:
        >>> checked(int, lambda v: v > 0, "expected an integer > 0")("3")
        3
    """

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
        return value

    return parse


#: A bit error rate in [0, 1].
rate = checked(float, lambda v: 0.0 <= v <= 1.0, "a BER must be a number in [0, 1]")
#: An integer >= 1 (epochs, repeats, samples, …).
positive_int = checked(int, lambda v: v >= 1, "expected an integer >= 1")
#: A number > 0 (voltages in V, times in s, …).
positive_float = checked(float, lambda v: v > 0, "expected a number > 0")


def common_options() -> argparse.ArgumentParser:
    """The options of every verb (`--debug`, `--verbose`), as an argparse parent.

    Returns:
        A parser without help to pass in `parents=[...]`.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an error instead of one line",
    )
    common.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's, absl's and the converter's log messages "
        "(hidden by default)",
    )
    return common


def add_command(
    commands: Any, name: str, help: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    """Adds a verb with the common options and help that keeps its line breaks.

    Args:
        commands: The `add_subparsers()` object of the parent parser.
        name: The verb (`"sweep"`, …).
        help: One line for the parent's list of verbs.
        description: A paragraph at the top of the verb's `--help`.
        epilog: The verb's examples, shown as written.

    Returns:
        The verb's parser.
    """
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        parents=[common_options()],
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def add_no_progress(parser: argparse.ArgumentParser, unit: str) -> None:
    """Adds `--no-progress`; `unit` is what a log gets one line per ("run", …)."""
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress display (default: a bar on a terminal, a line per "
        f"{unit} in a log)",
    )


def add_which(parser: argparse.ArgumentParser) -> None:
    """Adds `--which`: the run's weights at Top1Max (`best`) or after its last epoch."""
    parser.add_argument(
        "--which",
        choices=("best", "final"),
        default="best",
        help="weights at Top1Max (best, default) or after the last epoch (final)",
    )


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    """Adds `--data-dir`, the TFDS data directory."""
    parser.add_argument("--data-dir", help="TFDS data directory (default: TFDS's)")


def existing_folder(path: str) -> None:
    """Checks that `path` is an existing folder.

    Args:
        path: The folder a verb reads.

    Raises:
        CommandError: If `path` does not exist or is not a folder.
    """
    if not os.path.exists(path):
        raise CommandError(f"{path!r} does not exist")
    if not os.path.isdir(path):
        raise CommandError(f"{path!r} is not a folder")


def output_folder(text: str) -> str:
    """An argparse `type`: a folder to write into (new or existing), never a file.

    Args:
        text: The argument as given.

    Returns:
        `text`.

    Raises:
        argparse.ArgumentTypeError: If `text` is empty (it would write into the
            working directory) or names something that is not a folder.

    Example:
        >>> output_folder("runs/new")
        'runs/new'
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "must name a folder, got an empty name (it would write into the "
            "working directory; give '.' for that)"
        )
    if os.path.lexists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a folder")
    return text


def check_outputs(figure: str | None, **files: str | None) -> None:
    """Refuses, before any work, output files whose folder does not exist.

    Args:
        figure: The `--figure` path (its suffix must be a figure format), or
            `None`.
        **files: Other output paths by option name without dashes (`csv`,
            `steps_csv`), or `None`.

    Raises:
        CommandError: If a folder does not exist or the figure's format is not
            one of `larq_ber.study.plots.FORMATS` (one line naming the option).
    """
    from pathlib import Path

    from larq_ber.study.plots import FORMATS

    options = {"figure": figure, **files}
    for name, path in options.items():
        folder = Path(path).resolve().parent if path else None
        if folder is not None and not folder.is_dir():
            option = "--" + name.replace("_", "-")
            raise CommandError(f"{option}: the folder {str(folder)!r} does not exist")
    if figure and Path(figure).suffix.lower() not in FORMATS:
        raise CommandError(
            f"--figure must end in one of {list(FORMATS)}, got {figure!r}"
        )


def finished_run(run_dir: str, which: str) -> tuple[Any, Any]:
    """The `RunSpec` of a finished run and its network (`which`: best or final).

    Args:
        run_dir: The run folder.
        which: `"best"` (Top1Max) or `"final"` weights.

    Returns:
        `(spec, model)`: the compiled evaluation model.

    Raises:
        CommandError: If the run failed or has not finished.
    """
    from larq_ber.storage import read_json
    from larq_ber.study.runspec import RunSpec

    spec = RunSpec.load(run_dir)
    result = read_json(spec.files.result) if spec.files.result.exists() else None
    if result is None or "failed" in result:
        state = "failed" if result else "not finished"
        raise CommandError(f"run {spec.run_id} is {state}: nothing to evaluate")
    return spec, spec.evaluation_model(which)
