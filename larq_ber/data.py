r"""The paper's datasets as `tf.data` pipelines: TFDS, ImageNet subsets, local files.

`load(name, split=..., batch_size=...)` returns batches of `(images, labels)`, images
float32 normalised with the reference statistics, ready for `larq_ber.models`. Names:

| name | source | train / test |
|---|---|---|
| `mnist`, `cifar10`, `cifar100` | TFDS | train / test |
| `svhn_extra` | TFDS `svhn_cropped` | extra / test (the paper's "extended SVHN") |
| `svhn_train_extra` | TFDS `svhn_cropped` | train+extra / test |
| `imagenet2012` | TFDS, manual download | train / validation |
| `imagenet2012:classes=K,subset_seed=S` | K classes drawn with seed S | as ImageNet |
| `idx:<dir>` | MNIST-format IDX files | `train-*` / `t10k-*` |
| `npz:<file>` | `numpy.savez` with `x_train, y_train, x_test, y_test` | train / test |
| `digits` | scikit-learn's bundled digits, upscaled to 28×28 (offline) | 80 % / 20 % |

TFDS datasets are downloaded into `data_dir` on first use where the machine can reach
the internet (`download=True`); ImageNet must be downloaded by hand into
`<data_dir>/downloads/manual` (TFDS's rule). Missing data gives an error that says
what to prepare where.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import re
import struct
import zipfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from scipy import ndimage

__all__ = [
    "MNIST_MEAN",
    "MNIST_STD",
    "DatasetInfo",
    "digits_arrays",
    "info",
    "load",
    "read_idx",
    "read_npz",
    "subset_classes",
]

#: Mean of MNIST training pixels scaled to [0, 1] (the reference normalisation).
MNIST_MEAN = 0.1307
#: Standard deviation of MNIST training pixels scaled to [0, 1].
MNIST_STD = 0.3081

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
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


_CIFAR10 = ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
_CIFAR100 = ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762))
_SVHN = ((0.4377, 0.4438, 0.4728), (0.1980, 0.2010, 0.1970))

_TFDS = {
    "mnist": _tfds_entry(
        "mnist", "mnist", ("train", "test"), (60_000, 10_000), 10, (28, 28, 1),
        (MNIST_MEAN,), (MNIST_STD,), "none",
    ),
    "cifar10": _tfds_entry(
        "cifar10", "cifar10", ("train", "test"), (50_000, 10_000), 10, (32, 32, 3),
        *_CIFAR10, "crop_flip",
    ),
    "cifar100": _tfds_entry(
        "cifar100", "cifar100", ("train", "test"), (50_000, 10_000), 100, (32, 32, 3),
        *_CIFAR100, "crop_flip",
    ),
    "svhn_extra": _tfds_entry(
        "svhn_extra", "svhn_cropped", ("extra", "test"), (531_131, 26_032), 10,
        (32, 32, 3), *_SVHN, "none",
    ),
    "svhn_train_extra": _tfds_entry(
        "svhn_train_extra", "svhn_cropped", ("train+extra", "test"),
        (73_257 + 531_131, 26_032), 10, (32, 32, 3), *_SVHN, "none",
    ),
    "imagenet2012": _tfds_entry(
        "imagenet2012", "imagenet2012", ("train", "validation"), (1_281_167, 50_000),
        1000, (_IMAGENET_SIZE, _IMAGENET_SIZE, 3), _IMAGENET_MEAN, _IMAGENET_STD,
        "imagenet",
    ),
}  # fmt: skip

_SUBSET = re.compile(r"^imagenet2012:classes=(\d+),subset_seed=(\d+)$")

_VALID_NAMES = (
    f"{', '.join(sorted([*_TFDS, 'digits']))}, "
    "'imagenet2012:classes=K,subset_seed=S' (1 <= K <= 1000), "
    "'idx:<directory of MNIST-format IDX files>', 'npz:<file saved by numpy.savez>'"
)


# --------------------------------------------------------------------------- digits
def _to_mnist_layout(images: np.ndarray) -> np.ndarray:
    """8×8 images with values 0…16 → 28×28×1 in [0, 1], digit in the central 20×20."""
    scaled = images.astype(np.float32) / 16.0
    # Bilinear zoom 8 -> 20 pixels, then a 4-pixel border, as MNIST centres its
    # digits in a 20×20 box of a 28×28 frame.
    zoomed = ndimage.zoom(scaled, (1, 2.5, 2.5), order=1)
    framed = np.pad(zoomed, ((0, 0), (4, 4), (4, 4)))
    return np.clip(framed, 0.0, 1.0)[..., None]


def digits_arrays(
    *, test_fraction: float = 0.2, seed: int = 0, normalize: bool = True
) -> Arrays:
    r"""Loads scikit-learn's handwritten digits as MNIST-shaped numpy arrays.

    The split is stratified: in every class the same fraction of images, chosen
    with `numpy.random.default_rng(seed)`, goes to the test set, so the split is
    the same on every machine.

    Args:
        test_fraction: Fraction of each class held out for testing, in (0, 1).
        seed: Seed of the split.
        normalize: Whether pixels are standardised with the MNIST statistics,
            $(x - 0.1307) / 0.3081$; otherwise they are in $[0, 1]$.

    Returns:
        `((x_train, y_train), (x_test, y_test))` in the layout of
        `tf.keras.datasets.mnist.load_data()`: images float32 of shape
        `(n, 28, 28, 1)`, labels int64 of shape `(n,)`.

    Raises:
        ValueError: If `test_fraction` is not in (0, 1).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = digits_arrays()
        >>> x_train.shape, x_test.shape
        ((1438, 28, 28, 1), (359, 28, 28, 1))
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"`test_fraction` must be in (0, 1), got {test_fraction!r}.")
    from sklearn.datasets import load_digits  # bundled with scikit-learn, offline

    bunch = load_digits()
    images = _to_mnist_layout(bunch.images)
    if normalize:
        images = (images - MNIST_MEAN) / MNIST_STD
    labels = bunch.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        test[members[: round(test_fraction * len(members))]] = True
    return (images[~test], labels[~test]), (images[test], labels[test])


