"""Flip statistics of `larq_ber.flips` through `BerSteSign`: rates per sign,
independence and uniformity, the samplers, XLA.

Statistical tolerances are 4 binomial standard deviations (two-sided false-alarm
probability 6e-5 per comparison under the null hypothesis), with fixed seeds so a run
is reproducible."""

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber.quantizers import (
    SPARSE_MAX_RATE,
    BerSteSign,
    ber_sign,
)

# Behaviour: gradients, registration, configuration, validation, set_ber.


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
    (0.25, 0.25),  # random bytes alone (64/256)
    (0.3, 0.3),  # bytes (76/256) and sparse flips for the 0.0031 left: 6.8 sigma
    (0.999, 0.999),  # bytes (255/256) and a remainder of 0.74
    (0.5, 0.5),
    (1.0, 1.0),
    (1e-3, 0.04),  # asymmetric, sparse sampler with thinning
    (0.04, 0.0),
    (0.5, 1e-3),  # asymmetric, bytes for one sign, sparse remainder for the other
    (0.3, 0.07),  # asymmetric bytes, remainder thinned per sign
    (0.0, 1.0),
    (1.0, 0.04),
]


@pytest.mark.parametrize(("ber_neg", "ber_pos"), RATE_PAIRS)
@pytest.mark.parametrize("training", [True, "tensor", "graph"])
def test_flip_rates_per_sign(ber_neg, ber_pos, training):
    """Eagerly the rates are known and pick a sampler when called; in a graph
    (`"graph"`, as in `fit`) they are variables and the shared function picks it."""
    x = _inputs()
    q = BerSteSign(ber_neg=ber_neg, ber_pos=ber_pos)
    if training == "graph":
        y = tf.function(lambda x: q(x, training=True))(x).numpy()
    else:
        flag = tf.constant(True) if training == "tensor" else training
        y = q(x, training=flag).numpy()
    signs = lq.math.sign(x).numpy()
    assert set(np.unique(y)) <= {-1.0, 1.0}
    flipped = y != signs
    _assert_binomial(flipped[signs < 0].sum(), N_PER_SIGN, ber_neg, "-1 -> +1")
    _assert_binomial(flipped[signs > 0].sum(), N_PER_SIGN, ber_pos, "+1 -> -1")


def test_flips_compile_with_xla_at_every_rate():
    """One XLA-compiled training call serves every rate (the rates are variables):
    zero, both samplers, asymmetric thinning and certainty flip as they should."""
    x = _inputs(200_000)
    signs = lq.math.sign(x).numpy()
    q = BerSteSign(0.0, seed=3)
    q.build(x.shape)
    step = tf.function(lambda x: q(x, training=True), jit_compile=True)
    for ber_neg, ber_pos in [
        (0.0, 0.0),
        (1e-3, 1e-3),
        (0.04, 0.0),
        (0.3, 0.3),
        (1.0, 0.5),
    ]:
        q.set_ber(ber_neg=ber_neg, ber_pos=ber_pos)
        flipped = step(x).numpy() != signs
        _assert_binomial(flipped[signs < 0].sum(), 200_000, ber_neg, f"{ber_neg} -1")
        _assert_binomial(flipped[signs > 0].sum(), 200_000, ber_pos, f"{ber_pos} +1")
    assert step.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("ber", [1e-3, 0.04, SPARSE_MAX_RATE, 0.25, 0.3])
def test_flips_are_independent_and_uniform(ber):
    """Checks what a per-element Bernoulli process implies and a faulty sampler
    (clustered, periodic or position-dependent flips, or the same pattern every step)
    would break: flip counts in each quarter of the tensor, adjacent flipped pairs,
    and the overlap of two successive draws."""
    n = 4_000_000
    x = tf.ones([n])
    _check_independent_and_uniform(lambda: ber_sign(x, ber, ber).numpy() < 0, n, ber)


@pytest.mark.parametrize("ber", [0.04, 0.3])
def test_flips_with_variable_rates_are_independent_and_uniform(ber):
    """The same checks on the sampler a training graph runs: rates in a variable,
    the choice of sampler made by the shared, once-traced function."""
    n = 4_000_000
    x = tf.ones([n])
    rates = tf.Variable([ber, ber])
    generator = tf.random.Generator.from_seed(3)
    draw = tf.function(lambda x: ber_sign(x, rates[0], rates[1], generator=generator))
    _check_independent_and_uniform(lambda: draw(x).numpy() < 0, n, ber)


def _op_types(function, *args):
    graph = function.get_concrete_function(*args).graph
    types = {op.type for op in graph.get_operations()}
    for definition in graph.as_graph_def().library.function:
        types |= {node.op for node in definition.node_def}
    return types


