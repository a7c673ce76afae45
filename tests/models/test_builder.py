"""The spec-driven builder builds exactly the layers 0.1's model classes built.

`fingerprint_0_1.json` was written by the 0.1 code (commit a359e2c) with the
function below: every layer's class, name, weight shapes and the options that
decide its computation. Equal fingerprints mean weight files saved by 0.1 load
into the 0.2 models, layer for layer.

One change since 0.1 is deliberate: a first (real) convolution followed by a max
pool now pools before its ReLU, the same function, and its BatchNorm, pool and
ReLU are one layer, `BatchNormMaxPoolReLU`, with the BatchNorm's weights
(`_since_0_1` applies both to the fingerprint, renaming the automatically named
layers after it as Keras does; the tests below check the function and the weight
files).
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.batch_norm_pool import BatchNormMaxPoolReLU
from larq_ber.models import BinaryAlexNet, LeNet4, NiN
from larq_ber.models.builder import build
from larq_ber.models.specs import ARCHITECTURES, Head

OPTIONS = ("padding", "strides", "epsilon", "momentum", "pad_values", "pool_size",
           "rate", "input_dropout")  # fmt: skip
MODELS = {"lenet4": (LeNet4, {}), "nin": (NiN, {}),
          "binary_alexnet": (BinaryAlexNet, {"input_shape": (64, 64, 3)})}  # fmt: skip
GOLDEN = json.loads((Path(__file__).with_name("fingerprint_0_1.json")).read_text())


def _fingerprint(model):
    rows = []
    for layer in model.layers:
        config = layer.get_config()
        rows.append([type(layer).__name__, layer.name,
                     [list(w.shape) for w in layer.weights],
                     {k: config[k] for k in OPTIONS if k in config}])  # fmt: skip
    return json.loads(json.dumps(rows, default=str))


def _since_0_1(rows):
    """0.1's rows with the first convolution's BatchNorm → ReLU → max pool as one
    `BatchNormMaxPoolReLU` (the BatchNorm's weights, the pool's options); the
    automatically named BatchNorms, ReLUs and max pools after it are numbered one
    lower, as Keras now names them."""
    rows = [list(row) for row in rows]
    kinds = [row[0] for row in rows]
    first = kinds.index("BatchNormalization")
    if kinds[first + 1 : first + 3] != ["ReLU", "MaxPooling2D"]:
        return rows
    norm, _, pool = rows[first : first + 3]
    fused = ["BatchNormMaxPoolReLU", "batch_norm_max_pool_re_lu", norm[2]]
    rows[first : first + 3] = [[*fused, {**norm[3], **pool[3]}]]
    for row in rows[first + 1 :]:
        found = re.fullmatch(r"(batch_normalization|re_lu|max_pooling2d)_(\d+)", row[1])
        if found:
            number = int(found[2]) - 1
            row[1] = found[1] + (f"_{number}" if number else "")
    return rows


def _in_0_1_order(model):
    """The model chained in 0.1's order (BatchNorm → ReLU → pool), with its own
    copy of the fused layer's BatchNorm weights and the other layers shared."""
    inputs = tf.keras.Input(model.input_shape[1:])
    x = inputs
    for layer in model.layers[1:]:
        unfused = (
            layer.unfused(relu_first=True)
            if isinstance(layer, BatchNormMaxPoolReLU)
            else [layer]
        )
        for part in unfused:
            x = part(x)
    return tf.keras.Model(inputs, x)


@pytest.mark.parametrize("key", sorted(GOLDEN))
def test_layers_are_those_of_0_1(key):
    name, top = key.split("/")
    function, options = MODELS[name]
    tf.keras.backend.clear_session()
    got = _fingerprint(function(include_top=top == "top", **options))
    assert got == _since_0_1(GOLDEN[key])
    if name != "nin":  # LeNet-4's and AlexNet's first convolution is max-pooled
        assert got != GOLDEN[key]


@pytest.mark.parametrize("name", ["lenet4", "binary_alexnet"])
def test_pooling_before_the_first_relu_computes_what_0_1_did(name):
    function, options = MODELS[name]
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(1)
    model = function(**options)
    # Moving statistics and the first layer's bias away from their defaults, so
    # that the first BatchNorm's output has both signs and the ReLU matters.
    for weight in model.weights:
        if "moving_variance" in weight.name:
            weight.assign(tf.random.uniform(weight.shape, 0.5, 2.0))
        elif "moving_mean" in weight.name or "bias" in weight.name:
            weight.assign(tf.random.normal(weight.shape, stddev=0.5))
    old = _in_0_1_order(model)
    x = tf.random.normal((4, *model.input_shape[1:]))
    kinds = [type(layer).__name__ for layer in old.layers]
    norm = kinds.index("BatchNormalization")
    assert kinds[norm + 1 : norm + 3] == ["ReLU", "MaxPooling2D"]
    inner = tf.keras.Model(old.input, old.layers[norm].output)
    assert 0.2 < float(tf.reduce_mean(tf.cast(inner(x) < 0, tf.float32))) < 0.8
    for training in (False, True):
        with tf.GradientTape(persistent=True) as tape:
            tf.keras.utils.set_random_seed(3)  # the same dropout (AlexNet)
            new_out = model(x, training=training)
            tf.keras.utils.set_random_seed(3)
            old_out = old(x, training=training)
            new_loss, old_loss = (
                tf.reduce_sum(new_out[:, ::2]),
                tf.reduce_sum(old_out[:, ::2]),
            )
        np.testing.assert_array_equal(new_out.numpy(), old_out.numpy())
        # Every weight's, in the same order (the first BatchNorm's are copies).
        new_grads = tape.gradient(new_loss, model.trainable_weights)
        old_grads = tape.gradient(old_loss, old.trainable_weights)
        assert all(g is not None for g in new_grads)
        for new, old_grad in zip(new_grads, old_grads, strict=True):
            np.testing.assert_array_equal(new.numpy(), old_grad.numpy())


@pytest.mark.parametrize("suffix", [".h5", ".weights"])
def test_weights_saved_in_0_1_order_load(tmp_path, suffix):
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(2)
    old = _in_0_1_order(LeNet4())
    for weight in old.weights:
        weight.assign(tf.random.normal(weight.shape))
    path = str(tmp_path / f"lenet4{suffix}")
    old.save_weights(path)
    new = LeNet4(weights=path)
    x = tf.random.normal((3, 28, 28, 1))
    np.testing.assert_array_equal(new(x).numpy(), old(x).numpy())


def test_the_binarized_layers_follow_from_the_specification():
    for name, architecture in ARCHITECTURES.items():
        tf.keras.backend.clear_session()
        model = build(architecture, input_shape=(64, 64, architecture.input_shape[2]))
        quantized = [layer.name for layer in model.layers if "binary" in layer.name]
        assert tuple(quantized) == architecture.binarized(), name


def test_a_head_of_unknown_kind_is_refused():
    with pytest.raises(ValueError, match=r"`kind` must be 'dense' or 'conv'"):
        Head("softmax", "out")


def test_a_checkpoint_without_every_weight_is_refused(tmp_path):
    tf.keras.backend.clear_session()
    LeNet4(include_top=False).save_weights(str(tmp_path / "features"))
    with pytest.raises(ValueError, match=r"`weights` .*features.* cannot be loaded"):
        LeNet4(weights=tmp_path / "features")  # the head would stay random
