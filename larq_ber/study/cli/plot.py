"""`larq-ber plot`: the paper's figures from a sweep."""

from __future__ import annotations

import argparse
from typing import Any

from larq_ber.study.cli._common import add_command, existing_folder

__all__ = ["EXAMPLES", "add_parser", "run"]

EXAMPLES = """\
examples:
  larq-ber plot runs/quickstart --figure fig1.png                 # mean + every run
  larq-ber plot runs/fig2a --figure fig2a.pdf --style std         # mean +- std
  larq-ber plot runs/fig4b --figure fig4b.svg --kind top1max      # <Top1Max> vs BER
  larq-ber plot runs/robust --figure robust.png --kind robustness # errors at inference
  larq-ber plot runs/life --figure life.png --kind lifetime   # accuracy vs time on MRAM
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `plot` verb.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    plot = add_command(
        commands,
        "plot",
        "draw the paper's figures from a sweep",
        "Draw accuracy vs epoch per BER (--kind epochs: mean and every run, or "
        "mean +- std with --style std), <Top1Max> vs BER, one line per class "
        "subset (--kind top1max), or the robustness table (--kind robustness: "
        "heat map of training BER x test BER and accuracy vs test BER per "
        "training BER), or the lifetime table (--kind lifetime: accuracy vs time "
        "since the weights were written, log axis, one panel per training BER, a "
        "line per temperature and cell spread, mean and 95 % t-interval). The "
        "format follows the extension: .png, .pdf, .svg.",
        EXAMPLES,
    )
    plot.add_argument("out", metavar="DIR", help="the sweep's output folder")
    plot.add_argument(
        "--figure", required=True, help="the figure file to write (.png, .pdf or .svg)"
    )
    plot.add_argument(
        "--kind",
        choices=("epochs", "top1max", "robustness", "lifetime"),
        default="epochs",
        help="figure kind (default: epochs)",
    )
    plot.add_argument(
        "--style",
        choices=("traces", "std"),
        default="traces",
        help="for --kind epochs: every run (traces) or mean +- std with "
        "ddof = 1 (std) (default: traces)",
    )
    plot.set_defaults(handler=run)
    return plot


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber plot`: draws the figure and saves it.

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If the sweep folder does not exist.
    """
    existing_folder(args.out)
    from larq_ber.study.plots import save_figure

    path = save_figure(args.out, args.figure, kind=args.kind, style=args.style)
    print(f"figure written to {path}")
    return 0