# ------------------------------------------------------------------------ local files
_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _open_maybe_gzip(directory: Path, stem: str) -> tuple[Path, bytes]:
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.is_file():
            raw = candidate.read_bytes()
            if candidate.suffix == ".gz":
                try:
                    raw = gzip.decompress(raw)
                except (OSError, EOFError) as error:
                    raise ValueError(
                        f"{candidate}: not a valid gzip file ({error})."
                    ) from None
            return candidate, raw
    raise FileNotFoundError(
        f"{directory / stem}[.gz] not found: an 'idx:' directory needs "
        f"{', '.join(n for pair in _IDX_FILES.values() for n in pair)} "
        "(each may be .gz)."
    )


def _parse_idx(path: Path, raw: bytes, dims: int) -> np.ndarray:
    expected_magic = 0x0800 | dims  # unsigned bytes, `dims` dimensions
    if len(raw) < 4 + 4 * dims:
        raise ValueError(f"{path}: truncated header ({len(raw)} bytes).")
    (magic,) = struct.unpack(">I", raw[:4])
    if magic != expected_magic:
        raise ValueError(
            f"{path}: wrong magic number 0x{magic:08x}, "
            f"expected 0x{expected_magic:08x} "
            f"(unsigned bytes, {dims} dimension{'s' if dims > 1 else ''})."
        )
    shape = struct.unpack(f">{dims}I", raw[4 : 4 + 4 * dims])
    body = raw[4 + 4 * dims :]
    size = int(np.prod(shape))
    if len(body) != size:
        raise ValueError(
            f"{path}: header promises {size} bytes of data for shape {shape}, "
            f"file has {len(body)} (truncated or corrupt)."
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def read_idx(
    directory: str | os.PathLike[str], split: str
) -> tuple[np.ndarray, np.ndarray]:
    """Reads one split of MNIST-format IDX files.

    Args:
        directory: Folder holding `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
            `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each optionally
            gzipped (`.gz`).
        split: `"train"` or `"test"`.

    Returns:
        `(images, labels)`: uint8 images of shape `(n, rows, cols, 1)` and uint8
        labels of shape `(n,)`.

    Raises:
        FileNotFoundError: If a file is missing (the message names it).
        ValueError: If a file has a wrong magic number, is truncated, or the image
            and label counts disagree (the message names the file).

    Example:
        >>> images, labels = read_idx("/data/mnist", "train")  # doctest: +SKIP
        >>> images.shape  # doctest: +SKIP
        (60000, 28, 28, 1)
    """
    directory = Path(directory)
    image_stem, label_stem = _IDX_FILES[_check_split(split)]
    image_path, image_raw = _open_maybe_gzip(directory, image_stem)
    label_path, label_raw = _open_maybe_gzip(directory, label_stem)
    images = _parse_idx(image_path, image_raw, 3)
    labels = _parse_idx(label_path, label_raw, 1)
    if len(images) != len(labels):
        raise ValueError(
            f"{image_path} has {len(images)} images but {label_path} has "
            f"{len(labels)} labels."
        )
    return images[..., None], labels


def read_npz(path: str | os.PathLike[str], split: str) -> tuple[np.ndarray, np.ndarray]:
    """Reads one split of a `.npz` file in the layout of Keras's datasets.

    Args:
        path: File saved with `numpy.savez(path, x_train=..., y_train=...,
            x_test=..., y_test=...)`; images `(n, h, w)` or `(n, h, w, c)`.
        split: `"train"` or `"test"`.

    Returns:
        `(images, labels)` with images of shape `(n, h, w, c)` and labels `(n,)`.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not a readable `.npz`, lacks a key, or the image and
            label counts disagree (the message names the file).

    Example:
        >>> images, labels = read_npz("mnist.npz", "test")  # doctest: +SKIP
    """
    path = Path(path)
    split = _check_split(split)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file for an 'npz:' dataset.")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a readable .npz file ({error}).") from None
    with archive:
        keys = (f"x_{split}", f"y_{split}")
        missing = [
            k for k in ("x_train", "y_train", "x_test", "y_test") if k not in archive
        ]
        if missing:
            raise ValueError(
                f"{path}: missing arrays {missing}; an 'npz:' file needs x_train, "
                "y_train, x_test and y_test."
            )
        try:
            images, labels = archive[keys[0]], archive[keys[1]].reshape(-1)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path}: truncated or corrupt ({error}).") from None
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or len(images) != len(labels):
        raise ValueError(
            f"{path}: {keys[0]} has shape {images.shape} and {keys[1]} "
            f"{len(labels)} labels; expected (n, h, w[, c]) images and n labels."
        )
    return images, labels


