"""`binary_conv2d` and its use inside error blocks.

The operation against TensorFlow's convolution of the signs; a model's draws with
and without it (same flips: the kernel's, from the same seed); where it is used.

Tolerances: an output is alpha times an integer that changes by 2 with every sign
that differs, so 0.1 alpha tells a wrong sign from float rounding (the float
convolution of +-1 values is exact: with scale 1 the two must be equal)."""

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber import binary_conv, flips, kernel
from larq_ber.errors import activation_errors, stuck_at
from larq_ber.layers import DenseQuantConv2D, InputDropoutQuantConv2D
from larq_ber.models import LeNet4
from tests.test_batch_norm_pool import needs_compiler
from tests.test_flips import _op_types

OP = "LarqBerBinaryConv2d"

# (x shape, kernel shape, strides): LeNet-4's binary convolution (20 channels, 500
# signs per patch: taps straddle words) and dense layer; a 1-channel map; 130
# channels (3 words per pixel, the last partial); 64 (whole words) with stride 2;
# patch counts that are not multiples of 8.
GEOMETRIES = [
    ((3, 12, 12, 20), (5, 5, 20, 50), (1, 1)),
    ((5, 1, 1, 800), (1, 1, 800, 500), (1, 1)),
    ((2, 7, 9, 1), (3, 2, 1, 4), (2, 1)),
    ((1, 6, 6, 130), (3, 3, 130, 3), (1, 2)),
    ((3, 7, 7, 64), (2, 2, 64, 9), (2, 2)),
]


def _signs(values):
    return np.where(values < 0, -1.0, 1.0).astype(np.float32)


def _reference(x, w, strides, magnitude):
    scale = np.abs(w).mean(axis=(0, 1, 2)) if magnitude else np.ones(w.shape[-1])
    kernel_signs = _signs(w) * scale.astype(np.float32)
    return tf.nn.conv2d(_signs(x), kernel_signs, [1, *strides, 1], "VALID").numpy()


@needs_compiler
@pytest.mark.parametrize("popcount", ["fastest", "portable"])
@pytest.mark.parametrize("magnitude", [False, True])
@pytest.mark.parametrize("x_shape, w_shape, strides", GEOMETRIES)
def test_matches_tensorflow_convolution_of_signs(
    with_kernel, monkeypatch, x_shape, w_shape, strides, magnitude, popcount
):
    # The AVX-512 path where the CPU has it; the portable one everywhere.
    monkeypatch.setenv("LARQ_BER_PORTABLE_POPCOUNT", str(int(popcount == "portable")))
    rng = np.random.default_rng(sum(x_shape) + sum(w_shape))
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    x.flat[:3] = [0.0, -0.0, 1e-30]  # s(0) = s(-0) = +1, as larq's ste_sign
    w.flat[:3] = [0.0, -0.0, -1e-30]
    got = binary_conv.binary_conv2d(x, w, strides=strides, magnitude=magnitude)
    want = _reference(x, w, strides, magnitude)
    assert got.shape == want.shape
    if magnitude:
        alpha = np.abs(w).mean(axis=(0, 1, 2))
        np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=0.1 * alpha.min())
    else:
        np.testing.assert_array_equal(got.numpy(), want)


