"""LCE's interpreter against Keras: `larq_ber.export.parity` through `to_tflite`."""

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber.export import ExportError, to_tflite


def _sign_after_batchnorm(channels=32):
    """A model that takes the sign of a BatchNorm's output, and a function
    `(n, edge) -> inputs` of which the first `edge` lie within 3 float32 ulps of
    each channel's BatchNorm threshold and the others far from it.

    Keras computes BatchNorm as (x - mean) / sqrt(var + eps) * gamma + beta; the
    converter folds it into x * a + b. The two round differently, so for inputs at
    the threshold some signs differ: a genuine disagreement between the
    interpreter and Keras, in about 100 of the 128 outputs of each such input."""
    inputs = tf.keras.Input((4, 4, channels))
    norm = tf.keras.layers.BatchNormalization()
    x = lq.layers.QuantConv2D(
        8, 1, input_quantizer="ste_sign", kernel_quantizer="ste_sign", use_bias=False
    )(norm(inputs))
    model = tf.keras.Model(inputs, tf.keras.layers.Flatten()(x))
    rng = np.random.default_rng(0)
    gamma, beta, mean, var = (
        rng.uniform(0.5, 2.0, channels),
        rng.uniform(-1.0, 1.0, channels),
        rng.uniform(-1.0, 1.0, channels),
        rng.uniform(0.5, 2.0, channels),
    )
    norm.set_weights([a.astype("float32") for a in (gamma, beta, mean, var)])
    threshold = mean - beta * np.sqrt(var + norm.epsilon) / gamma

    def samples(n, edge):
        shape = (n, 4, 4, channels)
        x = np.broadcast_to(threshold, shape).astype("float32")
        ulps = rng.integers(-3, 4, shape).astype("int32")
        x[:edge] = (x[:edge].view("int32") + ulps[:edge]).view("float32")
        away = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 1.0, shape)
        x[edge:] += away[edge:].astype("float32")
        return x

    return model, samples


def test_parity_failure_raises_and_writes_nothing(tmp_path):
    model, samples = _sign_after_batchnorm()
    path = tmp_path / "m.tflite"
    with pytest.raises(ExportError) as error:
        to_tflite(model, path, verify_samples=samples(32, edge=32))
    message = str(error.value)
    assert message.startswith(
        "LCE's interpreter disagrees with Keras: within_tolerance 0.0 %, "
        "top1_agreement "
    )
    assert "of 32 inputs (need 97 %; atol 0.0001" in message
    assert message.endswith("Nothing was written.")
    assert not path.exists() and not list(tmp_path.iterdir())


def test_inputs_away_from_the_threshold_agree_exactly(tmp_path):
    model, samples = _sign_after_batchnorm()
    report = to_tflite(model, tmp_path / "m.tflite", verify_samples=samples(32, 0))
    assert report.verified and report.max_abs_diff == 0.0
    assert report.within_tolerance == report.top1_agreement == 1.0


def test_min_agreement_sets_how_many_inputs_may_disagree(tmp_path):
    model, samples = _sign_after_batchnorm()
    x = samples(64, edge=2)  # 62 of 64 = 96.9 % agree
    path = tmp_path / "m.tflite"
    with pytest.raises(ExportError, match=r"within_tolerance 96\.9 %.* of 64 inputs"):
        to_tflite(model, path, verify_samples=x)
    assert not path.exists()
    report = to_tflite(model, path, verify_samples=x, min_agreement=0.95)
    assert report.within_tolerance == 62 / 64 and report.max_abs_diff >= 2
    assert path.stat().st_size == report.size_bytes
    with pytest.raises(ValueError, match=r"`min_agreement` must be in \(0, 1\]"):
        to_tflite(model, path, verify_samples=x, min_agreement=0.0)
    with pytest.raises(ValueError, match="`atol` must be > 0"):
        to_tflite(model, path, verify_samples=x, atol=0.0)
