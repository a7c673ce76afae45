"""`BatchNormMaxPoolReLU`: the three Keras operations bit for bit without the
kernel; with it, the same function and gradients up to float rounding, the same
moving statistics, and the kernel only where it applies.

Tolerances: the kernel sums in another order (per image in float, across images in
double) than oneDNN, so values agree to a few float32 ulps of the largest value
(2e-6 relative here) and gradients to 1e-5 of the largest gradient."""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from larq_ber import binary_conv, flips, kernel
from larq_ber.batch_norm_pool import BatchNormMaxPoolReLU
from tests.test_flips import _op_types

OP = "LarqBerBatchNormMaxPoolRelu"
needs_compiler = pytest.mark.skipif(
    shutil.which(os.environ.get("CXX", "c++")) is None and shutil.which("g++") is None,
    reason="no C++ compiler to build the kernel",
)

# (input shape, pool, strides): 2 x 2 windows tiling LeNet-4's map; AlexNet's
# overlapping 3 x 3 / 2; windows that leave a row and columns out; 1, 9 and 6
# channels (the channel blocks 8 + 1 and 4 + 2).
GEOMETRIES = [
    ((8, 24, 24, 20), 2, 2),
    ((4, 13, 13, 12), 3, 2),
    ((3, 9, 7, 5), 2, 2),
    ((5, 6, 6, 1), 2, 2),
    ((2, 8, 10, 9), (2, 3), (1, 2)),
    ((3, 10, 10, 6), 2, 2),
]


def _layers(pool, strides, padding="valid"):
    """A fused layer and the three Keras layers, with the same (varied) weights."""
    fused = BatchNormMaxPoolReLU(pool, strides, padding, momentum=0.9, epsilon=1e-4)
    norm = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-4)
    pooling = tf.keras.layers.MaxPool2D(pool, strides, padding)
    return fused, (norm, pooling, tf.keras.layers.ReLU())


def _weights(channels, rng):
    """gamma of both signs and one 0, beta, moving mean and variance."""
    gamma = rng.normal(0.3, 1.0, channels)
    gamma[0] = 0.0
    return [
        gamma.astype("float32"),
        rng.normal(0.0, 0.5, channels).astype("float32"),
        rng.normal(0.0, 0.5, channels).astype("float32"),
        rng.uniform(0.5, 2.0, channels).astype("float32"),
    ]


def _compare(fused, three, x, training):
    """Output, gradients and moving statistics of `fused` and of `three` chained."""
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        new = fused(x, training=training)
        old = x
        for layer in three:
            old = layer(old, training=training)
        weights = tf.random.stateless_normal(new.shape, seed=[1, 2])
        new_loss, old_loss = tf.reduce_sum(new * weights), tf.reduce_sum(old * weights)
    sources = lambda layer: [x, *layer.trainable_weights]  # noqa: E731
    new_grads = tape.gradient(new_loss, sources(fused))
    old_grads = tape.gradient(old_loss, sources(three[0]))
    stats = lambda layer: [layer.moving_mean, layer.moving_variance]  # noqa: E731
    return (
        [new, *new_grads, *stats(fused)],
        [old, *old_grads, *stats(three[0])],
    )


@pytest.mark.parametrize(("shape", "pool", "strides"), GEOMETRIES)
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("training", [False, True])
def test_without_the_kernel_it_is_the_three_layers_bit_for_bit(
    shape, pool, strides, padding, training
):
    rng = np.random.default_rng(0)
    fused, three = _layers(pool, strides, padding)
    x = tf.constant(rng.normal(1.0, 2.0, shape).astype("float32"))
    fused.build(x.shape)
    three[0].build(x.shape)
    for layer in (fused, three[0]):
        layer.set_weights(_weights(shape[-1], np.random.default_rng(1)))
    new, old = _compare(fused, three, x, training)
    assert new[0].shape == fused.compute_output_shape(x.shape)
    for got, want in zip(new, old, strict=True):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_configuration_round_trips_and_bad_pools_are_refused():
    layer = BatchNormMaxPoolReLU((3, 2), 1, "same", momentum=0.8, epsilon=1e-3)
    config = layer.get_config()
    assert (config["pool_size"], config["strides"], config["padding"]) == (
        (3, 2),
        (1, 1),
        "same",
    )
    again = BatchNormMaxPoolReLU.from_config(config)
    assert again.get_config() == config
    assert tf.keras.layers.deserialize(tf.keras.layers.serialize(layer)).momentum == 0.8
    for bad in (0, (2,), (2, 0), "2", True, 1.5):
        with pytest.raises(ValueError, match="`pool_size` must be a positive int"):
            BatchNormMaxPoolReLU(bad)
        with pytest.raises(ValueError, match="`strides` must be a positive int"):
            BatchNormMaxPoolReLU(2, bad)
    with pytest.raises(ValueError, match="`padding` must be 'valid' or 'same'"):
        BatchNormMaxPoolReLU(2, padding="full")


