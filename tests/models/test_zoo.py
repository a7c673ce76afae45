"""The paper's models: architecture, per-layer error rates, options, training."""

import io
from contextlib import redirect_stdout

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber.models import MODELS, BinaryAlexNet, LeNet4, NiN, binarized_layers
from larq_ber.models.profile import model_stats
from larq_ber.quantizers import BerSteSign

DEFAULTS = {
    "lenet4": ((28, 28, 1), 10),
    "nin": ((32, 32, 3), 10),
    "binary_alexnet": ((224, 224, 3), 1000),
}


def test_models_are_listed_by_their_names():
    assert MODELS == {"lenet4": LeNet4, "nin": NiN, "binary_alexnet": BinaryAlexNet}


@pytest.mark.parametrize(
    "name",
    [
        "lenet4",
        "nin",
        pytest.param("binary_alexnet", marks=pytest.mark.slow),  # 62 M parameters
    ],
)
def test_default_shapes_summary_and_layer_names(name, binarized):
    model = MODELS[name]()
    shape, classes = DEFAULTS[name]
    assert model.name == name
    assert model.input_shape == (None, *shape)
    assert model.output_shape == (None, classes)
    out = io.StringIO()
    with redirect_stdout(out):
        lq.models.summary(model)
    assert "Total params" in out.getvalue()
    assert [n for n, _ in binarized_layers(model)] == binarized[name]
    for layer_name, quantizer in binarized_layers(model):
        layer = model.get_layer(layer_name)
        assert isinstance(layer, lq.layers.QuantConv2D)
        assert isinstance(layer.kernel_quantizer, lq.quantizers.MagnitudeAwareSign)
        assert isinstance(layer.kernel_constraint, lq.constraints.WeightClip)
        assert layer.kernel_constraint.clip_value == 1
        assert quantizer.ber == 0.0
    stats = model_stats(model)
    assert stats.binarized_layers == len(binarized[name])
    assert 0 < stats.binary_macs < stats.macs
    assert stats.memory_bits < stats.float_memory_bits


@pytest.mark.parametrize("name", list(MODELS))
def test_binary_blocks_at_small_shapes(name, small_models, binarized):
    function, shape = small_models[name]
    model = function(input_shape=shape, num_classes=7)
    assert model.input_shape == (None, *shape) and model.output_shape == (None, 7)
    assert [n for n, _ in binarized_layers(model)] == binarized[name]
    for layer_name, quantizer in binarized_layers(model):
        layer = model.get_layer(layer_name)
        assert type(layer.kernel_quantizer) is lq.quantizers.MagnitudeAwareSign
        assert layer.get_config()["pad_values"] == (
            1.0 if layer.get_config()["padding"] == "same" else 0.0
        )
        assert quantizer.name == f"{layer_name}_sign"


def test_first_layer_input_is_never_binarized(small_models):
    for function, shape in small_models.values():
        model = function(input_shape=shape, ber=0.5)
        first_weighted = next(layer for layer in model.layers if layer.weights)
        assert not isinstance(first_weighted, lq.layers.QuantConv2D)


@pytest.mark.parametrize("name", list(MODELS))
def test_per_layer_rates_land_in_the_right_layers(name, small_models, binarized):
    function, shape = small_models[name]
    layers = binarized[name]
    rates = [round(0.01 * (i + 1), 2) for i in range(len(layers))]
    model = function(input_shape=shape, ber=rates, ber_pos={layers[-1]: 0.5})
    got = {n: (q.ber, q.ber_neg, q.ber_pos) for n, q in binarized_layers(model)}
    for i, layer in enumerate(layers):
        pos = 0.5 if layer == layers[-1] else rates[i]
        assert got[layer] == (rates[i], rates[i], pos), layer
    mapping = function(input_shape=shape, ber={layers[0]: 0.3})
    got = {n: q.ber for n, q in binarized_layers(mapping)}
    assert got[layers[0]] == 0.3 and all(got[n] == 0.0 for n in layers[1:])


