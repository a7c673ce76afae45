"""Binary layers larq lacks: dropout after the input quantizer, as a layer option."""

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber.layers import (
    DenseQuantConv2D,
    DropoutAfterQuantizer,
    InputDropoutDenseQuantConv2D,
    InputDropoutQuantConv2D,
    as_convolutions,
    export_copy,
    input_quantizer_of,
)
from larq_ber.quantizers import BerSteSign


def test_input_dropout_layer_round_trip_and_bad_rate():
    layer = InputDropoutQuantConv2D(
        8, 3, input_quantizer=BerSteSign(0.1), input_dropout=0.5
    )
    clone = InputDropoutQuantConv2D.from_config(layer.get_config())
    assert clone.input_dropout == 0.5 and input_quantizer_of(clone).ber == 0.1
    with pytest.raises(ValueError, match="`input_dropout`"):
        InputDropoutQuantConv2D(8, 3, input_dropout=1.0)
    x = tf.ones([4, 6, 6, 8])
    layer = InputDropoutQuantConv2D(
        8, 1, input_quantizer="ste_sign", input_dropout=0.5, kernel_initializer="ones"
    )
    inference = layer(x)
    np.testing.assert_array_equal(inference.numpy(), np.full([4, 6, 6, 8], 8.0))
    trained = layer(x, training=True).numpy()
    # dropped inputs are 0, kept ones 2 (= 1 / (1 - 0.5)): sums are even, and vary
    assert np.all(trained % 2 == 0) and trained.std() > 0


def test_drops_about_half_of_the_binary_inputs_while_training():
    x = tf.random.stateless_normal([16, 32, 32, 1], seed=[1, 2])
    layer = InputDropoutQuantConv2D(
        1,
        1,
        input_quantizer="ste_sign",
        input_dropout=0.5,
        kernel_initializer="ones",
        use_bias=False,
    )
    inference = layer(x, training=False).numpy()
    trained = layer(x, training=True).numpy()
    signs = lq.math.sign(x).numpy()
    np.testing.assert_array_equal(inference, signs)  # a 1x1 kernel of one: sign(x)
    assert not np.array_equal(trained, inference)
    # Each binary input is dropped (0) or kept and scaled by 1 / (1 - 0.5).
    dropped = trained == 0
    np.testing.assert_array_equal(trained[~dropped], 2 * signs[~dropped])
    # Binomial(n, 0.5): 4 standard deviations.
    n = x.shape.num_elements()
    assert abs(dropped.sum() - n / 2) <= 4 * np.sqrt(n * 0.25), dropped.mean()


@pytest.mark.parametrize("training", [False, None])
def test_outside_training_equals_a_plain_quant_conv2d_bit_for_bit(training):
    options = {
        "kernel_quantizer": "magnitude_aware_sign",
        "padding": "same",
        "pad_values": 1.0,
    }
    dropout = InputDropoutQuantConv2D(
        16, 3, input_quantizer="ste_sign", input_dropout=0.5, **options
    )
    plain = lq.layers.QuantConv2D(16, 3, input_quantizer="ste_sign", **options)
    x = tf.random.stateless_normal([8, 12, 12, 32], seed=[3, 4])
    dropout.build(x.shape)
    plain.build(x.shape)
    rng = np.random.default_rng(5)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in plain.weights]
    dropout.set_weights(weights)
    plain.set_weights(weights)
    expected = plain(x, training=training).numpy()
    np.testing.assert_array_equal(dropout(x, training=training).numpy(), expected)
    np.testing.assert_array_equal(dropout(x).numpy(), expected)


def test_config_keeps_the_plain_quantizer_and_the_rate():
    layer = InputDropoutQuantConv2D(
        8, 3, input_quantizer="ste_sign", input_dropout=0.25, name="bconv"
    )
    assert isinstance(layer.input_quantizer, DropoutAfterQuantizer)
    config = layer.get_config()
    assert config["input_dropout"] == 0.25
    assert config["input_quantizer"]["class_name"] == "SteSign"
    assert config["input_quantizer"]["config"]["clip_value"] == 1.0
    clone = InputDropoutQuantConv2D.from_config(config)
    assert clone.get_config() == config
    assert clone.input_dropout == 0.25 and clone.name == "bconv"
    assert type(input_quantizer_of(clone)) is lq.quantizers.SteSign


