"""Helpers shared by the tests of `larq_ber.errors`."""

import numpy as np
import tensorflow as tf

from larq_ber.quantizers import BerSteSign

#: Width of the probe model: enough draws for 4-sigma bounds of a few percent.
N = 200_000


def probe(**kwargs):
    """A model that is one `BerSteSign` on N inputs."""
    quantizer = BerSteSign(0.0, **kwargs)
    inputs = tf.keras.Input((N,))
    return tf.keras.Model(inputs, quantizer(inputs))


def half_negative():
    """One input of N values: the first half -1, the second +1."""
    return np.concatenate([-np.ones((1, N // 2)), np.ones((1, N // 2))], axis=1)


def sigma(p, n):
    """Four standard deviations of a fraction of n Bernoulli(p) draws."""
    return 4 * np.sqrt(p * (1 - p) / n)


def nested_model(input_quantizer="ber_ste_sign"):
    """A functional model wrapping a Sequential of a 1-bit QuantConv2D and
    QuantDense, then a 1-bit QuantDense of its own; `(model, inner)`."""
    import larq as lq

    binary = {"input_quantizer": input_quantizer, "kernel_quantizer": "ste_sign",
              "kernel_constraint": "weight_clip"}  # fmt: skip
    inner = tf.keras.Sequential([
        tf.keras.Input((6, 6, 1)),
        lq.layers.QuantConv2D(4, 3, name="qconv", **binary),
        tf.keras.layers.Flatten(),
        lq.layers.QuantDense(8, name="qdense", **binary),
    ], name="inner")  # fmt: skip
    inputs = tf.keras.Input((6, 6, 1))
    outputs = lq.layers.QuantDense(3, name="top", **binary)(inner(inputs))
    model = tf.keras.Model(inputs, outputs, name="outer")
    rng = np.random.default_rng(0)  # latent weights of both signs, none zero
    model.set_weights([rng.uniform(0.1, 1.0, w.shape) * rng.choice([-1, 1], w.shape)
                       for w in model.get_weights()])  # fmt: skip
    return model, inner


def images(n=8, seed=0):
    """n random inputs for `nested_model`."""
    return np.random.default_rng(seed).standard_normal((n, 6, 6, 1)).astype("float32")


def weights_of(model):
    """Copies of every weight of `model`, to compare bit for bit."""
    return [w.numpy().copy() for w in model.weights]


def assert_same_weights(model, before):
    """Every weight of `model` equals `before` bit for bit."""
    for variable, value in zip(model.weights, before, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)
