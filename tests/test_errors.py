"""Errors at deployment: activation flips at inference, weight sign flips."""

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.errors import activation_errors, binarized_kernels, weight_errors
from larq_ber.models import LeNet4
from larq_ber.quantizers import BerSteSign

N = 200_000


def _probe(**kwargs):
    quantizer = BerSteSign(0.0, **kwargs)
    inputs = tf.keras.Input((N,))
    return tf.keras.Model(inputs, quantizer(inputs))


def _sigma(p, n):
    return 4 * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize(("ber_neg", "ber_pos"), [(0.04, 0.04), (0.01, 0.2)])
def test_activation_errors_flip_at_the_rates_at_inference_only_inside(ber_neg, ber_pos):
    model = _probe()
    x = np.concatenate([-np.ones((1, N // 2)), np.ones((1, N // 2))], axis=1)
    clean = model.predict(x, verbose=0)
    with activation_errors(model, ber_neg=ber_neg, ber_pos=ber_pos, seed=3):
        for call in (lambda: model.predict(x, verbose=0), lambda: model(x).numpy()):
            out = call()
            flipped = out != np.sign(x)
            neg, pos = flipped[:, : N // 2].mean(), flipped[:, N // 2 :].mean()
            assert abs(neg - ber_neg) <= _sigma(ber_neg, N // 2)
            assert abs(pos - ber_pos) <= _sigma(ber_pos, N // 2)
        # a new draw at every call
        assert (model.predict(x, verbose=0) != model.predict(x, verbose=0)).any()
    # exactly error-free again on exit, predict and a bare call alike
    np.testing.assert_array_equal(model.predict(x, verbose=0), clean)
    np.testing.assert_array_equal(model(x).numpy(), np.sign(x))


def test_activation_errors_leave_training_rates_alone_and_check_inputs():
    model = _probe()
    quantizer = model.layers[-1]
    with pytest.raises(ValueError, match="`ber` must be in the range"):
        with activation_errors(model, 1.5):
            pass
    with pytest.raises(ValueError, match="no BerSteSign"):
        with activation_errors(tf.keras.Sequential([tf.keras.layers.Dense(1)]), 0.1):
            pass
    with activation_errors(model, 0.3):
        assert (quantizer.ber_neg, quantizer.ber_pos) == (0.0, 0.0)


@pytest.mark.slow
def test_half_the_activations_flipped_is_chance_accuracy(tiny_batch):
    from larq_ber.data import load

    train = load("digits", split="train", batch_size=64, seed=0)
    test = load("digits", split="test", batch_size=359)
    model = LeNet4()
    model.compile(tf.keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                  ["accuracy"])  # fmt: skip
    model.fit(train, epochs=3, verbose=0)
    clean = model.evaluate(test, verbose=0)[1]
    with activation_errors(model, 0.5, seed=1):
        noisy = model.evaluate(test, verbose=0)[1]
    assert clean > 0.8
    n = 359  # test images; chance is 1/10 (classes balanced within one image each)
    assert abs(noisy - 0.1) <= 4 * np.sqrt(0.1 * 0.9 / n) + 0.02
    assert model.evaluate(test, verbose=0)[1] == clean


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
        assert abs(flipped / total - 0.05) <= _sigma(0.05, total)
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


def _zoo_style_model():
    """A small larq model with several sign quantizer kinds, QuickNet-like."""
    import larq as lq

    kernel = {"kernel_quantizer": "ste_sign", "kernel_constraint": "weight_clip",
              "use_bias": False}  # fmt: skip
    inputs = tf.keras.Input((12, 12, 3))
    x = tf.keras.layers.Conv2D(32, 3, padding="same")(inputs)
    x = tf.keras.layers.BatchNormalization()(x)
    x = lq.layers.QuantConv2D(32, 3, input_quantizer="ste_sign", padding="same",
                              pad_values=1.0, **kernel)(x)  # fmt: skip
    x = tf.keras.layers.BatchNormalization()(x)
    x = lq.layers.QuantConv2D(32, 3, input_quantizer="approx_sign", **kernel)(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = lq.layers.QuantConv2D(
        32, 3, input_quantizer=lq.quantizers.SwishSign(beta=5.0), **kernel
    )(x)
    x = tf.keras.layers.Flatten()(x)
    x = lq.layers.QuantDense(
        10, input_quantizer=lq.quantizers.SteSign(clip_value=0.5), **kernel
    )(x)
    return tf.keras.Model(inputs, tf.keras.layers.Softmax()(x))


def _outputs_and_gradients(model, x, y, training):
    with tf.GradientTape() as tape:
        out = model(x, training=training)
        loss = tf.keras.losses.sparse_categorical_crossentropy(y, out)
    grads = tape.gradient(loss, model.trainable_weights)
    return out.numpy(), [g.numpy() for g in grads]


def test_with_bit_errors_is_bit_identical_at_rate_zero_and_flips_above():
    from larq_ber.errors import with_bit_errors
    from larq_ber.quantizers import ber_quantizers

    original = _zoo_style_model()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 12, 12, 3)).astype("float32")
    y = rng.integers(0, 10, 16)
    copy = with_bit_errors(original)
    kinds = [type(q.surrogate).__name__ if q.surrogate else q.clip_value
             for q in ber_quantizers(copy)]  # fmt: skip
    assert kinds == [1.0, "ApproxSign", "SwishSign", 0.5]
    for training in (False, True):
        out_a, grads_a = _outputs_and_gradients(original, x, y, training)
        out_b, grads_b = _outputs_and_gradients(copy, x, y, training)
        np.testing.assert_array_equal(out_a, out_b)
        for a, b in zip(grads_a, grads_b, strict=True):
            np.testing.assert_array_equal(a, b)
    # the original keeps its quantizers; the copy flips once a rate is set
    assert not ber_quantizers(original)
    noisy = with_bit_errors(original, 0.3)
    np.testing.assert_array_equal(noisy(x).numpy(), original(x).numpy())
    # (training also moves BatchNorm's statistics: compare with the original's)
    assert not np.array_equal(
        noisy(x, training=True).numpy(), original(x, training=True).numpy()
    )


def test_with_bit_errors_refuses_what_it_cannot_convert():
    import larq as lq

    from larq_ber.errors import with_bit_errors

    inputs = tf.keras.Input((8,))
    layer = lq.layers.QuantDense(
        4, input_quantizer=lq.quantizers.NoOp(precision=1), name="odd_layer"
    )
    model = tf.keras.Model(inputs, layer(inputs))
    with pytest.raises(ValueError, match=r"layer .odd_layer.*NoOp is 1-bit"):
        with_bit_errors(model)