@needs_compiler
def test_bad_inputs_name_the_argument(with_kernel):
    x = tf.ones((1, 4, 4, 3))
    with pytest.raises(tf.errors.InvalidArgumentError, match="2 input channels"):
        binary_conv.binary_conv2d(x, tf.ones((2, 2, 2, 5)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="fit"):
        binary_conv.binary_conv2d(x, tf.ones((5, 1, 3, 5)))
    with pytest.raises(ValueError, match="`strides` must be two positive"):
        binary_conv.binary_conv2d(x, tf.ones((2, 2, 3, 5)), strides=(0, 1))
    assert binary_conv.binary_conv2d(
        tf.ones((0, 4, 4, 3)), tf.ones((2, 2, 3, 5))
    ).shape == (
        0,
        3,
        3,
        5,
    )


def _inference_ops(model, x, ber=None):
    function = tf.function(lambda x: model(x, training=False))
    if ber is None:
        return _op_types(function, x)
    with activation_errors(model, ber, seed=0):
        return _op_types(function, x)


def _count(model, x, ber):
    function = tf.function(lambda x: model(x, training=False))
    with activation_errors(model, ber, seed=0):
        graph = function.get_concrete_function(x).graph
    return sum(op.type == OP for op in graph.get_operations())


def _two_lenets(images, seed):
    """Two LeNet-4s (BER 0.04) with the same weights, and `images` random inputs."""
    tf.keras.utils.set_random_seed(0)
    first, second = LeNet4(ber=0.04), LeNet4(ber=0.04)
    second.set_weights(first.get_weights())
    x = np.random.default_rng(seed).standard_normal((images, 28, 28, 1))
    return first, second, x.astype(np.float32)


@needs_compiler
def test_lenet4_draws_agree_with_and_without_packing(with_kernel, monkeypatch):
    packed, plain, x = _two_lenets(64, seed=0)
    with activation_errors(packed, 0.1, seed=5):
        got = packed.predict(x, verbose=0)
    packs = binary_conv.packs
    monkeypatch.setattr(binary_conv, "packs", lambda *args: False)
    with activation_errors(plain, 0.1, seed=5):
        want = plain.predict(x, verbose=0)
    assert _count(plain, x[:2], 0.1) == 0
    # Same flips (the kernel's, same seed), so equal up to float rounding.
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    monkeypatch.setattr(binary_conv, "packs", packs)
    assert _count(packed, x[:2], 0.1) == 2  # the binary convolution and dense layer
    # Outside the blocks (and at rate 0) TensorFlow's convolution, as exported.
    assert OP not in _inference_ops(packed, x[:2])
    assert OP not in _inference_ops(packed, x[:2], ber=0.0)


def _one_layer(layer, input_shape=(6, 6, 4)):
    inputs = tf.keras.Input(input_shape)
    return tf.keras.Model(inputs, layer(inputs))


@needs_compiler
def test_packed_only_where_it_applies(with_kernel, monkeypatch):
    x = tf.random.normal((2, 6, 6, 4))
    ber = {"input_quantizer": "ber_ste_sign"}
    sign = {"kernel_quantizer": "magnitude_aware_sign", **ber}

    def count(layer, input_shape=(6, 6, 4)):
        model = _one_layer(layer, input_shape)
        return _count(model, tf.random.normal((2, *input_shape)), 0.2)

    assert count(lq.layers.QuantConv2D(3, 3, **sign)) == 1
    assert count(lq.layers.QuantConv2D(3, 3, kernel_quantizer="ste_sign", **ber)) == 1
    assert (
        count(lq.layers.QuantConv2D(3, 3, padding="same", pad_values=-1.0, **sign)) == 1
    )
    assert count(InputDropoutQuantConv2D(3, 3, input_dropout=0.5, **sign)) == 1
    assert count(DenseQuantConv2D(5, 1, **sign), input_shape=(1, 1, 8)) == 1
    # Zero padding (not a sign), no or another kernel quantizer, dilation, larq's
    # plain sign on the inputs: the float convolution.
    assert count(lq.layers.QuantConv2D(3, 3, padding="same", **sign)) == 0
    assert count(lq.layers.QuantConv2D(3, 3, **ber)) == 0
    assert (
        count(lq.layers.QuantConv2D(3, 3, kernel_quantizer="dorefa_quantizer", **ber))
        == 0
    )
    assert count(lq.layers.QuantConv2D(3, 3, dilation_rate=2, **sign)) == 0
    model = _one_layer(lq.layers.QuantConv2D(3, 3, **sign))
    # XLA, a visible GPU, LARQ_BER_KERNEL=0.
    with activation_errors(model, 0.2, seed=0):
        xla = tf.function(lambda x: model(x, training=False), jit_compile=True)
        assert OP not in _op_types(xla, x)
    monkeypatch.setattr(flips, "_gpu_visible", lambda: True)
    assert _count(model, x, 0.2) == 0
    monkeypatch.setattr(flips, "_gpu_visible", lambda: False)
    monkeypatch.setenv(kernel.DISABLE_VARIABLE, "0")
    assert _count(model, x, 0.2) == 0


@needs_compiler
def test_same_padding_with_ones_and_dropout_agree_with_the_float_convolution(
    with_kernel, monkeypatch
):
    def build():
        tf.keras.utils.set_random_seed(1)
        inputs = tf.keras.Input((9, 9, 70))
        y = InputDropoutQuantConv2D(
            6, 5, padding="same", pad_values=1.0, input_dropout=0.3,
            input_quantizer="ber_ste_sign", kernel_quantizer="magnitude_aware_sign",
        )(inputs)  # fmt: skip
        return tf.keras.Model(inputs, y)

    packed, plain = build(), build()
    x = np.random.default_rng(2).standard_normal((3, 9, 9, 70)).astype(np.float32)
    with activation_errors(packed, 0.3, seed=1):
        got = packed.predict(x, verbose=0)
    monkeypatch.setattr(binary_conv, "packs", lambda *args: False)
    with activation_errors(plain, 0.3, seed=1):
        want = plain.predict(x, verbose=0)
    alpha = np.abs(packed.layers[1].kernel.latent_variable.numpy()).mean(axis=(0, 1, 2))
    np.testing.assert_allclose(got, want, rtol=0, atol=0.1 * alpha.min())


def _gradients(model, x, y):
    with tf.GradientTape() as tape:
        loss = tf.keras.losses.sparse_categorical_crossentropy(
            y, model(x, training=True)
        )
        loss = tf.reduce_mean(loss)
    return loss, tape.gradient(loss, model.trainable_weights)


def _binary_then_float(seed):
    """A binary convolution, a binary dense layer (a 1 x 1 convolution) and a float
    head."""
    tf.keras.utils.set_random_seed(seed)
    sign = {
        "input_quantizer": "ber_ste_sign",
        "kernel_quantizer": "magnitude_aware_sign",
    }
    inputs = tf.keras.Input((7, 7, 24))
    # A bias keeps its outputs off 0, where the float convolution's rounding
    # (1e-7 for an exact 0) would decide the next sign.
    bias = tf.keras.initializers.Constant(0.05)
    x = lq.layers.QuantConv2D(16, 3, strides=2, bias_initializer=bias, **sign)(inputs)
    x = tf.keras.layers.Reshape((1, 1, 144))(x)
    x = DenseQuantConv2D(12, 1, **sign)(x)
    x = tf.keras.layers.Flatten()(x)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(10, activation="softmax")(x))
    binary_conv.pack(model)
    return model


