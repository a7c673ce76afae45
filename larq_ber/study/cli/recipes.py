"""`larq-ber recipes`: the bundled recipes, and whether each one runs offline."""

from __future__ import annotations

import argparse
from typing import Any

from larq_ber.study.cli._common import add_command, add_data_dir

__all__ = ["EXAMPLES", "add_parser", "run", "table"]

EXAMPLES = """\
examples:
  larq-ber recipes
  larq-ber recipes --data-dir /data/tfds   # offline: is the data prepared there?
"""

_HEADER = ("recipe", "model", "dataset", "BERs", "repeats", "epochs", "offline")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `recipes` verb.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    recipes = add_command(
        commands,
        "recipes",
        "list the bundled recipes (use them by name in sweep)",
        "List the recipes that ship with larq-ber, one per figure of the paper and "
        "a quick start: name, model, dataset, BER grid, repeats, epochs, and whether "
        "the data is available offline (no download needed: 'digits' and local "
        "files always are, a TFDS dataset once prepared in the data directory). Any "
        "of them runs by name: `larq-ber sweep NAME --out DIR`.",
        EXAMPLES,
    )
    add_data_dir(recipes)
    recipes.set_defaults(handler=run)
    return recipes


def _dataset(recipe: Any) -> str:
    if not recipe.subsets:
        return str(recipe.dataset)
    count = len(recipe.subsets)
    return f"{recipe.dataset} ({count} subset{'s' if count > 1 else ''})"


def table(data_dir: str | None = None) -> list[tuple[str, ...]]:
    """One row of text per bundled recipe, under a header row.

    Args:
        data_dir: TFDS data directory the availability is checked in
            (TFDS's default when `None`).

    Returns:
        Rows `(recipe, model, dataset, BERs, repeats, epochs, offline)`, the
        header first; BERs as fractions, offline `"yes"` or `"no"`.

    Example:
        >>> header, *rows = table()
        >>> next(row for row in rows if row[0] == "quickstart")
        ('quickstart', 'lenet4', 'digits', '0, 0.04, 0.16', '3', '6', 'yes')
    """
    from larq_ber.study.data import available_offline
    from larq_ber.study.recipes import load_recipe, names

    rows: list[tuple[str, ...]] = [_HEADER]
    for name in names():
        recipe = load_recipe(name)
        offline = all(available_offline(d, data_dir) for d in recipe.datasets())
        rows.append((
            name,
            recipe.model,
            _dataset(recipe),
            ", ".join(f"{ber:g}" for ber in recipe.bers),
            str(recipe.repeats),
            str(recipe.epochs),
            "yes" if offline else "no",
        ))  # fmt: skip
    return rows


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber recipes`: prints the table of the bundled recipes.

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.
    """
    rows = table(args.data_dir)
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    for row in rows:
        print(
            "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )
    print(
        "offline 'no': the data is downloaded on first use (TFDS; ImageNet by hand). "
        "Offline, use a recipe on 'digits', or override the dataset: "
        "--set dataset=digits."
    )
    return 0