def _check_split(split: str) -> str:
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}.")
    return split


# -------------------------------------------------------------------- ImageNet subsets
def _imagenet_synsets() -> list[str]:
    """The 1000 ImageNet synset ids in TFDS label order (shipped with TFDS)."""
    labels = resources.files("tensorflow_datasets").joinpath(
        "datasets/imagenet2012/labels.txt"
    )
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


# ------------------------------------------------------------------------- info / load
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


def _local_arrays(kind: str, source: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    if kind == "idx":
        return read_idx(source, split)
    return read_npz(source, split)


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
    images, labels = _local_arrays(kind, detail, "train")
    test_images, _ = _local_arrays(kind, detail, "test")
    return _array_info(name, images, labels, len(test_images))


def _normalizer(meta: DatasetInfo, scale: float) -> Callable[[tf.Tensor], tf.Tensor]:
    """Images (uint8 or float) → float32 `(x * scale - mean) / std`."""
    mean = tf.constant(meta.mean, tf.float32)
    std = tf.constant(meta.std, tf.float32)
    return lambda images: (tf.cast(images, tf.float32) * scale - mean) / std


def _crop_flip(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """CIFAR augmentation: pad by 4, random 32×32 crop, random horizontal flip."""
    height, width = image.shape[0], image.shape[1]
    padded = tf.pad(image, [[4, 4], [4, 4], [0, 0]], mode="REFLECT")
    seeds = tf.random.experimental.stateless_split(seed, 2)
    cropped = tf.image.stateless_random_crop(
        padded, [height, width, image.shape[2]], seeds[0]
    )
    return tf.image.stateless_random_flip_left_right(cropped, seeds[1])


def _imagenet_train(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Random-resized crop (8–100 % of the area, aspect 3/4–4/3) + flip, to 224²."""
    seeds = tf.random.experimental.stateless_split(seed, 2)
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image),
        bounding_boxes=tf.constant([0.0, 0.0, 1.0, 1.0], shape=[1, 1, 4]),
        seed=seeds[0],
        area_range=(0.08, 1.0),
        aspect_ratio_range=(3 / 4, 4 / 3),
        max_attempts=10,
        use_image_if_no_bounding_boxes=True,
    )
    crop = tf.slice(image, begin, size)
    crop = tf.image.resize(crop, [_IMAGENET_SIZE, _IMAGENET_SIZE])
    return tf.image.stateless_random_flip_left_right(crop, seeds[1])


def _imagenet_eval(image: tf.Tensor) -> tf.Tensor:
    """Resize the shorter side to 256, then the central 224×224 crop."""
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = 256.0 / tf.reduce_min(shape)
    resized = tf.image.resize(image, tf.cast(tf.round(shape * scale), tf.int32))
    return tf.image.resize_with_crop_or_pad(resized, _IMAGENET_SIZE, _IMAGENET_SIZE)


def _tfds_dataset(
    entry: _Tfds, split: str, data_dir: str | None, download: bool, decoders: Any
) -> tf.data.Dataset:
    import tensorflow_datasets as tfds

    builder = tfds.builder(entry.tfds_name, data_dir=data_dir)
    tfds_split = entry.train_split if split == "train" else entry.test_split
    root = data_dir or os.environ.get(
        "TFDS_DATA_DIR", os.path.expanduser("~/tensorflow_datasets")
    )
    manual_dir = os.path.join(root, "downloads", "manual")
    how = (
        f"download the ILSVRC2012 tar files by hand into {manual_dir}"
        if entry.tfds_name == "imagenet2012"
        else f"run once with network access and download=True (or `tfds build "
        f"{entry.tfds_name} --data_dir {root}`)"
    )
    if not builder.data_path.exists():  # tfds 4.8 has no is_prepared()
        if not download:
            raise RuntimeError(
                f"TFDS dataset {entry.tfds_name!r} is not prepared in "
                f"{root}: {how}, or pass the data_dir that holds it."
            )
        try:
            builder.download_and_prepare(
                download_config=tfds.download.DownloadConfig(manual_dir=manual_dir)
            )
        except Exception as error:
            raise RuntimeError(
                f"Could not prepare TFDS dataset {entry.tfds_name!r} in "
                f"{root} ({type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''}). To fix: {how}."
            ) from error
    return builder.as_dataset(split=tfds_split, as_supervised=True, decoders=decoders)


def load(
    name: str,
    *,
    split: str,
    batch_size: int,
    data_dir: str | os.PathLike[str] | None = None,
    shuffle: bool | None = None,
    augment: bool | None = None,
    seed: int | None = None,
    cache: bool = True,
    download: bool = True,
) -> tf.data.Dataset:
    """Loads a dataset of the paper as batches ready for `larq_ber.models`.

    Images come out float32 of shape `(batch, *info(name).input_shape)`, scaled to
    [0, 1] and standardised per channel with `info(name).mean`/`std`; labels
    int64 in 0 … num_classes − 1. The last batch may be smaller.

    Augmentation follows the reference code: ImageNet trains on random-resized
    224×224 crops with horizontal flips and evaluates on the central 224×224 crop
    of the image resized to 256; CIFAR trains on random crops of the image padded
    by 4 with horizontal flips; MNIST, digits, SVHN (digits must not be mirrored)
    and local files are not augmented. ImageNet subsets drop the other classes
    before any image is decoded.

    Args:
        name: A dataset name (see the module documentation).
        split: `"train"` or `"test"` (ImageNet's `"validation"`).
        batch_size: Examples per batch (>= 1).
        data_dir: TFDS data directory; TFDS's default when `None`. Ignored for
            local files and `digits`.
        shuffle: Whether to shuffle each epoch; default: only the train split.
        augment: Whether to augment; default: only the train split.
        seed: Seed of shuffling and augmentation (`None`: different each run).
        cache: Whether to keep the decoded, normalised examples in memory after
            the first epoch (not for ImageNet, which does not fit).
        download: Whether TFDS may download and prepare missing data.

    Returns:
        A `tf.data.Dataset` of `(images, labels)` batches, prefetched.

    Raises:
        ValueError: For an unknown or malformed name (the message lists the valid
            ones), a bad split or batch size, or an invalid local file.
        FileNotFoundError: If a local file is missing.
        RuntimeError: If TFDS data is missing and cannot be prepared; the message
            says what to download where.

    Example:
        >>> ds = load("digits", split="test", batch_size=32)
        >>> images, labels = next(iter(ds))
        >>> images.shape, images.dtype.name
        (TensorShape([32, 28, 28, 1]), 'float32')
    """
    split = _check_split(split)
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or batch_size < 1
    ):
        raise ValueError(f"`batch_size` must be an integer >= 1, got {batch_size!r}.")
    kind, detail = _parse_name(name)
    training = split == "train"
    shuffle = training if shuffle is None else shuffle
    augment = training if augment is None else augment
    data_dir = None if data_dir is None else os.fspath(data_dir)

    if kind in ("digits", "idx", "npz"):
        if kind == "digits":
            arrays = digits_arrays(normalize=False)
            images, labels = arrays[0] if training else arrays[1]
            images = np.round(images * 255).astype(np.uint8)
            meta = _digits_info(arrays)
        else:
            images, labels = _local_arrays(kind, detail, split)
            train_images, train_labels = (
                (images, labels) if training else _local_arrays(kind, detail, "train")
            )
            meta = _array_info(name, train_images, train_labels, 0)
        scale = 1 / 255 if images.dtype == np.uint8 else 1.0
        ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int64)))
        return _finish(
            ds,
            meta,
            scale,
            "none",
            len(images),
            batch_size,
            shuffle,
            False,
            seed,
            cache,
        )

    if kind == "tfds" and detail != "imagenet2012":
        entry = _TFDS[detail]
        ds = _tfds_dataset(entry, split, data_dir, download, None)
        return _finish(
            ds, entry.info, 1 / 255, entry.augment, entry.info.splits[split],
            batch_size, shuffle, augment, seed, cache,
        )  # fmt: skip

    # ImageNet: read the encoded JPEGs, drop the classes of other subsets, shuffle,
    # and only then decode (a full decoded image is ~0.5 MB, an encoded one ~0.1 MB).
    import tensorflow_datasets as tfds

    k, subset_seed = detail if kind == "subset" else (1000, None)
    kept = np.arange(1000) if subset_seed is None else _subset_indices(k, subset_seed)
    entry = _TFDS["imagenet2012"]
    ds = _tfds_dataset(
        entry, split, data_dir, download, {"image": tfds.decode.SkipDecoding()}
    )
    if len(kept) < 1000:
        ds = _select_classes(ds, kept)
    meta = info(name)
    return _finish(
        ds, meta, 1 / 255, "imagenet", meta.splits[split], batch_size, shuffle,
        augment, seed, False, decode=_decode_image,
    )  # fmt: skip


def _decode_image(encoded: tf.Tensor) -> tf.Tensor:
    return tf.io.decode_image(encoded, channels=3, expand_animations=False)


def _select_classes(ds: tf.data.Dataset, kept: np.ndarray) -> tf.data.Dataset:
    """Keeps the examples whose label is in `kept`, relabelled 0…K−1 in its order."""
    lookup = np.full(1000, -1, dtype=np.int64)
    lookup[kept] = np.arange(len(kept))
    table = tf.constant(lookup)
    ds = ds.filter(lambda image, label: tf.gather(table, label) >= 0)
    return ds.map(lambda image, label: (image, tf.gather(table, label)))


def _finish(
    ds: tf.data.Dataset,
    meta: DatasetInfo,
    scale: float,
    augmentation: str,
    size: int | None,
    batch_size: int,
    shuffle: bool,
    augment: bool,
    seed: int | None,
    cache: bool,
    decode: Callable[[tf.Tensor], tf.Tensor] | None = None,
) -> tf.data.Dataset:
    """Cache → shuffle → decode → augment/crop → normalise → batch → prefetch."""
    normalize = _normalizer(meta, scale)
    parallel = tf.data.AUTOTUNE
    normalized = False
    if cache and decode is None:
        if not augment:  # nothing random follows: cache the normalised images
            ds = ds.map(lambda x, y: (normalize(x), y), num_parallel_calls=parallel)
            normalized = True
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(min(size or 10_000, 50_000), seed=seed)
    if decode is not None:
        ds = ds.map(lambda x, y: (decode(x), y), num_parallel_calls=parallel)
    if augmentation == "imagenet" and not augment:
        ds = ds.map(lambda x, y: (_imagenet_eval(x), y), num_parallel_calls=parallel)
    if augment and augmentation != "none":
        augment_fn = _crop_flip if augmentation == "crop_flip" else _imagenet_train
        seeds = tf.data.Dataset.random(seed=seed).batch(2)
        ds = tf.data.Dataset.zip((ds, seeds)).map(
            lambda example, s: (augment_fn(example[0], s), example[1]),
            num_parallel_calls=parallel,
        )
    if not normalized:
        ds = ds.map(lambda x, y: (normalize(x), y), num_parallel_calls=parallel)
    return ds.batch(batch_size).prefetch(parallel)
