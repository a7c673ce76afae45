"""Which quantizers, kernels and inputs are 1-bit: `larq_ber.errors.binary`."""

import larq as lq
import tensorflow as tf

from larq_ber.errors import binarized_kernels
from larq_ber.errors.binary import binary_input, binary_kernel, is_binarized, is_one_bit
from larq_ber.layers import DropoutAfterQuantizer
from larq_ber.models import LeNet4


def test_one_bit_quantizers_and_binarized_layers():
    assert is_one_bit(lq.quantizers.SteSign())
    assert is_one_bit(DropoutAfterQuantizer("ste_sign", 0.5))
    assert not is_one_bit(None) and not is_one_bit("ste_sign")
    inputs = tf.keras.Input((8,))
    both = lq.layers.QuantDense(4, input_quantizer="ste_sign",
                                kernel_quantizer="ste_sign")  # fmt: skip
    kernel_only = lq.layers.QuantDense(4, kernel_quantizer="ste_sign")
    plain = tf.keras.layers.Dense(4)
    tf.keras.Model(inputs, [both(inputs), kernel_only(inputs), plain(inputs)])
    assert is_binarized(both) and binary_kernel(both) is both.kernel
    assert not is_binarized(kernel_only) and not binary_input(kernel_only)
    assert binary_kernel(kernel_only) is kernel_only.kernel
    assert binary_kernel(plain) is None and not binary_input(plain)


def test_binarized_kernels_are_those_with_a_1_bit_kernel_quantizer():
    model = LeNet4()
    found = binarized_kernels(model)
    assert [name for name, _ in found] == ["binary_conv_2", "binary_dense_3"]
    assert all(v is model.get_layer(name).kernel for name, v in found)


def test_nested_models_are_walked_each_layer_once():
    from larq_ber.models import binarized_layers
    from larq_ber.quantizers import ber_quantizers
    from larq_ber.quantizers.setting import walk_layers
    from tests.errors.helpers import nested_model

    model, inner = nested_model()
    paths = [path for path, _ in walk_layers(model)]
    assert paths[1:] == ["inner/qconv", "inner/flatten", "inner/qdense", "top"]
    assert [p for p, _ in walk_layers(model, models=True)][1] == "inner"
    expected = ["inner/qconv", "inner/qdense", "top"]
    assert [n for n, _ in binarized_kernels(model)] == expected
    assert [n for n, _ in binarized_layers(model)] == expected
    assert [n for n, _ in binarized_layers(inner)] == ["qconv", "qdense"]
    assert len(ber_quantizers(model)) == 3
    # a model used twice, and the same model nested at two depths: listed once
    inputs = tf.keras.Input((6, 6, 1))
    twice = tf.keras.Model(inputs, [inner(inputs), model(inputs)])
    assert [n for n, _ in binarized_kernels(twice)] == [
        "inner/qconv", "inner/qdense", "outer/top"]  # fmt: skip
