"""Reading converted flatbuffers: `larq_ber.export.flatbuffer` (census, layer ops)."""

from collections import Counter

import larq as lq
import larq_compute_engine as lce
import numpy as np
import pytest
import tensorflow as tf

from larq_ber.export.flatbuffer import layer_ops, op_census


@pytest.fixture
def tiny_model():
    """Float conv → BatchNorm → binary conv → flatten → float dense, with weights
    that are not special (the converter folds exact zeros away)."""
    inputs = tf.keras.Input((8, 8, 32), name="image")
    x = tf.keras.layers.Conv2D(32, 3, padding="same", name="real_conv")(inputs)
    x = tf.keras.layers.BatchNormalization(name="norm")(x)
    x = lq.layers.QuantConv2D(
        32,
        3,
        input_quantizer="ste_sign",
        kernel_quantizer="ste_sign",
        kernel_constraint="weight_clip",
        use_bias=False,
        name="bconv",
    )(x)
    x = tf.keras.layers.Flatten(name="flat")(x)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(10, name="head")(x))
    rng = np.random.default_rng(0)
    model.set_weights(
        [w + rng.uniform(0.01, 0.02, w.shape) for w in model.get_weights()]
    )
    return model


def test_census_of_an_lce_model_counts_builtin_and_custom_ops(tiny_model):
    census = op_census(lce.convert_keras_model(tiny_model))
    assert isinstance(census, Counter)
    # BatchNorm folds into the float convolution; the sign becomes LceQuantize.
    assert census == Counter(
        {
            "CONV_2D": 1,
            "LceQuantize": 1,
            "LceBconv2d": 1,
            "RESHAPE": 1,
            "FULLY_CONNECTED": 1,
        }
    )


def test_census_of_a_float_tflite_model_has_no_lce_ops(tiny_model):
    flatbuffer = tf.lite.TFLiteConverter.from_keras_model(tiny_model).convert()
    census = op_census(flatbuffer)
    assert census["SIGN"] == 2  # the input and the kernel of the binary layer
    assert census["CONV_2D"] == 2 and census["FULLY_CONNECTED"] == 1
    assert not [op for op in census if op.startswith("Lce")]


def test_layer_ops_attributes_each_op_to_the_layers_it_came_from(tiny_model):
    ops = layer_ops(tiny_model, lce.convert_keras_model(tiny_model))
    assert set(ops) == {layer.name for layer in tiny_model.layers}
    assert ops["image"] == Counter()  # an input layer computes nothing
    assert ops["bconv"]["LceBconv2d"] == 1
    assert [name for name, found in ops.items() if found["LceBconv2d"]] == ["bconv"]
    assert ops["head"] == Counter({"FULLY_CONNECTED": 1})
    # The float convolution with the BatchNorm folded in belongs to both layers.
    assert ops["real_conv"]["CONV_2D"] == ops["norm"]["CONV_2D"] == 1
    # The sign reads the convolution's output: it belongs to both ends.
    assert ops["bconv"]["LceQuantize"] == ops["real_conv"]["LceQuantize"] == 1


def test_the_package_gives_the_flatbuffer_modules_functions():
    from larq_ber import export
    from larq_ber.export import flatbuffer

    assert export.op_census is flatbuffer.op_census
    assert export.layer_ops is flatbuffer.layer_ops


def test_an_operator_newer_than_the_schema_package_keeps_its_number(
    tiny_model, monkeypatch
):
    import tflite

    known = {k: v for k, v in tflite.BUILTIN_OPCODE2NAME.items() if v != "CONV_2D"}
    monkeypatch.setattr(tflite, "BUILTIN_OPCODE2NAME", known)
    census = op_census(lce.convert_keras_model(tiny_model))
    assert census["BUILTIN_3"] == 1 and "CONV_2D" not in census
    assert census["LceBconv2d"] == 1
