import larq as lq
import numpy as np
import pytest
import tensorflow as tf

import larq_ber
from larq_ber.quantizers import BerSteSign, ber_quantizers, set_ber
from tests.helpers import binary_block_model


def _grads(quantizer, x, upstream, training=True):
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = (
            quantizer(x, training=training)
            if isinstance(quantizer, tf.keras.layers.Layer)
            else quantizer(x)
        )
        loss = tf.reduce_sum(y * upstream)
    return y, tape.gradient(loss, x)


@pytest.mark.parametrize("clip_value", [1.0, 0.5, None])
def test_gradient_equals_ste_sign(clip_value):
    rng = np.random.default_rng(2)
    x = rng.uniform(-2, 2, (200, 50)).astype("float32")
    upstream = tf.constant(rng.standard_normal((200, 50)).astype("float32"))
    y, grad = _grads(BerSteSign(0.3, clip_value=clip_value), x, upstream)
    _, expected = _grads(lq.quantizers.SteSign(clip_value=clip_value), x, upstream)
    assert np.mean(y.numpy() != lq.math.sign(x).numpy()) > 0.25  # flips did happen
    np.testing.assert_array_equal(grad.numpy(), expected.numpy())


def test_flip_gradient_multiplies_by_the_same_mask():
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, (200, 50)).astype("float32")
    upstream = tf.constant(rng.standard_normal((200, 50)).astype("float32"))
    y, grad = _grads(BerSteSign(0.3, flip_gradient=True), x, upstream)
    _, ste = _grads(lq.quantizers.SteSign(), x, upstream)
    mask = y.numpy() * lq.math.sign(x).numpy()  # -1 where flipped
    assert (mask == -1).any() and (mask == 1).any()
    np.testing.assert_array_equal(grad.numpy(), mask * ste.numpy())


def test_string_alias_and_registration():
    q = lq.quantizers.get("ber_ste_sign")
    assert isinstance(q, BerSteSign) and q.precision == 1
    assert isinstance(q, lq.quantizers.SteSign)
    layer = lq.layers.QuantDense(3, input_quantizer="ber_ste_sign")
    assert isinstance(layer.input_quantizer, BerSteSign)
    assert tf.keras.saving.get_registered_name(BerSteSign) == "larq_ber>BerSteSign"
    from_dict = lq.quantizers.get(
        {"class_name": "ber_ste_sign", "config": {"ber": 0.1}}
    )
    assert from_dict.ber == 0.1


def test_get_config_round_trip():
    q = BerSteSign(
        0.1,
        ber_neg=0.2,
        clip_value=0.5,
        flip_gradient=True,
        seed=7,
        metrics=["bit_error_rate"],
    )
    config = q.get_config()
    assert (
        config["ber"] == 0.1 and config["ber_neg"] == 0.2 and config["ber_pos"] == 0.1
    )
    assert config["clip_value"] == 0.5 and config["flip_gradient"] is True
    assert config["seed"] == 7 and config["metrics"] == ["bit_error_rate"]
    clone = BerSteSign.from_config(config)
    assert clone.get_config() == config
    revived = tf.keras.utils.deserialize_keras_object(
        tf.keras.utils.serialize_keras_object(q)
    )
    assert isinstance(revived, BerSteSign) and revived.get_config() == config


@pytest.mark.slow
@pytest.mark.parametrize("filename", ["model.h5", "model.keras", "saved_model"])
def test_model_save_load_round_trip(tmp_path, filename):
    model = binary_block_model(lambda: BerSteSign(0.08, ber_pos=0.02, seed=3))
    x = np.random.default_rng(4).standard_normal((16, 16, 16, 3)).astype("float32")
    y = np.random.default_rng(4).integers(0, 10, 16)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)  # non-trivial weights and BN statistics
    path = str(tmp_path / filename)
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    quantizers = ber_quantizers(loaded)
    assert len(quantizers) == 3
    for q in quantizers:
        assert (q.ber, q.ber_neg, q.ber_pos, q.seed) == (0.08, 0.08, 0.02, 3)


BAD_RATES = [-0.1, 1.5, float("nan"), float("inf"), "0.1", True, [0.1]]


@pytest.mark.parametrize("argument", ["ber", "ber_neg", "ber_pos"])
@pytest.mark.parametrize("value", BAD_RATES)
def test_bad_rates_raise_naming_argument_and_range(argument, value):
    with pytest.raises(ValueError, match=rf"`{argument}`.*\[0, 1\]"):
        BerSteSign(**{argument: value})


def test_ber_none_is_rejected_but_asymmetric_none_means_ber():
    with pytest.raises(ValueError, match=r"`ber`.*\[0, 1\]"):
        BerSteSign(None)
    q = BerSteSign(0.2, ber_neg=None, ber_pos=0.1)
    assert (q.ber_neg, q.ber_pos) == (0.2, 0.1)


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="`seed`"):
        BerSteSign(0.1, seed=seed)


def test_bad_metric_and_flip_gradient():
    with pytest.raises(ValueError, match=r"`metrics`.*bit_error_rate"):
        BerSteSign(0.1, metrics=["accuracy"])
    with pytest.raises(ValueError, match="`flip_gradient`"):
        BerSteSign(0.1, flip_gradient="yes")


def test_set_ber_validates_before_changing_anything():
    model = binary_block_model(lambda: BerSteSign(0.01))
    with pytest.raises(ValueError, match="`ber_pos`"):
        set_ber(model, 0.2, ber_pos=2.0)
    assert all((q.ber_neg, q.ber_pos) == (0.01, 0.01) for q in ber_quantizers(model))
    assert set_ber(model, ber_neg=0.3) == 3
    assert all((q.ber_neg, q.ber_pos) == (0.3, 0.01) for q in ber_quantizers(model))
    with pytest.raises(ValueError, match="no BerSteSign"):
        set_ber(tf.keras.Sequential([tf.keras.layers.Dense(1)]), 0.1)
    with pytest.raises(ValueError, match="Give"):
        ber_quantizers(model)[0].set_ber()


def _fit_history(model, epochs=1, n=128):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, 16, 16, 3)).astype("float32")
    y = rng.integers(0, 10, n)
    return model.fit(
        x, y, batch_size=32, epochs=epochs, verbose=0, validation_data=(x, y)
    ).history


@pytest.mark.slow
def test_bit_error_rate_metric_measures_training_flips_and_follows_set_ber():
    model = binary_block_model(lambda: BerSteSign(0.1, metrics=["bit_error_rate"]))
    model.compile("adam", "sparse_categorical_crossentropy")
    history = _fit_history(model)
    names = sorted(k for k in history if k.startswith("bit_error_rate/"))
    assert len(names) == 3
    # Elements per epoch of the first binary conv: 128 images x 16x16x32.
    n = 128 * 16 * 16 * 32
    assert abs(history[names[0]][0] - 0.1) <= 4 * np.sqrt(0.1 * 0.9 / n)
    for name in names:
        assert history[name][0] == pytest.approx(0.1, abs=0.02)
        assert history["val_" + name][0] == 0.0  # validation is error-free
    train_function = model.train_function
    set_ber(model, 0.5)
    history = _fit_history(model)
    assert model.train_function is train_function  # no retrace needed
    assert history[names[0]][0] == pytest.approx(0.5, abs=4 * np.sqrt(0.25 / n))


def test_version_and_public_api():
    from importlib import metadata

    assert larq_ber.__version__ == metadata.version("larq-ber")
    for module in (larq_ber, larq_ber.quantizers):
        for name in module.__all__:
            assert hasattr(module, name), name
