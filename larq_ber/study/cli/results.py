"""`larq-ber results`: the tidy tables of a sweep as CSV files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from larq_ber.study.cli._common import add_command, existing_folder
from larq_ber.tables import COLUMNS

__all__ = ["EXAMPLES", "add_parser", "run"]

EXAMPLES = """\
examples:
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
        "write the tidy table of every epoch of every run",
        "Collect the per-epoch rows of every run of a sweep folder into one CSV "
        "file (columns: " + ", ".join(COLUMNS) + ").",
        EXAMPLES,
    )
    results.add_argument("out", metavar="DIR", help="the sweep's output folder")
    results.add_argument("--csv", required=True, help="the CSV file to write")
    results.add_argument(
        "--robustness-csv",
        help="where to write the robustness table, if the sweep has one "
        "(default: next to --csv, as <name>.robustness.csv)",
    )
    results.set_defaults(handler=run)
    return results


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber results`: writes the epoch table, and the robustness one if any.

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If the sweep folder does not exist.
    """
    from larq_ber.study.results import write_results, write_robustness

    existing_folder(args.out)
    count = write_results(args.out, args.csv)
    print(f"{count} rows written to {args.csv}")
    csv_path = Path(args.csv)
    target = args.robustness_csv or csv_path.with_name(
        f"{csv_path.stem}.robustness.csv"
    )
    rows = write_robustness(args.out, target)
    if rows:
        print(f"{rows} robustness rows written to {target}")
    return 0
