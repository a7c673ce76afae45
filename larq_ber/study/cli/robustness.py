"""`larq-ber robustness`: trained runs evaluated under errors at deployment."""

from __future__ import annotations

import argparse
from typing import Any

from larq_ber.study.cli._common import (
    CommandError,
    add_command,
    add_data_dir,
    add_no_progress,
    add_which,
    checked,
    existing_folder,
    positive_float,
    positive_int,
    rate,
)
from larq_ber.study.cli._lifetime import EXAMPLES as _LIFETIME_EXAMPLES
from larq_ber.study.cli._lifetime import add_options as _add_lifetime
from larq_ber.study.cli._lifetime import given as _lifetime_given
from larq_ber.study.cli._lifetime import run as _run_lifetime
from larq_ber.tables import ROBUSTNESS_COLUMNS

__all__ = ["EXAMPLES", "add_parser", "run"]

_repeats = checked(
    lambda text: text if text == "auto" else int(text),
    lambda value: value == "auto" or value >= 1,
    "expected an integer >= 1 or 'auto'",
)
_confidence = checked(float, lambda v: 0 < v < 1, "expected a number in (0, 1)")

EXAMPLES = (
    """\
examples:
  larq-ber robustness runs/quickstart --test-bers 0 0.01 0.04 0.16 \\
      --weight-bers 0 0.001 0.01 --repeats 10
  larq-ber robustness runs/quickstart/runs/ber0.04_rep0 --test-bers 0 0.04
  # draws planned per cell for a 95 % interval of ±0.25 accuracy points:
  larq-ber robustness runs/quickstart --test-bers 0 0.04 0.16 \\
      --repeats auto --margin 0.25 --max-repeats 60
  # extend the grid later, or resume after a crash: only missing rows are run
"""
    + _LIFETIME_EXAMPLES
)


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `robustness` verb.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    robustness = add_command(
        commands,
        "robustness",
        "evaluate trained runs under errors at deployment",
        "Evaluate every finished run of a sweep folder (or one run folder) with "
        "bit errors in the activations at inference (--test-bers) and in the "
        "binary weights (--weight-bers), --repeats independent draws per pair, "
        "into each run's robustness.csv (columns: "
        + ", ".join(ROBUSTNESS_COLUMNS)
        + "). Rows that exist are kept, so a rerun resumes or extends the grid. "
        "With --repeats auto, each pair gets a pilot of --min-repeats draws, then "
        "the number of draws its spread needs for a t-interval of half-width "
        "--margin (accuracy points) at --confidence, all of them, at most "
        "--max-repeats (cells that stop at the cap are listed); the error-free "
        "pair is evaluated once. With --storage-times instead: each run's weights "
        "on one MRAM chip (the run's seed picks its cells) at every temperature, "
        "time since write, read count and cell spread, --draws draws per point, "
        "into each run's lifetime.csv.",
        EXAMPLES,
    )
    robustness.add_argument(
        "out", metavar="RUN_OR_SWEEP_DIR", help="a sweep folder or one run folder"
    )
    for kind, where in (("test", "activation"), ("weight", "weight")):
        robustness.add_argument(
            f"--{kind}-bers",
            type=rate,
            nargs="+",
            default=[0.0],
            help=f"{where} BERs at inference (default: 0)",
        )
    robustness.add_argument(
        "--repeats",
        type=_repeats,
        default=10,
        help="independent draws per pair, or 'auto': planned to --margin (default: 10)",
    )
    _add_auto_options(robustness)
    add_which(robustness)
    _add_lifetime(robustness)
    add_data_dir(robustness)
    add_no_progress(robustness, "run")
    robustness.set_defaults(handler=run)
    return robustness


