"""`larq-ber assign`: a write voltage per binarized layer of a trained run."""

from __future__ import annotations

import argparse
from pathlib import Path
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
_tolerance = checked(float, lambda v: 0 <= v <= 100, "expected points in [0, 100]")

EXAMPLES = """\
examples:
  larq-ber assign runs/quickstart/runs/ber0.04_rep0 --tolerance 0.5
  larq-ber assign RUN --tolerance 1 --figure assignment.png --csv layers.csv
  # within 1 point of 89.80 %, another network's error-free accuracy
  larq-ber assign RUN --tolerance 1 --reference 89.80
  # a finer ladder, more draws; the same ledger: nothing measured twice
  larq-ber assign RUN --tolerance 1 --ladder 1e-6 1e-3 0.01 0.02 0.04 0.08 0.16 \\
      --draws 20 --verify-draws 100
"""

#: API argument names -> the options that set them, for one-line messages.
_OPTIONS = {"`tolerance`": "--tolerance", "`layers`": "--layers",
            "`ladder`": "--ladder", "`draws`": "--draws",
            "`verify_draws`": "--verify-draws", "`seed`": "--seed",
            "`confidence`": "--confidence", "`ledger`": "--ledger",
            "`reference`": "--reference"}  # fmt: skip


def _add_inputs_and_outputs(parser: argparse.ArgumentParser) -> None:
    """The options that pick the weights and the ledger, and the output files."""
    add_which(parser)
    parser.add_argument("--ledger", help="the ledger CSV (default: "
                        "ledger.csv in RUN_DIR/assignment)")  # fmt: skip
    parser.add_argument("--figure", help="draw accuracy vs energy (.png, .pdf "
                        "or .svg)")  # fmt: skip
    parser.add_argument("--csv", help="write the layers' write points to this CSV")
    parser.add_argument("--steps-csv", help="write every assignment measured, in "
                        "order, to this CSV")  # fmt: skip


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `assign` verb.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    parser = add_command(
        commands,
        "assign",
        "a write voltage per binarized layer, within an accuracy tolerance",
        "Search a write error rate per binarized layer of a finished run's "
        "network (larq_ber.assignment: greedy marginal analysis on measured "
        "accuracies) that minimises the activation write energy while the "
        "deployed accuracy's lower bound stays within --tolerance points of the "
        "error-free accuracy (or of --reference); verify it and the best single "
        "operating point on fresh draws and print both, with each layer's "
        "voltage, pulse and energy. Every draw is kept in "
        "RUN_DIR/assignment/ledger.csv (with "
        "--which final: RUN_DIR/assignment-final/): a killed search resumes, and "
        "searches at other tolerances reuse it. The answer goes to "
        "tolerance<T>.json there (..._reference<R>.json with --reference, to "
        "compare networks against one absolute target).",
        EXAMPLES,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a finished run folder")
    options = (
        (
            "--tolerance",
            _tolerance,
            None,
            "accuracy loss accepted, in points (e.g. 0.5)",
        ),
        (
            "--confidence",
            _confidence,
            0.95,
            "confidence of the intervals (default: 0.95)",
        ),
        ("--draws", _draws, 10, "error draws per assignment searched (default: 10)"),
        ("--verify-draws", _draws, 50, "fresh draws of the verification (default: 50)"),
        ("--seed", _seed, None, "seed of the draws (default: the run's, or 0)"),
        (
            "--reference",
            _tolerance,
            None,
            "accuracy points the tolerance counts "
            "from (default: the run's own error-free accuracy)",
        ),
    )
    for option, kind, default, text in options:
        parser.add_argument(option, type=kind, default=default, help=text,
                            required=option == "--tolerance")  # fmt: skip
    parser.add_argument("--ladder", type=rate, nargs="+", metavar="BER",
                        help="the rates a layer may be written at, increasing "
                        "(default: 1e-6 1e-4 1e-3 0.01 ... 0.24)")  # fmt: skip
    parser.add_argument("--layers", nargs="+", metavar="LAYER",
                        help="layers whose rate may rise (default: all)")  # fmt: skip
    _add_inputs_and_outputs(parser)
    add_data_dir(parser)
    parser.set_defaults(handler=run)
    return parser


def _search(args: argparse.Namespace, ledger: Path) -> Any:
    """The `Assignment` of the run's network on its test set."""
    from larq_ber.assignment import DEFAULT_LADDER, assign_write_points
    from larq_ber.study.sweeps.robustness import _test_data

    spec, model = finished_run(args.run_dir, args.which)
    seed = args.seed if args.seed is not None else (spec.seed or 0)

    def show(step: Any) -> None:
        acc, moved = step.accuracy, f" {step.moved}" if step.moved else ""
        print(
            f"  {step.phase}{moved}: BERs {' '.join(f'{b:g}' for b in step.bers)}, "
            f"energy {step.energy:.3f}, accuracy {acc.mean:.2f} % "
            f"[{acc.low:.2f}, {acc.high:.2f}]{'' if step.within else ' (not within)'}",
            flush=True,
        )

    try:
        return assign_write_points(
            model, _test_data(spec, args.data_dir), args.tolerance,
            confidence=args.confidence, ladder=args.ladder or DEFAULT_LADDER,
            draws=args.draws, verify_draws=args.verify_draws, seed=seed,
            layers=args.layers, reference=args.reference, ledger=ledger,
            progress=show,
        )  # fmt: skip
    except ValueError as error:
        message = str(error)
        for name, option in _OPTIONS.items():
            message = message.replace(name, option)
        raise CommandError(message.rstrip(".")) from None


def _recipe_line(answer: Any) -> str:
    """The recipe key that trains at the assignment (layer names of the model)."""
    pairs = ", ".join(
        f"{layer} = {ber:g}" for layer, ber in answer.layer_bers().items()
    )
    return f"layer_bers = {{{pairs}}}"


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber assign`: searches, prints, writes the answer and outputs.

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If the folder does not exist or is not a finished run, an
            output's folder does not exist, or an option is out of range (one
            line naming the option).
    """
    existing_folder(args.run_dir)
    check_outputs(args.figure, csv=args.csv, steps_csv=args.steps_csv)
    folder = Path(args.run_dir) / (
        "assignment" if args.which == "best" else f"assignment-{args.which}"
    )
    ledger = Path(args.ledger) if args.ledger else folder / "ledger.csv"
    print(f"Searching (every draw kept in {ledger}):", flush=True)
    answer = _search(args, ledger)
    print(answer)
    if answer.met:
        print(f"To train at it, add to a recipe: {_recipe_line(answer)}")
    else:
        print("No assignment is verified within the tolerance: nothing to train at.")
    from larq_ber.storage import rewrite_rows, write_json

    name = f"tolerance{args.tolerance:g}"
    if args.reference is not None:
        name += f"_reference{args.reference:g}"
    saved = folder / f"{name}.json"
    write_json(saved, answer.to_dict())
    print(f"answer written to {saved}")
    if args.csv:
        from larq_ber.assignment import LAYER_COLUMNS

        rewrite_rows(args.csv, answer.rows(), LAYER_COLUMNS)
        print(f"{len(answer.layers)} layers written to {args.csv}")
    if args.steps_csv:
        from larq_ber.assignment import STEP_COLUMNS

        rewrite_rows(args.steps_csv, answer.step_rows(), STEP_COLUMNS)
        print(f"{len(answer.steps)} steps written to {args.steps_csv}")
    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from larq_ber.assignment import plot_assignment

        figure = plot_assignment(answer)
        figure.savefig(args.figure, dpi=150)
        plt.close(figure)
        print(f"figure written to {args.figure}")
    return 0
