"""The dataset names `larq_ber.study.data` accepts and what is known about each.

No TensorFlow here (numpy and the standard library): `info(name)` describes every
dataset without importing TensorFlow or TFDS, reading local files with numpy through
`larq_ber.study.data.files` where the facts are in the files; the normalisation
statistics come from `larq_ber.study.data.stats`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from larq_ber.study.data.contracts import DataError
from larq_ber.study.data.files import Arrays, _local_splits, digits_arrays
from larq_ber.study.data.stats import (
    CIFAR10_MEAN,
    CIFAR10_STD,
    CIFAR100_MEAN,
    CIFAR100_STD,
    FASHION_MNIST_MEAN,
    FASHION_MNIST_STD,
    IMAGENET_MEAN,
    IMAGENET_STD,
    MNIST_MEAN,
    MNIST_STD,
    SVHN_MEAN,
    SVHN_STD,
)

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_DIR",
    "FASHION_MNIST_DIR_VARIABLE",
    "DatasetInfo",
    "info",
    "subset_classes",
]

#: Fashion-MNIST's class names; label `i` is `FASHION_MNIST_CLASSES[i]` (both the
#: IDX files and TFDS's `fashion_mnist` use this order).
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
#: Where Debian's `dataset-fashion-mnist` package puts the IDX files (gzipped):
#: `fashion_mnist` reads them from here when the folder exists, offline, and
#: otherwise from TFDS.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
#: Environment variable naming another folder of Fashion-MNIST IDX files; when set,
#: `fashion_mnist` reads that folder (and fails if it lacks a file) instead of
#: `FASHION_MNIST_DIR` or TFDS.
FASHION_MNIST_DIR_VARIABLE = "LARQ_BER_FASHION_MNIST_DIR"

_IMAGENET_SIZE = 224


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a model needs to know about a dataset.

    Attributes:
        name: The name given to `load`.
        num_classes: Number of classes (labels are 0 … num_classes − 1).
        input_shape: Shape of one image as `load` yields it.
        splits: Number of examples of `"train"` and `"test"` (`None` if unknown
            before the data is read).
        mean: Per-channel mean of pixels scaled to [0, 1], subtracted by `load`.
        std: Per-channel standard deviation they are divided by.
    """

    name: str
    num_classes: int
    input_shape: tuple[int, int, int]
    splits: dict[str, int | None]
    mean: tuple[float, ...]
    std: tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class _Tfds:
    tfds_name: str
    train_split: str
    test_split: str
    info: DatasetInfo
    augment: str  # "none", "crop_flip", "imagenet"


def _tfds_entry(
    name: str,
    tfds_name: str,
    splits: tuple[str, str],
    sizes: tuple[int, int],
    classes: int,
    shape: tuple[int, int, int],
    mean: tuple[float, ...],
    std: tuple[float, ...],
    augment: str,
) -> _Tfds:
    return _Tfds(
        tfds_name,
        splits[0],
        splits[1],
        DatasetInfo(
            name, classes, shape, {"train": sizes[0], "test": sizes[1]}, mean, std
        ),
        augment,
    )


_TFDS = {
    "mnist": _tfds_entry(
        "mnist", "mnist", ("train", "test"), (60_000, 10_000), 10, (28, 28, 1),
        (MNIST_MEAN,), (MNIST_STD,), "none",
    ),
    "fashion_mnist": _tfds_entry(
        "fashion_mnist", "fashion_mnist", ("train", "test"), (60_000, 10_000), 10,
        (28, 28, 1), (FASHION_MNIST_MEAN,), (FASHION_MNIST_STD,), "none",
    ),
    "cifar10": _tfds_entry(
        "cifar10", "cifar10", ("train", "test"), (50_000, 10_000), 10, (32, 32, 3),
        CIFAR10_MEAN, CIFAR10_STD, "crop_flip",
    ),
    "cifar100": _tfds_entry(
        "cifar100", "cifar100", ("train", "test"), (50_000, 10_000), 100, (32, 32, 3),
        CIFAR100_MEAN, CIFAR100_STD, "crop_flip",
    ),
    "svhn_extra": _tfds_entry(
        "svhn_extra", "svhn_cropped", ("extra", "test"), (531_131, 26_032), 10,
        (32, 32, 3), SVHN_MEAN, SVHN_STD, "none",
    ),
    "svhn_train_extra": _tfds_entry(
        "svhn_train_extra", "svhn_cropped", ("train+extra", "test"),
        (73_257 + 531_131, 26_032), 10, (32, 32, 3), SVHN_MEAN, SVHN_STD, "none",
    ),
    "imagenet2012": _tfds_entry(
        "imagenet2012", "imagenet2012", ("train", "validation"), (1_281_167, 50_000),
        1000, (_IMAGENET_SIZE, _IMAGENET_SIZE, 3), IMAGENET_MEAN, IMAGENET_STD,
        "imagenet",
    ),
}  # fmt: skip

