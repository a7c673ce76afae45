"""The quantizer must vanish into exactly the binary ops of plain `ste_sign` when a
model is converted with Larq Compute Engine."""

import larq_compute_engine as lce
import numpy as np
import pytest
import tensorflow as tf

from larq_ber.export import RANDOM_OPS, op_census
from larq_ber.quantizers import BerSteSign, set_ber
from tests.helpers import binary_block_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def converted():
    tf.keras.utils.set_random_seed(11)
    noisy = binary_block_model(lambda: BerSteSign(0.08, metrics=["bit_error_rate"]))
    rng = np.random.default_rng(6)
    x = rng.standard_normal((64, 16, 16, 3)).astype("float32")
    y = rng.integers(0, 10, 64)
    noisy.compile("adam", "sparse_categorical_crossentropy")
    noisy.fit(x, y, epochs=2, batch_size=16, verbose=0)  # trained with errors
    plain = binary_block_model(lambda: "ste_sign")
    plain.set_weights(noisy.get_weights())
    return (
        noisy,
        plain,
        x,
        lce.convert_keras_model(noisy),
        lce.convert_keras_model(plain),
    )


def test_same_binary_ops_as_ste_sign(converted):
    _, _, _, noisy_fb, plain_fb = converted
    noisy_ops, plain_ops = op_census(noisy_fb), op_census(plain_fb)
    assert noisy_ops == plain_ops
    assert noisy_ops["LceBconv2d"] == 2
    assert noisy_ops["LceQuantize"] >= 2
    assert noisy_ops["LceBMaxPool2d"] == 1
    assert not RANDOM_OPS & set(noisy_ops)
    assert not any("Random" in op or "Flex" in op for op in noisy_ops)


def test_interpreter_matches_keras_inference(converted):
    noisy, plain, x, noisy_fb, _ = converted
    expected = noisy.predict(x, verbose=0)
    np.testing.assert_array_equal(expected, plain.predict(x, verbose=0))
    got = lce.testing.Interpreter(noisy_fb).predict(x)
    # Softmax outputs; float accumulation order differs between TF and the
    # interpreter's kernels, nothing else.
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.array_equal(got.argmax(-1), expected.argmax(-1))


def test_census_does_not_depend_on_the_rate(converted):
    noisy, _, _, noisy_fb, _ = converted
    set_ber(noisy, 0.5)
    assert op_census(lce.convert_keras_model(noisy)) == op_census(noisy_fb)
