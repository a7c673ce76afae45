"""`larq-ber robustness`: trained runs evaluated under errors at deployment."""

from __future__ import annotations

import argparse
from typing import Any

from larq_ber.study.cli._common import (
    add_command,
    add_data_dir,
    add_no_progress,
    existing_folder,
    positive_int,
    rate,
)
from larq_ber.tables import ROBUSTNESS_COLUMNS

__all__ = ["EXAMPLES", "add_parser", "run"]

EXAMPLES = """\
examples:
  larq-ber robustness runs/quickstart --test-bers 0 0.01 0.04 0.16 \\
      --weight-bers 0 0.001 0.01 --repeats 10
  larq-ber robustness runs/quickstart/runs/ber0.04_rep0 --test-bers 0 0.04
  # extend the grid later, or resume after a crash: only missing rows are run
"""


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
        + "). Rows that exist are kept, so a rerun resumes or extends the grid.",
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
        type=positive_int,
        default=10,
        help="independent draws per pair (default: 10)",
    )
    robustness.add_argument(
        "--which",
        choices=("best", "final"),
        default="best",
        help="evaluate the Top1Max (best) or the final weights (default: best)",
    )
    add_data_dir(robustness)
    add_no_progress(robustness, "run")
    robustness.set_defaults(handler=run)
    return robustness


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber robustness`: evaluates the missing rows of every run.

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If the folder does not exist.
    """
    existing_folder(args.out)
    from larq_ber.study.sweeps.robustness import evaluate_sweep

    runs, rows = evaluate_sweep(
        args.out,
        test_bers=args.test_bers,
        weight_bers=args.weight_bers,
        repeats=args.repeats,
        weights=args.which,
        data_dir=args.data_dir,
        progress=not args.no_progress,
    )
    print(f"{rows} new robustness rows for {runs} run(s) under {args.out}")
    return 0
