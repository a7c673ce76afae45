"""Shared fixtures of the `larq_ber.study.data` tests: small MNIST-format files."""

import gzip
import struct

import numpy as np
import pytest

from larq_ber.study.data import offline, registry


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
def write_idx():
    """`write_idx(directory, prefix, images, labels, gz=False, magic=None)`."""
    return _write_idx


@pytest.fixture
def mnist_like():
    """`mnist_like(n, seed=0)`: random uint8 28×28 images and labels 0…9."""
    return _mnist_like


@pytest.fixture
def idx_dir(tmp_path):
    """300 gzipped training and 100 plain test examples in MNIST's IDX format."""
    _write_idx(tmp_path, "train", *_mnist_like(300, 0), gz=True)
    _write_idx(tmp_path, "t10k", *_mnist_like(100, 1))
    return tmp_path


@pytest.fixture(
    params=["mnst", "idx:", "imagenet", "imagenet2012:classes=0,subset_seed=1",
            "imagenet2012:classes=1001,subset_seed=1", "imagenet2012:classes=5",
            "imagenet2012:classes=5,subset_seed=-1", 42],
)  # fmt: skip
def bad_name(request):
    """A dataset name that `load` and `info` must refuse (one per test run)."""
    return request.param


@pytest.fixture(autouse=True)
def _fashion_mnist_from_tfds(tmp_path, monkeypatch):
    """`fashion_mnist` comes from TFDS unless a test points it at a folder: no test
    reads this machine's Debian copy, nor a folder named in the environment."""
    monkeypatch.delenv(registry.FASHION_MNIST_DIR_VARIABLE, raising=False)
    monkeypatch.setattr(registry, "FASHION_MNIST_DIR", tmp_path / "no-fashion-mnist")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """No test touches the network: the download hosts "answer" (TFDS's mocked
    downloads go ahead) unless a test replaces the probe itself."""
    monkeypatch.setattr(offline, "reachable", lambda host, port=443, timeout=3: True)
