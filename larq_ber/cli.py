"""The `larq-ber` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["main"]

_EXAMPLES = """\
examples:
  larq-ber demo                        # BER 0 and 4 %, 6 epochs on offline digits
  larq-ber demo --bers 0 0.04 0.16 --epochs 3
"""


def _checked(
    cast: Callable[[str], Any], accept: Callable[[Any], bool], expected: str
) -> Callable[[str], Any]:
    """An argparse `type`: converts with `cast`, rejects what `accept` does not."""

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
        return value

    return parse


_rate = _checked(float, lambda v: 0.0 <= v <= 1.0, "a BER must be a number in [0, 1]")
_positive_int = _checked(int, lambda v: v >= 1, "expected an integer >= 1")


def build_parser() -> argparse.ArgumentParser:
    """Builds the argument parser of `larq-ber`.

    Returns:
        The parser, with one sub-parser per command.

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
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="train LeNet-4 on offline digits at several BERs",
        description=(
            "Train the binarized LeNet-4 on scikit-learn's digits (upscaled to "
            "28x28) once per bit error rate, and print the error-free test "
            "accuracy after every epoch."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--bers",
        type=_rate,
        nargs="+",
        default=[0.0, 0.04],
        metavar="BER",
        help="bit error rates in [0, 1] (default: 0 0.04)",
    )
    demo.add_argument(
        "--epochs", type=_positive_int, default=6, help="epochs (default: 6)"
    )
    demo.add_argument(
        "--batch-size", type=_positive_int, default=32, help="batch size (default: 32)"
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `larq-ber` command line.

    Args:
        argv: Arguments without the program name; `sys.argv[1:]` if `None`.

    Returns:
        The process exit status.

    Example:
        >>> main(["demo", "--epochs", "1", "--bers", "0"])  # doctest: +SKIP
        0
    """
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.command == "demo":
        from larq_ber.demo import format_table, run_demo

        print(
            f"Training LeNet-4 on digits for {args.epochs} epochs at BER "
            + ", ".join(f"{b:g}" for b in args.bers)
            + " (error-free test accuracy after each epoch):",
            flush=True,
        )
        curves = run_demo(
            args.bers, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed
        )
        print(format_table(curves))
    return 0


if __name__ == "__main__":
    sys.exit(main())