@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
@pytest.mark.parametrize("filename", ["model.keras", "model.h5"])
def test_saved_model_reloads_with_identical_predictions(tmp_path, filename):
    inputs = tf.keras.Input((8, 8, 4))
    x = tf.keras.layers.BatchNormalization()(inputs)
    x = InputDropoutQuantConv2D(
        8,
        3,
        input_quantizer=BerSteSign(0.1, ber_pos=0.05),
        input_dropout=0.5,
        kernel_quantizer="magnitude_aware_sign",
        name="bconv",
    )(x)
    x = tf.keras.layers.Flatten()(x)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(3)(x))
    rng = np.random.default_rng(6)
    model.set_weights([rng.standard_normal(w.shape) for w in model.get_weights()])
    x = rng.standard_normal((16, 8, 8, 4)).astype("float32")
    path = str(tmp_path / filename)
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    layer = loaded.get_layer("bconv")
    assert type(layer) is InputDropoutQuantConv2D and layer.input_dropout == 0.5
    quantizer = input_quantizer_of(layer)
    assert isinstance(quantizer, BerSteSign)
    assert (quantizer.ber, quantizer.ber_neg, quantizer.ber_pos) == (0.1, 0.1, 0.05)


def test_input_quantizer_of_looks_through_the_dropout():
    quantizer = BerSteSign(0.2)
    layer = InputDropoutQuantConv2D(8, 3, input_quantizer=quantizer, input_dropout=0.5)
    assert isinstance(layer.input_quantizer, DropoutAfterQuantizer)
    assert input_quantizer_of(layer) is quantizer
    plain = lq.layers.QuantConv2D(8, 3, input_quantizer=quantizer)
    assert input_quantizer_of(plain) is quantizer
    assert input_quantizer_of(lq.layers.QuantConv2D(8, 3)) is None
    assert input_quantizer_of(tf.keras.layers.Dense(3)) is None


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, float("nan"), "0.5", None, True])
def test_bad_input_dropout_raises_naming_it(rate):
    with pytest.raises(ValueError, match=r"`input_dropout` must be .*\[0, 1\)"):
        InputDropoutQuantConv2D(8, 3, input_quantizer="ste_sign", input_dropout=rate)


def test_a_quantizer_is_required():
    with pytest.raises(ValueError, match="`input_quantizer` is required"):
        InputDropoutQuantConv2D(8, 3, input_dropout=0.5)
    with pytest.raises(ValueError, match="`quantizer` must be a larq quantizer"):
        DropoutAfterQuantizer(None, 0.5)
    with pytest.raises(ValueError, match=r"`rate` must be in the range \[0, 1\)"):
        DropoutAfterQuantizer("ste_sign", 1.0)
    assert DropoutAfterQuantizer("ste_sign", np.float32(0.25)).rate == 0.25


def test_dropout_after_quantizer_keeps_the_quantizer_precision():
    assert DropoutAfterQuantizer("ste_sign", 0.5).precision == 1
    assert DropoutAfterQuantizer(BerSteSign(0.1)).precision == 1
    assert DropoutAfterQuantizer("dorefa_quantizer", 0.5).precision == 2


def _dense_model(cls, **extra):
    """Flatten → 1×1 map → binary dense (as `cls`) → classifier, seeded weights."""
    inputs = tf.keras.Input((4, 4, 3))
    x = tf.keras.layers.Reshape((1, 1, 48))(inputs)
    x = cls(
        16,
        1,
        input_quantizer=BerSteSign(0.2),
        kernel_quantizer="magnitude_aware_sign",
        name="bdense",
        **extra,
    )(x)
    x = tf.keras.layers.Flatten()(x)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(3, name="top")(x))
    rng = np.random.default_rng(7)
    model.set_weights([rng.standard_normal(w.shape) for w in model.get_weights()])
    return model


