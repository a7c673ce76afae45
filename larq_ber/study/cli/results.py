"""`larq-ber results`: the summaries with their intervals on screen, tables as CSV."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from larq_ber.study.cli._common import add_command, existing_folder
from larq_ber.tables import COLUMNS

#: Columns of the robustness summary (`larq_ber.study.summary.ROBUSTNESS_SUMMARY`).
ROBUSTNESS_SUMMARY_COLUMNS = (
    "subset", "weights", "ber", "test_ber", "weight_ber", "runs", "n", "mean",
    "std", "ci_low", "ci_high", "half_width", "over", "at_cap",
)  # fmt: skip

__all__ = ["EXAMPLES", "add_parser", "run"]

EXAMPLES = """\
examples:
  larq-ber results runs/quickstart                  # <Top1Max> per BER, 95 % interval
  larq-ber results runs/quickstart --csv quickstart.csv
  larq-ber results runs/robust --csv robust.csv   # + robust.robustness.csv
                                                  # + robust.robustness-summary.csv
  larq-ber results runs/robust --robustness-summary-csv cells.csv
  larq-ber results runs/life --lifetime-csv life.csv  # + the lifetime summary
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
        "training runs, in accuracy points; if the sweep has robustness rows, "
        "also the accuracy under errors at deployment per (training BER, test "
        "BER, weight BER): runs, real draws n, mean and the 95 % t-interval (over "
        "the runs' means when there are several runs, else over the draws); if it "
        "has lifetime rows, per (training BER, temperature, cell spread, reads) the "
        "longest time since write whose 95 % interval's lower bound stays within 1 "
        "point of the error-free accuracy, with n and the intervals. With "
        "--csv, also collect the per-epoch rows of every run of a sweep folder "
        "into one CSV file (columns: " + ", ".join(COLUMNS) + ").",
        EXAMPLES,
    )
    results.add_argument("out", metavar="DIR", help="the sweep's output folder")
    results.add_argument("--csv", help="the CSV file of every epoch to write")
    results.add_argument(
        "--robustness-csv",
        help="where to write the robustness table, if the sweep has one "
        "(default with --csv: next to it, as <name>.robustness.csv)",
    )
    results.add_argument(
        "--robustness-summary-csv",
        help="where to write the robustness summary, one row per cell (columns: "
        + ", ".join(ROBUSTNESS_SUMMARY_COLUMNS)
        + "; default with --csv: next to it, as <name>.robustness-summary.csv)",
    )
    results.add_argument(
        "--lifetime-csv",
        help="where to write the lifetime table, if the sweep has one (default "
        "with --csv: next to it, as <name>.lifetime.csv)",
    )
    results.set_defaults(handler=run)
    return results


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber results`: the summaries, the epoch and robustness tables.

    Prints ⟨Top1Max⟩ per (subset, BER) with its 95 % t-interval over the runs
    (`larq_ber.study.summary.summary_text`) and, if the sweep has robustness
    rows, their summary per cell (`larq_ber.study.summary.robustness_text`);
    with `--csv` writes the epoch table, and the robustness table and its
    summary if any (also with `--robustness-csv` / `--robustness-summary-csv`
    alone).

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If the sweep folder does not exist.
    """
    from larq_ber.study.lifetime_summary import lifetime_text
    from larq_ber.study.results import write_results, write_robustness
    from larq_ber.study.summary import robustness_text, summary_text

    existing_folder(args.out)
    text = summary_text(args.out)  # also checks that the folder has results
    robust = robustness_text(args.out)
    life = lifetime_text(args.out)
    target, cells = args.robustness_csv, args.robustness_summary_csv
    lifetime_csv = args.lifetime_csv
    if args.csv:
        count = write_results(args.out, args.csv)
        print(f"{count} rows written to {args.csv}")
        csv_path = Path(args.csv)
        target = target or csv_path.with_name(f"{csv_path.stem}.robustness.csv")
        cells = cells or csv_path.with_name(f"{csv_path.stem}.robustness-summary.csv")
        lifetime_csv = lifetime_csv or csv_path.with_name(
            f"{csv_path.stem}.lifetime.csv"
        )
    if target:
        rows = write_robustness(args.out, target)
        if rows:
            print(f"{rows} robustness rows written to {target}")
    if cells and robust:
        count = _write_summary(args.out, cells)
        print(f"{count} robustness cells written to {cells}")
    if lifetime_csv and life:
        count = _write_lifetime(args.out, lifetime_csv)
        print(f"{count} lifetime rows written to {lifetime_csv}")
    print(text)
    for extra in (robust, life):
        if extra:
            print()
            print(extra)
    return 0


def _write_lifetime(out: str, path: str | Path) -> int:
    """Writes every lifetime row of a sweep to `path`; the number of rows."""
    from larq_ber.study.results import read_lifetime
    from larq_ber.tables import LIFETIME

    return LIFETIME.write(path, read_lifetime(out))


def _write_summary(out: str, path: str | Path) -> int:
    """Writes the robustness summary of a sweep to `path`; the number of cells."""
    import math

    from larq_ber.study.results import read_robustness
    from larq_ber.study.summary import ROBUSTNESS_SUMMARY, robustness_table, sweep_rule

    table = robustness_table(read_robustness(out), rule=sweep_rule(out))
    return ROBUSTNESS_SUMMARY.write(
        path,
        (
            {k: None if isinstance(v, float) and math.isnan(v) else v
             for k, v in record.items()}
            for record in table
        ),
    )  # fmt: skip
