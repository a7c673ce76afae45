"""`larq-ber demo`: LeNet-4 on offline digits at a few bit error rates."""

from __future__ import annotations

import argparse
from typing import Any

from larq_ber.study.cli._common import add_command, add_no_progress, positive_int, rate

__all__ = ["EXAMPLES", "add_parser", "run"]

EXAMPLES = """\
examples:
  larq-ber demo                          # BER 0 and 4 %, 6 epochs
  larq-ber demo --bers 0 0.04 0.16 --epochs 3
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `demo` verb.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    demo = add_command(
        commands,
        "demo",
        "train LeNet-4 on offline digits at several BERs",
        "Train the binarized LeNet-4 on scikit-learn's digits (upscaled to "
        "28x28) once per bit error rate, and print the error-free test "
        "accuracy after every epoch, then <Top1Max> per BER.",
        EXAMPLES,
    )
    demo.add_argument(
        "--bers",
        type=rate,
        nargs="+",
        default=[0.0, 0.04],
        metavar="BER",
        help="bit error rates in [0, 1] (default: 0 0.04)",
    )
    demo.add_argument(
        "--epochs", type=positive_int, default=6, help="epochs (default: 6)"
    )
    demo.add_argument(
        "--batch-size", type=positive_int, default=32, help="batch size (default: 32)"
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    add_no_progress(demo, "epoch")
    demo.set_defaults(handler=run)
    return demo


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber demo`: trains, then prints the accuracy table.

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.
    """
    from larq_ber.study.demo import as_rows, format_table, run_demo
    from larq_ber.study.summary import format_top1max, top1max_table

    epochs = f"{args.epochs} epoch{'' if args.epochs == 1 else 's'}"
    print(
        f"Training LeNet-4 on digits for {epochs} at BER "
        + ", ".join(f"{b:g}" for b in args.bers)
        + " (error-free test accuracy after each epoch):",
        flush=True,
    )
    curves = run_demo(
        args.bers,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=not args.no_progress,
    )
    print(format_table(curves))
    table = top1max_table(as_rows(curves))
    print("\n" + format_top1max(table, what="LeNet-4 on offline digits"))
    return 0
