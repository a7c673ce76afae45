"""Summarises a lifetime table as the Markdown tables of the lifetime study.

    python docs/lifetime/summarize.py docs/lifetime/fashion_mnist_lifetime.csv

Prints (1) the mean top-1 accuracy (%) per training BER, temperature and cell spread
at a few times since the write, with the 95 % t-interval over the error draws;
(2) per training BER, the weight bit error rate the network tolerates within 1 point
of its error-free accuracy (decided on the interval's lower bound; every point of
the table with identical cells, whatever its temperature and time, is a weight BER
and an accuracy); (3) the thermal stability Δ (at 300 K) a chip needs to keep the
weights at that error rate for a year at 85 °C and for ten years at 25 °C, with
identical cells and with a 10 % spread of Δ (`larq_ber.mtj.delta_for_storage`).
"""

from __future__ import annotations

import argparse
import collections
import csv
import statistics

from larq_ber import mtj
from larq_ber.stats import mean_interval

#: The times since write shown in the first table (s) and their names.
TIMES = {1e3: "17 min", 1e5: "1.2 days", 1e7: "116 days", 1e8: "3.2 years"}


def _points(rows: list[dict[str, str]]) -> dict[tuple, dict]:
    """(ber, K, spread, s) -> the point's draws, weight BER and clean accuracy."""
    points: dict[tuple, dict] = collections.defaultdict(
        lambda: {"top1": [], "weight_ber": 0.0, "clean": 0.0}
    )
    for row in rows:
        key = (float(row["ber"]), float(row["temperature_k"]),
               float(row["delta_spread"]), float(row["storage_time_s"]))  # fmt: skip
        point = points[key]
        point["top1"].append(100 * float(row["test_top1"]))
        point["weight_ber"] = float(row["weight_ber"])
        point["clean"] = 100 * float(row["clean_top1"])
    return points


def _accuracy_table(points: dict[tuple, dict]) -> None:
    """Table (1): accuracy at a few times, 95 % t-interval over the draws."""
    print("| trained at | T | Δ spread | error-free | "
          + " | ".join(TIMES.values()) + " |")  # fmt: skip
    print("|---" * (4 + len(TIMES)) + "|")
    cells = sorted({key[:3] for key in points})
    for ber, kelvin, spread in cells:
        clean = points[(ber, kelvin, spread, min(TIMES))]["clean"]
        values = []
        for time in TIMES:
            interval = mean_interval(points[(ber, kelvin, spread, time)]["top1"])
            values.append(f"{interval.mean:.2f} ± {interval.half_width:.2f}")
        print(f"| {ber:.0%} | {kelvin - 273.15:.0f} °C | {spread:.0%} | {clean:.2f} | "
              + " | ".join(values) + " |")  # fmt: skip


def _tolerated(points: dict[tuple, dict], ber: float) -> tuple[float, float]:
    """(largest weight BER within 1 point, smallest beyond) of identical cells."""
    within, beyond = [], []
    for (trained, _, spread, _), point in points.items():
        if trained != ber or spread != 0:
            continue
        interval = mean_interval(point["top1"])
        ok = interval.low >= point["clean"] - 1.0
        (within if ok else beyond).append(point["weight_ber"])
    return max(within), min(beyond)


def main() -> None:
    """Prints the three tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "table", help="a lifetime CSV (larq-ber results --lifetime-csv)"
    )
    args = parser.parse_args()
    with open(args.table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    points = _points(rows)
    draws = statistics.mode(len(p["top1"]) for p in points.values())
    print(f"{len(rows)} rows, {len(points)} points, {draws} draws each\n")
    _accuracy_table(points)
    print("\n| trained at | weight BER within 1 point | first beyond | "
          "Δ for 1 year at 85 °C (identical / 10 % spread) | "
          "Δ for 10 years at 25 °C (identical / 10 % spread) |")  # fmt: skip
    print("|---|---|---|---|---|")
    spread = mtj.CellVariation(delta_spread=0.1)
    for ber in sorted({key[0] for key in points}):
        tolerated, beyond = _tolerated(points, ber)
        needs = []
        for time, celsius in (
            (mtj.SECONDS_PER_YEAR, 85),
            (10 * mtj.SECONDS_PER_YEAR, 25),
        ):
            kelvin = mtj.celsius(celsius)
            plain = mtj.delta_for_storage(tolerated, time, temperature=kelvin)
            varied = mtj.delta_for_storage(tolerated, time, temperature=kelvin,
                                           variation=spread, cells=10**6)  # fmt: skip
            needs.append(f"{plain:.1f} / {varied:.1f}")
        print(f"| {ber:.0%} | {tolerated:.2e} | {beyond:.2e} | " + " | ".join(needs)
              + " |")  # fmt: skip


if __name__ == "__main__":
    main()