_SUBSET = re.compile(r"^imagenet2012:classes=(\d+),subset_seed=(\d+)$")

_VALID_NAMES = (
    f"{', '.join(sorted([*_TFDS, 'digits']))}, "
    "'imagenet2012:classes=K,subset_seed=S' (1 <= K <= 1000), "
    "'idx:<directory of MNIST-format IDX files>', 'npz:<file saved by numpy.savez>'"
)


def _local_copy(name: str) -> Path | None:
    """The folder of IDX files a TFDS name is read from instead of TFDS, if any.

    Only `fashion_mnist` has one: the folder named by `FASHION_MNIST_DIR_VARIABLE`
    when that is set, else `FASHION_MNIST_DIR` when it exists, else `None` (TFDS).
    """
    if name != "fashion_mnist":
        return None
    override = os.environ.get(FASHION_MNIST_DIR_VARIABLE)
    if override:
        return Path(override)
    return FASHION_MNIST_DIR if FASHION_MNIST_DIR.is_dir() else None


def _local_copy_arrays(
    meta: DatasetInfo, directory: Path, split: str
) -> tuple[np.ndarray, np.ndarray]:
    """One split of a named dataset's local IDX copy (`fashion_mnist`), checked.

    Besides the checks of every `idx:` folder, both splits must have the named
    dataset's image shape and classes, since models are built from `info(name)`,
    which does not read the files.
    """
    arrays = _local_splits("idx", str(directory))
    for name, (images, labels) in arrays.items():
        prefix = "t10k" if name == "test" else "train"
        if images.shape[1:] != meta.input_shape:
            raise DataError(
                f"{directory}: {prefix}-images are {images.shape[1:]}, but "
                f"{meta.name!r} images are {meta.input_shape}."
            )
        if labels.max() >= meta.num_classes:
            index = int(np.argmax(labels >= meta.num_classes))
            raise DataError(
                f"{directory}: {prefix}-labels[{index}] = {labels[index]} is not one "
                f"of the {meta.num_classes} classes of {meta.name!r}."
            )
    return arrays[split]


# -------------------------------------------------------------------- ImageNet subsets
def _imagenet_synsets() -> list[str]:
    """The 1000 ImageNet synset ids in TFDS label order (shipped with TFDS).

    The list is read from TFDS's installed files without importing TFDS (which
    would import TensorFlow).
    """
    spec = importlib.util.find_spec("tensorflow_datasets")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "No module named 'tensorflow_datasets': the ImageNet synset list "
            "ships with it.",
            name="tensorflow_datasets",
        )
    package = Path(next(iter(spec.submodule_search_locations)))
    labels = package / "datasets" / "imagenet2012" / "labels.txt"
    return labels.read_text().split()


def _subset_indices(num_classes: int, seed: int) -> np.ndarray:
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, int)
        or not 1 <= num_classes <= 1000
    ):
        raise ValueError(
            "The number of ImageNet classes K must be an integer in 1…1000, "
            f"got {num_classes!r}."
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"The subset seed must be an integer >= 0, got {seed!r}.")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(1000, size=num_classes, replace=False))


