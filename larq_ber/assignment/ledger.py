r"""The ledger of a per-layer search: every accuracy measured, kept in a CSV file.

Each row is one error draw of one assignment: the assignment's key (its per-layer
rates), the seed, the draw number and the accuracy (points). A search that is
killed and started again with the same ledger reads back what it measured and
re-evaluates nothing; since draw $k$ is seeded from `(seed, k)` alone, the resumed
search takes the same path and gives the same table. Evaluations do not depend on
the tolerance, so searches at several tolerances share one ledger. One ledger
holds one model on one test set: the error-free accuracy is kept under the key
`clean`, and one that differs by more than 0.02 points (two images in 10,000: a
machine's BLAS may move an image across a decision boundary) is refused. TF-free.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from larq_ber.storage import append_row, read_rows

__all__ = ["CLEAN", "COLUMNS", "Ledger", "assignment_key"]

#: The columns of the ledger's CSV file.
COLUMNS = ("key", "seed", "draw", "accuracy")

#: The key of the error-free accuracy.
CLEAN = "clean"


def assignment_key(layers: Sequence[str], bers: Sequence[float]) -> str:
    """The ledger key of an assignment: `layer=rate` pairs joined by `;`.

    Args:
        layers: The layer paths, in model order.
        bers: The rate of each layer.

    Returns:
        The key, exact to the last bit of each rate (`repr`).

    Example:
        >>> assignment_key(["conv", "dense"], [0.16, 0.04])
        'conv=0.16;dense=0.04'
    """
    return ";".join(
        f"{layer}={float(ber)!r}" for layer, ber in zip(layers, bers, strict=True)
    )


class Ledger:
    """The accuracies measured so far, in memory and (given a path) on disk.

    Args:
        path: The CSV file (created on the first row; read back if it exists),
            or `None` for a search that keeps nothing.

    Raises:
        ValueError: If the file exists but is not a ledger (its header is not
            `COLUMNS`, or a row is malformed; the message names the row).

    Example:
        >>> ledger = Ledger(None)
        >>> ledger.put("conv=0.16", 0, 3, 91.5)
        >>> ledger.get("conv=0.16", 0, 3), ledger.get("conv=0.16", 0, 4)
        (91.5, None)
    """

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = None if path is None else Path(path)
        self._values: dict[tuple[str, int, int], float] = {}
        if self.path is not None:
            self._read(self.path)

    def _read(self, path: Path) -> None:
        rows = read_rows(path)
        if rows and tuple(rows[0]) != COLUMNS:
            raise ValueError(
                f"`ledger` {str(path)!r} is not a ledger of a per-layer search: its "
                f"columns are {list(rows[0])}, expected {list(COLUMNS)}."
            )
        for number, row in enumerate(rows, start=2):
            try:
                key = (row["key"], int(row["seed"]), int(row["draw"]))
                value = float(row["accuracy"])
            except (TypeError, ValueError):
                raise ValueError(
                    f"`ledger` {str(path)!r}: line {number} is malformed ({row!r})."
                ) from None
            if not math.isfinite(value):
                raise ValueError(
                    f"`ledger` {str(path)!r}: line {number} holds accuracy {value!r}."
                )
            self._values[key] = value

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: str, seed: int, draw: int) -> float | None:
        """The accuracy of draw `draw` of `key` under `seed` (`None`: unmeasured)."""
        return self._values.get((key, seed, draw))

    def put(self, key: str, seed: int, draw: int, accuracy: float) -> None:
        """Records one measured accuracy (points), on disk before it returns."""
        self._values[(key, seed, draw)] = float(accuracy)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            value = repr(float(accuracy))
            row = {"key": key, "seed": seed, "draw": draw, "accuracy": value}
            append_row(self.path, row, COLUMNS)

    def check_clean(self, clean: float) -> None:
        """Records the error-free accuracy, or refuses a ledger of another model.

        Args:
            clean: The error-free accuracy (points) of the model on the data.

        Raises:
            ValueError: If the ledger holds an error-free accuracy more than
                0.02 points away (another model or test set).
        """
        known = self.get(CLEAN, 0, 0)
        if known is None:
            self.put(CLEAN, 0, 0, clean)
        elif abs(known - clean) > 0.02:
            raise ValueError(
                f"`ledger` {str(self.path)!r} was written for another model or test "
                f"set (error-free accuracy {known:.4f} %, this one {clean:.4f} %): "
                "give a new file."
            )
