"""The tables of bit-error experiments, one schema type for all. TF-free.

A `Table` is a CSV schema: its columns in order, which of them hold integers and
which floats, which must not be empty, and how rows sort. It appends rows crash-safely
(`larq_ber.storage`), parses and checks rows read back (a message naming the file and
the row for anything malformed), and writes merged tables. Three instances exist:

- `EPOCHS`: one row per epoch of a training run, the error-free test accuracy the
  paper measures (written by `larq_ber.callbacks.BerLogger`);
- `ROBUSTNESS`: one row per draw of errors at inference (written by robustness
  evaluations);
- `LIFETIME`: one row per draw of a network's errors on an MRAM chip after a
  storage time (written by lifetime evaluations, `larq_ber.lifetime`).

`summarize` aggregates rows into cells (mean and spread per group): it is the one
place where tables are aggregated, for figures and for operating-point choices alike.

Example:
    >>> rows = [{"ber": 0.0, "test_ber": 0.1, "weight_ber": 0.0, "run_id": "a",
    ...          "test_top1": v} for v in (0.8, 0.9)]
    >>> summarize(rows, by=("ber", "test_ber", "weight_ber"))[0]["mean"]
    0.85
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from larq_ber import storage

__all__ = [
    "COLUMNS",
    "EPOCHS",
    "LIFETIME",
    "ROBUSTNESS",
    "ROBUSTNESS_COLUMNS",
    "RunInfo",
    "Table",
    "summarize",
]


@dataclasses.dataclass(frozen=True)
class Table:
    """A CSV table's schema, with crash-safe writing and checked reading.

    Attributes:
        name: What the table holds, for messages (e.g. `"per-epoch"`).
        columns: The columns, in file order.
        ints: Columns holding integers.
        floats: Columns holding floats.
        fractions: Float columns that must lie in [0, 1] (rates, accuracies).
        required: Columns that must not be empty.
        sort_by: Columns whose values order the rows of `read`.

    Example:
        >>> EPOCHS.columns[:3]
        ('run_id', 'recipe', 'model')
    """

    name: str
    columns: tuple[str, ...]
    ints: frozenset[str]
    floats: frozenset[str]
    fractions: frozenset[str]
    required: tuple[str, ...]
    sort_by: tuple[str, ...]

    def append(self, path: str | os.PathLike[str], row: Mapping[str, Any]) -> None:
        """Appends one row, synced to disk; the header too if the file is new.

        Args:
            path: The CSV file.
            row: The row, keyed by `columns`.
        """
        self._check_text(row, os.fspath(path))
        storage.append_row(path, row, self.columns)

    def rewrite(
        self, path: str | os.PathLike[str], rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Replaces the file atomically with `rows`.

        Args:
            path: The CSV file.
            rows: The rows to keep, keyed by `columns`.
        """
        storage.rewrite_rows(path, rows, self.columns)

    def parse(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        """A row read from a file, numbers parsed and checked.

        Args:
            raw: The row as read (strings; empty for missing values).
            where: The file and row, for messages.

        Returns:
            The row with integers and floats parsed (`None` where empty).

        Raises:
            ValueError: If the row is truncated or has extra cells, a number does
                not parse, is not finite, is a negative integer or (for a fraction)
                lies outside [0, 1],
                or a required cell is empty; the message names `where`.
        """
        cells = [str(v) for v in raw.values()]
        if (
            list(raw) != list(self.columns)
            or None in raw.values()
            or "\0" in "".join(cells)
        ):
            raise ValueError(
                f"{where}: not a row of the {self.name} table (truncated, extra cells "
                "or binary garbage)."
            )
        self._check_text(raw, where)
        row: dict[str, Any] = dict(raw)
        for key in self.ints | self.floats:
            row[key] = self._number(key, row[key], where)
        missing = [key for key in self.required if row[key] in (None, "")]
        if missing:
            raise ValueError(f"{where}: the row has no {' or '.join(missing)}.")
        return row

    def _check_text(self, row: Mapping[str, Any], where: str) -> None:
        """Refuses text cells a spreadsheet would run as a formula."""
        for key in self.columns:
            if key in self.ints or key in self.floats:
                continue
            text = str(row.get(key, "") or "")
            if text[:1] in _FORMULA_STARTS:
                raise ValueError(
                    f"{where}: `{key}` {text!r} begins with {text[0]!r}, which a "
                    "spreadsheet runs as a formula; names in the tables may not."
                )

    def _number(self, key: str, text: Any, where: str) -> int | float | None:
        """One cell parsed as its column's type, checked."""
        if text == "":
            return None
        try:
            value = int(text) if key in self.ints else float(text)
        except ValueError:
            raise ValueError(f"{where}: `{key}` is not a number: {text!r}.") from None
        if not math.isfinite(value):
            raise ValueError(f"{where}: `{key}` must be finite, got {text!r}.")
        if key in self.ints and value < 0:
            raise ValueError(f"{where}: `{key}` must be an integer >= 0, got {text!r}.")
        if key in self.fractions and not 0 <= value <= 1:
            raise ValueError(f"{where}: `{key}` must be in [0, 1], got {text!r}.")
        return value

    def read(self, paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
        """Reads, checks and sorts the rows of several files of this table.

        Args:
            paths: CSV files (missing ones hold no rows).

        Returns:
            Every row, parsed (see `parse`), sorted by `sort_by`.

        Raises:
            ValueError: If a file is not a readable CSV table or holds a malformed
                row (the message names the file and the row).
        """
        rows = []
        for path in paths:
            try:
                raw_rows = storage.read_rows(path)
            except (UnicodeDecodeError, csv.Error) as error:
                raise ValueError(
                    f"{path}: not a readable CSV table ({error})."
                ) from None
            rows += [
                self.parse(raw, f"{path}, row {number}")
                for number, raw in enumerate(raw_rows, start=1)
            ]
        rows.sort(key=lambda r: tuple(_sortable(r[key]) for key in self.sort_by))
        return rows

    def write(
        self, path: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]]
    ) -> int:
        """Writes rows to one CSV file (`None` as empty cells).

        Args:
            path: The file to write; its folder must exist.
            rows: Rows keyed by `columns` (other keys are ignored).

        Returns:
            The number of rows written.

        Raises:
            FileNotFoundError: If the folder of `path` does not exist (named).
        """
        folder = Path(path).resolve().parent
        if not folder.is_dir():
            raise FileNotFoundError(f"the folder {str(folder)!r} does not exist.")
        count = 0
        with open(path, "w", newline="") as file:
            writer = csv.DictWriter(
                file, fieldnames=self.columns, extrasaction="ignore"
            )
            writer.writeheader()
            for row in rows:
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
                count += 1
        return count


