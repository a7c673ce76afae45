"""Fixtures shared by the test modules (one test module per library module)."""

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The tests test the TensorFlow operations that draw the flips, also where a kernel
# was built (`larq-ber kernel build`); tests/test_kernel.py enables its own build.
os.environ["LARQ_BER_KERNEL"] = "0"

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber import flips, kernel
from larq_ber.models import BinaryAlexNet, LeNet4, NiN

ROOT = Path(__file__).parent.parent

#: The paper's models at the smallest input each architecture allows (AlexNet's
#: dense layers take whatever map is left), to keep CPU time down.
SMALL_MODELS = {
    "lenet4": (LeNet4, (28, 28, 1)),
    "nin": (NiN, (32, 32, 3)),
    "binary_alexnet": (BinaryAlexNet, (64, 64, 3)),
}

#: The binarized layers of each model, in order.
BINARIZED = {
    "lenet4": ["binary_conv_2", "binary_dense_3"],
    "nin": [f"binary_conv_{i}" for i in range(2, 9)],
    "binary_alexnet": [f"binary_conv_{i}" for i in range(2, 6)]
    + ["binary_dense_6", "binary_dense_7"],
}

#: A sweep recipe small enough for tests: LeNet-4 on digits, 2 BERs x 2 repeats.
TINY_RECIPE = """\
model = "lenet4"
dataset = "digits"
bers = [0.0, 0.5]
repeats = 2
epochs = 2
batch_size = 64
optimizer = "adam"
learning_rate = 0.003
weight_decay = 0.0
decay_epochs = []
"""


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same global seeds (Python, numpy, TF)."""
    tf.keras.utils.set_random_seed(1234)
    yield
    tf.keras.backend.clear_session()


@pytest.fixture
def root():
    """The repository's root folder."""
    return ROOT


@pytest.fixture
def small_models():
    """`{name: (model function, small input shape)}` for the paper's models."""
    return SMALL_MODELS


@pytest.fixture
def binarized():
    """`{name: [binarized layer names in order]}` for the paper's models."""
    return BINARIZED


@pytest.fixture
def tiny_batch():
    """A function `(shape, n=64, classes=10, seed=0) -> (images, labels)`: n images
    of `classes` random prototypes plus as much noise again."""

    def make(shape, n=64, classes=10, seed=0):
        rng = np.random.default_rng(seed)
        prototypes = rng.standard_normal((classes, *shape))
        labels = np.arange(n) % classes
        images = prototypes[labels] + rng.standard_normal((n, *shape))
        return images.astype("float32"), labels

    return make


# The compiled kernel (tests/test_kernel.py, tests/test_batch_norm_pool.py).


@pytest.fixture(scope="session")
def kernel_cache(tmp_path_factory):
    """A cache folder with the kernel built in it (once per test process)."""
    cache = tmp_path_factory.mktemp("kernel_cache")
    saved = os.environ.get(kernel.CACHE_VARIABLE)
    os.environ[kernel.CACHE_VARIABLE] = str(cache)
    try:
        kernel.build()
    finally:
        if saved is None:
            del os.environ[kernel.CACHE_VARIABLE]
        else:
            os.environ[kernel.CACHE_VARIABLE] = saved
    return cache


@pytest.fixture
def with_kernel(kernel_cache, monkeypatch):
    """The kernel built and enabled for one test; its loaded operations.

    Used as on a CPU-only machine also where a GPU is visible (TensorFlow then
    places the operation on the CPU)."""
    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(kernel_cache))
    monkeypatch.setenv(kernel.DISABLE_VARIABLE, "1")
    monkeypatch.setattr(flips, "_gpu_visible", lambda: False)
    module = kernel.load()
    assert module is not None
    return module


@pytest.fixture(scope="session")
def binary_block_model():
    """A function `(quantizer, input_shape=(16, 16, 3), classes=10) -> model`: two
    binary convolutions (one 'same' padded with 1.0, one after a binary max-pool)
    and a binary dense layer, each behind `quantizer()`."""

    def build(quantizer, input_shape=(16, 16, 3), classes=10):
        binary = {
            "kernel_quantizer": "magnitude_aware_sign",
            "kernel_constraint": "weight_clip",
            "use_bias": False,
        }
        inp = tf.keras.Input(input_shape)
        x = tf.keras.layers.Conv2D(32, 3, padding="same", use_bias=False)(inp)
        x = tf.keras.layers.BatchNormalization()(x)
        x = lq.layers.QuantConv2D(
            32, 3, input_quantizer=quantizer(), padding="same", pad_values=1.0, **binary
        )(x)
        x = tf.keras.layers.BatchNormalization()(x)
        x = tf.keras.layers.MaxPool2D()(x)
        x = lq.layers.QuantConv2D(64, 3, input_quantizer=quantizer(), **binary)(x)
        x = tf.keras.layers.BatchNormalization()(x)
        x = tf.keras.layers.Flatten()(x)
        x = lq.layers.QuantDense(classes, input_quantizer=quantizer(), **binary)(x)
        out = tf.keras.layers.Softmax()(x)
        return tf.keras.Model(inp, out)

    return build


@pytest.fixture
def tiny_recipe_file(tmp_path):
    """A function `(**changes) -> path` writing `TINY_RECIPE` (plus TOML lines for
    `changes`) to a file in the test's folder."""

    def write(name="tiny.toml", **changes):
        lines = dict(line.split(" = ", 1) for line in TINY_RECIPE.splitlines())
        lines.update({key: json.dumps(value) for key, value in changes.items()})
        path = tmp_path / name
        path.write_text("".join(f"{k} = {v}\n" for k, v in lines.items()))
        return path

    return write


@pytest.fixture
def tiny_recipe(tmp_path):
    """A function `(**overrides) -> Recipe` loading `TINY_RECIPE` with overrides."""
    from larq_ber.study.recipes import load_recipe

    def load(**overrides):
        path = tmp_path / "tiny.toml"
        path.write_text(TINY_RECIPE)
        return load_recipe(path, overrides)

    return load


@pytest.fixture
def read_events():
    """A function `(run_dir) -> [event records]` reading a run's `events.jsonl`."""

    def read(run_dir):
        lines = (Path(run_dir) / "events.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    return read
