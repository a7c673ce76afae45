"""Export to Larq Compute Engine / TFLite: census, layer report, parity, errors."""

import json
import os
import re

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber import export, flatbuffer
from larq_ber.export import (
    RANDOM_OPS,
    ExportError,
    export_run,
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


def test_binary_dense_stays_float_and_says_why(tmp_path):
    inputs = tf.keras.Input((6, 6, 4))
    x = tf.keras.layers.Flatten()(inputs)
    x = lq.layers.QuantDense(
        10, input_quantizer="ber_ste_sign", kernel_quantizer="ste_sign", name="bdense"
    )(x)
    report = to_tflite(tf.keras.Model(inputs, x), tmp_path / "d.tflite")
    (layer,) = report.layers
    assert layer.binarized and not layer.binary
    assert "FULLY_CONNECTED" in layer.ops
    assert "no binary fully-connected kernel" in layer.reason


def test_to_float_tflite_matches_keras(tmp_path):
    model = LeNet4(ber=0.04)
    path = tmp_path / "float.tflite"
    size = to_float_tflite(model, path)
    assert size == path.stat().st_size
    census = flatbuffer.op_census(path.read_bytes())
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
    with pytest.raises(ValueError, match="`which` must be"):
        export_run(tmp_path, tmp_path / "m.tflite", which="last")
    with pytest.raises(FileNotFoundError, match=r"no run\.json"):
        export_run(tmp_path, tmp_path / "m.tflite")
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


def test_census_and_layer_ops_are_those_of_the_flatbuffer_module():
    assert export.op_census is flatbuffer.op_census
    assert export.layer_ops is flatbuffer.layer_ops


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


@pytest.mark.slow
def test_export_a_sweep_run_from_the_cli(tmp_path, capsys):
    from larq_ber import cli
    from larq_ber.recipes import load_recipe
    from larq_ber.sweep import GridPoint, train_run

    recipe = load_recipe(
        "models/quickstart.toml", {"epochs": 1, "bers": [0.08], "repeats": 1}
    )
    run_dir = tmp_path / "run"
    train_run(recipe, GridPoint(0.08, 0), run_dir)
    out = tmp_path / "m.tflite"
    assert cli.main(["export", str(run_dir), "--tflite", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["census"]["LceBconv2d"] == 2 and report["verified"]
    assert report["top1_agreement"] == 1.0 and out.exists()
    assert report["size_ratio"] > 8  # the float32 reference, converted too
    final = ["--which", "final", "--no-float-reference"]
    assert cli.main(["export", str(run_dir), "--tflite", str(out), *final]) == 0
    printed = capsys.readouterr().out
    assert "binary binary_conv_2" in printed
    assert "KiB" in printed.splitlines()[0] and "float32" not in printed
    assert cli.main(["export", str(tmp_path), "--tflite", str(out)]) == 2
    assert "no run.json" in capsys.readouterr().err


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


def test_a_failing_conversion_still_shows_what_the_converter_said(capfd):
    from larq_ber.export import _captured_native_output

    with pytest.raises(RuntimeError, match="boom"):
        with _captured_native_output():
            os.write(2, b"native diagnostics\n")
            raise RuntimeError("boom")
    assert "native diagnostics" in capfd.readouterr().err
    with _captured_native_output() as captured:
        os.write(1, b"quiet\n")
    assert captured == ["quiet\n"] and "quiet" not in capfd.readouterr().out


def test_latency_ms_times_both_interpreters_and_checks_its_arguments(
    tmp_path, binary_block_model
):
    from larq_ber.export import latency_ms

    model = binary_block_model(lambda: "ste_sign")
    x = np.random.default_rng(0).standard_normal((1, 16, 16, 3)).astype("float32")
    path = tmp_path / "m.tflite"
    to_tflite(model, path, verify=False)
    to_float_tflite(model, tmp_path / "f.tflite")
    timings = [
        latency_ms(path, x, repeats=5),
        latency_ms(path.read_bytes(), x, repeats=5),
        latency_ms(tmp_path / "f.tflite", x, interpreter="tflite", repeats=5),
    ]
    assert all(0 < t < 1000 for t in timings), timings
    with pytest.raises(ValueError, match="`interpreter` must be one of"):
        latency_ms(path, x, interpreter="xnnpack")
    for name in ("repeats", "num_threads"):
        with pytest.raises(ValueError, match=f"`{name}` must be an integer >= 1"):
            latency_ms(path, x, **{name: 0})