#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
_FORMULA_STARTS = frozenset("=+-@\t\r")


def _sortable(value: Any) -> tuple[int, Any]:
    """A sort key that orders `None` first and never compares `None` with numbers."""
    return (0, 0) if value is None else (1, value)


_RUN = ("run_id", "recipe", "model", "dataset", "subset")

#: One row per epoch of a training run: the error-free test accuracy after it.
EPOCHS = Table(
    name="per-epoch",
    columns=(
        *_RUN,
        "ber",
        "ber_neg",
        "ber_pos",
        "seed",
        "epoch",
        "test_top1",
        "test_top5",
        "train_loss",
        "wall_s",
    ),
    ints=frozenset({"epoch", "seed"}),
    floats=frozenset(
        {"ber", "ber_neg", "ber_pos", "test_top1", "test_top5", "train_loss", "wall_s"}
    ),
    fractions=frozenset({"ber", "ber_neg", "ber_pos", "test_top1", "test_top5"}),
    required=("epoch", "test_top1"),
    sort_by=("subset", "ber", "seed", "run_id", "epoch"),
)

#: One row per draw of errors at inference: `ber` is the run's training BER,
#: `test_ber` the activation BER and `weight_ber` the weight BER at inference,
#: `weights` which weights were evaluated (`"best"`: Top1Max, or `"final"`).
ROBUSTNESS = Table(
    name="robustness",
    columns=(
        *_RUN,
        "ber",
        "seed",
        "weights",
        "test_ber",
        "weight_ber",
        "draw",
        "test_top1",
        "test_top5",
    ),
    ints=frozenset({"seed", "draw"}),
    floats=frozenset({"ber", "test_ber", "weight_ber", "test_top1", "test_top5"}),
    fractions=frozenset({"ber", "test_ber", "weight_ber", "test_top1", "test_top5"}),
    required=("seed", "draw", "test_top1"),
    sort_by=(
        "subset",
        "ber",
        "seed",
        "run_id",
        "weights",
        "test_ber",
        "weight_ber",
        "draw",
    ),
)

