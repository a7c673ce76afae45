"""`larq-ber sweep`: run or resume the BER x repeat grid of a recipe."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from larq_ber.study.cli._common import (
    add_command,
    add_data_dir,
    add_no_progress,
    output_folder,
)

__all__ = ["EXAMPLES", "add_parser", "run"]

EXAMPLES = """\
examples:
  larq-ber sweep quickstart --out runs/quickstart     # a bundled recipe, by name
  larq-ber sweep fig1_lenet4_mnist --out runs/fig1 --set epochs=20 \\
      --set "bers=[0, 0.04]"
  larq-ber sweep my_recipe.toml --out runs/mine       # or a recipe file
  # resume after a crash or Ctrl-C: run the same command again

  # one sweep on many machines (same --out on a shared disk):
  KERASTUNER_TUNER_ID=chief KERASTUNER_ORACLE_IP=10.0.0.1 \\
      KERASTUNER_ORACLE_PORT=8000 larq-ber sweep RECIPE --out /shared/sweep
  KERASTUNER_TUNER_ID=worker0 KERASTUNER_ORACLE_IP=10.0.0.1 \\
      KERASTUNER_ORACLE_PORT=8000 larq-ber sweep RECIPE --out /shared/sweep
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `sweep` verb.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    sweep = add_command(
        commands,
        "sweep",
        "run or resume the BER x repeat grid of a recipe",
        "Train one run per grid point (BER x repeat x subset) of a recipe on "
        "keras-tuner. RECIPE is a bundled recipe's name (`larq-ber recipes` lists "
        "them) or a TOML file. Running the same command again resumes; with "
        "keras-tuner's "
        "KERASTUNER_TUNER_ID / KERASTUNER_ORACLE_IP / KERASTUNER_ORACLE_PORT "
        "variables many processes share one sweep (TUNER_ID=chief serves the grid).",
        EXAMPLES,
    )
    sweep.add_argument(
        "recipe",
        metavar="RECIPE",
        help="a bundled recipe's name (e.g. quickstart; see `larq-ber recipes`) "
        "or a recipe file (.toml)",
    )
    sweep.add_argument(
        "--out", required=True, type=output_folder, help="output folder of the sweep"
    )
    sweep.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recipe value (TOML syntax), repeatable",
    )
    add_data_dir(sweep)
    sweep.add_argument(
        "--tensorboard", action="store_true", help="write TensorBoard logs per run"
    )
    add_no_progress(sweep, "run")
    sweep.set_defaults(handler=run)
    return sweep


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber sweep`: checks the recipe, runs the sweep, prints a summary.

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status: 0, or 1 if runs failed (each is named on standard error).
    """
    from larq_ber.study.data import check_obtainable
    from larq_ber.study.recipes import load_recipe, parse_overrides

    # The recipe and its data are checked before TensorFlow is imported: a typo,
    # or a dataset that cannot be downloaded here (offline), fails at once.
    recipe = load_recipe(args.recipe, parse_overrides(args.overrides))
    for dataset in dict.fromkeys(recipe.datasets()):
        check_obtainable(dataset, args.data_dir)
    from larq_ber.study.sweeps import run_sweep

    summary = run_sweep(
        recipe,
        args.out,
        data_dir=args.data_dir,
        tensorboard=args.tensorboard,
        progress=not args.no_progress,
    )
    done = summary.finished - len(summary.failed)
    print(
        f"{done} of {summary.total} runs finished in {summary.out} "
        f"(this process: {summary.role})."
    )
    _print_top1max(summary.out)
    if not summary.failed:
        return 0
    for run_id, reason in zip(summary.failed, summary.reasons, strict=True):
        print(f"run {run_id} failed: {reason}", file=sys.stderr)
    print(
        f"{len(summary.failed)} run(s) failed; runs that failed for a reason a "
        "retry removes are retried when the same command runs again.",
        file=sys.stderr,
    )
    return 1


def _print_top1max(out: Any) -> None:
    """Prints ⟨Top1Max⟩ per BER with its interval, of the runs finished so far."""
    from larq_ber.study.summary import summary_text

    try:
        print("\n" + summary_text(out))
    except FileNotFoundError:  # no run finished an epoch: nothing to summarise
        pass
