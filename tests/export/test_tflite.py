"""Conversion to LCE / TFLite, checked before writing: `larq_ber.export.tflite`."""

import json
import re

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber.errors import activation_errors, active_errors, stuck_at, weight_errors
from larq_ber.export import (
    RANDOM_OPS,
    ExportError,
    op_census,
    to_float_tflite,
    to_tflite,
)
from larq_ber.models import MODELS, LeNet4


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_exports_with_one_bconv_per_binarized_layer(
    name, tmp_path, small_models, binarized, tiny_batch
):
    function, shape = small_models[name]
    model = function(input_shape=shape, num_classes=10, ber=0.08)
    x, y = tiny_batch(shape, n=32)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # BN statistics, BER 8 %
    path = tmp_path / f"{name}.tflite"
    # The float32 reference conversion takes 36 s for NiN alone; LeNet-4 keeps it.
    reference = name == "lenet4"
    report = to_tflite(model, path, verify_samples=x, float_reference=reference)
    assert path.stat().st_size == report.size_bytes
    census = report.census
    assert census["LceBconv2d"] == len(binarized[name]), census
    assert not RANDOM_OPS & set(census)
    assert census["CONV_2D"] + census["FULLY_CONNECTED"] <= 2  # first and last layers
    binary = [layer.name for layer in report.layers if layer.binary]
    assert binary == binarized[name]
    float_layers = [layer for layer in report.layers if not layer.binary]
    assert len(float_layers) == 2 and all(layer.reason for layer in float_layers)
    assert report.verified and report.samples == 32
    assert report.within_tolerance == report.top1_agreement == 1.0
    assert report.max_abs_diff <= report.atol
    # 1-bit vs 32-bit weights: the float32 file, or at least its weights.
    float_weights = 4 * sum(int(np.prod(w.shape)) for w in model.weights)
    float_size = report.float_size_bytes if reference else float_weights
    assert float_size > 8 * report.size_bytes
    data = json.loads(report.to_json())
    assert data["census"]["LceBconv2d"] == len(binarized[name])
    assert "LceBconv2d" in str(report)


@pytest.mark.slow  # about 90 s and 4 GiB of memory
def test_binary_alexnet_at_224_exports_every_binary_layer_as_binary(tmp_path):
    """The 9,216 × 4,096 dense layer too, which LCE leaves float when it has to
    fold magnitude_aware_sign over the 37.7 M latent weights itself."""
    from larq_ber.models import BinaryAlexNet

    model = BinaryAlexNet()  # 224 × 224 × 3, 1000 classes, 62.5 M parameters
    latent = [w.numpy() for w in model.weights]
    x = np.random.default_rng(0).standard_normal((4, 224, 224, 3)).astype("float32")
    # Without the float32 conversion (29 s of 74 s here); the float size is then
    # that of the weights alone, which the flatbuffer adds to, never removes.
    report = to_tflite(
        model, tmp_path / "alexnet.tflite", verify_samples=x, float_reference=False
    )
    assert report.float_size_bytes is report.size_ratio is None
    assert "float32" not in str(report)
    assert report.census["LceBconv2d"] == 6, report.census
    assert [layer.name for layer in report.layers if layer.binary] == [
        "binary_conv_2", "binary_conv_3", "binary_conv_4", "binary_conv_5",
        "binary_dense_6", "binary_dense_7",
    ]  # fmt: skip
    assert report.size_bytes < 40 * 2**20
    float_weights = 4 * sum(int(np.prod(w.shape)) for w in model.weights)
    assert float_weights > 10 * report.size_bytes
    assert report.within_tolerance == report.top1_agreement == 1.0
    for before, after in zip(latent, model.weights, strict=True):
        np.testing.assert_array_equal(before, after.numpy())  # the model untouched


@pytest.mark.slow  # six conversions of LeNet-4: about a minute
def test_trained_with_errors_exports_to_the_ops_of_an_untrained_model(
    tmp_path, tiny_batch
):
    x, y = tiny_batch((28, 28, 1), n=48)
    trained = LeNet4(ber=0.08)
    trained.compile("adam", "sparse_categorical_crossentropy")
    trained.fit(x, y, batch_size=16, epochs=1, verbose=0)  # 3 steps with flips
    untrained = LeNet4(ber=0.08)
    a = to_tflite(
        trained, tmp_path / "a.tflite", verify_samples=x, float_reference=False
    )
    b = to_tflite(untrained, tmp_path / "b.tflite", verify=False, float_reference=False)
    # At initialisation BatchNorm's offsets are exactly 0 and the converter folds
    # away adding them; that is the only difference.
    assert a.census - b.census == {"ADD": 2} and not b.census - a.census
    # An untrained model whose weights are merely not special (no exact zeros)
    # has exactly the ops of the trained one.
    rng = np.random.default_rng(0)
    untrained.set_weights(
        [w + rng.uniform(0.01, 0.02, w.shape) for w in untrained.get_weights()]
    )
    c = to_tflite(untrained, tmp_path / "c.tflite", verify=False, float_reference=False)
    assert a.census == c.census and not c.verified
    assert [(lr.name, lr.ops, lr.binary) for lr in a.layers] == [
        (lr.name, lr.ops, lr.binary) for lr in c.layers
    ]
    assert abs(a.size_bytes - c.size_bytes) <= 64  # flatbuffer alignment padding


