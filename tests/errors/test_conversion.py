"""Any larq model made able to flip bits: `larq_ber.errors.with_bit_errors`."""

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber.errors import with_bit_errors
from larq_ber.quantizers import BerSteSign, ber_quantizers


def _zoo_style_model():
    """A small larq model with several sign quantizer kinds, QuickNet-like."""
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


def test_with_bit_errors_sets_the_rates_and_keeps_ber_ste_sign():
    inputs = tf.keras.Input((8,))
    x = lq.layers.QuantDense(4, input_quantizer="ste_sign")(inputs)
    x = lq.layers.QuantDense(4, input_quantizer=BerSteSign(0.2, ber_pos=0.1))(x)
    copy = with_bit_errors(tf.keras.Model(inputs, x), 0.05, ber_neg=0.01)
    converted, kept = (layer.input_quantizer for layer in copy.layers[1:])
    assert isinstance(converted, BerSteSign) and isinstance(kept, BerSteSign)
    assert (converted.ber, converted.ber_neg, converted.ber_pos) == (0.05, 0.01, 0.05)
    assert (kept.ber, kept.ber_neg, kept.ber_pos) == (0.2, 0.2, 0.1)
    with pytest.raises(ValueError, match="`ber` must be in the range"):
        with_bit_errors(copy, 2.0)


def test_with_bit_errors_refuses_what_it_cannot_convert():
    inputs = tf.keras.Input((8,))
    layer = lq.layers.QuantDense(
        4, input_quantizer=lq.quantizers.NoOp(precision=1), name="odd_layer"
    )
    model = tf.keras.Model(inputs, layer(inputs))
    with pytest.raises(ValueError, match=r"layer .odd_layer.*NoOp is 1-bit"):
        with_bit_errors(model)


def test_with_bit_errors_converts_the_quantizers_of_nested_models():
    from larq_ber.models import binarized_layers
    from tests.errors.helpers import images, nested_model

    model, _ = nested_model(input_quantizer="ste_sign")
    copy = with_bit_errors(model, 0.0)
    assert [path for path, _ in binarized_layers(copy)] == [
        "inner/qconv", "inner/qdense", "top"]  # fmt: skip
    assert len(ber_quantizers(copy)) == 3
    x = images()
    np.testing.assert_array_equal(copy.predict(x, verbose=0),
                                  model.predict(x, verbose=0))  # fmt: skip
    assert binarized_layers(model) == []  # the original is not changed