def _add_auto_options(parser: argparse.ArgumentParser) -> None:
    """Adds the options of `--repeats auto`: margin, confidence, pilot, cap."""
    parser.add_argument(
        "--margin",
        type=positive_float,
        help="with --repeats auto: half-width of each pair's interval, in "
        "accuracy points (e.g. 0.25)",
    )
    parser.add_argument(
        "--confidence",
        type=_confidence,
        default=0.95,
        help="with --repeats auto: confidence level in (0, 1) (default: 0.95)",
    )
    parser.add_argument(
        "--min-repeats",
        type=positive_int,
        default=10,
        help="with --repeats auto: draws of each pair's pilot, >= 2 (default: 10)",
    )
    parser.add_argument(
        "--max-repeats",
        type=positive_int,
        default=100,
        help="with --repeats auto: the most draws of a pair (default: 100)",
    )


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber robustness`: evaluates the missing rows of every run.

    With `--storage-times` (or another lifetime option) it evaluates the lifetime
    tables instead (`larq_ber.study.cli._lifetime.run`).

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If the folder does not exist, the options of
            `--repeats auto` are missing, out of range or given without it, or
            lifetime and robustness options are mixed.
    """
    existing_folder(args.out)
    if _lifetime_given(args):
        return _run_lifetime(args, _robustness_given(args))
    from larq_ber.study.sweeps.plan import draw_rule

    auto = args.repeats == "auto"
    if not auto:
        given = [f"--{k.replace('_', '-')}" for k in _AUTO_OPTIONS
                 if getattr(args, k) != _AUTO_DEFAULTS[k]]  # fmt: skip
        if given:
            raise CommandError(f"{', '.join(given)} apply only with --repeats auto")
    try:
        repeats = draw_rule(
            args.repeats, margin=args.margin, confidence=args.confidence,
            min_repeats=args.min_repeats, max_repeats=args.max_repeats,
        )  # fmt: skip
    except ValueError as error:
        raise CommandError(_option_names(str(error))) from None
    from larq_ber.study.sweeps.robustness import evaluate_sweep

    runs, rows = evaluate_sweep(
        args.out,
        test_bers=args.test_bers,
        weight_bers=args.weight_bers,
        repeats=repeats,
        weights=args.which,
        data_dir=args.data_dir,
        progress=not args.no_progress,
    )
    print(f"{rows} new robustness rows for {runs} run(s) under {args.out}")
    if auto:
        _report_cap(args, repeats)
    return 0


#: The options of `--repeats auto` and their defaults (a default is "not given").
_AUTO_DEFAULTS = {"margin": None, "confidence": 0.95, "min_repeats": 10,
                  "max_repeats": 100}  # fmt: skip
_AUTO_OPTIONS = tuple(_AUTO_DEFAULTS)


def _robustness_given(args: argparse.Namespace) -> list[str]:
    """The robustness options given (other than their defaults), as `--names`."""
    defaults = {"test_bers": [0.0], "weight_bers": [0.0], "repeats": 10,
                **_AUTO_DEFAULTS}  # fmt: skip
    return [f"--{k.replace('_', '-')}" for k, v in defaults.items()
            if getattr(args, k) != v]  # fmt: skip


def _option_names(message: str) -> str:
    """An API message with the command's option names (`margin` -> --margin)."""
    for key in _AUTO_OPTIONS:
        message = message.replace(f"`{key}`", f"--{key.replace('_', '-')}")
    message = message.replace("min_repeats =", "--min-repeats =")
    return message.replace("repeats = 'auto'", "--repeats auto").rstrip(".")


def _report_cap(args: argparse.Namespace, rule: Any) -> None:
    """Says which cells stopped at the cap (arithmetic over the rows written)."""
    from larq_ber.study.results import read_robustness
    from larq_ber.study.summary import robustness_table

    rows = [
        r
        for r in read_robustness(args.out)
        if r["weights"] == args.which
        and r["test_ber"] in args.test_bers
        and r["weight_ber"] in args.weight_bers
    ]
    capped = [r for r in robustness_table(rows, rule.confidence, rule) if r["at_cap"]]
    if not capped:
        print(f"no cell stopped at the cap of {rule.maximum} draws")
        return
    cells = ", ".join(
        f"BER {100 * r['ber']:g} %/test {100 * r['test_ber']:g} %/weight "
        f"{100 * r['weight_ber']:g} %"
        for r in capped
    )
    print(
        f"{len(capped)} cell(s) stopped at the cap of {rule.maximum} draws (their "
        f"interval may be wider than ±{rule.margin:g} points): {cells}"
    )
