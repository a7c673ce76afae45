import gzip
import struct

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from larq_ber import data
from larq_ber.data import info, load, read_idx, subset_classes

# ------------------------------------------------------------------------- helpers


def _write_idx(directory, prefix, images, labels, gz=False, magic=None):
    directory.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">IIII", magic or 0x803, *images.shape)
    blobs = {
        f"{prefix}-images-idx3-ubyte": header + images.tobytes(),
        f"{prefix}-labels-idx1-ubyte": struct.pack(">II", 0x801, len(labels))
        + labels.tobytes(),
    }
    for name, blob in blobs.items():
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(blob))
        else:
            (directory / name).write_bytes(blob)


def _mnist_like(n, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n).astype(np.uint8),
    )


@pytest.fixture
def idx_dir(tmp_path):
    _write_idx(tmp_path, "train", *_mnist_like(300, 0), gz=True)
    _write_idx(tmp_path, "t10k", *_mnist_like(100, 1))
    return tmp_path


# ---------------------------------------------------------------- names and info


def test_info_of_every_tfds_name():
    expected = {
        "mnist": (10, (28, 28, 1), 60_000, 10_000),
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


@pytest.mark.parametrize(
    "name",
    ["mnst", "idx:", "imagenet", "imagenet2012:classes=0,subset_seed=1",
     "imagenet2012:classes=1001,subset_seed=1", "imagenet2012:classes=5",
     "imagenet2012:classes=5,subset_seed=-1", 42],
)  # fmt: skip
def test_bad_names(name):
    with pytest.raises(ValueError) as error:
        load(name, split="train", batch_size=8)
    message = str(error.value)
    assert "classes=K,subset_seed=S" in message
    if not str(name).startswith("imagenet2012:"):
        assert "idx:<" in message and "npz:<" in message and "cifar100" in message


def test_bad_split_and_batch_size():
    with pytest.raises(ValueError, match="`split`"):
        load("digits", split="validation", batch_size=8)
    with pytest.raises(ValueError, match="`batch_size`"):
        load("digits", split="train", batch_size=0)


def test_subset_classes_are_fixed_by_the_seed():
    synsets = data._imagenet_synsets()
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


# -------------------------------------------------------------------- local files


def test_idx_files_plain_and_gzipped(idx_dir):
    meta = info(f"idx:{idx_dir}")
    assert meta.num_classes == 10 and meta.input_shape == (28, 28, 1)
    assert meta.splits == {"train": 300, "test": 100}
    images, labels = read_idx(idx_dir, "train")
    batches = list(load(f"idx:{idx_dir}", split="train", batch_size=64, shuffle=False))
    assert [b[0].shape[0] for b in batches] == [64, 64, 64, 64, 44]
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert x.dtype == np.float32 and x.shape == (300, 28, 28, 1)
    np.testing.assert_array_equal(y, labels)
    # normalised with the training statistics: mean 0, std 1 over the train split
    assert abs(x.mean()) < 1e-4 and abs(x.std() - 1) < 1e-4
    np.testing.assert_allclose(
        x, (images / 255 - meta.mean[0]) / meta.std[0], atol=1e-5
    )
    test = next(iter(load(f"idx:{idx_dir}", split="test", batch_size=100)))
    assert test[0].shape == (100, 28, 28, 1)


def test_idx_errors_name_the_file(idx_dir):
    (idx_dir / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load(f"idx:{idx_dir}", split="test", batch_size=8)
    images, labels = _mnist_like(10)
    _write_idx(idx_dir, "t10k", images, labels[:9])
    with pytest.raises(ValueError, match=r"10 images but .*t10k-labels.* 9 labels"):
        read_idx(idx_dir, "test")
    _write_idx(idx_dir, "t10k", images, labels, magic=0x801)
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte: wrong magic number"):
        read_idx(idx_dir, "test")
    _write_idx(idx_dir, "t10k", images, labels)
    path = idx_dir / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte: header promises"):
        read_idx(idx_dir, "test")
    gz = idx_dir / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:50])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz"):
        read_idx(idx_dir, "train")


def test_npz_grey_and_colour(tmp_path):
    rng = np.random.default_rng(3)
    grey = tmp_path / "grey.npz"
    np.savez(grey, x_train=rng.integers(0, 256, (40, 8, 8), dtype=np.uint8),
             y_train=np.arange(40) % 4, x_test=np.zeros((8, 8, 8), np.uint8),
             y_test=np.zeros(8, int))  # fmt: skip
    meta = info(f"npz:{grey}")
    assert meta.input_shape == (8, 8, 1) and meta.num_classes == 4
    colour = tmp_path / "colour.npz"
    np.savez(colour, x_train=rng.random((20, 6, 6, 3)).astype("float32"),
             y_train=np.arange(20) % 5, x_test=rng.random((5, 6, 6, 3)),
             y_test=np.arange(5))  # fmt: skip
    x, _ = next(
        iter(load(f"npz:{colour}", split="train", batch_size=20, shuffle=False))
    )
    assert x.shape == (20, 6, 6, 3) and info(f"npz:{colour}").num_classes == 5
    np.testing.assert_allclose(np.asarray(x).mean(axis=(0, 1, 2)), 0, atol=1e-5)


def test_npz_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.npz"):
        load(f"npz:{tmp_path / 'missing.npz'}", split="train", batch_size=4)
    partial = tmp_path / "partial.npz"
    np.savez(partial, x_train=np.zeros((4, 5, 5)), y_train=np.zeros(4))
    with pytest.raises(
        ValueError, match=r"partial.npz: missing arrays \['x_test', 'y_test'\]"
    ):
        load(f"npz:{partial}", split="train", batch_size=4)
    uneven = tmp_path / "uneven.npz"
    np.savez(uneven, x_train=np.zeros((4, 5, 5)), y_train=np.zeros(3),
             x_test=np.zeros((1, 5, 5)), y_test=np.zeros(1))  # fmt: skip
    with pytest.raises(ValueError, match=r"uneven\.npz: x_train has shape"):
        load(f"npz:{uneven}", split="train", batch_size=4)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match=r"broken\.npz: not a readable \.npz"):
        load(f"npz:{broken}", split="train", batch_size=4)


def test_digits_through_load():
    x, y = next(iter(load("digits", split="test", batch_size=400, shuffle=False)))
    (_, _), (x_ref, y_ref) = data.digits_arrays()
    np.testing.assert_array_equal(y, y_ref)
    # uint8 round trip of the [0, 1] pixels: within half a grey level
    np.testing.assert_allclose(x, x_ref, atol=0.5 / 255 / data.MNIST_STD + 1e-6)


# ---------------------------------------------------------------------------- TFDS


@pytest.mark.parametrize(
    ("name", "shape"),
    [("mnist", (28, 28, 1)), ("cifar10", (32, 32, 3)), ("cifar100", (32, 32, 3)),
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
    kept = data._subset_indices(3, 5)
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

    monkeypatch.setattr(data, "_decode_image", counting_decode)
    with tfds.testing.mock_data(as_dataset_fn=_encoded_imagenet(labels)):
        ds = load("imagenet2012:classes=3,subset_seed=5", split=split, batch_size=4,
                  data_dir=tmp_path, shuffle=False, seed=0)  # fmt: skip
        batches = list(ds)
    assert len(decoded) == 6  # only the kept classes' images were decoded
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert x.shape == (6, 224, 224, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(y, [0, 1, 2, 0, 1, 2])  # relabelled 0..K-1
