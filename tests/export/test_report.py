"""What an export produced: `larq_ber.export.report`."""

from collections import Counter

import larq as lq
import tensorflow as tf

from larq_ber.export import ExportReport, LayerExport, to_tflite


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


def test_the_report_prints_sizes_ops_layers_and_parity():
    layer = LayerExport("bconv", "QuantConv2D", True, ("LceBconv2d",), True)
    dense = LayerExport("head", "Dense", False, ("FULLY_CONNECTED",), False, "float")
    report = ExportReport(
        path="m.tflite",
        target="arm",
        size_bytes=2048,
        float_size_bytes=20480,
        census=Counter({"LceBconv2d": 1, "FULLY_CONNECTED": 1}),
        layers=(layer, dense),
        verified=True,
        samples=8,
        max_abs_diff=0.0,
        within_tolerance=1.0,
        top1_agreement=1.0,
        converter_summary="1 of 9 ops left outside the TFLite dialect",
    )
    assert report.size_ratio == 10.0
    assert str(report).splitlines() == [
        "m.tflite (arm): 2.0 KiB, float32 TFLite 20.0 KiB (10.0x)",
        "ops: FULLY_CONNECTED 1, LceBconv2d 1",
        "layers:",
        "  binary bconv (QuantConv2D): LceBconv2d",
        "  float  head (Dense): FULLY_CONNECTED — float",
        "parity on 8 inputs: max |LCE - Keras| 0.00e+00, within 0.0001: 100.0 %, "
        "same top-1: 100.0 %",
        "converter: 1 of 9 ops left outside the TFLite dialect",
    ]
    data = report.to_dict()
    assert data["size_ratio"] == 10.0
    assert data["census"] == {"FULLY_CONNECTED": 1, "LceBconv2d": 1}
    assert data["layers"][1]["reason"] == "float"
    unverified = ExportReport("m.tflite", "xcore", 1024, None, Counter(), (), False)
    assert unverified.size_ratio is None and unverified.to_dict()["size_ratio"] is None
    assert str(unverified).splitlines() == [
        "m.tflite (xcore): 1.0 KiB", "ops: ", "layers:", "not verified"
    ]  # fmt: skip
