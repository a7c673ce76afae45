"""Reproduce the paper's Figure 1: LeNet-4 across bit error rates, with the sweeps.

Quick setting (default): a small grid (BER 0, 4 %, 16 %), 2 repeats, 3 epochs, on
MNIST if TFDS has it on this machine and on the offline `digits` data otherwise —
a few minutes on 2 CPU cores. `--full`: the paper's setting,
the bundled recipe `fig1_lenet4_mnist` (BER 0-16 %, 10 repeats, 60 epochs, MNIST
downloaded by TFDS) — hours on a GPU. Either way the sweep resumes when run again
with the same `--out`, and the two figures (accuracy vs epoch, <Top1Max> vs BER)
are written next to it.

    python examples/reproduce_figure_1.py [--out runs/figure1] [--full]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from larq_ber.study.data import is_available
from larq_ber.study.plots import save_figure, top1max_table
from larq_ber.study.recipes import load_recipe
from larq_ber.study.results import read_results
from larq_ber.study.sweeps import run_sweep

ROOT = Path(__file__).resolve().parent.parent
QUICK = {"bers": [0.0, 0.04, 0.16], "repeats": 2, "epochs": 3, "batch_size": 64,
         "optimizer": "adam", "learning_rate": 0.003, "weight_decay": 0.0,
         "decay_epochs": []}  # fmt: skip


def main() -> None:
    """Runs the example with the command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="runs/figure1", help="sweep folder (default: runs/figure1)"
    )
    parser.add_argument("--full", action="store_true", help="the paper's setting")
    args = parser.parse_args()
    recipe_file = "fig1_lenet4_mnist"  # bundled with the package
    if args.full:
        overrides = {}
    else:
        dataset = "mnist" if is_available("mnist") else "digits"
        overrides = {**QUICK, "dataset": dataset}
    recipe = load_recipe(recipe_file, overrides)
    print(
        f"{'full' if args.full else 'quick'} setting: {recipe.model} on "
        f"{recipe.dataset}, BER {list(recipe.bers)}, {recipe.repeats} repeats, "
        f"{recipe.epochs} epochs"
    )
    summary = run_sweep(recipe, args.out)
    print(f"{summary.finished} of {summary.total} runs finished")
    out = Path(args.out)
    for kind, name in (("epochs", "figure1_accuracy_vs_epoch.png"),
                       ("top1max", "figure1_top1max_vs_ber.png")):  # fmt: skip
        print("figure written to", save_figure(out, out / name, kind=kind))
    for row in top1max_table(read_results(out)):
        print(
            f"BER {100 * row['ber']:5.1f} %: <Top1Max> = {100 * row['mean']:.2f} "
            f"± {100 * row['std']:.2f} % over {row['runs']} runs"
        )


if __name__ == "__main__":
    main()
