import numpy as np
import pytest

from larq_ber.study.data import (
    MNIST_MEAN,
    MNIST_STD,
    digits_arrays,
    info,
    load,
    read_idx,
)

# --------------------------------------------------------------------------- IDX


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


def test_idx_errors_name_the_file(idx_dir, write_idx, mnist_like):
    (idx_dir / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load(f"idx:{idx_dir}", split="test", batch_size=8)
    images, labels = mnist_like(10)
    write_idx(idx_dir, "t10k", images, labels[:9])
    with pytest.raises(ValueError, match=r"10 images but .*t10k-labels.* 9 labels"):
        read_idx(idx_dir, "test")
    write_idx(idx_dir, "t10k", images, labels, magic=0x801)
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte: wrong magic number"):
        read_idx(idx_dir, "test")
    write_idx(idx_dir, "t10k", images, labels)
    path = idx_dir / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte: header promises"):
        read_idx(idx_dir, "test")
    gz = idx_dir / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:50])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz"):
        read_idx(idx_dir, "train")


# --------------------------------------------------------------------------- npz


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


# ------------------------------------------------------------------------ digits


def test_digits_arrays_layout_and_split():
    (x_train, y_train), (x_test, y_test) = digits_arrays()
    assert x_train.shape == (1438, 28, 28, 1) and x_test.shape == (359, 28, 28, 1)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    # stratified: every class has 20 % (rounded) of its images in the test set
    counts_test = np.bincount(y_test, minlength=10)
    counts_all = counts_test + np.bincount(y_train, minlength=10)
    np.testing.assert_array_equal(counts_test, np.round(0.2 * counts_all))
    # MNIST-like frame: the 4-pixel border is background
    raw = digits_arrays(normalize=False)[0][0]
    assert raw.min() == 0.0 and raw.max() == 1.0
    assert np.all(raw[:, :4] == 0) and np.all(raw[:, -4:] == 0)
    np.testing.assert_allclose(
        x_train,
        (digits_arrays(normalize=False)[0][0] - MNIST_MEAN) / MNIST_STD,
        rtol=1e-6,
    )
    # the same split every time, another one for another seed
    np.testing.assert_array_equal(digits_arrays()[1][1], y_test)
    assert not np.array_equal(digits_arrays(seed=1)[1][1], y_test)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.5])
def test_digits_bad_fraction(fraction):
    with pytest.raises(ValueError, match="`test_fraction`"):
        digits_arrays(test_fraction=fraction)
