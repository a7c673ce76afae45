"""`larq-ber sensitivity`: which binarized layer of a trained run is fragile."""

from __future__ import annotations

import argparse
from typing import Any

from larq_ber.study.cli._common import (
    CommandError,
    add_command,
    add_data_dir,
    add_which,
    check_outputs,
    checked,
    existing_folder,
    finished_run,
    rate,
)

__all__ = ["EXAMPLES", "add_parser", "run"]

_draws = checked(int, lambda v: v >= 2, "expected an integer >= 2")
_confidence = checked(float, lambda v: 0 < v < 1, "expected a number in (0, 1)")
_seed = checked(int, lambda v: v >= 0, "expected an integer >= 0")

EXAMPLES = """\
examples:
  larq-ber sensitivity runs/quickstart/runs/ber0.04_rep0 --ber 0.04 --draws 10
  larq-ber sensitivity runs/quickstart/runs/ber0.04_rep0 --ber 0.1 \\
      --figure sensitivity.png --csv sensitivity.csv
  # asymmetric writes (-1 -> +1 fails more often), two layers only:
  larq-ber sensitivity RUN --ber-neg 0.08 --ber-pos 0.02 \\
      --layers binary_conv_2 binary_dense_3
"""

#: API argument names -> the options that set them, for one-line messages.
_OPTIONS = {"`ber`": "--ber", "`layers`": "--layers", "`draws`": "--draws",
            "`seed`": "--seed", "`confidence`": "--confidence"}  # fmt: skip


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `sensitivity` verb.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    parser = add_command(
        commands,
        "sensitivity",
        "accuracy drop per binarized layer under activation errors",
        "Evaluate a finished run's network with activation write errors at --ber "
        "in one binarized layer at a time (the others error-free), --draws "
        "independent draws per layer (larq_ber.sensitivity): per layer its "
        "accuracy and drop from the error-free accuracy with t-intervals at "
        "--confidence, and the binary activations it writes per input with their "
        "share of the network's writes. Prints the table; --csv writes it, "
        "--figure draws drop vs share of writes.",
        EXAMPLES,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a finished run folder")
    parser.add_argument("--ber", type=rate, default=None,
                        help="activation BER of the layer, both ways")  # fmt: skip
    for name, what in (("neg", "-1 -> +1"), ("pos", "+1 -> -1")):
        parser.add_argument(f"--ber-{name}", type=rate, default=None,
                            help=f"BER of {what} writes (default: --ber)")  # fmt: skip
    parser.add_argument("--draws", type=_draws, default=10,
                        help="error draws per layer, >= 2 (default: 10)")  # fmt: skip
    parser.add_argument("--confidence", type=_confidence, default=0.95,
                        help="confidence of the intervals (default: 0.95)")  # fmt: skip
    parser.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="seed of the draws (default: the run's, or 0)",
    )
    parser.add_argument("--layers", nargs="+", metavar="LAYER",
                        help="layers to evaluate (default: all binarized)")  # fmt: skip
    add_which(parser)
    parser.add_argument("--figure", help="draw drop vs share of writes (.png, "
                        ".pdf or .svg)")  # fmt: skip
    parser.add_argument("--csv", help="write the table to this CSV file")
    add_data_dir(parser)
    parser.set_defaults(handler=run)
    return parser


def _rates(args: argparse.Namespace) -> Any:
    """The `ber` argument of `sensitivity`: a rate or an `ErrorRates`."""
    if args.ber is None and (args.ber_neg is None or args.ber_pos is None):
        raise CommandError(
            "--ber is needed (or both --ber-neg and --ber-pos): the activation "
            "BER in [0, 1] of the layer under test"
        )
    if args.ber_neg is None and args.ber_pos is None:
        return args.ber
    from larq_ber.rates import ErrorRates

    neg = args.ber if args.ber_neg is None else args.ber_neg
    pos = args.ber if args.ber_pos is None else args.ber_pos
    return ErrorRates(neg, pos)


def _evaluate(args: argparse.Namespace, ber: Any) -> Any:
    """The `Sensitivity` of the run's network on its test set."""
    from larq_ber.sensitivity import sensitivity
    from larq_ber.study.sweeps.robustness import _test_data

    spec, model = finished_run(args.run_dir, args.which)
    seed = args.seed if args.seed is not None else (spec.seed or 0)
    try:
        return sensitivity(
            model, _test_data(spec, args.data_dir), ber, draws=args.draws,
            confidence=args.confidence, seed=seed, layers=args.layers,
        )  # fmt: skip
    except ValueError as error:
        message = str(error)
        for name, option in _OPTIONS.items():
            message = message.replace(name, option)
        raise CommandError(message.rstrip(".")) from None


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber sensitivity`: prints the table, writes the CSV and figure.

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If the folder does not exist or is not a finished run,
            no BER is given, an output's folder does not exist or a layer is
            unknown (one line naming the option).
    """
    existing_folder(args.run_dir)
    ber = _rates(args)
    check_outputs(args.figure, csv=args.csv)
    table = _evaluate(args, ber)
    print(table)
    if args.csv:
        from larq_ber.sensitivity import COLUMNS
        from larq_ber.storage import rewrite_rows

        rewrite_rows(args.csv, table.rows(), COLUMNS)
        print(f"{len(table)} layers written to {args.csv}")
    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from larq_ber.sensitivity import plot_sensitivity

        figure = plot_sensitivity(table)
        figure.savefig(args.figure, dpi=150)
        plt.close(figure)
        print(f"figure written to {args.figure}")
    return 0
