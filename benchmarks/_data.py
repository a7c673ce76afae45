"""Random images read from memory: the data the speed benchmarks time models on."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def random_images(shape: tuple[int, ...], images: int) -> tuple[np.ndarray, np.ndarray]:
    """`images` standard-normal float32 images of `shape` and labels 0-9 (seed 0)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((images, *shape)).astype("float32")
    return x, rng.integers(0, 10, images)


def in_memory(
    x: np.ndarray, y: np.ndarray, batch: int, *, train: bool, autotune: bool = False
) -> tf.data.Dataset:
    """Batches of `(x, y)`: shuffled and prefetched to train, cached to evaluate.

    Without tf.data's autotuning unless asked: with it, dropping an iterator (the
    end of every `fit` epoch and `evaluate`) waits for its optimisation thread, up
    to 0.49 s on 2 cores.
    """
    data = tf.data.Dataset.from_tensor_slices((x, y))
    if train:
        data = data.shuffle(len(x), seed=0).batch(batch).prefetch(2)
    else:
        data = data.batch(batch).cache()
    if not autotune:
        options = tf.data.Options()
        options.autotune.enabled = False
        data = data.with_options(options)
    return data