@pytest.mark.parametrize(
    ("dense", "conv", "extra"),
    [
        (DenseQuantConv2D, lq.layers.QuantConv2D, {}),
        (InputDropoutDenseQuantConv2D, InputDropoutQuantConv2D, {"input_dropout": 0.5}),
    ],
)
def test_dense_as_matmul_equals_the_convolution_forward_and_backward(
    dense, conv, extra
):
    """Same variables, outputs and gradients as the 1×1 convolution it stands for;
    `as_convolutions` swaps the class and keeps names, weights and outputs."""
    model = _dense_model(dense, **extra)
    reference = _dense_model(conv, **extra)
    assert [w.shape for w in model.weights] == [w.shape for w in reference.weights]
    x = np.random.default_rng(8).standard_normal((32, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(model(x), reference(x), atol=1e-5)
    gradients = []
    for m in (model, reference):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(m(x, training=False) ** 2)
        gradients.append(tape.gradient(loss, m.trainable_weights))
    for a, b in zip(*gradients, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    copy = as_convolutions(model)
    assert type(copy.get_layer("bdense")) is conv
    assert type(model.get_layer("bdense")) is dense  # the model is untouched
    np.testing.assert_allclose(copy(x), model(x), atol=1e-5)


def test_dense_as_matmul_refuses_what_is_not_a_dense_layer():
    layer = DenseQuantConv2D(4, 1, input_quantizer="ste_sign")
    with pytest.raises(ValueError, match=r"\(batch, 1, 1, features\)"):
        layer(tf.ones([2, 3, 3, 8]))
    with pytest.raises(ValueError, match="kernel_size"):
        DenseQuantConv2D(4, 3, input_quantizer="ste_sign")(tf.ones([2, 1, 1, 8]))


@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
@pytest.mark.parametrize("filename", ["model.keras", "model.h5"])
def test_dense_as_matmul_reloads_and_shares_weights_with_the_convolution(
    tmp_path, filename
):
    model = _dense_model(DenseQuantConv2D)
    x = np.random.default_rng(9).standard_normal((8, 4, 4, 3)).astype("float32")
    model.save(tmp_path / filename)
    loaded = tf.keras.models.load_model(tmp_path / filename)
    assert type(loaded.get_layer("bdense")) is DenseQuantConv2D
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    model.save_weights(tmp_path / "weights.h5")  # a 0.1 model's weights load too
    conv = _dense_model(lq.layers.QuantConv2D)
    conv.load_weights(tmp_path / "weights.h5")
    np.testing.assert_allclose(
        conv.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5
    )


def test_export_copy_has_constant_binary_kernels_and_the_same_outputs():
    from larq_ber.models import BinaryAlexNet

    model = BinaryAlexNet(input_shape=(64, 64, 3), num_classes=10)
    latent = model.get_layer("binary_dense_6").kernel.latent_variable.numpy()
    copy = export_copy(model)
    for name in ("binary_conv_2", "binary_dense_6", "binary_dense_7"):
        layer = copy.get_layer(name)
        assert layer.kernel_quantizer is None
        kernel = layer.kernel.numpy().reshape(-1, layer.filters)
        alpha = np.abs(kernel).max(axis=0)
        np.testing.assert_array_equal(
            np.abs(kernel), np.broadcast_to(alpha, kernel.shape)
        )
    assert type(copy.get_layer("binary_dense_6")) is lq.layers.QuantConv2D
    # sign(W) times the mean |W| of each output channel, as magnitude_aware_sign
    kernel = copy.get_layer("binary_dense_6").kernel.numpy()
    expected = np.where(latent >= 0, 1.0, -1.0) * np.abs(latent).mean(axis=(0, 1, 2))
    np.testing.assert_allclose(kernel, expected, rtol=1e-6)
    np.testing.assert_array_equal(
        model.get_layer("binary_dense_6").kernel.latent_variable.numpy(), latent
    )  # the model keeps its latent weights
    x = np.random.default_rng(10).standard_normal((4, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(
        copy.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5
    )
