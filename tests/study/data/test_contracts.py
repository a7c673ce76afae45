"""Data contracts: every class of bad local data fails before training, named."""

import numpy as np
import pytest

from larq_ber.study.data import DataError, info
from larq_ber.study.data.contracts import check_split_name
from larq_ber.study.recipes import RecipeError, load_recipe


def _npz(tmp_path, **changes):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (8, 6, 6), dtype=np.uint8),
        "y_train": np.arange(8) % 3,
        "x_test": rng.integers(0, 256, (4, 6, 6), dtype=np.uint8),
        "y_test": np.arange(4) % 3,
    }
    arrays.update(changes)
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return path


def _nan_images():
    x = np.random.default_rng(1).random((8, 6, 6)).astype(np.float32)
    x[5, 2, 3] = np.nan
    return x


BAD = {
    "nan pixel": ({"x_train": _nan_images()}, r"x_train\[5\] holds a NaN"),
    "constant images": (
        {"x_train": np.full((8, 6, 6), 7, np.uint8)},
        "channel 0 of x_train has the same value",
    ),
    "negative label": ({"y_test": np.array([0, 1, -2, 0])}, r"y_test\[2\] = -2"),
    "float label": (
        {"y_train": np.array([0, 1, 2, 0.5, 1, 2, 0, 1])},
        r"y_train\[3\] = 0\.5 is not a whole number",
    ),
    "huge label": (
        {"y_train": np.array([0, 1, 2, 0, 10**9, 2, 0, 1])},
        r"y_train\[4\] = 1000000000 is not a class index in \[0, 65536\)",
    ),
    "channels differ": (
        {"x_test": np.zeros((4, 6, 6, 3), np.uint8)},
        r"x_train images are \(6, 6, 1\) but x_test images are \(6, 6, 3\)",
    ),
    "no examples": (
        {"x_train": np.zeros((0, 6, 6), np.uint8), "y_train": np.zeros(0, int)},
        "x_train holds no example",
    ),
    "strings": (
        {"y_train": np.array(list("abcdefgh"))},
        "y_train has dtype <U1; expected numbers",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_local_data_raises_a_data_error_naming_file_array_index(tmp_path, case):
    changes, message = BAD[case]
    path = _npz(tmp_path, **changes)
    with pytest.raises(DataError, match=message) as raised:
        info(f"npz:{path}")
    assert str(path) in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_bad_data_stops_a_recipe_before_anything_is_written(tmp_path):
    path = _npz(tmp_path, x_train=_nan_images())
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        f'model = "lenet4"\ndataset = "npz:{path}"\nbers = [0.0]\nrepeats = 1\n'
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(RecipeError, match=r"x_train\[5\] holds a NaN"):
        load_recipe(recipe)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_good_local_data_passes(tmp_path):
    meta = info(f"npz:{_npz(tmp_path)}")
    assert meta.num_classes == 3 and meta.input_shape == (6, 6, 1)


@pytest.mark.parametrize("split", ["validation", "Train", "", None])
def test_a_split_is_train_or_test(split):
    with pytest.raises(ValueError, match=r"`split` must be 'train' or 'test'"):
        check_split_name(split)
    assert check_split_name("train") == "train"
