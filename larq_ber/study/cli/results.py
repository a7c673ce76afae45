"""`larq-ber results`: ⟨Top1Max⟩ per BER on screen, the tidy tables as CSV files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from larq_ber.study.cli._common import add_command, existing_folder
from larq_ber.tables import COLUMNS

__all__ = ["EXAMPLES", "add_parser", "run"]

EXAMPLES = """\
examples:
  larq-ber results runs/quickstart                  # <Top1Max> per BER, 95 % interval
  larq-ber results runs/quickstart --csv quickstart.csv
  larq-ber results runs/robust --csv robust.csv   # + robust.robustness.csv
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `results` verb.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    results = add_command(
        commands,
        "results",
        "print <Top1Max> per BER; write the tidy tables as CSV",
        "Print <Top1Max> (each run's best error-free test accuracy) per class "
        "subset and BER: runs n, mean, std and the 95 % t-interval over the "
        "training runs, in accuracy points. With --csv, also collect the "
        "per-epoch rows of every run of a sweep folder into one CSV file "
        "(columns: " + ", ".join(COLUMNS) + ").",
        EXAMPLES,
    )
    results.add_argument("out", metavar="DIR", help="the sweep's output folder")
    results.add_argument("--csv", help="the CSV file of every epoch to write")
    results.add_argument(
        "--robustness-csv",
        help="where to write the robustness table, if the sweep has one "
        "(default with --csv: next to it, as <name>.robustness.csv)",
    )
    results.set_defaults(handler=run)
    return results


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber results`: the summary, the epoch table and robustness one.

    Prints ⟨Top1Max⟩ per (subset, BER) with its 95 % t-interval over the runs
    (`larq_ber.study.summary.summary_text`); with `--csv` writes the epoch table,
    and the robustness one if any (also with `--robustness-csv` alone).

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If the sweep folder does not exist.
    """
    from larq_ber.study.results import write_results, write_robustness
    from larq_ber.study.summary import summary_text

    existing_folder(args.out)
    text = summary_text(args.out)  # also checks that the folder has results
    target = args.robustness_csv
    if args.csv:
        count = write_results(args.out, args.csv)
        print(f"{count} rows written to {args.csv}")
        csv_path = Path(args.csv)
        target = target or csv_path.with_name(f"{csv_path.stem}.robustness.csv")
    if target:
        rows = write_robustness(args.out, target)
        if rows:
            print(f"{rows} robustness rows written to {target}")
    print(text)
    return 0
