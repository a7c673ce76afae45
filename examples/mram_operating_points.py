"""MRAM operating points: write error rate, Figure 5, Table I, and the cheapest point.

Uses `larq_ber.mtj` (no TensorFlow): the write error rate of the paper's MTJ vs
voltage and pulse length, the write window (Figure 5), the operating points of
Table I, retention and endurance, and — from an accuracy-vs-BER curve read from a
sweep folder or given with `--curve` — the write operating point with the lowest
energy that keeps the accuracy within a tolerance. Without either it uses an
illustrative curve and says so. Figure 5 is written only when `--figure` names a
file.

    python examples/mram_operating_points.py [--sweep runs/quickstart | \
        --curve 0=0.97 0.04=0.968] [--tolerance 0.005] [--figure fig5.png]
"""

from __future__ import annotations

import argparse

import numpy as np

from larq_ber import mtj

#: An illustrative accuracy-vs-BER curve (the shape of `make demo`'s <Top1Max>),
#: used, and announced as such, when neither --sweep nor --curve is given.
ILLUSTRATIVE = {0.0: 0.9694, 0.04: 0.9684, 0.16: 0.9573}


def _point(text: str) -> tuple[float, float]:
    """Parses one `BER=ACCURACY` pair of `--curve`."""
    try:
        ber, accuracy = (float(v) for v in text.split("="))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected BER=ACCURACY, e.g. 0.04=0.968, got {text!r}"
        ) from None
    return ber, accuracy


def main() -> None:
    """Runs the example with the command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--sweep", help="sweep folder to take <Top1Max> from")
    source.add_argument(
        "--curve",
        nargs="+",
        type=_point,
        metavar="BER=ACC",
        help="accuracy (fraction) at each BER, e.g. 0=0.97 0.04=0.968",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.005,
        help="accuracy loss accepted, as a fraction (default: 0.005)",
    )
    parser.add_argument(
        "--figure",
        help="write Figure 5 (the write window) to this PNG/PDF/SVG file "
        "(default: not written)",
    )
    args = parser.parse_args()
    device = mtj.MTJ.paper()
    print(f"device: {device}")
    volts = np.array([0.4, 0.5, 0.6, 0.8, 1.0])
    pulses = np.array([5e-9, 10e-9, 20e-9])
    wer = mtj.write_error_rate(volts[:, None], pulses[None, :], device)
    print("WER     " + "".join(f"{t * 1e9:>10.0f} ns" for t in pulses))
    for v, row in zip(volts, wer, strict=True):
        # Below ~1e-9 the Legendre expansion does not resolve the WER.
        cells = [f"{w:13.3e}" if w >= 1e-9 else f"{'< 1e-09':>13s}" for w in row]
        print(f"{v:5.2f} V " + "".join(cells))
    print("\nTable I:\n" + mtj.operating_points(device).format())
    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        mtj.plot_write_window(device).savefig(args.figure, dpi=150)
        print(f"\nFigure 5 written to {args.figure}")
    else:
        print("\nFigure 5 not written (pass --figure fig5.png to write it)")
    day, decade = 86400.0, 10 * mtj.SECONDS_PER_YEAR
    print(
        f"retention failure: 1 day {float(mtj.retention_failure(day, device)):.2e}, "
        f"10 years {float(mtj.retention_failure(decade, device)):.2f}"
    )
    if args.sweep:
        from larq_ber.study.results import read_results
        from larq_ber.study.summary import top1max_table

        curve = {r["ber"]: r["mean"] for r in top1max_table(read_results(args.sweep))}
        origin = f"<Top1Max> of {args.sweep}"
    elif args.curve:
        curve, origin = dict(args.curve), "--curve"
    else:
        curve = ILLUSTRATIVE
        origin = "illustrative values; pass --sweep FOLDER or --curve for yours"
    shown = ", ".join(f"{ber:g}: {accuracy:.4f}" for ber, accuracy in curve.items())
    print(f"\naccuracy curve ({origin}): {shown}")
    point = mtj.cheapest_operating_point(curve, args.tolerance, device)
    print(
        f"\ncheapest point within {args.tolerance:g} of the error-free accuracy: "
        f"BER {point.ber:g} at {point.voltage:.3f} V, {point.pulse * 1e9:.2f} ns; "
        f"energy {point.energy:.2f} x the WER-1e-6 point "
        f"({point.reference_voltage:.3f} V, {point.reference_pulse * 1e9:.0f} ns); "
        f"endurance gain (model) {point.endurance_gain:.2e}"
    )


if __name__ == "__main__":
    main()