def subset_classes(num_classes: int, seed: int) -> list[str]:
    """The ImageNet classes of the subset `imagenet2012:classes=K,subset_seed=S`.

    K classes are drawn without replacement from the 1000 with
    `numpy.random.default_rng(seed)`, and kept in ImageNet's label order; label
    `i` of the subset is the `i`-th synset returned. Every machine gets the same.

    Args:
        num_classes: K, in 1…1000.
        seed: S, an integer >= 0.

    Returns:
        The K synset ids (e.g. `"n01440764"`), in the order of the new labels.

    Raises:
        ValueError: If K is outside 1…1000 or the seed is negative.

    Example:
        >>> len(subset_classes(10, 0))
        10
        >>> subset_classes(2, 0) == subset_classes(2, 0)
        True
    """
    synsets = _imagenet_synsets()
    return [synsets[i] for i in _subset_indices(num_classes, seed)]


# ------------------------------------------------------------------------ names / info
def _parse_name(name: str) -> tuple[str, Any]:
    if not isinstance(name, str):
        raise ValueError(f"`name` must be a string; valid names: {_VALID_NAMES}.")
    if name in _TFDS:
        return "tfds", name
    if name == "digits":
        return "digits", None
    if name.startswith("idx:") and len(name) > 4:
        return "idx", name[4:]
    if name.startswith("npz:") and len(name) > 4:
        return "npz", name[4:]
    if name.startswith("imagenet2012:"):
        match = _SUBSET.match(name)
        if not match:
            raise ValueError(
                f"Malformed ImageNet subset {name!r}: write "
                "'imagenet2012:classes=K,subset_seed=S' with integers 1 <= K <= 1000 "
                "and S >= 0."
            )
        k, s = int(match.group(1)), int(match.group(2))
        try:
            _subset_indices(k, s)
        except ValueError as error:
            raise ValueError(
                f"{error} (in {name!r}, of the form "
                "'imagenet2012:classes=K,subset_seed=S')"
            ) from None
        return "subset", (k, s)
    raise ValueError(f"Unknown dataset {name!r}; valid names: {_VALID_NAMES}.")


def _array_info(
    name: str, images: np.ndarray, labels: np.ndarray, test_size: int
) -> DatasetInfo:
    scaled = images.astype(np.float64) / 255.0 if images.dtype == np.uint8 else images
    axes = tuple(range(images.ndim - 1))
    return DatasetInfo(
        name=name,
        num_classes=int(labels.max()) + 1,
        input_shape=tuple(int(d) for d in images.shape[1:]),  # type: ignore[arg-type]
        splits={"train": len(images), "test": test_size},
        mean=tuple(float(v) for v in scaled.mean(axis=axes)),
        std=tuple(float(v) for v in scaled.std(axis=axes)),
    )


def _digits_info(arrays: Arrays) -> DatasetInfo:
    """`digits` uses the MNIST normalisation, as the MNIST models expect."""
    (x_train, _), (x_test, _) = arrays
    return DatasetInfo(
        name="digits",
        num_classes=10,
        input_shape=(28, 28, 1),
        splits={"train": len(x_train), "test": len(x_test)},
        mean=(MNIST_MEAN,),
        std=(MNIST_STD,),
    )


def info(name: str) -> DatasetInfo:
    """Describes a dataset without loading it (local files are read once).

    Args:
        name: A name `load` accepts.

    Returns:
        The `DatasetInfo`: classes, input shape, split sizes, normalisation.

    Raises:
        ValueError: If the name is unknown or malformed (the message lists the
            valid names), or a local file is invalid.

    Example:
        >>> info("cifar100").num_classes
        100
        >>> info("fashion_mnist").mean, info("fashion_mnist").splits["train"]
        ((0.286,), 60000)
        >>> info("imagenet2012:classes=10,subset_seed=3").splits["train"] is None
        True
    """
    kind, detail = _parse_name(name)
    if kind == "tfds":
        return _TFDS[detail].info
    if kind == "subset":
        k, _ = detail
        base = _TFDS["imagenet2012"].info
        return dataclasses.replace(
            base, name=name, num_classes=k, splits={"train": None, "test": k * 50}
        )
    if kind == "digits":
        return _digits_info(digits_arrays(normalize=False))
    splits = _local_splits(kind, detail)
    return _array_info(name, *splits["train"], len(splits["test"][0]))