def test_variable_rates_share_one_sampler_and_constant_rates_need_no_conditional(
    monkeypatch,
):
    """Every layer of a model calls one sampling function, traced once per process
    whatever the shapes (tracing it per layer took ~0.5 s each); rates known when
    tracing choose the sampler in Python, so the graph has no conditional."""
    from larq_ber import flips
    from larq_ber.models import LeNet4, NiN

    shared = flips._shared_flip_factors
    calls = []

    def counted(*args):
        calls.append(args[0].shape)
        return shared(*args)

    monkeypatch.setattr(flips, "_shared_flip_factors", counted)
    # Other tests in this process may have traced it already (in other contexts,
    # e.g. a distribution strategy): 9 layers of two models add at most one trace.
    before = shared.experimental_get_tracing_count()
    for model in (LeNet4(ber=0.04), NiN(input_shape=(32, 32, 3), ber=0.3)):
        model.compile("sgd", "sparse_categorical_crossentropy")
        model.fit(np.zeros((4, *model.input_shape[1:])), np.zeros(4), verbose=0)
    assert len(calls) >= 9, calls  # 2 binarized layers of LeNet-4, 7 of NiN
    assert shared.experimental_get_tracing_count() - before <= 1

    x = tf.TensorSpec([64, 100], tf.float32)
    # (rates, random bytes drawn, sparse flips drawn): 0.25 is 64/256 exactly.
    cases = [((0.01, 0.01), False, True), ((0.3, 0.3), True, True),
             ((0.3, 0.07), True, True), ((0.25, 0.25), True, False)]  # fmt: skip
    for (ber_neg, ber_pos), uses_bytes, uses_gaps in cases:
        constant = tf.function(lambda x, a=ber_neg, b=ber_pos: ber_sign(x, a, b))
        types = _op_types(constant, x)
        assert not types & {"If", "StatelessIf", "Case", "StatelessCase"}, types
        assert ("Bitcast" in types) == uses_bytes, (ber_neg, ber_pos, types)
        assert ("SparseToDense" in types) == uses_gaps, (ber_neg, ber_pos, types)
    rates = tf.Variable([0.3, 0.3])
    variable = tf.function(lambda x: ber_sign(x, rates[0], rates[1]))
    assert "StatelessIf" in _op_types(variable, x) or "If" in _op_types(variable, x)


@pytest.mark.parametrize("ber", [1e-30, 1e-20, 5e-324])
def test_tiny_rates_flip_nothing(ber):
    """Gaps of 1e30 elements are capped, not cast to a wrapped-around int64."""
    x = tf.constant(np.linspace(-1.0, 1.0, 10_001), tf.float32)
    signs = lq.math.sign(x).numpy()
    for _ in range(20):
        np.testing.assert_array_equal(ber_sign(x, ber, ber).numpy(), signs)
        np.testing.assert_array_equal(ber_sign(x, ber, 0.0).numpy(), signs)


@pytest.mark.parametrize("shape", [(3, 5, 7), (1,), (2, 2)])
def test_byte_sampler_at_sizes_that_are_not_whole_words(shape):
    """Four random bytes per 32-bit number: sizes not divisible by 4 drop the
    bytes past the end, rates stay right (1,000 draws of a few elements)."""
    x = tf.constant(np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape))
    x = tf.cast(x, tf.float32)
    signs = lq.math.sign(x).numpy()
    generator = tf.random.Generator.from_seed(11)
    draw = tf.function(lambda x: ber_sign(x, 0.3, 0.3, generator=generator))
    flipped = np.stack([draw(x).numpy() != signs for _ in range(1000)])
    assert flipped.shape == (1000, *shape)
    _assert_binomial(flipped.sum(), flipped.size, 0.3, f"shape {shape}")
    assert (ber_sign(x, 1.0, 1.0).numpy() == -signs).all()


def test_flips_under_xla_are_independent_and_uniform():
    n, ber = 4_000_000, 0.04
    x = tf.ones([n])
    generator = tf.random.Generator.from_seed(5)
    draw = tf.function(
        lambda x: ber_sign(x, ber, ber, generator=generator), jit_compile=True
    )
    _check_independent_and_uniform(lambda: draw(x).numpy() < 0, n, ber)


def _check_independent_and_uniform(draw, n, ber):
    first = draw()
    second = draw()
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


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
@pytest.mark.parametrize("variable", [False, True], ids=["constant", "variable"])
def test_flipped_signs_keep_nan_and_larqs_sign_of_zero(dtype, variable, monkeypatch):
    """TensorFlow's ops (no kernel): a flip inverts larq's sign, NaN stays NaN,
    -0.0 and 0.0 have the sign +1, infinities their own."""
    from larq_ber import flips

    monkeypatch.setattr(flips, "_cpu_kernel", lambda dtype: None)
    x = tf.constant([np.nan, -0.0, 0.0, -np.inf, np.inf, -2.0, 3.0], dtype)
    signs = np.array([np.nan, 1, 1, -1, 1, -1, 1])
    for rate, expected in ((1.0, -signs), (0.0, signs)):
        rates = tf.Variable([rate, rate]) if variable else (rate, rate)
        for nonzero in (False, True):
            y = ber_sign(x, rates[0], rates[1], nonzero=nonzero).numpy()
            assert y.dtype == dtype.as_numpy_dtype
            np.testing.assert_array_equal(y, expected)


def test_rates_known_positive_need_no_branch(monkeypatch):
    """`nonzero=True` leaves out the run-time test of a zero rate; the sampler
    still flips nothing at rate 0 (TensorFlow's ops)."""
    from larq_ber import flips

    monkeypatch.setattr(flips, "_cpu_kernel", lambda dtype: None)
    rates = tf.Variable([0.0, 0.0])
    x = tf.constant(np.linspace(-1.0, 1.0, 4001), tf.float32)
    for nonzero in (False, True):
        sampled = tf.function(
            lambda x, n=nonzero: ber_sign(x, rates[0], rates[1], nonzero=n)
        )
        graph = sampled.get_concrete_function(x).graph
        top = {op.type for op in graph.get_operations()}
        assert bool(top & {"If", "StatelessIf"}) is not nonzero, top
        for _ in range(5):
            np.testing.assert_array_equal(sampled(x), lq.math.sign(x))
    rates.assign([0.3, 0.3])
    flipped = (sampled(x).numpy() != lq.math.sign(x).numpy()).sum()
    _assert_binomial(flipped, 4001, 0.3, "nonzero=True at 0.3")