@needs_compiler
@pytest.mark.parametrize(("shape", "pool", "strides"), GEOMETRIES)
def test_the_kernel_computes_what_the_three_layers_do(
    with_kernel, shape, pool, strides
):
    rng = np.random.default_rng(0)
    fused, three = _layers(pool, strides)
    x = tf.constant(rng.normal(3.0, 2.0, shape).astype("float32"))
    fused.build(x.shape)
    three[0].build(x.shape)
    for layer in (fused, three[0]):
        layer.set_weights(_weights(shape[-1], np.random.default_rng(1)))
    assert fused._kernel(x) is not None
    new, old = _compare(fused, three, x, True)
    names = ["output", "dx", "dgamma", "dbeta", "moving mean", "moving variance"]
    for name, got, want in zip(names, new, old, strict=True):
        want = np.asarray(want)
        scale = np.abs(want).max()
        tolerance = (
            2e-6 if name in ("output", "moving mean", "moving variance") else 1e-5
        )
        np.testing.assert_allclose(
            np.asarray(got), want, atol=tolerance * scale, rtol=0, err_msg=name
        )
    # At inference the layer is the three operations, bit for bit.
    fused.set_weights(three[0].get_weights())
    new, old = _compare(fused, three, x, False)
    np.testing.assert_array_equal(new[0].numpy(), old[0].numpy())


@needs_compiler
def test_ties_go_to_the_first_element_as_in_max_pool(with_kernel):
    """Equal values in every window (and gamma = 0 making all of them equal after
    the BatchNorm): the gradient reaches the same element as MaxPool's."""
    x = np.zeros((2, 4, 4, 3), "float32")
    x[:, ::2, ::2, :] = 1.0  # a window's first element is its maximum ...
    x[1] = 5.0  # ... or all are equal
    x = tf.constant(x)
    fused, three = _layers(2, 2)
    for layer in (fused, three[0]):
        layer.build(x.shape)
        layer.set_weights(
            [
                np.array(w, "float32")
                for w in ([1.0, 0.0, -1.0], [0.5] * 3, [0] * 3, [1] * 3)
            ]
        )
    new, old = _compare(fused, three, x, True)
    for got, want in zip(new[:4], old[:4], strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-6)


@needs_compiler
def test_the_kernel_is_used_only_where_it_applies(with_kernel, monkeypatch):
    x = tf.random.normal((4, 8, 8, 6))

    def types(layer, training=True, **options):
        layer.build(x.shape)
        return _op_types(
            tf.function(lambda x: layer(x, training=training), **options), x
        )

    assert OP in types(BatchNormMaxPoolReLU(2))
    assert OP not in types(BatchNormMaxPoolReLU(2), training=False)
    assert OP not in types(BatchNormMaxPoolReLU(2), jit_compile=True)
    assert OP not in types(BatchNormMaxPoolReLU(2, padding="same"))
    assert OP not in types(BatchNormMaxPoolReLU(2, fused=False))
    assert OP not in types(BatchNormMaxPoolReLU(2, dtype="mixed_float16"))
    assert OP not in types(BatchNormMaxPoolReLU(2, dtype="float64"))
    assert OP not in types(BatchNormMaxPoolReLU(2, virtual_batch_size=2))
    frozen = BatchNormMaxPoolReLU(2)
    frozen.trainable = False
    assert OP not in types(frozen)
    monkeypatch.setattr(flips, "_gpu_visible", lambda: True)
    assert OP not in types(BatchNormMaxPoolReLU(2))
    monkeypatch.setattr(flips, "_gpu_visible", lambda: False)
    monkeypatch.setenv(kernel.DISABLE_VARIABLE, "0")
    assert OP not in types(BatchNormMaxPoolReLU(2))


