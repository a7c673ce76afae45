"""`load`: the datasets of `larq_ber.study.data` as `tf.data` pipelines.

Reads TFDS datasets (ImageNet subsets drop the other classes before any image is
decoded), local files and `digits`, then caches, shuffles, augments as the
reference code does (CIFAR: pad-crop-flip; ImageNet: random-resized crops for
training, central crops for evaluation), normalises, batches and prefetches.
This is the only module of `larq_ber.study.data` that imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.study.data.contracts import check_split_name
from larq_ber.study.data.files import _local_splits, digits_arrays
from larq_ber.study.data.offline import check_download
from larq_ber.study.data.registry import (
    _IMAGENET_SIZE,
    _TFDS,
    DatasetInfo,
    _array_info,
    _digits_info,
    _local_copy,
    _local_copy_arrays,
    _parse_name,
    _subset_indices,
    _Tfds,
    info,
)

__all__ = ["is_available", "load", "resize"]


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
        if entry.tfds_name != "imagenet2012":  # (TFDS checks the manual files)
            # Offline, TFDS would retry its download for many minutes: fail now.
            check_download(entry.info.name, entry.tfds_name, Path(root))
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
    epoch: tf.Variable | None = None,
) -> tf.data.Dataset:
    """Loads a dataset of the paper as batches ready for `larq_ber.models`.

    Images come out float32 of shape `(batch, *info(name).input_shape)`, scaled to
    [0, 1] and standardised per channel with `info(name).mean`/`std`; labels
    int64 in 0 … num_classes − 1. The last batch may be smaller.

    Augmentation follows the reference code: ImageNet trains on random-resized
    224×224 crops with horizontal flips and evaluates on the central 224×224 crop
    of the image resized to 256; CIFAR trains on random crops of the image padded
    by 4 with horizontal flips; MNIST, Fashion-MNIST, digits, SVHN (digits must
    not be mirrored) and local files are not augmented. ImageNet subsets drop the
    other classes before any image is decoded.

    `fashion_mnist` is read offline from the IDX files of Debian's
    `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist`) when
    that folder exists, or from the folder named by the environment variable
    `LARQ_BER_FASHION_MNIST_DIR`, and otherwise from TFDS; either way with the
    same splits, labels and normalisation (`data_dir` and `download` only
    concern TFDS).

    Args:
        name: A dataset name (see the documentation of `larq_ber.study.data`).
        split: `"train"` or `"test"` (ImageNet's `"validation"`).
        batch_size: Examples per batch (>= 1).
        data_dir: TFDS data directory; TFDS's default when `None`. Ignored for
            local files, `digits` and a local copy of `fashion_mnist`.
        shuffle: Whether to shuffle each epoch; default: only the train split.
        augment: Whether to augment; default: only the train split.
        seed: Seed of shuffling and augmentation (`None`: different each run).
        cache: Whether to keep the decoded, normalised examples in memory after
            the first epoch (not for ImageNet, which does not fit).
        download: Whether TFDS may download and prepare missing data.
        epoch: Optional integer `tf.Variable` holding the 0-based epoch. With it,
            the shuffling and augmentation of each pass over the data are a
            function of `(seed, epoch)` alone, read when the pass starts: set it
            before each epoch, and a run resumed at epoch $e$ sees exactly the
            order an uninterrupted run saw (without it, each pass continues
            tf.data's own random state).

    Returns:
        A `tf.data.Dataset` of `(images, labels)` batches, prefetched.

    Raises:
        ValueError: For an unknown or malformed name (the message lists the valid
            ones), a bad split or batch size, or an invalid local file.
        FileNotFoundError: If a local file is missing.
        RuntimeError: If TFDS data is missing and cannot be prepared; the message
            says what to download where.
        DataError: Within seconds, if TFDS data is missing and its download host
            cannot be reached (offline); the one-line message says where it
            looked, how to get the data and which datasets work offline.

    Example:
        >>> ds = load("digits", split="test", batch_size=32)
        >>> images, labels = next(iter(ds))
        >>> images.shape, images.dtype.name
        (TensorShape([32, 28, 28, 1]), 'float32')
    """
    split = check_split_name(split)
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or batch_size < 1
    ):
        raise ValueError(f"`batch_size` must be an integer >= 1, got {batch_size!r}.")
    training = split == "train"
    source = _source(
        name, split, None if data_dir is None else os.fspath(data_dir), download
    )
    return _finish(
        source,
        batch_size,
        shuffle=training if shuffle is None else shuffle,
        augment=training if augment is None else augment,
        seed=seed,
        cache=cache,
        epoch=epoch,
    )


@dataclasses.dataclass(frozen=True)
class _Source:
    """One split of a dataset as read, before `_finish` makes batches of it.

    Attributes:
        ds: `(image, label)` examples: uint8 or float images (ImageNet: encoded).
        meta: The dataset's facts (normalisation, shape).
        scale: Factor to [0, 1] (`1 / 255` for uint8 pixels).
        augmentation: `"none"`, `"crop_flip"` or `"imagenet"`.
        size: Number of examples, if known.
        decode: Decodes an encoded image (ImageNet), else `None`.
    """

    ds: tf.data.Dataset
    meta: DatasetInfo
    scale: float
    augmentation: str
    size: int | None
    decode: Callable[[tf.Tensor], tf.Tensor] | None = None


def _source(name: str, split: str, data_dir: str | None, download: bool) -> _Source:
    """Reads one split: local files, a local copy, TFDS, or ImageNet (encoded)."""
    kind, detail = _parse_name(name)
    if kind == "digits":
        arrays = digits_arrays(normalize=False)
        images, labels = arrays[0] if split == "train" else arrays[1]
        images = np.round(images * 255).astype(np.uint8)
        return _in_memory(images, labels, _digits_info(arrays), "none")
    if kind in ("idx", "npz"):
        splits = _local_splits(kind, detail)  # normalised with the train statistics
        meta = _array_info(name, *splits["train"], 0)
        return _in_memory(*splits[split], meta, "none")
    local = _local_copy(detail) if kind == "tfds" else None
    if local is not None:  # a local copy of a TFDS dataset: offline, same meaning
        entry = _TFDS[detail]
        images, labels = _local_copy_arrays(entry.info, local, split)
        return _in_memory(images, labels, entry.info, entry.augment)
    if kind == "tfds" and detail != "imagenet2012":
        entry = _TFDS[detail]
        ds = _tfds_dataset(entry, split, data_dir, download, None)
        return _Source(ds, entry.info, 1 / 255, entry.augment, entry.info.splits[split])
    return _imagenet(
        name, detail if kind == "subset" else None, split, data_dir, download
    )


def _in_memory(
    images: np.ndarray, labels: np.ndarray, meta: DatasetInfo, augmentation: str
) -> _Source:
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int64)))
    scale = 1 / 255 if images.dtype == np.uint8 else 1.0
    return _Source(ds, meta, scale, augmentation, len(images))


def _imagenet(
    name: str,
    subset: tuple[int, int] | None,
    split: str,
    data_dir: str | None,
    download: bool,
) -> _Source:
    """ImageNet or a subset: encoded JPEGs, other classes dropped before decoding.

    A full decoded image is ~0.5 MB, an encoded one ~0.1 MB, so images are only
    decoded once shuffled.
    """
    import tensorflow_datasets as tfds

    entry = _TFDS["imagenet2012"]
    ds = _tfds_dataset(
        entry, split, data_dir, download, {"image": tfds.decode.SkipDecoding()}
    )
    if subset is not None and subset[0] < 1000:
        ds = _select_classes(ds, _subset_indices(*subset))
    meta = info(name)
    return _Source(ds, meta, 1 / 255, "imagenet", meta.splits[split], _decode_image)


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
    source: _Source,
    batch_size: int,
    *,
    shuffle: bool,
    augment: bool,
    seed: int | None,
    cache: bool,
    epoch: tf.Variable | None,
) -> tf.data.Dataset:
    """Cache → shuffle → decode → augment/crop → normalise → batch → prefetch."""
    normalize = _normalizer(source.meta, source.scale)
    parallel = tf.data.AUTOTUNE
    augment = augment and source.augmentation != "none"
    ds, normalized = source.ds, False
    if cache and source.decode is None:
        if not augment:  # nothing random follows: cache the normalised images
            ds = ds.map(lambda x, y: (normalize(x), y), num_parallel_calls=parallel)
            normalized = True
        ds = ds.cache()
    if epoch is not None:
        # One pass per epoch, a function of (seed, epoch) read when it starts.
        if seed is None:
            seed = random.getrandbits(31)
        ds = _epoch_pass(ds, source.size, shuffle, int(seed), epoch)
    elif shuffle:
        ds = ds.shuffle(min(source.size or 10_000, 50_000), seed=seed)
    decode = source.decode
    if decode is not None:
        ds = ds.map(lambda x, y, *s: (decode(x), y, *s), num_parallel_calls=parallel)
    if source.augmentation == "imagenet" and not augment:
        ds = ds.map(
            lambda x, y, *s: (_imagenet_eval(x), y, *s), num_parallel_calls=parallel
        )
    ds = _augmented(ds, source.augmentation, augment, seed, epoch is not None)
    if not normalized:
        ds = ds.map(lambda x, y: (normalize(x), y), num_parallel_calls=parallel)
    return ds.batch(batch_size).prefetch(parallel)


def _augmented(
    ds: tf.data.Dataset,
    augmentation: str,
    augment: bool,
    seed: int | None,
    seeded: bool,
) -> tf.data.Dataset:
    """`(x, y)` examples, augmented with `augmentation` if `augment`.

    With `seeded`, examples come as `(x, y, seed)` from `_epoch_pass` and are
    augmented with their own seed; otherwise seeds are drawn from `seed`.
    """
    parallel = tf.data.AUTOTUNE
    if not augment:
        return ds.map(lambda x, y, s: (x, y)) if seeded else ds
    augment_fn = _crop_flip if augmentation == "crop_flip" else _imagenet_train
    if seeded:  # (seed, epoch, index) of each example
        return ds.map(
            lambda x, y, s: (augment_fn(x, s), y), num_parallel_calls=parallel
        )
    seeds = tf.data.Dataset.random(seed=seed).batch(2)
    return tf.data.Dataset.zip((ds, seeds)).map(
        lambda example, s: (augment_fn(example[0], s), example[1]),
        num_parallel_calls=parallel,
    )


#: Examples shuffled together in one block by `_epoch_pass`.
_BLOCK = 10_000


def _epoch_pass(
    ds: tf.data.Dataset, size: int | None, shuffle: bool, seed: int, epoch: tf.Variable
) -> tf.data.Dataset:
    """One pass over `ds` as (x, y, augmentation seed), a function of the epoch.

    Blocks of `_BLOCK` examples are shuffled statelessly with (seed, epoch, block),
    and each example gets the stateless seed (seed, epoch, index); the epoch is
    read from the variable when the pass starts.
    """
    start = tf.data.Dataset.from_tensors(0).map(
        lambda _: tf.cast(epoch.read_value(), tf.int64)
    )

    def one_pass(number: tf.Tensor) -> tf.data.Dataset:
        key = tf.stack([tf.constant(seed, tf.int64), number])
        examples = ds
        if shuffle:
            blocks = ds.batch(_BLOCK).enumerate()

            def mix(block: tf.Tensor, example: Any) -> Any:
                x, y = example
                order = tf.random.experimental.stateless_shuffle(
                    tf.range(tf.shape(y, out_type=tf.int64)[0]),
                    seed=tf.random.experimental.stateless_fold_in(key, block),
                )
                return tf.gather(x, order), tf.gather(y, order)

            examples = blocks.map(mix).unbatch()
        return examples.enumerate().map(
            lambda i, example: (
                *example,
                tf.random.experimental.stateless_fold_in(key, i + 1_000_000_007),
            )
        )

    passes = start.flat_map(one_pass)
    if size:
        passes = passes.apply(tf.data.experimental.assert_cardinality(size))
    return passes


def is_available(
    name: str, *, split: str = "test", data_dir: str | os.PathLike[str] | None = None
) -> bool:
    """Whether `load(name, split=split)` works here without downloading anything.

    Args:
        name: A dataset name (see the documentation of `larq_ber.study.data`).
        split: The split to look for.
        data_dir: TFDS data directory; TFDS's default when `None`.

    Returns:
        `True` if the data is prepared locally (or needs no preparation, like
        `digits`), `False` if it would have to be downloaded or is missing.

    Raises:
        ValueError: For an unknown or malformed name, or a bad split: a typo is
            an error, not "unavailable".

    Example:
        >>> is_available("digits")
        True
    """
    _parse_name(name)
    check_split_name(split)
    try:
        load(name, split=split, batch_size=1, data_dir=data_dir, download=False)
    except (RuntimeError, FileNotFoundError):
        return False
    return True


def resize(
    ds: tf.data.Dataset, shape: Sequence[int], source: Sequence[int]
) -> tf.data.Dataset:
    """Resizes the images of an `(image, label)` dataset to a model's input shape.

    Args:
        ds: Batches or examples of `(image, label)`.
        shape: The model's input shape `(height, width, channels)`.
        source: The dataset's image shape.

    Returns:
        `ds` itself if the shapes agree, else `ds` with bilinearly resized images.

    Raises:
        ValueError: If the channel counts differ (the message names both).

    Example:
        >>> ds = tf.data.Dataset.from_tensors((tf.zeros([2, 28, 28, 1]), [0, 1]))
        >>> next(iter(resize(ds, (32, 32, 1), (28, 28, 1))))[0].shape
        TensorShape([2, 32, 32, 1])
    """
    if tuple(shape) == tuple(source):
        return ds
    if shape[-1] != source[-1]:
        raise ValueError(
            f"`input_shape` {list(shape)} has {shape[-1]} channels but the dataset "
            f"has {source[-1]}; only the height and width can differ."
        )
    size = list(shape[:2])
    return ds.map(
        lambda x, y: (tf.image.resize(x, size), y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
