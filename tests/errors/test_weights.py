"""Weight sign flips: `larq_ber.errors.weight_errors` (and `BerMagnitudeAwareSign`)."""

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.errors import binarized_kernels, weight_errors
from larq_ber.models import LeNet4
from larq_ber.quantizers import BerMagnitudeAwareSign
from larq_ber.rates import ErrorRates
from tests.errors.helpers import sigma


def test_weight_errors_flip_the_set_fraction_of_binarized_weights_only():
    model = LeNet4()
    before = {v.name: v.numpy().copy() for v in model.weights}
    kernels = dict(binarized_kernels(model))
    assert list(kernels) == ["binary_conv_2", "binary_dense_3"]
    total = sum(int(np.prod(v.shape)) for v in kernels.values())
    with weight_errors(model, 0.05, seed=0) as flipped:
        changed = sum(
            int((np.sign(v.numpy()) != np.sign(before[v.name])).sum())
            for v in kernels.values()
        )
        assert changed == flipped
        assert abs(flipped / total - 0.05) <= sigma(0.05, total)
        for v in model.weights:  # real-valued layers untouched
            if all(v is not k for k in kernels.values()):
                np.testing.assert_array_equal(v.numpy(), before[v.name])
    for v in model.weights:
        np.testing.assert_array_equal(v.numpy(), before[v.name])


def test_weight_errors_restore_the_weights_after_an_exception():
    model = LeNet4()
    before = [v.numpy().copy() for v in model.weights]
    with pytest.raises(RuntimeError, match="boom"):
        with weight_errors(model, 0.5, seed=1):
            raise RuntimeError("boom")
    for v, value in zip(model.weights, before, strict=True):
        np.testing.assert_array_equal(v.numpy(), value)
    with pytest.raises(ValueError, match="`ber` must be in the range"):
        with weight_errors(model, -0.1):
            pass
    with pytest.raises(ValueError, match="no layer with a 1-bit kernel_quantizer"):
        with weight_errors(tf.keras.Sequential([tf.keras.layers.Dense(1)]), 0.1):
            pass


def test_a_flipped_zero_weight_becomes_negative():
    model = LeNet4()
    (_, kernel), _ = binarized_kernels(model)
    kernel.assign(np.zeros(kernel.shape, np.float32))
    with weight_errors(model, 1.0, seed=0) as flipped:
        assert flipped >= kernel.shape.num_elements()
        np.testing.assert_array_equal(
            kernel.numpy(), np.full(kernel.shape, -1e-12, np.float32)
        )
    assert not kernel.numpy().any()


def test_error_rates_set_the_rate_of_weight_errors():
    rates = ErrorRates(0.01, 0.2, weight_ber=0.05)
    lenet = LeNet4()
    total = sum(int(np.prod(v.shape)) for _, v in binarized_kernels(lenet))
    with weight_errors(lenet, rates, seed=0) as count:
        assert abs(count / total - 0.05) <= sigma(0.05, total)


# The two tests below belong with the quantizer's tests (tests/test_quantizers.py):
# kept here, where they were, beside the weight errors at deployment.
def test_ber_magnitude_aware_sign_flips_weights_in_training_steps_only():
    import larq as lq

    assert BerMagnitudeAwareSign(ErrorRates(0.01, 0.2, weight_ber=0.05)).ber == 0.05
    quantizer = BerMagnitudeAwareSign(0.1, seed=3)
    w = tf.random.stateless_normal([3, 3, 32, 64], seed=[1, 2])
    reference = lq.quantizers.MagnitudeAwareSign()(w).numpy()
    np.testing.assert_array_equal(quantizer(w, training=False).numpy(), reference)
    np.testing.assert_array_equal(quantizer(w).numpy(), reference)
    first = quantizer(w, training=True).numpy()
    second = quantizer(w, training=tf.constant(True)).numpy()
    n = w.shape.num_elements()
    for out in (first, second):
        np.testing.assert_allclose(np.abs(out), np.abs(reference))  # scale kept
        rate = np.mean(np.sign(out) != np.sign(reference))
        assert abs(rate - 0.1) <= sigma(0.1, n)
    assert (first != second).any()  # a fresh draw per step
    # the straight-through gradient of the un-flipped sign
    with tf.GradientTape() as tape:
        tape.watch(w)
        out = quantizer(w, training=True)
    grad = tape.gradient(out, w).numpy()
    scale = np.abs(reference).reshape(-1, 64)[0]
    expected = np.where(np.abs(w.numpy()) <= 1.0, 1.0, 0.0) * scale
    np.testing.assert_allclose(grad, expected, rtol=1e-6)
    quantizer.set_ber(0.0)
    np.testing.assert_array_equal(quantizer(w, training=True).numpy(), reference)
    with pytest.raises(ValueError, match="`ber` must be in the range"):
        BerMagnitudeAwareSign(1.5)


def test_ber_magnitude_aware_sign_alias_config_and_training(tiny_batch):
    import larq as lq

    layer = lq.layers.QuantDense(
        4, kernel_quantizer="ber_magnitude_aware_sign", kernel_constraint="weight_clip"
    )
    assert isinstance(layer.kernel_quantizer, BerMagnitudeAwareSign)
    config = BerMagnitudeAwareSign(0.02, seed=5, clip_value=0.5).get_config()
    again = BerMagnitudeAwareSign.from_config(config)
    assert (again.ber, again.seed, again.clip_value) == (0.02, 5, 0.5)
    model = LeNet4(weight_ber=0.05)
    quantizers = [model.get_layer(name).kernel_quantizer
                  for name, _ in binarized_kernels(model)]  # fmt: skip
    assert len(quantizers) == 2
    assert all(isinstance(q, BerMagnitudeAwareSign) and q.ber == 0.05
               for q in quantizers)  # fmt: skip
    x, y = tiny_batch((28, 28, 1), n=32)
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    clean = model.predict(x, verbose=0)
    np.testing.assert_array_equal(clean, model.predict(x, verbose=0))
