import io
from contextlib import redirect_stdout

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber.models import (
    MODELS,
    BinaryAlexNet,
    InputDropoutQuantConv2D,
    LeNet4,
    NiN,
    binarized_layers,
    model_stats,
    training_defaults,
)
from larq_ber.quantizers import BerSteSign

# Small input shapes where the architecture allows (AlexNet's dense layers take
# whatever map is left), to keep CPU time down.
SMALL = {
    "lenet4": (LeNet4, (28, 28, 1)),
    "nin": (NiN, (32, 32, 3)),
    "binary_alexnet": (BinaryAlexNet, (64, 64, 3)),
}
BINARIZED = {
    "lenet4": ["binary_conv_2", "binary_dense_3"],
    "nin": [f"binary_conv_{i}" for i in range(2, 9)],
    "binary_alexnet": [f"binary_conv_{i}" for i in range(2, 6)]
    + ["binary_dense_6", "binary_dense_7"],
}


@pytest.mark.parametrize("name", list(MODELS))
def test_default_shapes_summary_and_layer_names(name):
    model = MODELS[name]()
    out = io.StringIO()
    with redirect_stdout(out):
        lq.models.summary(model)
    assert "Total params" in out.getvalue()
    assert [n for n, _ in binarized_layers(model)] == BINARIZED[name]
    for layer_name, quantizer in binarized_layers(model):
        layer = model.get_layer(layer_name)
        assert isinstance(layer, lq.layers.QuantConv2D)
        assert isinstance(layer.kernel_quantizer, lq.quantizers.MagnitudeAwareSign)
        assert isinstance(layer.kernel_constraint, lq.constraints.WeightClip)
        assert layer.kernel_constraint.clip_value == 1
        assert quantizer.ber == 0.0
    stats = model_stats(model)
    assert stats.binarized_layers == len(BINARIZED[name])
    assert 0 < stats.binary_macs < stats.macs
    assert stats.memory_bits < stats.float_memory_bits
    classes = 1000 if name == "binary_alexnet" else 10
    assert model.output_shape == (None, classes)


def test_first_layer_input_is_never_binarized():
    for function, shape in SMALL.values():
        model = function(input_shape=shape, ber=0.5)
        first_weighted = next(layer for layer in model.layers if layer.weights)
        assert not isinstance(first_weighted, lq.layers.QuantConv2D)


@pytest.mark.parametrize("name", list(MODELS))
def test_per_layer_rates_land_in_the_right_layers(name):
    function, shape = SMALL[name]
    layers = BINARIZED[name]
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
def test_bad_rates_list_the_binarized_layers(name):
    function, shape = SMALL[name]
    listing = ", ".join(BINARIZED[name])
    with pytest.raises(ValueError, match="binarized layers, in order: " + listing):
        function(input_shape=shape, ber=[0.1])
    with pytest.raises(ValueError, match="unknown layers.*" + listing):
        function(input_shape=shape, ber_neg={"binary_conv_99": 0.1})
    with pytest.raises(ValueError, match=r"`ber`.*\[0, 1\].*binary_conv_2"):
        function(input_shape=shape, ber=[1.5] * len(BINARIZED[name]))
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


def test_training_defaults():
    lenet = training_defaults("lenet4")
    assert (lenet.optimizer, lenet.learning_rate, lenet.momentum) == ("sgd", 0.1, 0.9)
    assert (lenet.weight_decay, lenet.epochs, lenet.batch_size) == (1e-4, 60, 128)
    schedule = lenet.learning_rate_schedule(steps_per_epoch=10)
    lrs = [float(schedule(step)) for step in (0, 149, 150, 300, 450, 599)]
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.01, 0.001, 1e-4, 1e-4], rtol=1e-6)
    assert (lenet.input_mean, lenet.input_std) == ((0.1307,), (0.3081,))
    nin = training_defaults("nin")
    assert (nin.optimizer, nin.learning_rate, nin.weight_decay) == ("adam", 0.01, 1e-5)
    assert nin.decay_epochs == (40, 80, 120, 160) and nin.epochs == 200
    optimizer = nin.make_optimizer(steps_per_epoch=390)
    assert isinstance(optimizer, tf.keras.optimizers.Adam)
    assert "not given in SPEC" in training_defaults("binary_alexnet").source
    with pytest.raises(ValueError, match="`name` must be one of"):
        training_defaults("resnet")


def test_input_dropout_layer_round_trip_and_bad_rate():
    layer = InputDropoutQuantConv2D(
        8, 3, input_quantizer=BerSteSign(0.1), input_dropout=0.5
    )
    clone = InputDropoutQuantConv2D.from_config(layer.get_config())
    assert clone.input_dropout == 0.5 and clone.input_quantizer.ber == 0.1
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


# NiN, with two dropout layers and a ReLU before its global pooling, needs a larger
# step to fit 64 images in 15 epochs (its reference rate is 1e-2).
LEARNING_RATES = {"lenet4": 1e-3, "nin": 3e-3, "binary_alexnet": 1e-3}


def _tiny_batch(shape, n=64, classes=10, seed=0):
    """n images of `classes` random prototypes plus as much noise again."""
    rng = np.random.default_rng(seed)
    prototypes = rng.standard_normal((classes, *shape))
    labels = np.arange(n) % classes
    images = prototypes[labels] + rng.standard_normal((n, *shape))
    return images.astype("float32"), labels


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_overfits_a_tiny_batch_and_learns_with_errors(name):
    """Fitting 64 noisy images of 10 prototypes shows every block trains as built.
    Accuracy is measured error-free (`evaluate`, BatchNorm in inference mode)."""
    function, shape = SMALL[name]
    x, y = _tiny_batch(shape)
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


@pytest.mark.slow
def test_readme_and_docstrings_show_the_measured_table():
    from pathlib import Path

    from larq_ber.models import STATS_HEADER, stats_table

    table = stats_table()
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert table in readme, "README's model table is stale: python -m larq_ber.models"
    rows = table.splitlines()[2:]
    for function, row in zip(MODELS.values(), rows, strict=True):
        doc = " ".join(function.__doc__.split())
        assert " ".join(STATS_HEADER.split()) in doc
        assert " ".join(row.split()) in doc, function.__name__
