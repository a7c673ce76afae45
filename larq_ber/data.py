r"""Datasets for bit-error experiments.

For now this module holds the embedded offline dataset that the quick start, the
examples and the tests use: scikit-learn's bundled handwritten `digits` (1,797
images of 8×8 pixels, 10 classes), upscaled to MNIST's 28×28 layout so that the
MNIST models run on it unchanged.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["MNIST_MEAN", "MNIST_STD", "digits_arrays"]

#: Mean of MNIST training pixels scaled to [0, 1] (the reference normalisation).
MNIST_MEAN = 0.1307
#: Standard deviation of MNIST training pixels scaled to [0, 1].
MNIST_STD = 0.3081

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


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