def test_to_float_tflite_matches_keras(tmp_path):
    model = LeNet4(ber=0.04)
    path = tmp_path / "float.tflite"
    size = to_float_tflite(model, path)
    assert size == path.stat().st_size
    census = op_census(path.read_bytes())
    assert census["SIGN"] >= 2 and "LceBconv2d" not in census
    interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    x = np.random.default_rng(0).standard_normal((1, 28, 28, 1), np.float32)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-4)


def test_bad_inputs_get_clear_errors(tmp_path):
    inputs = tf.keras.Input((4,))
    float_model = tf.keras.Model(inputs, tf.keras.layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match="has no binarized layer"):
        to_tflite(float_model, tmp_path / "f.tflite")
    model = LeNet4()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        to_tflite(model, tmp_path / "missing" / "m.tflite")
    with pytest.raises(ValueError, match=r"`target` must be one of \['arm', 'xcore'\]"):
        to_tflite(model, tmp_path / "m.tflite", target="riscv")
    with pytest.raises(ValueError, match=r"`verify_samples` must have shape"):
        to_tflite(model, tmp_path / "m.tflite", verify_samples=np.zeros((2, 32, 32)))
    assert not list(tmp_path.iterdir())


def test_random_op_raises_and_writes_nothing(tmp_path):
    inputs = tf.keras.Input((4,))
    x = tf.keras.layers.Lambda(lambda t: t + tf.random.uniform(tf.shape(t)))(inputs)
    x = lq.layers.QuantDense(
        3, input_quantizer="ste_sign", kernel_quantizer="ste_sign"
    )(x)
    with pytest.raises(ExportError, match="RANDOM_UNIFORM"):
        to_tflite(tf.keras.Model(inputs, x), tmp_path / "r.tflite")
    assert not (tmp_path / "r.tflite").exists()


def test_the_converters_output_is_summarised_not_printed(tmp_path, capfd):
    inputs = tf.keras.Input((8, 8, 32))
    x = tf.keras.layers.BatchNormalization()(inputs)
    x = lq.layers.QuantConv2D(
        32, 3, input_quantizer="ste_sign", kernel_quantizer="ste_sign",
        kernel_constraint="weight_clip", use_bias=False,
    )(x)  # fmt: skip
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(2)(x))
    capfd.readouterr()
    report = to_tflite(model, tmp_path / "m.tflite")
    out, err = capfd.readouterr()
    assert "Non-Converted" not in out + err and "ARITH" not in out + err
    assert report.census["LceBconv2d"] == 1
    if report.converter_summary:  # what the MLIR converter said, in one line
        assert re.fullmatch(
            r"\d+ of \d+ ops left outside the TFLite dialect( \(.*\))?",
            report.converter_summary,
        )
        assert f"converter: {report.converter_summary}" in str(report)


@pytest.mark.slow  # three LeNet-4 conversions: about half a minute
def test_exported_models_contain_no_error_ops(tmp_path, tiny_batch):
    x, y = tiny_batch((28, 28, 1), n=32)
    model = LeNet4(ber=0.1, weight_ber=0.05)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    with activation_errors(model, 0.1, seed=0), weight_errors(model, 0.01, seed=0):
        model.evaluate(x, y, verbose=0)
        assert active_errors(model) == ["activation_errors", "weight_errors"]
        with pytest.raises(ExportError, match="activation_errors, weight_errors"):
            to_tflite(model, tmp_path / "inside.tflite", verify=False)
    with stuck_at(model, 0.05, seed=0):
        model.predict(x, verbose=0)
        with pytest.raises(ExportError, match="stuck_at active"):
            to_tflite(model, tmp_path / "stuck.tflite", verify=False)
    assert active_errors(model) == []
    assert not list(tmp_path.iterdir())
    report = to_tflite(
        model, tmp_path / "after.tflite", verify_samples=x, float_reference=False
    )
    assert not RANDOM_OPS & set(report.census)
    assert report.census["LceBconv2d"] == 2 and report.verified
    plain = LeNet4()
    plain.set_weights(model.get_weights())
    reference = to_tflite(
        plain, tmp_path / "plain.tflite", verify=False, float_reference=False
    )
    assert report.census == reference.census
