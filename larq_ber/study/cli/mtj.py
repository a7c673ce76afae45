"""`larq-ber mtj`: MRAM write errors of an MTJ (Table I, Figure 5, WER).

One sub-verb per computation (`table`, `figure`, `wer`), each with the options
it uses, so that argparse requires what each needs (`figure --figure`,
`wer --voltage --pulse`).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from larq_ber.study.cli._common import (
    CommandError,
    add_command,
    checked,
    positive_float,
)

__all__ = ["EXAMPLES", "add_parser", "run"]

_LINES = {
    "table": [
        "larq-ber mtj table                           # the paper's Table I",
        "larq-ber mtj table --pulse 20e-9 --scale 0.9",
    ],
    "figure": ["larq-ber mtj figure --figure fig5.png        # the paper's Figure 5"],
    "wer": [
        "larq-ber mtj wer --voltage 0.6 --pulse 10e-9",
        "larq-ber mtj wer --voltage 0.5 0.6 0.7 --pulse 10e-9 --delta 60",
    ],
}


def _examples(*whats: str) -> str:
    lines = [line for what in whats for line in _LINES[what]]
    return "examples:\n" + "".join(f"  {line}\n" for line in lines)


EXAMPLES = _examples("table", "figure", "wer")

_DESCRIPTION = (
    "The magnetic tunnel junction model of larq_ber.mtj (Fokker-Planck write "
    "error rate, Tzoufras 2018) for the paper's device (delta 40, tau_D 2 ns, "
    "V_c0 0.3 V, V_bd 1.2 V) or one given by the options."
)

_FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `mtj` verb and its sub-verbs `table`, `figure` and `wer`.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    mtj = commands.add_parser(
        "mtj",
        help="MRAM write errors of an MTJ: Table I, Figure 5, WER",
        description=_DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    whats = mtj.add_subparsers(
        dest="what", required=True, metavar="WHAT", help="table, figure or wer"
    )
    table = _add_what(whats, "table", "the paper's Table I: operating points")
    table.add_argument(
        "--pulse",
        type=positive_float,
        help="reference pulse length in s (default: 5 tau_D)",
    )
    table.add_argument(
        "--scale",
        type=checked(float, lambda v: 0 < v <= 1, "expected a number in (0, 1]"),
        default=0.8,
        help="fixed voltage as a fraction of the strict one (default: 0.8)",
    )
    figure = _add_what(whats, "figure", "the paper's Figure 5: the write window")
    figure.add_argument(
        "--figure", required=True, help="the figure file to write (.png, .pdf, .svg)"
    )
    wer = _add_what(whats, "wer", "the write error rate at voltages x pulses")
    wer.add_argument(
        "--voltage", type=positive_float, nargs="+", required=True,
        help="write voltage(s) in V",
    )  # fmt: skip
    wer.add_argument(
        "--pulse", type=positive_float, nargs="+", required=True,
        help="pulse length(s) in s",
    )  # fmt: skip
    wer.add_argument(
        "--model",
        choices=("fpe", "finite_volume", "approx"),
        default="fpe",
        help="the Fokker-Planck solution (fpe), its finite-volume cross-check, "
        "or the closed-form approximation (approx) (default: fpe)",
    )
    return mtj


def _add_what(whats: Any, what: str, help: str) -> argparse.ArgumentParser:
    """Adds the sub-verb `what` with the common and the device options."""
    parser = add_command(whats, what, help, _DESCRIPTION, _examples(what))
    for name, unit in (("delta", ""), ("tau-d", " (s)"), ("v-c0", " (V)"),
                       ("v-bd", " (V)")):  # fmt: skip
        parser.add_argument(
            f"--{name}",
            type=positive_float,
            help=f"device {name}{unit} (default: the paper's device)",
        )
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber mtj table|figure|wer` and prints the result.

    Args:
        args: The parsed arguments of the sub-verb.

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If the figure file has another extension.
        ValueError: If a voltage is above the device's breakdown voltage (the
            model's one-line message, printed by `main`).
    """
    device = _device(args)
    if args.what == "table":
        from larq_ber.mtj import operating_points

        print(operating_points(device, pulse=args.pulse, voltage_scale=args.scale))
    elif args.what == "figure":
        _save_figure(device, args.figure)
    else:
        _print_wer(device, args.voltage, args.pulse, args.model)
    return 0


def _device(args: argparse.Namespace) -> Any:
    """The paper's MTJ with the device options that were given."""
    import dataclasses

    from larq_ber.mtj import MTJ

    given = {
        "delta": args.delta,
        "tau_d": args.tau_d,
        "v_c0": args.v_c0,
        "v_bd": args.v_bd,
    }
    return dataclasses.replace(
        MTJ.paper(), **{k: v for k, v in given.items() if v is not None}
    )


def _save_figure(device: Any, path: str) -> None:
    if os.path.splitext(path)[1].lower() not in _FIGURE_SUFFIXES:
        raise CommandError(f"`--figure` must end in .png, .pdf or .svg: {path!r}")
    import matplotlib

    matplotlib.use("Agg")
    from larq_ber.mtj import plot_write_window

    plot_write_window(device).savefig(path, dpi=150)
    print(f"figure written to {path}")


def _print_wer(
    device: Any, voltages: list[float], pulses: list[float], model: str
) -> None:
    """Prints the WER table; values the solution does not resolve as a bound.

    The model refuses voltages above the breakdown voltage (and pulses beyond
    its range) with a one-line `ValueError`, which `main` prints.
    """
    import numpy as np

    from larq_ber.mtj import write_error_rate
    from larq_ber.mtj.inverse import RESOLVED_WER

    wer = write_error_rate(
        np.asarray(voltages)[:, None], np.asarray(pulses)[None, :], device, model=model
    )
    print(f"{'V (V)':>8s} {'t (s)':>10s} {'WER':>11s}")
    bound = f"< {RESOLVED_WER:.0e}"
    for (i, j), value in np.ndenumerate(wer):
        text = f"{value:11.4e}" if value >= RESOLVED_WER else f"{bound:>11s}"
        print(f"{voltages[i]:8.4f} {pulses[j]:10.3e} {text}")