#: One row per draw of a network on one MRAM chip (the run's seed picks the chip's
#: cells): `device` is the MTJ preset, `temperature_k` the operating temperature
#: (K), `storage_time_s` the time since the weights were written (s), `reads` the
#: reads of each weight bit in that time, `delta_spread` / `v_c0_spread` the cells'
#: spread, `write_voltage` (V) / `write_pulse` (s) the activations' write point
#: (empty: error-free activations), `ber_neg` / `ber_pos` the mean activation write
#: error rates, `weight_ber` the mean weight error probability, `clean_top1` the
#: error-free accuracy of the same weights and `test_top1` the accuracy of the draw.
LIFETIME = Table(
    name="lifetime",
    columns=(*_RUN, "ber", "seed", "weights", "device", "delta_spread",
             "v_c0_spread", "write_voltage", "write_pulse", "read_polarity",
             "temperature_k", "storage_time_s", "reads", "draw", "ber_neg",
             "ber_pos", "weight_ber", "clean_top1", "test_top1"),
    ints=frozenset({"seed", "reads", "draw"}),
    floats=frozenset({"ber", "delta_spread", "v_c0_spread", "write_voltage",
                      "write_pulse", "temperature_k", "storage_time_s", "ber_neg",
                      "ber_pos", "weight_ber", "clean_top1", "test_top1"}),
    fractions=frozenset({"ber", "ber_neg", "ber_pos", "weight_ber", "clean_top1",
                         "test_top1"}),
    required=("seed", "weights", "device", "delta_spread", "v_c0_spread",
              "read_polarity", "temperature_k", "storage_time_s", "reads", "draw",
              "clean_top1", "test_top1"),
    sort_by=("subset", "ber", "seed", "run_id", "weights", "device", "delta_spread",
             "v_c0_spread", "write_voltage", "write_pulse", "read_polarity",
             "temperature_k", "storage_time_s", "reads", "draw"),
)  # fmt: skip

#: Columns of the per-epoch table, in order.
COLUMNS = EPOCHS.columns
#: Columns of the robustness table, in order.
ROBUSTNESS_COLUMNS = ROBUSTNESS.columns


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """What identifies one training run in the tables.

    Attributes:
        run_id: Unique name of the run.
        recipe: Name of the experiment recipe.
        model: Model name (`"lenet4"`, ...).
        dataset: Dataset name.
        subset: Class subset, if any (e.g. `"classes=10,subset_seed=3"`).
        ber: Symmetric bit error rate in [0, 1].
        ber_neg: Rate of −1 → +1 flips; defaults to `ber`.
        ber_pos: Rate of +1 → −1 flips; defaults to `ber`.
        seed: Random seed of the run.
    """

    run_id: str = ""
    recipe: str = ""
    model: str = ""
    dataset: str = ""
    subset: str = ""
    ber: float = 0.0
    ber_neg: float | None = None
    ber_pos: float | None = None
    seed: int | None = None


