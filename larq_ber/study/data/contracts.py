"""What local data must satisfy before anything trains on it.

`check_split_name` is the check of a `split` argument. `check_split` and
`check_pair` are applied to every local source (`idx:`, `npz:`)
when it is read, so bad data fails with a `DataError` naming the file, the array and
the first offending index, before a run starts — never a run that "finishes" with
loss NaN and chance accuracy. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_CLASSES", "DataError", "check_pair", "check_split", "check_split_name"]

#: Labels must be below this: a label is a softmax output, and a stray label of 1e9
#: would ask for a billion-way classifier.
MAX_CLASSES = 65_536


class DataError(ValueError):
    """Local data breaks a contract; the message names the file, array and index."""


def check_split_name(split: str) -> str:
    """Returns `split` if it names a split of every dataset, else raises.

    Args:
        split: `"train"` or `"test"`.

    Returns:
        `split`.

    Raises:
        ValueError: If `split` is neither.

    Example:
        >>> check_split_name("test")
        'test'
    """
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}.")
    return split


def _first(mask: np.ndarray) -> int:
    """Index of the first example (axis 0) where `mask` holds anywhere."""
    return int(np.argmax(mask.reshape(len(mask), -1).any(axis=1)))


def check_split(
    source: str, images: np.ndarray, labels: np.ndarray, names: tuple[str, str]
) -> None:
    """Checks one split: numeric, non-empty, finite pixels, integral labels in range.

    Args:
        source: The file or folder the split came from, for messages.
        images: `(n, h, w, c)` images.
        labels: `(n,)` labels.
        names: The names of the two arrays (e.g. `("x_train", "y_train")`).

    Raises:
        DataError: At the first violated contract.

    Example:
        >>> try:
        ...     check_split("d.npz", np.zeros((2, 2, 2, 1)), np.array([0, -1]),
        ...                 ("x_train", "y_train"))
        ... except DataError as error:
        ...     print(error)
        d.npz: y_train[1] = -1 is not a class index in [0, 65536).
    """
    x_name, y_name = names
    for array, name in ((images, x_name), (labels, y_name)):
        if array.dtype.kind not in "uif":
            raise DataError(
                f"{source}: {name} has dtype {array.dtype}; expected numbers "
                "(unsigned/signed integers or floats)."
            )
    if len(images) == 0:
        raise DataError(f"{source}: {x_name} holds no example; need at least one.")
    if images.dtype.kind == "f":
        bad = ~np.isfinite(images)
        if bad.any():
            index = _first(bad)
            raise DataError(
                f"{source}: {x_name}[{index}] holds a NaN or infinite pixel; every "
                "pixel must be finite."
            )
    if labels.dtype.kind == "f":
        bad = ~np.isfinite(labels) | (labels != np.round(labels))
        if bad.any():
            index = int(np.argmax(bad))
            raise DataError(
                f"{source}: {y_name}[{index}] = {labels[index]!r} is not a whole "
                "number; labels are class indices."
            )
    bad = (labels < 0) | (labels >= MAX_CLASSES)
    if bad.any():
        index = int(np.argmax(bad))
        raise DataError(
            f"{source}: {y_name}[{index}] = {labels[index]!r} is not a class index "
            f"in [0, {MAX_CLASSES})."
        )


def check_pair(
    source: str, train: np.ndarray, test: np.ndarray, names: tuple[str, str]
) -> None:
    """Checks the two splits' images together: same shape, pixels that vary.

    Args:
        source: The file or folder, for messages.
        train: The training images `(n, h, w, c)`.
        test: The test images `(m, h, w, c)`.
        names: The names of the two arrays (e.g. `("x_train", "x_test")`).

    Raises:
        DataError: If the image shapes differ, or a channel of the training
            images is constant (its standard deviation, which `load` divides by,
            is 0).
    """
    if train.shape[1:] != test.shape[1:]:
        raise DataError(
            f"{source}: {names[0]} images are {train.shape[1:]} but {names[1]} "
            f"images are {test.shape[1:]}; both splits need the same height, width "
            "and channels."
        )
    spread = train.reshape(-1, train.shape[-1]).astype(np.float64).std(axis=0)
    flat = np.nonzero(spread == 0)[0]
    if flat.size:
        raise DataError(
            f"{source}: channel {int(flat[0])} of {names[0]} has the same value in "
            "every pixel (standard deviation 0), so it cannot be normalised."
        )
