import os
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from larq_ber.study import data
from larq_ber.study.data import DataError, info, load, read_idx, registry

# ------------------------------------------------------------------- arguments


def test_bad_names(bad_name):
    with pytest.raises(ValueError) as error:
        load(bad_name, split="train", batch_size=8)
    message = str(error.value)
    assert "classes=K,subset_seed=S" in message
    if not str(bad_name).startswith("imagenet2012:"):
        assert "idx:<" in message and "npz:<" in message and "cifar100" in message


def test_bad_split_and_batch_size():
    with pytest.raises(ValueError, match="`split`"):
        load("digits", split="validation", batch_size=8)
    with pytest.raises(ValueError, match="`batch_size`"):
        load("digits", split="train", batch_size=0)


# ------------------------------------------------------------------------ digits


def test_digits_through_load():
    x, y = next(iter(load("digits", split="test", batch_size=400, shuffle=False)))
    (_, _), (x_ref, y_ref) = data.digits_arrays()
    np.testing.assert_array_equal(y, y_ref)
    # uint8 round trip of the [0, 1] pixels: within half a grey level
    np.testing.assert_allclose(x, x_ref, atol=0.5 / 255 / data.MNIST_STD + 1e-6)


# ---------------------------------------------------------------------------- TFDS


@pytest.mark.parametrize(
    ("name", "shape"),
    [("mnist", (28, 28, 1)), ("fashion_mnist", (28, 28, 1)),
     ("cifar10", (32, 32, 3)), ("cifar100", (32, 32, 3)),
     ("svhn_extra", (32, 32, 3)), ("svhn_train_extra", (32, 32, 3))],
)  # fmt: skip
@pytest.mark.parametrize("split", ["train", "test"])
def test_tfds_datasets_with_mock_data(name, shape, split, tmp_path):
    with tfds.testing.mock_data(num_examples=40):
        ds = load(name, split=split, batch_size=16, data_dir=tmp_path, seed=0)
        batches = list(ds)
    assert [b[0].shape for b in batches] == [(16, *shape), (16, *shape), (8, *shape)]
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert y.min() >= 0 and y.max() < info(name).num_classes
    meta = info(name)
    lowest = (0 - np.array(meta.mean)) / np.array(meta.std)
    highest = (1 - np.array(meta.mean)) / np.array(meta.std)
    assert np.all(x >= lowest.min() - 1e-5) and np.all(x <= highest.max() + 1e-5)


def test_cifar_augmentation_changes_train_images_only(tmp_path):
    def first(split, **kwargs):
        ds = load("cifar10", split=split, batch_size=16, data_dir=tmp_path, **kwargs)
        return next(iter(ds))[0].numpy()

    with tfds.testing.mock_data(num_examples=16):
        plain = first("train", shuffle=False, augment=False)
        crops = first("train", shuffle=False, seed=1)
        again = first("train", shuffle=False, augment=False)
        test = first("test")
        test_plain = first("test", augment=False)
    assert crops.shape == plain.shape
    assert not np.allclose(crops, plain)
    np.testing.assert_array_equal(again, plain)  # without augmentation: the same
    np.testing.assert_array_equal(test, test_plain)  # test split: no augmentation


def test_missing_tfds_data_says_what_to_prepare(tmp_path):
    with pytest.raises(RuntimeError) as error:
        load("cifar10", split="train", batch_size=8, data_dir=tmp_path, download=False)
    message = str(error.value)
    assert str(tmp_path) in message and "tfds build cifar10" in message
    with pytest.raises(RuntimeError) as error:
        load(
            "imagenet2012",
            split="test",
            batch_size=8,
            data_dir=tmp_path,
            download=False,
        )
    assert str(tmp_path / "downloads" / "manual") in str(error.value)
    assert "ILSVRC2012" in str(error.value)


def _encoded_imagenet(labels, size=(40, 30)):
    def as_dataset(self, split, decoders=None, read_config=None, **kwargs):
        rng = np.random.default_rng(0)
        images = [
            tf.io.encode_jpeg(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).numpy()
            for _ in labels
        ]
        return tf.data.Dataset.from_tensor_slices(
            {"image": images, "label": np.asarray(labels, np.int64),
             "file_name": [b"x.JPEG"] * len(labels)}
        )  # fmt: skip

    return as_dataset


