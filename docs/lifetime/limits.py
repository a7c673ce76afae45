"""The longest storage time of trained runs, in one call each (`longest_storage_time`).

    python docs/lifetime/limits.py RUNS_FOLDER [--temperatures 25 85] [--draws 10]

For every finished run of a sweep folder (e.g. the training runs of the lifetime
study), loads its Top1Max weights and Fashion-MNIST test set as the robustness and
lifetime evaluations do, and prints `larq_ber.lifetime.longest_storage_time` within
1 point of the error-free accuracy, at each temperature (°C), with identical cells
and with a 10 % spread of Δ (the run's seed is the chip).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from larq_ber import mtj
from larq_ber.lifetime import longest_storage_time
from larq_ber.study.runspec import RunSpec
from larq_ber.study.sweeps.robustness import _test_data


def main() -> None:
    """Prints one limit per run, temperature and spread."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", help="a sweep folder")
    parser.add_argument("--temperatures", type=float, nargs="+", default=[25, 85])
    parser.add_argument("--draws", type=int, default=10)
    args = parser.parse_args()
    for run_dir in sorted(Path(args.runs, "runs").glob("*/result.json")):
        spec = RunSpec.load(run_dir.parent)
        model = spec.evaluation_model("best")
        data = _test_data(spec, None)
        for celsius in args.temperatures:
            for spread in (None, mtj.CellVariation(delta_spread=0.1)):
                limit = longest_storage_time(
                    model, data, tolerance=1.0, temperature=mtj.celsius(celsius),
                    variation=spread, chip=spec.seed or 0, draws=args.draws,
                    seed=spec.seed or 0,
                )  # fmt: skip
                label = "identical cells" if spread is None else "10 % spread of Δ"
                print(f"{spec.run_id}, {celsius:g} °C, {label}: {limit}", flush=True)


if __name__ == "__main__":
    main()