@needs_compiler
def test_a_training_tensor_picks_the_branch_at_run_time(with_kernel):
    layer = BatchNormMaxPoolReLU(2)
    x = tf.random.normal((4, 8, 8, 6), mean=2.0)
    layer.build(x.shape)
    call = tf.function(lambda x, training: layer(x, training=training))
    inference = call(x, tf.constant(False))
    np.testing.assert_array_equal(inference, layer(x, training=False))
    assert np.all(layer.moving_mean.numpy() == 0.0)  # not updated at inference
    training = call(x, tf.constant(True))
    assert float(tf.reduce_mean(training)) < float(tf.reduce_mean(inference))
    expected = (1 - layer.momentum) * tf.reduce_mean(x, axis=[0, 1, 2])
    np.testing.assert_allclose(layer.moving_mean.numpy(), expected, rtol=1e-5)
    # The moving variance takes the batch's with Bessel's correction, as Keras's.
    unbiased = np.var(x.numpy(), axis=(0, 1, 2), ddof=1)
    expected = layer.momentum + (1 - layer.momentum) * unbiased
    np.testing.assert_allclose(layer.moving_variance.numpy(), expected, rtol=1e-5)


@needs_compiler
def test_an_empty_batch_leaves_the_moving_statistics_alone(with_kernel):
    layer = BatchNormMaxPoolReLU(2)
    layer.build((None, 8, 8, 6))
    assert layer._kernel(tf.zeros((0, 8, 8, 6))) is not None
    y = layer(tf.zeros((0, 8, 8, 6)), training=True)
    assert y.shape == (0, 4, 4, 6)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(6))
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(6))


@needs_compiler
def test_nan_and_a_large_mean_as_through_the_three_operations(with_kernel):
    """A NaN gives its channel what TensorFlow's operations give it (NaN
    statistics); a mean 50 standard deviations from 0 costs no more than the rounding
    of the mean (float32 spacing at 50: 3.8e-6, times gamma up to 2), which needs the
    kernel's shifted sums (plain sums of squares are 1e-3 off)."""
    rng = np.random.default_rng(4)
    x = rng.normal(0.0, 1.0, (4, 8, 8, 6)).astype("float32") + 50.0
    x[2, 3, 4, 1] = np.nan
    fused, three = _layers(2, 2)
    for layer in (fused, three[0]):
        layer.build(x.shape)
        layer.set_weights(_weights(6, np.random.default_rng(1)))
    new, old = _compare(fused, three, tf.constant(x), True)
    np.testing.assert_array_equal(new[0][..., 1], old[0][..., 1])
    assert np.isnan(fused.moving_mean[1]) and np.isnan(three[0].moving_mean[1])
    keep = [0, 2, 3, 4, 5]
    np.testing.assert_allclose(
        new[0].numpy()[..., keep], old[0].numpy()[..., keep], atol=8 * 3.8e-6, rtol=0
    )


@needs_compiler
def test_without_scale_and_center_it_is_the_three_layers(with_kernel):
    x = tf.random.normal((4, 8, 8, 6), mean=1.0)
    fused = BatchNormMaxPoolReLU(2, scale=False, center=False)
    fused.build(x.shape)
    assert not fused.trainable_weights  # moving statistics only
    new, old = _compare(fused, fused.unfused(), x, True)
    for got, want in zip(new, old, strict=True):  # output, dx, moving statistics
        atol = 1e-5 * np.abs(want).max()
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=atol)


def test_unfused_gives_the_three_layers_with_a_copy_of_the_weights():
    layer = BatchNormMaxPoolReLU(3, 2, momentum=0.8)
    with pytest.raises(ValueError, match="needs a built layer"):
        layer.unfused()
    x = tf.random.normal((2, 9, 9, 4))
    layer.build(x.shape)
    layer.set_weights(_weights(4, np.random.default_rng(2)))
    norm, pooling, relu = layer.unfused()
    assert norm.momentum == 0.8 and norm.name != layer.name
    assert (pooling.pool_size, pooling.strides) == ((3, 3), (2, 2))
    for mine, copied in zip(layer.weights, norm.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), copied.numpy())
        assert mine is not copied
    assert [type(x).__name__ for x in layer.unfused(relu_first=True)] == [
        "BatchNormalization", "ReLU", "MaxPooling2D"]  # fmt: skip
    np.testing.assert_array_equal(layer(x), relu(pooling(norm(x))))


