"""Summarises a robustness table as the Markdown tables of the README.

    python docs/robustness/summarize.py \
        docs/robustness/fashion_mnist_robustness.csv

Prints (1) the mean top-1 accuracy (%) per training BER, test BER and weight BER,
± the standard deviation over runs of each run's mean over its draws; (2) what
training with errors buys: the difference to the network trained at BER 0, with its
standard error from the runs (the independent unit: draws of one run share its
weights); (3) the cheapest operating point within a 1-point tolerance of the
error-free baseline (`larq_ber.mtj.cheapest_operating_point`).
"""

from __future__ import annotations

import argparse
import collections
import csv
import math
import statistics

from larq_ber import mtj


def _per_run(rows: list[dict[str, str]]) -> dict[tuple[float, float, float], list]:
    """(train BER, test BER, weight BER) -> per-run mean top-1 over its draws."""
    draws: dict[tuple, list[float]] = collections.defaultdict(list)
    for row in rows:
        key = (float(row["ber"]), float(row["test_ber"]), float(row["weight_ber"]))
        draws[(*key, row["run_id"])].append(float(row["test_top1"]))
    cells: dict[tuple[float, float, float], list[float]] = collections.defaultdict(list)
    for (*key, _), values in sorted(draws.items()):
        cells[tuple(key)].append(statistics.fmean(values))
    return cells


def _sd(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _var(values: list[float]) -> float:
    return statistics.variance(values) if len(values) > 1 else 0.0


def main() -> None:
    """Prints the tables for the file named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("table", help="a robustness CSV (larq-ber results)")
    parser.add_argument("--tolerance", type=float, default=0.01)
    args = parser.parse_args()
    with open(args.table, newline="") as file:
        rows = list(csv.DictReader(file))
    cells = _per_run(rows)
    trains = sorted({k[0] for k in cells})
    tests = sorted({k[1] for k in cells})
    weights = sorted({k[2] for k in cells})
    runs = len({r["run_id"] for r in rows})
    draws = len({r["draw"] for r in rows})
    print(f"{runs} runs, {draws} draws per pair, {len(rows)} rows\n")
    header = "| weight BER | trained at | " + " | ".join(
        f"test {100 * t:g} %" for t in tests
    )
    rule = "|---|---|" + "---|" * len(tests)
    print(header + " |\n" + rule)
    for w in weights:
        for b in trains:
            values = [cells[(b, t, w)] for t in tests]
            text = " | ".join(
                f"{100 * statistics.fmean(v):.2f} ± {100 * _sd(v):.2f}" for v in values
            )
            print(f"| {w:g} | {100 * b:g} % | {text} |")
    print("\nGain over training at BER 0 (points, ± standard error over runs):\n")
    print(header + " |\n" + rule)
    for w in weights:
        for b in trains[1:]:
            parts = []
            for t in tests:
                mine, base = cells[(b, t, w)], cells[(trains[0], t, w)]
                gain = statistics.fmean(mine) - statistics.fmean(base)
                error = math.sqrt(_var(mine) / len(mine) + _var(base) / len(base))
                parts.append(f"{100 * gain:+.2f} ± {100 * error:.2f}")
            print(f"| {w:g} | {100 * b:g} % | " + " | ".join(parts) + " |")
    point = mtj.cheapest_operating_point(rows, args.tolerance)
    print(
        f"\nCheapest operating point within {100 * args.tolerance:g} points of "
        f"{100 * point.baseline_accuracy:.2f} %: test BER {100 * point.ber:g} % "
        f"(network trained at {100 * (point.train_ber or 0):g} %), "
        f"{point.voltage:.3f} V, {point.pulse * 1e9:.2f} ns, "
        f"{point.energy:.2f} x the energy of the WER-1e-6 point; weight BER "
        f"{point.weight_ber:g} tolerated, storage up to "
        f"{point.storage_time / 3600:.1f} h; deployed accuracy "
        f"{100 * point.accuracy:.2f} %"
    )
    sure = mtj.cheapest_operating_point(rows, args.tolerance, confidence=0.95)
    print(
        f"Decided on 95 % lower bounds: test BER {100 * sure.ber:g} % (bound "
        f"{100 * (sure.accuracy_low or 0):.2f} %, network trained at "
        f"{100 * (sure.train_ber or 0):g} %, weight BER {sure.weight_ber:g})"
        + (f"; {sure.undecided}" if sure.undecided else "")
    )


if __name__ == "__main__":
    main()
