"""The lifetime options of `larq-ber robustness`: a network on an MRAM chip over time.

With `--storage-times`, `larq-ber robustness` writes each run's `lifetime.csv`
(`larq_ber.study.sweeps.lifetime`) instead of its robustness table; the two kinds of
options do not mix in one command.
"""

from __future__ import annotations

import argparse
from typing import Any

from larq_ber.study.cli._common import CommandError, checked, positive_float

__all__ = ["EXAMPLES", "add_options", "given", "run"]

EXAMPLES = """\
  # a network's lifetime on MRAM: accuracy vs time since write, heat and spread
  larq-ber robustness runs/life --storage-times 1 1h 1d 1y 10y \\
      --temperatures 25C,60C,85C --delta-spread 0 0.1 --draws 10
"""


def _listed(cast: Any) -> Any:
    """An argparse type for `a,b,c` (and, with `nargs`, `a b c`)."""

    def parse(text: str) -> list[Any]:
        return [cast(part) for part in text.split(",") if part.strip()]

    return parse


def _text(text: str) -> str:
    return text.strip()


def _count(text: str) -> int:
    value = float(text)
    if value != int(value):
        raise ValueError(text)
    return int(value)


_reads = checked(_count, lambda v: v >= 0, "expected integers >= 0 (e.g. 0 1e6)")
_spread = checked(float, lambda v: v >= 0, "expected a number >= 0")
_draws = checked(int, lambda v: v >= 2, "expected an integer >= 2")

#: Option -> (default, what it is); a value other than the default is "given".
_DEFAULTS: dict[str, Any] = {
    "storage_times": None, "device": "tzoufras2019", "temperatures": None,
    "reads": None, "delta_spread": None, "v_c0_spread": None,
    "write_voltage": None, "write_pulse": None, "read_polarity": "fixed",
    "draws": 10,
}  # fmt: skip


def add_options(parser: argparse.ArgumentParser) -> None:
    """Adds `--storage-times` and the options of a lifetime evaluation."""
    group = parser.add_argument_group(
        "lifetime on MRAM (with --storage-times; see larq_ber.lifetime)"
    )
    group.add_argument(
        "--storage-times", type=_listed(_text), nargs="+", metavar="TIME",
        help="times since the weights were written: seconds or with a unit "
        "(s, min, h, d, y), e.g. 1 1h 1d 1y 10y",
    )  # fmt: skip
    group.add_argument(
        "--device",
        default="tzoufras2019",
        help="MTJ preset (default: tzoufras2019, the paper's)",
    )
    group.add_argument(
        "--temperatures", type=_listed(_text), nargs="+", metavar="T",
        help="operating temperatures: K, or °C with a C, e.g. 25C,60C,85C "
        "(default: the device's own, 300 K)",
    )  # fmt: skip
    group.add_argument("--reads", type=_listed(_reads), nargs="+", metavar="N",
                       help="reads of each weight bit over the storage time "
                       "(default: 0)")  # fmt: skip
    for name, what in (("delta", "Delta"), ("v-c0", "V_c0")):
        group.add_argument(
            f"--{name}-spread", type=_listed(_spread), nargs="+", metavar="S",
            help=f"cell-to-cell spread of {what}, one or several (default: 0)",
        )  # fmt: skip
    group.add_argument("--write-voltage", type=positive_float, metavar="V",
                       help="activation write voltage (V), with --write-pulse; "
                       "default: error-free activations")  # fmt: skip
    group.add_argument(
        "--write-pulse",
        type=positive_float,
        metavar="S",
        help="activation write pulse (s), e.g. 10e-9",
    )
    group.add_argument(
        "--read-polarity",
        choices=("fixed", "bipolar"),
        default="fixed",
        help="read scheme (default: fixed)",
    )
    group.add_argument(
        "--draws",
        type=_draws,
        default=10,
        help="error draws per point, >= 2 (default: 10)",
    )


def given(args: argparse.Namespace) -> list[str]:
    """The lifetime options given (other than their defaults), as `--names`."""
    return [
        f"--{key.replace('_', '-')}"
        for key, default in _DEFAULTS.items()
        if getattr(args, key) != default
    ]


def _flat(values: list[list[Any]] | None) -> list[Any] | None:
    return None if values is None else [v for part in values for v in part]


def run(args: argparse.Namespace, robustness: list[str]) -> int:
    """Evaluates the lifetime tables of every finished run under `args.out`.

    Args:
        args: The parsed arguments of `larq-ber robustness`.
        robustness: The robustness options given (refused here).

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If robustness options are mixed in, `--storage-times` is
            missing, or a value is out of range (one line naming the option).
    """
    if robustness:
        raise CommandError(
            f"{', '.join(robustness)} cannot be mixed with the lifetime options "
            "(--storage-times, ...): run them as two commands"
        )
    if args.storage_times is None:
        raise CommandError(
            f"{', '.join(given(args))} apply only with --storage-times (the times "
            "since write of a lifetime evaluation)"
        )
    from larq_ber.study.sweeps.lifetime import evaluate_sweep_lifetime

    grid = {
        "storage_times": _flat(args.storage_times), "device": args.device,
        "temperatures": _flat(args.temperatures),
        "reads": _flat(args.reads) or [0],
        "delta_spread": _flat(args.delta_spread) or [0.0],
        "v_c0_spread": _flat(args.v_c0_spread) or [0.0],
        "write_voltage": args.write_voltage, "write_pulse": args.write_pulse,
        "read_polarity": args.read_polarity, "draws": args.draws,
    }  # fmt: skip
    try:
        runs, rows = evaluate_sweep_lifetime(
            args.out, weights=args.which, data_dir=args.data_dir,
            progress=not args.no_progress, **grid,
        )  # fmt: skip
    except ValueError as error:
        raise CommandError(_options(str(error))) from None
    print(f"{rows} new lifetime rows for {runs} run(s) under {args.out}")
    return 0


def _options(message: str) -> str:
    """An API message with the command's option names (`draws` -> --draws)."""
    for key in _DEFAULTS:
        message = message.replace(f"`{key}`", f"--{key.replace('_', '-')}")
    return message.replace("`temperatures`", "--temperatures").rstrip(".")