@needs_compiler
def test_the_operations_check_their_inputs(with_kernel):
    x = tf.zeros((1, 4, 4, 3))
    op = with_kernel.larq_ber_batch_norm_max_pool_relu
    with pytest.raises(tf.errors.InvalidArgumentError, match="`gamma` must have shape"):
        op(x, tf.ones([2]), tf.zeros([3]), epsilon=1e-3, ksize=[2, 2], strides=[2, 2])
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match="window"):
        op(x, tf.ones([3]), tf.zeros([3]), epsilon=1e-3, ksize=[5, 5], strides=[1, 1])
    with pytest.raises(
        (tf.errors.InvalidArgumentError, ValueError), match=r"must be 4-D|rank 4"
    ):
        op(tf.zeros([4, 3]), tf.ones([3]), tf.zeros([3]), epsilon=1e-3, ksize=[2, 2],
           strides=[2, 2])  # fmt: skip
    grad = with_kernel.larq_ber_batch_norm_max_pool_relu_grad
    x = tf.random.normal((1, 5, 5, 3))  # 2 x 2 windows that leave a row out
    y, selected, index, mean, variance = op(
        x, tf.ones([3]), tf.zeros([3]), epsilon=1e-3, ksize=[2, 2], strides=[2, 2]
    )
    args = dict(epsilon=1e-3, ksize=[2, 2], strides=[2, 2])
    dy = tf.ones_like(y)
    dx, dgamma, dbeta = grad(
        dy, y, selected, index, x, tf.ones([3]), mean, variance, **args
    )
    assert dx.shape == x.shape and dgamma.shape == dbeta.shape == (3,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="input 0 must have shape"):
        grad(dy[:, :1], y, selected, index, x, tf.ones([3]), mean, variance, **args)
    with pytest.raises(tf.errors.InvalidArgumentError, match="input 6 must have shape"):
        grad(dy, y, selected, index, x, tf.ones([3]), mean[:2], variance, **args)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`index` must hold"):
        bad = tf.tensor_scatter_nd_update(index, [[0, 0, 0, 0]], [25])
        grad(dy, y, selected, bad, x, tf.ones([3]), mean, variance, **args)


def _recording(choose, chosen):
    """`choose`, which appends what it returns to `chosen`."""

    def call(x):
        chosen.append(choose(x))
        return chosen[-1]

    return call


@needs_compiler
def test_lenet4_takes_the_same_sgd_step_with_and_without_the_kernel(
    with_kernel, tiny_batch
):
    from larq_ber.models import LeNet4

    images, labels = tiny_batch((28, 28, 1), n=64)
    steps = {}
    for use in (True, False):
        tf.keras.utils.set_random_seed(5)
        model = LeNet4()
        # Larq's float binary convolutions in both, so that only this layer differs
        # (float rounding in the binary convolution can flip a later sign).
        binary_conv.unpack(model)
        (layer,) = [x for x in model.layers if isinstance(x, BatchNormMaxPoolReLU)]
        chosen = []
        layer._kernel = _recording(layer._kernel if use else lambda x: None, chosen)
        model.compile(tf.keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        before = [w.numpy() for w in model.trainable_weights]
        model.train_on_batch(images, labels)
        assert chosen and all((op is not None) == use for op in chosen)
        weights = model.trainable_weights
        steps[use] = [w.numpy() - b for w, b in zip(weights, before, strict=True)]
    # Relative to each weight's step, and for the first convolution's bias (whose
    # gradient is 0 but for rounding: a BatchNorm follows) to the largest step.
    largest = max(np.abs(step).max() for step in steps[False])
    for with_op, without in zip(steps[True], steps[False], strict=True):
        atol = 1e-4 * np.abs(without).max() + 1e-6 * largest
        np.testing.assert_allclose(with_op, without, atol=atol, rtol=0)