@pytest.mark.parametrize("name", list(MODELS))
def test_bad_rates_list_the_binarized_layers(name, small_models, binarized):
    function, shape = small_models[name]
    listing = ", ".join(binarized[name])
    with pytest.raises(ValueError, match="binarized layers, in order: " + listing):
        function(input_shape=shape, ber=[0.1])
    with pytest.raises(ValueError, match="unknown layers.*" + listing):
        function(input_shape=shape, ber_neg={"binary_conv_99": 0.1})
    with pytest.raises(ValueError, match=r"`ber`.*\[0, 1\].*binary_conv_2"):
        function(input_shape=shape, ber=[1.5] * len(binarized[name]))
    with pytest.raises(ValueError, match="`ber` must be a number"):
        function(input_shape=shape, ber="0.1")


def test_include_top_false_and_input_tensor():
    features = LeNet4(include_top=False, ber=[0.2])
    assert features.output_shape == (None, 4, 4, 50)
    assert [n for n, _ in binarized_layers(features)] == ["binary_conv_2"]
    with pytest.raises(ValueError, match=r"in order: binary_conv_2\.$"):
        LeNet4(include_top=False, ber=[0.1, 0.1])
    inputs = tf.keras.Input((32, 32, 3))
    model = NiN(input_tensor=inputs, num_classes=100)
    assert model.inputs[0] is inputs and model.output_shape == (None, 100)
    assert BinaryAlexNet(include_top=False).output_shape == (None, 6, 6, 256)


def test_weights_are_local_files_only(tmp_path):
    with pytest.raises(ValueError, match="never downloads"):
        LeNet4(weights="imagenet")
    model = LeNet4()
    path = str(tmp_path / "lenet4.weights.h5")
    model.save_weights(path)
    reloaded = LeNet4(weights=path)
    for a, b in zip(model.get_weights(), reloaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="`num_classes`"):
        LeNet4(num_classes=0)
    with pytest.raises(ValueError, match="`input_shape`"):
        LeNet4(input_shape=(28, 28))


def test_binarized_layers_lists_only_ber_quantized_layers_in_order(
    binary_block_model,
):
    plain = binary_block_model(lambda: "ste_sign")
    assert binarized_layers(plain) == []
    noisy = binary_block_model(lambda: BerSteSign(0.1))
    found = binarized_layers(noisy)
    quantized = (lq.layers.QuantConv2D, lq.layers.QuantDense)
    assert [name for name, _ in found] == [
        layer.name for layer in noisy.layers if isinstance(layer, quantized)
    ]
    assert len(found) == 3 and all(q.ber == 0.1 for _, q in found)


# NiN, with two dropout layers and a ReLU before its global pooling, needs a larger
# step to fit 64 images in 15 epochs (its reference rate is 1e-2).
LEARNING_RATES = {"lenet4": 1e-3, "nin": 3e-3, "binary_alexnet": 1e-3}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_overfits_a_tiny_batch_and_learns_with_errors(name, small_models, tiny_batch):
    """Fitting 64 noisy images of 10 prototypes shows every block trains as built.
    Accuracy is measured error-free (`evaluate`, BatchNorm in inference mode)."""
    function, shape = small_models[name]
    x, y = tiny_batch(shape)
    results = {}
    for ber in (0.0, 0.04):
        tf.keras.utils.set_random_seed(0)
        model = function(input_shape=shape, num_classes=10, ber=ber)
        optimizer = tf.keras.optimizers.Adam(LEARNING_RATES[name])
        model.compile(optimizer, "sparse_categorical_crossentropy", ["accuracy"])
        model.fit(x, y, batch_size=16, epochs=15, verbose=0)
        results[ber] = model.evaluate(x, y, verbose=0)[1]
    assert results[0.0] >= 0.95, results
    assert results[0.04] >= 0.5, results  # chance is 10 %


def test_a_weights_file_that_is_not_one_is_named(tmp_path):
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not an HDF5 file")
    with pytest.raises(ValueError, match=r"`weights` .*garbage\.h5.* cannot be loaded"):
        LeNet4(weights=garbage)