@pytest.mark.parametrize("split", ["train", "test"])
def test_imagenet_subset_filters_before_decoding(split, tmp_path, monkeypatch):
    # the documented draw of `imagenet2012:classes=3,subset_seed=5`
    kept = np.sort(np.random.default_rng(5).choice(1000, 3, replace=False))
    others = [i for i in range(0, 1000, 97) if i not in kept]
    labels = [int(kept[i % 3]) for i in range(6)] + others
    decoded = []

    def counting_decode(encoded):
        def count(x):
            decoded.append(1)
            return x

        return tf.io.decode_jpeg(
            tf.py_function(count, [encoded], tf.string), channels=3
        )

    # counts the decoded images: the one place `load` decodes ImageNet's JPEGs
    monkeypatch.setattr("larq_ber.study.data.pipeline._decode_image", counting_decode)
    with tfds.testing.mock_data(as_dataset_fn=_encoded_imagenet(labels)):
        ds = load("imagenet2012:classes=3,subset_seed=5", split=split, batch_size=4,
                  data_dir=tmp_path, shuffle=False, seed=0)  # fmt: skip
        batches = list(ds)
    assert len(decoded) == 6  # only the kept classes' images were decoded
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert x.shape == (6, 224, 224, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(y, [0, 1, 2, 0, 1, 2])  # relabelled 0..K-1


# ------------------------------------------------------------------- Fashion-MNIST


def _fashion_dir(directory, write_idx, mnist_like, train=50, test=20, seed=0):
    """Tiny Fashion-MNIST IDX files in `directory` (train gzipped, like Debian's)."""
    write_idx(directory, "train", *mnist_like(train, seed), gz=True)
    write_idx(directory, "t10k", *mnist_like(test, seed + 1))
    return directory


def _everything(ds):
    batches = list(ds)
    return (np.concatenate([b[0] for b in batches]),
            np.concatenate([b[1] for b in batches]))  # fmt: skip


def _no_tfds(*args, **kwargs):
    raise AssertionError("the local copy of fashion_mnist must not touch TFDS")


@pytest.mark.parametrize("split", ["train", "test"])
def test_fashion_mnist_local_copy(split, tmp_path, monkeypatch, write_idx, mnist_like):
    local = _fashion_dir(tmp_path / "fashion", write_idx, mnist_like)
    monkeypatch.setattr(registry, "FASHION_MNIST_DIR", local)
    monkeypatch.setattr(tfds, "builder", _no_tfds)
    x, y = _everything(
        load("fashion_mnist", split=split, batch_size=16, shuffle=False,
             data_dir=tmp_path / "tfds", download=False)
    )  # fmt: skip
    images, labels = read_idx(local, split)
    assert x.shape == (len(labels), 28, 28, 1) and x.dtype == np.float32
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, labels)
    # the fixed Fashion-MNIST statistics, not those of the files read
    np.testing.assert_allclose(
        x, (images / 255 - data.FASHION_MNIST_MEAN) / data.FASHION_MNIST_STD,
        atol=1e-5,
    )  # fmt: skip
    # the train split is shuffled by default, and holds the same examples
    shuffled = load("fashion_mnist", split=split, batch_size=16, seed=0)
    _, y_shuffled = _everything(shuffled)
    np.testing.assert_array_equal(np.sort(y_shuffled), np.sort(labels))


def test_fashion_mnist_directory_from_environment(
    tmp_path, monkeypatch, write_idx, mnist_like
):
    default = _fashion_dir(tmp_path / "debian", write_idx, mnist_like, seed=0)
    other = _fashion_dir(tmp_path / "other", write_idx, mnist_like, test=7, seed=5)
    monkeypatch.setattr(registry, "FASHION_MNIST_DIR", default)
    monkeypatch.setenv(registry.FASHION_MNIST_DIR_VARIABLE, str(other))
    monkeypatch.setattr(tfds, "builder", _no_tfds)
    _, y = _everything(load("fashion_mnist", split="test", batch_size=4))
    np.testing.assert_array_equal(y, read_idx(other, "test")[1])
    # a folder named in the environment must hold the files: no silent fallback
    missing = tmp_path / "missing"
    monkeypatch.setenv(registry.FASHION_MNIST_DIR_VARIABLE, str(missing))
    with pytest.raises(FileNotFoundError, match=str(missing)):
        load("fashion_mnist", split="train", batch_size=4)


def test_fashion_mnist_local_copy_must_fit(tmp_path, monkeypatch, write_idx):
    rng = np.random.default_rng(0)
    monkeypatch.setattr(registry, "FASHION_MNIST_DIR", tmp_path)
    small = rng.integers(0, 256, (12, 20, 20), dtype=np.uint8)
    write_idx(tmp_path, "train", small, np.arange(12, dtype=np.uint8) % 10)
    write_idx(tmp_path, "t10k", small[:4], np.zeros(4, np.uint8))
    with pytest.raises(DataError, match=r"train-images are \(20, 20, 1\)"):
        load("fashion_mnist", split="train", batch_size=4)
    images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    write_idx(tmp_path, "train", images, np.arange(12, dtype=np.uint8))
    write_idx(tmp_path, "t10k", images[:4], np.zeros(4, np.uint8))
    with pytest.raises(DataError, match=r"train-labels\[10\] = 10 is not one of"):
        load("fashion_mnist", split="test", batch_size=4)


