"""`BerSteSign`: behaviour, registration, configuration, conversion with Larq
Compute Engine, and checks that need fresh processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import larq as lq
import larq_compute_engine as lce
import numpy as np
import pytest
import tensorflow as tf

import larq_ber
from larq_ber.export import RANDOM_OPS
from larq_ber.export.flatbuffer import op_census
from larq_ber.quantizers import (
    BerSteSign,
    ber_quantizers,
    set_ber,
)

# Behaviour: gradients, registration, configuration, validation, set_ber.


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
@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
@pytest.mark.parametrize("filename", ["model.h5", "model.keras", "saved_model"])
def test_model_save_load_round_trip(tmp_path, filename, binary_block_model):
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


def _fit_history(model, epochs=1, n=128):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, 16, 16, 3)).astype("float32")
    y = rng.integers(0, 10, n)
    return model.fit(
        x, y, batch_size=32, epochs=epochs, verbose=0, validation_data=(x, y)
    ).history


@pytest.mark.slow
def test_bit_error_rate_metric_measures_training_flips_and_follows_set_ber(
    binary_block_model,
):
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


def _inputs(n):
    """n negative and n non-negative values (including exact zeros, sign +1)."""
    rng = np.random.default_rng(0)
    x = np.concatenate([-rng.uniform(1e-3, 3.0, n), rng.uniform(0.0, 3.0, n)])
    x[n : n + 1000] = 0.0
    return tf.constant(x.astype(np.float32).reshape(200, -1))


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


@pytest.fixture(scope="module")  # trained and converted once for the tests below
def converted(binary_block_model):
    tf.keras.utils.set_random_seed(11)
    noisy = binary_block_model(lambda: BerSteSign(0.08, metrics=["bit_error_rate"]))
    rng = np.random.default_rng(6)
    x = rng.standard_normal((64, 16, 16, 3)).astype("float32")
    y = rng.integers(0, 10, 64)
    noisy.compile("adam", "sparse_categorical_crossentropy")
    noisy.fit(x, y, epochs=2, batch_size=16, verbose=0)  # trained with errors
    plain = binary_block_model(lambda: "ste_sign")
    plain.set_weights(noisy.get_weights())
    return (
        noisy,
        plain,
        x,
        lce.convert_keras_model(noisy),
        lce.convert_keras_model(plain),
    )


@pytest.mark.slow
def test_same_binary_ops_as_ste_sign(converted):
    _, _, _, noisy_fb, plain_fb = converted
    noisy_ops, plain_ops = op_census(noisy_fb), op_census(plain_fb)
    assert noisy_ops == plain_ops
    assert noisy_ops["LceBconv2d"] == 2
    assert noisy_ops["LceQuantize"] >= 2
    assert noisy_ops["LceBMaxPool2d"] == 1
    assert not RANDOM_OPS & set(noisy_ops)
    assert not any("Random" in op or "Flex" in op for op in noisy_ops)


@pytest.mark.slow
def test_interpreter_matches_keras_inference(converted):
    noisy, plain, x, noisy_fb, _ = converted
    expected = noisy.predict(x, verbose=0)
    np.testing.assert_array_equal(expected, plain.predict(x, verbose=0))
    got = lce.testing.Interpreter(noisy_fb).predict(x)
    # Softmax outputs; float accumulation order differs between TF and the
    # interpreter's kernels, nothing else.
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.array_equal(got.argmax(-1), expected.argmax(-1))


@pytest.mark.slow
def test_census_does_not_depend_on_the_rate(converted):
    noisy, _, _, noisy_fb, _ = converted
    set_ber(noisy, 0.5)
    assert op_census(lce.convert_keras_model(noisy)) == op_census(noisy_fb)


SCRIPT = Path(__file__).parents[1] / "subprocess_checks.py"


def _run(*args):
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parents[1])}
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    ).stdout
    return json.loads(out.split("RESULT ", 1)[1])


@pytest.mark.slow
def test_same_seed_flips_the_same_elements_in_two_processes():
    # The second process also runs seed 2 after seed 1: resetting the seed in a
    # process that already drew must give that seed's stream, not a continuation.
    (first,) = _run("determinism", 1)["digests"]
    second, other, again = _run("determinism", 1, 2, 1)["digests"]
    assert first == second == again
    assert first != other


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpus():
    result = _run("mirrored")
    assert result["replicas"] == 2
    # Elements per epoch: 1024 images x 8x8x4 into the binary conv, 1024 x 6x6x8 into
    # the binary dense layer; the tolerance is 4 binomial sigma of the smaller count.
    n = 1024 * 8 * 8 * 4
    for history, rate in ((result["first"], 0.1), (result["second"], 0.3)):
        measured = {
            k: v[0] for k, v in history.items() if k.startswith("bit_error_rate/")
        }
        assert len(measured) == 2
        for name, value in measured.items():
            assert abs(value - rate) <= 4 * (rate * (1 - rate) / n) ** 0.5, (
                name,
                value,
            )
            assert history["val_" + name][0] == 0.0
    # Softmax outputs in [0, 1]: a flip would change them by far more than 1e-5.
    assert result["inference_diff"] <= 1e-5


def test_version_and_public_api():
    from importlib import metadata

    assert larq_ber.__version__ == metadata.version("larq-ber")
    for module in (larq_ber, larq_ber.quantizers):
        for name in module.__all__:
            assert hasattr(module, name), name


@pytest.mark.parametrize(
    "clip_value", [-1.0, 0.0, float("nan"), float("inf"), "1", True]
)
def test_bad_clip_value_is_refused_naming_it(clip_value):
    with pytest.raises(ValueError, match="`clip_value` must be None or a finite"):
        BerSteSign(0.1, clip_value=clip_value)


def test_surrogate_gradient_round_trips_and_must_be_a_sign_quantizer():
    q = BerSteSign(0.1, surrogate=lq.quantizers.SwishSign(beta=3.0))
    again = BerSteSign.from_config(q.get_config())
    assert type(again.surrogate).__name__ == "SwishSign"
    assert again.surrogate.beta == 3.0
    x = tf.constant(np.linspace(-2, 2, 101, dtype="float32"))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ours = BerSteSign(0.0, surrogate="approx_sign")(x, training=True)
        theirs = lq.quantizers.ApproxSign()(x)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(
        tape.gradient(ours, x).numpy(), tape.gradient(theirs, x).numpy()
    )
    with pytest.raises(ValueError, match="`surrogate` must be a 1-bit larq sign"):
        BerSteSign(0.1, surrogate="dorefa_quantizer")


def test_quantizers_show_their_rates_in_repr():
    from larq_ber.quantizers import BerMagnitudeAwareSign

    q = BerSteSign(0.04, ber_pos=0.1, seed=3, name="q")
    assert repr(q) == (
        "BerSteSign(ber=0.04, ber_neg=0.04, ber_pos=0.1, clip_value=1.0, seed=3, "
        "name='q')"
    )
    q.set_ber(0.01)
    assert "ber=0.01, ber_neg=0.01, ber_pos=0.01" in repr(q)
    assert "surrogate=ApproxSign" in repr(BerSteSign(surrogate="approx_sign"))
    assert repr(BerMagnitudeAwareSign(0.02, name="w")).startswith(
        "BerMagnitudeAwareSign(ber=0.02, clip_value=1.0, name='w'"
    )
