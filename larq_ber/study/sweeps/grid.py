"""The grid of a sweep: every (repeat, subset, BER) point of a recipe, by index.

`Grid(recipe)` is a read-only sequence of `GridPoint`s computed from its index, so a
grid of any size takes no memory; the index is the only value keras-tuner stores
per trial (`{"point": index}`). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

from larq_ber.study.recipes import Recipe

__all__ = ["Grid", "GridPoint", "grid"]


@dataclasses.dataclass(frozen=True)
class GridPoint:
    """One run of a sweep.

    Attributes:
        ber: Bit error rate of the run's `BerSteSign` quantizers, in [0, 1]
            (but those of the layers the recipe's `layer_bers` names, see
            `Recipe.training_ber`).
        repeat: Index of the repeat, 0 … repeats − 1.
        subset: Class subset (`"classes=K,subset_seed=S"`) or `""`.
    """

    ber: float
    repeat: int
    subset: str = ""

    @property
    def run_id(self) -> str:
        """A file-name-safe unique name, e.g. `ber0.04_rep1`.

        Example:
            >>> GridPoint(0.04, 1, "classes=2,subset_seed=3").run_id
            'classes2_subset_seed3_ber0.04_rep1'
        """
        prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.subset.replace("=", ""))
        return f"{prefix + '_' if prefix else ''}ber{self.ber:g}_rep{self.repeat}"

    def seed(self, recipe: Recipe) -> int:
        """The run's random seed: `recipe.seed + repeat`.

        Args:
            recipe: The sweep's recipe.

        Returns:
            The seed.
        """
        return recipe.seed + self.repeat

    def dataset(self, recipe: Recipe) -> str:
        """The dataset name `larq_ber.study.data.load` gets for this run.

        Args:
            recipe: The sweep's recipe.

        Returns:
            The dataset, with the subset appended when there is one.
        """
        return f"{recipe.dataset}:{self.subset}" if self.subset else recipe.dataset


class Grid(Sequence[GridPoint]):
    """All runs of a recipe, in the order a sweep starts them.

    Repeat by repeat, then subset, then BER, so the first `len(bers)` runs give one
    curve per BER. Points are computed from their index.

    Args:
        recipe: A validated recipe.

    Example:
        >>> from larq_ber.study.recipes import load_recipe
        >>> points = Grid(load_recipe("quickstart"))
        >>> len(points), points[1], points.index(points[1])
        (9, GridPoint(ber=0.04, repeat=0, subset=''), 1)
    """

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe
        self._subsets = recipe.subsets or ("",)

    def __len__(self) -> int:
        return self.recipe.repeats * len(self._subsets) * len(self.recipe.bers)

    @overload
    def __getitem__(self, index: int) -> GridPoint: ...

    @overload
    def __getitem__(self, index: slice) -> list[GridPoint]: ...

    def __getitem__(self, index: int | slice) -> GridPoint | list[GridPoint]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"grid indices are integers, got {index!r}")
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"grid index {index} out of range 0..{len(self) - 1}")
        bers = self.recipe.bers
        rest, ber = divmod(index, len(bers))
        repeat, subset = divmod(rest, len(self._subsets))
        return GridPoint(bers[ber], repeat, self._subsets[subset])

    def __iter__(self) -> Iterator[GridPoint]:
        return (self[i] for i in range(len(self)))

    def index(self, point: Any, start: int = 0, stop: int | None = None) -> int:
        """The index of a point of this grid.

        Args:
            point: A `GridPoint`.
            start: Unused (the `Sequence.index` signature).
            stop: Unused.

        Returns:
            Its index.

        Raises:
            ValueError: If the point is not in the grid.
        """
        try:
            ber = self.recipe.bers.index(point.ber)
            subset = self._subsets.index(point.subset)
        except (ValueError, AttributeError):
            raise ValueError(f"{point!r} is not a point of this grid") from None
        if not 0 <= point.repeat < self.recipe.repeats:
            raise ValueError(f"{point!r} is not a point of this grid")
        return (point.repeat * len(self._subsets) + subset) * len(
            self.recipe.bers
        ) + ber

    def values(self, index: int) -> dict[str, int]:
        """The hyperparameter values keras-tuner stores for a point.

        Args:
            index: The point's index.

        Returns:
            `{"point": index}`.
        """
        return {"point": index}

    def index_of(self, values: Mapping[str, Any]) -> int:
        """The index of a trial's point from its hyperparameter values.

        Args:
            values: A trial's hyperparameter values, `{"point": index}`.

        Returns:
            The index.

        Raises:
            ValueError: If the values name no point of this grid.

        Example:
            >>> from larq_ber.study.recipes import load_recipe
            >>> Grid(load_recipe("quickstart")).index_of({"point": 4})
            4
        """
        index = values.get("point")
        if not (
            isinstance(index, int)
            and not isinstance(index, bool)
            and 0 <= index < len(self)
        ):
            raise ValueError(f"trial values {dict(values)} name no point of this grid")
        return index

    def point_of(self, values: Mapping[str, Any]) -> GridPoint:
        """The grid point of a trial from its hyperparameter values (`index_of`).

        Args:
            values: A trial's hyperparameter values.

        Returns:
            The `GridPoint`.

        Raises:
            ValueError: If the values name no point of this grid.
        """
        return self[self.index_of(values)]


def grid(recipe: Recipe) -> Grid:
    """All runs of a recipe, in the order a sweep starts them (a `Grid`).

    Args:
        recipe: A validated recipe.

    Returns:
        The grid: `repeats × max(1, len(subsets)) × len(bers)` points.

    Example:
        >>> from larq_ber.study.recipes import load_recipe
        >>> points = grid(load_recipe("quickstart"))
        >>> len(points), points[1]
        (9, GridPoint(ber=0.04, repeat=0, subset=''))
    """
    return Grid(recipe)
