"""MTJ module speed: Figure 5 and a 10^4-point write-error-rate grid.

Goal (issue): under 0.5 s each on this CPU. Prints the median of `--repeats`
timings (fresh caches each time, so the one-off Legendre operator set-up counts):

* Figure 5: `plot_write_window` data, 3 WER targets x 200 pulse lengths
  (`voltage_for_wer` on a 64-voltage grid, one Legendre eigensystem per voltage);
* grid: `write_error_rate` on 100 voltages (0.35-1.2 V) x 100 pulses (1-100 ns);
* for comparison, the closed-form approximation on the same grid.

    python benchmarks/mtj_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from larq_ber import mtj
from larq_ber.mtj import fpe, inverse


def _time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        # every timing includes the operator set-up
        fpe._operator_parts.cache_clear()
        fpe._initial_and_hemisphere.cache_clear()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    device = mtj.MTJ.paper()
    pulses = np.geomspace(0.5, 100, 200) * device.tau_d
    targets = np.array([1e-1, 1e-2, 1e-6])[:, None]
    volts = np.linspace(0.35, 1.2, 100)[:, None]
    grid_pulses = np.geomspace(1e-9, 100e-9, 100)[None, :]
    rows = [
        (
            "Figure 5 (3 x 200)",
            lambda: inverse._voltage_for_wer(targets, pulses, device),
        ),
        ("WER grid 100 x 100", lambda: mtj.write_error_rate(volts, grid_pulses)),
        (
            "same grid, approx",
            lambda: mtj.write_error_rate(volts, grid_pulses, model="approx"),
        ),
    ]
    print(f"Legendre order {mtj.default_order(device.delta)}; goal < 0.5 s")
    for name, function in rows:
        seconds = _time(function, args.repeats)
        print(f"{name:20s} {seconds:7.3f} s  ({seconds / 0.5:.2f} x goal)")


if __name__ == "__main__":
    main()
