"""`larq-ber kernel`: build or check the optional compiled CPU kernel."""

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
        "build or check the optional compiled CPU kernel (flips, BatchNorm-pool)",
        "Compile larq-ber's kernel (sign and bit errors in one pass, see "
        "larq_ber.kernel) against the installed TensorFlow with the machine's C++ "
        "compiler ($CXX, c++ or g++) into the cache folder ($LARQ_BER_CACHE, else "
        "~/.cache/larq_ber, created 0700). Once built, BerSteSign uses it on CPUs, "
        "if the file and its folder are yours alone and its SHA-256 is the one "
        "recorded when it was built; `status` says why it is or is not used.",
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
    built = not force and kernel.check().verified
    path = kernel.build(force=force)
    took = "already built" if built else f"built in {time.perf_counter() - start:.1f} s"
    print(f"kernel {took}: {path}")


#: What uses the kernel where it applies.
_USERS = "flips, BatchNormMaxPoolReLU and binary convolutions"


def _status() -> None:
    """Prints what is at the kernel's path and whether the flips (and the layer) use it.

    A file that fails the loader's checks is reported, not loaded.
    """
    import warnings

    from larq_ber import kernel

    found = kernel.check()
    if not found.found:
        print(f"kernel file: {found.path} (not built)")
        print(f"{_USERS}: TensorFlow operations (run `larq-ber kernel build`)")
        return
    if found.problem is not None:
        print(f"kernel file: {found.path} (not loaded: {found.problem})")
        print(f"{_USERS}: TensorFlow operations ({found.hint})")
        return
    record = kernel.digest_path(found.path).name
    print(f"kernel file: {found.path} (verified: yours alone, SHA-256 as in {record})")
    if not kernel.is_enabled():
        print(f"{_USERS}: TensorFlow operations ({kernel.DISABLE_VARIABLE}=0 is set)")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reason is printed below
        loaded = kernel.load()
    if loaded is None:
        print(
            f"{_USERS}: TensorFlow operations ({kernel.last_problem() or 'not loaded'})"
        )
    else:
        print(f"{_USERS}: the kernel on CPUs (not under XLA or with a GPU visible)")
