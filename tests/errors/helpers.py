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
