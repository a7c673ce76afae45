"""`larq-ber kernel`: build or check the optional compiled CPU kernel of the flips."""

from __future__ import annotations

import argparse
from typing import Any

from larq_ber.study.cli._common import add_command

__all__ = ["EXAMPLES", "add_parser", "run"]

EXAMPLES = """\
examples:
  larq-ber kernel build      # compile once (about 10 s); every later process uses it
  larq-ber kernel status     # built? used? where?
  LARQ_BER_KERNEL=0 python train.py   # keep one run on TensorFlow's operations
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `kernel` verb.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    kernel = add_command(
        commands,
        "kernel",
        "build or check the optional compiled CPU kernel of the flips",
        "Compile larq-ber's kernel (sign and bit errors in one pass, see "
        "larq_ber.kernel) against the installed TensorFlow with the machine's C++ "
        "compiler ($CXX, c++ or g++) into the cache folder ($LARQ_BER_CACHE, else "
        "~/.cache/larq_ber). Once built, BerSteSign uses it on CPUs.",
        EXAMPLES,
    )
    kernel.add_argument("action", choices=("build", "status"), help="what to do")
    kernel.add_argument(
        "--force", action="store_true", help="build: compile even if already built"
    )
    kernel.set_defaults(handler=run)
    return kernel


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber kernel build|status` and prints where the kernel is.

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.
    """
    if args.action == "build":
        _build(args.force)
    else:
        _status()
    return 0


def _build(force: bool) -> None:
    import time

    from larq_ber import kernel

    start = time.perf_counter()
    built = kernel.library_path().exists() and not force
    path = kernel.build(force=force)
    took = "already built" if built else f"built in {time.perf_counter() - start:.1f} s"
    print(f"kernel {took}: {path}")


def _status() -> None:
    from larq_ber import kernel

    path = kernel.library_path()
    print(f"kernel file: {path} ({'built' if path.exists() else 'not built'})")
    if not path.exists():
        print("flips: TensorFlow operations (run `larq-ber kernel build`)")
    elif not kernel.is_enabled():
        print(f"flips: TensorFlow operations ({kernel.DISABLE_VARIABLE}=0 is set)")
    elif kernel.load() is None:
        print("flips: TensorFlow operations (the kernel does not load: rebuild it "
              "with `larq-ber kernel build --force`)")  # fmt: skip
    else:
        print("flips: the kernel on CPUs (not under XLA or with a GPU visible)")
