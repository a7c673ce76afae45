"""The `larq-ber` command line: one module per verb.

Each verb module (`demo`, `recipes`, `sweep`, `results`, `robustness`,
`sensitivity`, `assign`, `plot`, `export`, `mtj`, `kernel`) has an
`add_parser(commands)` that adds its sub-parser and sets its handler, and a thin
`run(args)` that calls the study modules and prints.
Importing this package imports no TensorFlow: the handlers import what they use.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from larq_ber.study.cli import (
    assign,
    demo,
    export,
    kernel,
    mtj,
    plot,
    recipes,
    results,
    robustness,
    sensitivity,
    sweep,
)
from larq_ber.study.cli._common import CommandError
from larq_ber.study.cli._silence import quiet
from larq_ber.study.messages import one_line
from larq_ber.study.stopping import Terminated, stop_on_signals

__all__ = ["CommandError", "build_parser", "main"]

_EXAMPLES = """\
examples:
  larq-ber demo                        # BER 0 and 4 %, 6 epochs on offline digits
  larq-ber recipes                     # the bundled recipes, by name
  larq-ber sweep quickstart --out runs/quickstart
  larq-ber results runs/quickstart --csv quickstart.csv
  larq-ber sensitivity runs/quickstart/runs/ber0.04_rep0 --ber 0.04
  larq-ber assign runs/quickstart/runs/ber0.04_rep0 --tolerance 0.5
  larq-ber plot runs/quickstart --figure fig1.png
  larq-ber export runs/quickstart/runs/ber0.04_rep0 --tflite lenet4.tflite
  larq-ber mtj table
  larq-ber kernel build                # optional: flips at no cost on CPUs
"""

#: The verb modules, in the order of `larq-ber --help`.
_VERBS = (demo, recipes, sweep, results, robustness, sensitivity, assign, plot,
          export, mtj, kernel)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """Builds the argument parser of `larq-ber`.

    Returns:
        The parser, with one sub-parser per verb; the parsed arguments of a verb
        carry its handler as `handler`.

    Example:
        >>> build_parser().parse_args(["demo", "--epochs", "2"]).epochs
        2
    """
    from larq_ber import __version__

    parser = argparse.ArgumentParser(
        prog="larq-ber",
        description="Bit-error-resilient binarized neural networks for Larq/Keras.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for verb in _VERBS:
        verb.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `larq-ber` command line.

    Every failure is reported as one line on standard error naming the file and
    what is wrong, with exit status 2 (1 when runs of a sweep failed); `--debug`
    shows the traceback instead. Ctrl-C stops with status 130, SIGTERM with 143,
    both with the hint to resume. TensorFlow's,
    absl's and Python's warnings are hidden unless `--verbose` is given.

    Args:
        argv: Arguments without the program name; `sys.argv[1:]` if `None`.

    Returns:
        The process exit status.

    Example:
        >>> main(["mtj", "wer", "--voltage", "0.6", "--pulse", "10e-9"])
           V (V)      t (s)         WER
          0.6000  1.000e-08  1.3285e-03
        0
    """
    args = build_parser().parse_args(argv)
    try:
        with quiet(args.verbose), stop_on_signals():
            status: int = args.handler(args)
        return status  # after the block: it raises a signal Python dropped
    except KeyboardInterrupt:
        print("interrupted — run the same command to resume", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated — run the same command to resume", file=sys.stderr)
        return 143
    except Exception as error:
        if args.debug:
            raise
        print(f"larq-ber {args.command}: {one_line(error)}", file=sys.stderr)
        return 2