def _tfds_from_idx(directory):
    """`as_dataset` for `tfds.testing.mock_data`: the IDX files' examples, as TFDS
    yields them (uint8 `(28, 28, 1)` images, int64 labels)."""

    def as_dataset(self, split, decoders=None, read_config=None, **kwargs):
        images, labels = read_idx(directory, "test" if split == "test" else "train")
        return tf.data.Dataset.from_tensor_slices(
            {"image": images, "label": labels.astype(np.int64)}
        )

    return as_dataset


@pytest.mark.parametrize("split", ["train", "test"])
def test_fashion_mnist_both_sources_agree(
    split, tmp_path, monkeypatch, write_idx, mnist_like
):
    files = _fashion_dir(tmp_path / "fashion", write_idx, mnist_like)
    with tfds.testing.mock_data(as_dataset_fn=_tfds_from_idx(files)):
        from_tfds = _everything(
            load("fashion_mnist", split=split, batch_size=16, shuffle=False,
                 data_dir=tmp_path / "tfds")
        )  # fmt: skip
    monkeypatch.setattr(registry, "FASHION_MNIST_DIR", files)
    local = _everything(load("fashion_mnist", split=split, batch_size=16,
                             shuffle=False))  # fmt: skip
    np.testing.assert_array_equal(local[1], from_tfds[1])
    np.testing.assert_array_equal(local[0], from_tfds[0])


REAL_FASHION_MNIST = Path(
    os.environ.get(registry.FASHION_MNIST_DIR_VARIABLE)
    or "/usr/share/datasets/fashion-mnist"
)


@pytest.mark.slow
@pytest.mark.skipif(
    not REAL_FASHION_MNIST.is_dir(),
    reason=f"no Fashion-MNIST in {REAL_FASHION_MNIST} "
    "(apt-get install dataset-fashion-mnist)",
)
def test_real_fashion_mnist(monkeypatch):
    monkeypatch.setattr(registry, "FASHION_MNIST_DIR", REAL_FASHION_MNIST)
    monkeypatch.setattr(tfds, "builder", _no_tfds)
    counts = {"train": 60_000, "test": 10_000}
    for split, count in counts.items():
        x, y = _everything(
            load("fashion_mnist", split=split, batch_size=10_000, shuffle=False)
        )
        assert x.shape == (count, 28, 28, 1)
        assert info("fashion_mnist").splits[split] == count
        np.testing.assert_array_equal(np.bincount(y), [count // 10] * 10)
        pixels = x.astype(np.float64) * data.FASHION_MNIST_STD + data.FASHION_MNIST_MEAN
        if split == "train":  # the constants are the training set's statistics
            assert abs(x.mean()) < 2e-4 and abs(x.std() - 1) < 2e-4
            assert abs(pixels.mean() - 0.286041) < 1e-5
            assert abs(pixels.std() - 0.353024) < 1e-5
        else:
            assert abs(pixels.mean() - 0.286849) < 1e-5
            assert abs(pixels.std() - 0.352444) < 1e-5
        assert pixels.min() > -1e-6 and pixels.max() < 1 + 1e-6


def test_is_available_says_whether_a_name_loads_without_a_download(
    tmp_path, monkeypatch, write_idx, mnist_like
):
    from larq_ber.study.data import is_available

    assert is_available("digits")
    assert not is_available("cifar10", data_dir=tmp_path)  # nothing prepared here
    assert not list(tmp_path.rglob("*.tfrecord*"))  # and nothing downloaded
    folder = _fashion_dir(tmp_path / "fashion", write_idx, mnist_like, seed=0)
    monkeypatch.setenv(registry.FASHION_MNIST_DIR_VARIABLE, str(folder))
    monkeypatch.setattr(tfds, "builder", _no_tfds)
    assert is_available("fashion_mnist", split="train")
    monkeypatch.setenv(registry.FASHION_MNIST_DIR_VARIABLE, str(tmp_path / "gone"))
    assert not is_available("fashion_mnist")
    with pytest.raises(ValueError, match="mnits"):
        is_available("mnits")
    with pytest.raises(ValueError, match="split"):
        is_available("digits", split="dev")
