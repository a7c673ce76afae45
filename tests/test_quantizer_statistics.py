"""Statistical tests of the bit errors. Tolerances are 4 binomial standard deviations
(two-sided false-alarm probability 6e-5 per comparison under the null hypothesis),
with fixed seeds so a run is reproducible."""

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber.quantizers import SPARSE_MAX_RATE, BerSteSign, ber_sign

N_PER_SIGN = 1_000_000
SIGMAS = 4.0


def _inputs(n=N_PER_SIGN):
    """n negative and n non-negative values (including exact zeros, sign +1)."""
    rng = np.random.default_rng(0)
    neg = -rng.uniform(1e-3, 3.0, n)
    pos = rng.uniform(0.0, 3.0, n)
    pos[:1000] = 0.0
    x = np.concatenate([neg, pos]).astype(np.float32)
    rng.shuffle(x)
    return tf.constant(x.reshape(2000, -1))


def _assert_binomial(count, n, p, what):
    expected = n * p
    sigma = np.sqrt(n * p * (1 - p))
    assert abs(count - expected) <= SIGMAS * sigma, (
        f"{what}: {count} of {n}, expected {expected:.1f} ± {SIGMAS} x {sigma:.1f}"
    )


RATE_PAIRS = [
    (0.0, 0.0),
    (1e-3, 1e-3),
    (0.04, 0.04),
    (SPARSE_MAX_RATE, SPARSE_MAX_RATE),  # largest rate of the sparse sampler
    (0.5, 0.5),
    (1.0, 1.0),
    (1e-3, 0.04),  # asymmetric, sparse sampler with thinning
    (0.04, 0.0),
    (0.5, 1e-3),  # asymmetric, dense sampler
    (0.0, 1.0),
    (1.0, 0.04),
]


@pytest.mark.parametrize(("ber_neg", "ber_pos"), RATE_PAIRS)
@pytest.mark.parametrize("training", [True, "tensor"])
def test_flip_rates_per_sign(ber_neg, ber_pos, training):
    x = _inputs()
    q = BerSteSign(ber_neg=ber_neg, ber_pos=ber_pos)
    flag = tf.constant(True) if training == "tensor" else training
    y = q(x, training=flag).numpy()
    signs = lq.math.sign(x).numpy()
    assert set(np.unique(y)) <= {-1.0, 1.0}
    flipped = y != signs
    _assert_binomial(flipped[signs < 0].sum(), N_PER_SIGN, ber_neg, "-1 -> +1")
    _assert_binomial(flipped[signs > 0].sum(), N_PER_SIGN, ber_pos, "+1 -> -1")


@pytest.mark.parametrize("ber", [1e-3, 0.04, SPARSE_MAX_RATE, 0.25])
def test_flips_are_independent_and_uniform(ber):
    """Checks what a per-element Bernoulli process implies and a faulty sampler
    (clustered, periodic or position-dependent flips, or the same pattern every step)
    would break: flip counts in each quarter of the tensor, adjacent flipped pairs,
    and the overlap of two successive draws."""
    n = 4_000_000
    x = tf.ones([n])
    first = ber_sign(x, ber, ber).numpy() < 0
    second = ber_sign(x, ber, ber).numpy() < 0
    for k, quarter in enumerate(np.split(first, 4)):
        _assert_binomial(quarter.sum(), n // 4, ber, f"quarter {k}")
    # Adjacent pairs: mean (n-1)p^2; overlapping pairs are 1-dependent, so
    # Var = (n-1) p^2 (1-p^2) + 2 (n-2) (p^3 - p^4).
    pairs = np.sum(first[1:] & first[:-1])
    mean = (n - 1) * ber**2
    var = (n - 1) * ber**2 * (1 - ber**2) + 2 * (n - 2) * (ber**3 - ber**4)
    assert abs(pairs - mean) <= SIGMAS * np.sqrt(var), (pairs, mean, np.sqrt(var))
    # Two draws are independent: overlap ~ Binomial(n, p^2).
    _assert_binomial(np.sum(first & second), n, ber**2, "overlap of two draws")


@pytest.mark.parametrize("training", [False, None, "tensor_false"])
def test_no_flips_outside_training(training):
    x = _inputs(100_000)
    q = BerSteSign(0.5)
    flag = tf.constant(False) if training == "tensor_false" else training
    y = q(x, training=flag)
    np.testing.assert_array_equal(y.numpy(), lq.math.sign(x).numpy())


def test_no_flips_in_bare_call_predict_and_evaluate():
    inp = tf.keras.Input((64,))
    out = lq.layers.QuantDense(
        4, input_quantizer=BerSteSign(0.5), kernel_initializer="ones", use_bias=False
    )(inp)
    noisy = tf.keras.Model(inp, out)
    plain_out = lq.layers.QuantDense(
        4, input_quantizer="ste_sign", kernel_initializer="ones", use_bias=False
    )(inp)
    plain = tf.keras.Model(inp, plain_out)
    x = np.random.default_rng(1).standard_normal((256, 64)).astype("float32")
    expected = plain.predict(x, verbose=0)
    np.testing.assert_array_equal(noisy(x).numpy(), expected)
    np.testing.assert_array_equal(noisy.predict(x, verbose=0), expected)
    noisy.compile(loss="mse")
    plain.compile(loss="mse")
    assert noisy.evaluate(x, expected, verbose=0) == 0.0
    # and fit does flip: one training step sees a different output.
    assert not np.array_equal(noisy(x, training=True).numpy(), expected)
