"""The grid of a sweep: order, completeness, indices, trial values."""

import dataclasses

import pytest

from larq_ber.study.recipes import load_recipe
from larq_ber.study.sweeps.grid import Grid, GridPoint, grid


def test_grid_is_repeat_major_and_complete(root):
    recipe = load_recipe(root / "models/fig4b_alexnet_imagenet_2class.toml")
    points = grid(recipe)
    assert len(points) == recipe.repeats * 5 * len(recipe.bers) == 400
    assert len({p.run_id for p in points}) == len(points)
    assert [p.ber for p in points[: len(recipe.bers)]] == list(recipe.bers)
    assert {p.repeat for p in points[:40]} == {0}
    assert points[0].dataset(recipe) == "imagenet2012:classes=2,subset_seed=1"
    assert points[41].seed(recipe) == recipe.seed + 1
    assert (
        points[-1]
        == points[len(points) - 1]
        == GridPoint(recipe.bers[-1], recipe.repeats - 1, recipe.subsets[-1])
    )


def test_index_and_point_are_inverse_over_the_whole_grid(root):
    recipe = load_recipe(root / "models/fig4b_alexnet_imagenet_2class.toml")
    points = Grid(recipe)
    assert [points.index(p) for p in points] == list(range(len(points)))
    for i, point in enumerate(points):
        assert points.index_of(points.values(i)) == i
        assert points.point_of(points.values(i)) == point


@pytest.mark.parametrize(
    "values",
    [{"point": 9}, {"point": -1}, {"point": "0"}, {"point": True}, {}],
)  # fmt: skip
def test_values_outside_the_grid_are_refused(tiny_recipe, values):
    points = Grid(tiny_recipe(repeats=2))  # 4 points
    assert len(points) == 4
    with pytest.raises(ValueError, match="grid"):
        points.index_of(values)
    with pytest.raises(IndexError):
        points[4]


def test_a_huge_grid_takes_no_memory_per_point(tiny_recipe):
    # (recipes refuse grids over MAX_RUNS; the grid itself does not care)
    points = Grid(dataclasses.replace(tiny_recipe(), repeats=10**9))
    assert len(points) == 2 * 10**9
    assert points[len(points) - 1] == GridPoint(0.5, 10**9 - 1)
    assert points.index(GridPoint(0.5, 10**9 - 1)) == 2 * 10**9 - 1


def test_run_ids_are_file_name_safe():
    assert GridPoint(0.04, 1, "classes=2,subset_seed=3").run_id == (
        "classes2_subset_seed3_ber0.04_rep1"
    )
    assert GridPoint(0.0, 0).run_id == "ber0_rep0"