@needs_compiler
def test_training_takes_larqs_gradients(with_kernel, monkeypatch):
    # Rate 0: both models see the same signs.
    packed, plain = _binary_then_float(0), _binary_then_float(0)
    plain.set_weights(packed.get_weights())
    rng = np.random.default_rng(1)
    x = tf.constant(rng.standard_normal((16, 7, 7, 24)).astype(np.float32))
    y = tf.constant(rng.integers(0, 10, 16))
    assert _op_types(tf.function(lambda x: packed(x, training=True)), x) >= {OP}
    got_loss, got = _gradients(packed, x, y)
    packs = binary_conv.packs
    monkeypatch.setattr(binary_conv, "packs", lambda *args: None)
    want_loss, want = _gradients(plain, x, y)
    assert OP not in _op_types(tf.function(lambda x: plain(x, training=True)), x)
    monkeypatch.setattr(binary_conv, "packs", packs)
    np.testing.assert_allclose(got_loss.numpy(), want_loss.numpy(), rtol=1e-6)
    for weight, g, w in zip(packed.trainable_weights, got, want, strict=True):
        scale = np.abs(w.numpy()).max()
        assert scale > 0, weight.name  # the STE passes gradients to every kernel
        np.testing.assert_allclose(
            g.numpy(), w.numpy(), atol=1e-5 * scale, err_msg=weight.name
        )
    # LeNet-4 trains on it.
    lenet = LeNet4()
    train = tf.function(lambda x: lenet(x, training=True))
    assert OP in _op_types(train, tf.zeros((2, 28, 28, 1)))


@needs_compiler
def test_input_dropout_is_packed_at_inference_only(with_kernel):
    layer = InputDropoutQuantConv2D(
        3, 3, input_dropout=0.5, input_quantizer="ber_ste_sign",
        kernel_quantizer="magnitude_aware_sign",
    )  # fmt: skip
    model = _one_layer(layer)
    binary_conv.pack(model)
    x = tf.random.normal((2, 6, 6, 4))
    assert OP not in _op_types(tf.function(lambda x: model(x, training=True)), x)
    assert _count(model, x, 0.2) == 1


@needs_compiler
@pytest.mark.parametrize(
    "w_shape, strides", [((3, 2, 5, 4), (2, 1)), ((1, 1, 5, 4), (1, 1))]
)
def test_the_gradient_is_the_float_convolutions_straight_through(
    with_kernel, w_shape, strides
):
    rng = np.random.default_rng(3)
    x = tf.constant(_signs(rng.standard_normal((2, 7, 6, 5))))
    w = tf.constant(rng.standard_normal(w_shape).astype(np.float32))
    scaled = _signs(w.numpy()) * np.abs(w.numpy()).mean(axis=(0, 1, 2))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, w])
        kernel_signs = tf.constant(scaled)
        tape.watch(kernel_signs)
        got = binary_conv.binary_conv2d(x, w, strides=strides, magnitude=True)
        want = tf.nn.conv2d(x, kernel_signs, [1, *strides, 1], "VALID")
        cotangent = tf.constant(rng.standard_normal(want.shape).astype(np.float32))
        got_loss, want_loss = (
            tf.reduce_sum(got * cotangent),
            tf.reduce_sum(want * cotangent),
        )
    for mine, theirs in [(x, x), (w, kernel_signs)]:
        np.testing.assert_allclose(
            tape.gradient(got_loss, mine).numpy(),
            tape.gradient(want_loss, theirs).numpy(),
            rtol=1e-5,
            atol=1e-5,
        )


@needs_compiler
def test_stuck_weights_and_activations_are_seen_in_a_block(with_kernel, monkeypatch):
    packed, plain, x = _two_lenets(32, seed=4)
    faults = stuck_at(packed, 0.3, value=-1, seed=2)
    with activation_errors(packed, 0.05, seed=9):
        got = packed.predict(x, verbose=0)
        # Stuck activations (a wrapped input quantizer) still pack; a stuck kernel
        # (a wrapped kernel quantizer) takes the float convolution.
        assert _count(packed, x[:2], 0.05) == 0
    faults.remove()
    with activation_errors(packed, 0.05, seed=9):
        assert _count(packed, x[:2], 0.05) == 2
    monkeypatch.setattr(binary_conv, "packs", lambda *args: None)
    with stuck_at(plain, 0.3, value=-1, seed=2), activation_errors(plain, 0.05, seed=9):
        want = plain.predict(x, verbose=0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
