"""Datasets from local files: MNIST-format IDX files, `.npz` archives, digits.

No TensorFlow here (numpy, scipy, scikit-learn and the standard library): the
readers return numpy arrays, which `larq_ber.study.data.load` turns into `tf.data`
pipelines for the names `idx:<dir>`, `npz:<file>` and `digits`.
"""

from __future__ import annotations

import gzip
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
from scipy import ndimage

from larq_ber.study.data.contracts import check_pair, check_split, check_split_name
from larq_ber.study.data.stats import MNIST_MEAN, MNIST_STD

__all__ = ["Arrays", "digits_arrays", "read_idx", "read_npz"]

#: `((x_train, y_train), (x_test, y_test))`, as Keras's `load_data()` returns them.
Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


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


# ------------------------------------------------------------------------- IDX files
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
        >>> import struct, tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> for prefix in ("train", "t10k"):  # two blank 28×28 images, labels 3, 7
        ...     images = struct.pack(">4I", 0x803, 2, 28, 28) + bytes(2 * 28 * 28)
        ...     labels = struct.pack(">2I", 0x801, 2) + bytes([3, 7])
        ...     _ = (folder / f"{prefix}-images-idx3-ubyte").write_bytes(images)
        ...     _ = (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(labels)
        >>> images, labels = read_idx(folder, "train")
        >>> images.shape, labels.tolist()
        ((2, 28, 28, 1), [3, 7])
    """
    directory = Path(directory)
    image_stem, label_stem = _IDX_FILES[check_split_name(split)]
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


# ------------------------------------------------------------------------- npz files
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
        >>> import tempfile
        >>> (x_train, y_train), (x_test, y_test) = digits_arrays()
        >>> path = Path(tempfile.mkdtemp()) / "digits.npz"
        >>> np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test,
        ...          y_test=y_test)
        >>> images, labels = read_npz(path, "test")
        >>> images.shape, labels.shape
        ((359, 28, 28, 1), (359,))
    """
    path = Path(path)
    split = check_split_name(split)
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


def _local_splits(kind: str, source: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Both splits of an `idx:` (`kind="idx"`) or `npz:` dataset, checked together.

    Both are read and checked whichever split is asked for, so a source with bad
    data fails before anything trains on it.
    """
    read = read_idx if kind == "idx" else read_npz
    arrays = {s: read(source, s) for s in ("train", "test")}
    for name, (images, labels) in arrays.items():
        prefix = "t10k" if name == "test" else "train"
        names = (
            (f"x_{name}", f"y_{name}")
            if kind == "npz"
            else (f"{prefix}-images", f"{prefix}-labels")
        )
        check_split(source, images, labels, names)
    pair = ("x_train", "x_test") if kind == "npz" else ("train-images", "t10k-images")
    check_pair(source, arrays["train"][0], arrays["test"][0], pair)
    return arrays