def summarize(
    rows: Iterable[Mapping[str, Any]],
    by: Sequence[str],
    value: str = "test_top1",
    *,
    within: str | None = None,
) -> list[dict[str, Any]]:
    """Mean and spread of `value` per group of rows with equal `by` columns.

    With `within` (e.g. `"run_id"`) the aggregation has two levels: the rows of a
    cell are first averaged per value of `within` (each run's mean over its
    draws), and the cell's statistics are over these means — the independent
    unit when draws of one run share its weights. A cell stored as identical rows
    (the error-free cell, one row per draw) then counts once per run.

    Args:
        rows: Records with the `by` columns, `value` and `run_id` (numbers may be
            strings, as read by `csv`).
        by: The columns that define a cell (e.g. `("ber", "test_ber",
            "weight_ber")`); their values must be numbers.
        value: The column to aggregate, a fraction in [0, 1].
        within: A column whose groups are averaged first (`None`: every row
            counts once).

    Returns:
        One record per cell, sorted by `by`: the `by` values, `runs` (distinct
        `run_id`s), `n` (rows, or groups of `within`), `mean` and `std` (the
        sample standard deviation, ddof = 1; 0 for n = 1), rounded to 12 digits.

    Raises:
        ValueError: If a row is not a mapping, lacks a column, or holds a value that
            is not a finite number (or, for `value`, not in [0, 1]); the message
            names the row's index.

    Example:
        >>> rows = [{"ber": 0.0, "run_id": r, "test_top1": v}
        ...         for r, v in (("a", 0.9), ("b", 0.7))]
        >>> summarize(rows, by=("ber",))
        [{'ber': 0.0, 'runs': 2, 'n': 2, 'mean': 0.8, 'std': 0.141421356237}]
        >>> rows.append({"ber": 0.0, "run_id": "a", "test_top1": 0.8})
        >>> summarize(rows, by=("ber",), within="run_id")[0]["mean"]  # (0.85 + 0.7)/2
        0.775
    """
    cells: dict[tuple[float, ...], list[tuple[str, str, float]]] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ValueError(
                f"row {index} must be a mapping (a table row), got {row!r}."
            )
        key = tuple(_cell_number(row, column, index) for column in by)
        number = _cell_number(row, value, index)
        if not 0 <= number <= 1:
            raise ValueError(
                f"row {index}: `{value}` must be in [0, 1], got {row[value]!r}."
            )
        if within is not None and within not in row:
            raise ValueError(f"row {index} lacks `{within}`; it has {sorted(row)}.")
        group = str(row[within]) if within is not None else str(index)
        cells.setdefault(key, []).append((str(row.get("run_id", "")), group, number))
    return [
        {**dict(zip(by, key, strict=True)), **_moments(entries)}
        for key, entries in sorted(cells.items())
    ]


def _moments(entries: list[tuple[str, str, float]]) -> dict[str, Any]:
    """`runs`, `n`, `mean`, `std` of one cell's (run_id, group, value) entries."""
    groups: dict[str, list[float]] = {}
    for _, group, number in entries:
        groups.setdefault(group, []).append(number)
    values = [math.fsum(g) / len(g) for g in groups.values()]
    mean = math.fsum(values) / len(values)
    spread = (
        math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))
        if len(values) > 1
        else 0.0
    )
    return {
        "runs": len({run for run, _, _ in entries}),
        "n": len(values),
        "mean": round(mean, 12),
        "std": round(spread, 12),
    }


def _cell_number(row: Mapping[str, Any], column: str, index: int) -> float:
    """One finite number of a row (strings from a CSV are parsed)."""
    if column not in row:
        raise ValueError(f"row {index} lacks `{column}`; it has {sorted(row)}.")
    raw = row[column]
    try:
        if isinstance(raw, bool):
            raise TypeError
        number = float(raw)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(
            f"row {index}: `{column}` must be a finite number, got {raw!r}."
        )
    return number
