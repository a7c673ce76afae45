import subprocess
import sys
from importlib import resources

import numpy as np
import pytest

from larq_ber.study.data import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_MEAN,
    FASHION_MNIST_STD,
    info,
    registry,
    subset_classes,
)


def _tfds_synsets():
    """The 1000 synsets in TFDS label order, straight from TFDS's own file."""
    labels = resources.files("tensorflow_datasets").joinpath(
        "datasets/imagenet2012/labels.txt"
    )
    return labels.read_text().split()


def test_info_of_every_tfds_name():
    expected = {
        "mnist": (10, (28, 28, 1), 60_000, 10_000),
        "fashion_mnist": (10, (28, 28, 1), 60_000, 10_000),
        "cifar10": (10, (32, 32, 3), 50_000, 10_000),
        "cifar100": (100, (32, 32, 3), 50_000, 10_000),
        "svhn_extra": (10, (32, 32, 3), 531_131, 26_032),
        "svhn_train_extra": (10, (32, 32, 3), 604_388, 26_032),
        "imagenet2012": (1000, (224, 224, 3), 1_281_167, 50_000),
    }
    for name, (classes, shape, train, test) in expected.items():
        meta = info(name)
        assert (meta.num_classes, meta.input_shape) == (classes, shape), name
        assert meta.splits == {"train": train, "test": test}, name
        assert len(meta.mean) == len(meta.std) == shape[-1]
    subset = info("imagenet2012:classes=10,subset_seed=4")
    assert subset.num_classes == 10 and subset.splits["test"] == 500


def test_bad_names_in_info(bad_name):
    with pytest.raises(ValueError) as error:
        info(bad_name)
    message = str(error.value)
    assert "classes=K,subset_seed=S" in message
    if not str(bad_name).startswith("imagenet2012:"):
        assert "idx:<" in message and "npz:<" in message and "cifar100" in message
        assert "fashion_mnist" in message


def test_fashion_mnist_info_is_the_same_for_both_sources(tmp_path, monkeypatch):
    meta = info("fashion_mnist")
    assert meta.mean == (FASHION_MNIST_MEAN,) and meta.std == (FASHION_MNIST_STD,)
    assert (FASHION_MNIST_MEAN, FASHION_MNIST_STD) == (0.2860, 0.3530)
    assert len(FASHION_MNIST_CLASSES) == meta.num_classes == 10
    assert FASHION_MNIST_CLASSES[0] == "T-shirt/top"
    assert FASHION_MNIST_CLASSES[9] == "Ankle boot"
    # a local copy changes where the images come from, not what `info` says (and
    # `info` reads no file: this folder is empty)
    monkeypatch.setattr(registry, "FASHION_MNIST_DIR", tmp_path)
    assert info("fashion_mnist") == meta


def test_fashion_mnist_source(tmp_path, monkeypatch):
    assert registry._local_copy("fashion_mnist") is None  # folder absent: TFDS
    assert registry._local_copy("mnist") is None
    monkeypatch.setattr(registry, "FASHION_MNIST_DIR", tmp_path)
    assert registry._local_copy("fashion_mnist") == tmp_path
    # the environment variable wins, even over an existing folder
    monkeypatch.setenv(registry.FASHION_MNIST_DIR_VARIABLE, str(tmp_path / "other"))
    assert registry._local_copy("fashion_mnist") == tmp_path / "other"
    assert registry._local_copy("mnist") is None


def test_subset_classes_are_fixed_by_the_seed():
    synsets = _tfds_synsets()
    assert len(synsets) == 1000 and synsets[0] == "n01440764"
    chosen = subset_classes(100, 1)
    assert len(set(chosen)) == 100 and chosen == subset_classes(100, 1)
    assert chosen != subset_classes(100, 2)
    positions = [synsets.index(s) for s in chosen]
    assert positions == sorted(positions)  # new labels follow ImageNet's order
    assert subset_classes(1000, 0) == synsets
    # the documented draw, so other tools can reproduce it
    expected = np.sort(np.random.default_rng(7).choice(1000, 2, replace=False))
    assert subset_classes(2, 7) == [synsets[i] for i in expected]


def test_info_imports_no_tensorflow(idx_dir, tmp_path):
    npz = tmp_path / "small.npz"
    np.savez(npz, x_train=np.arange(64, dtype=np.uint8).reshape(4, 4, 4),
             y_train=np.arange(4), x_test=np.zeros((2, 4, 4), np.uint8),
             y_test=np.zeros(2, int))  # fmt: skip
    code = (
        "import sys\n"
        "from larq_ber.study.data import info, subset_classes\n"
        "for name in ('mnist', 'fashion_mnist', 'cifar10', 'cifar100', "
        "'svhn_extra', 'svhn_train_extra', 'imagenet2012', "
        "'imagenet2012:classes=10,subset_seed=3', "
        f"'digits', {f'idx:{idx_dir}'!r}, {f'npz:{npz}'!r}):\n"
        "    info(name)\n"
        "assert len(subset_classes(10, 3)) == 10\n"
        "print('tensorflow' in sys.modules, 'tensorflow_datasets' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]


def test_the_data_modules_import_one_way():
    """stats, contracts <- files <- registry <- offline <- pipeline: no module
    imports upward."""
    import ast
    import importlib
    import inspect

    order = ["stats", "contracts", "files", "registry", "offline", "pipeline"]
    for level, name in enumerate(order):
        module = importlib.import_module(f"larq_ber.study.data.{name}")
        imported = {
            node.module.rpartition(".")[2]
            for node in ast.walk(ast.parse(inspect.getsource(module)))
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("larq_ber.study.data.")
        }
        assert imported <= set(order[:level]), (name, imported)
