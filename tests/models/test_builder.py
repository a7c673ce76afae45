"""The spec-driven builder builds exactly the layers 0.1's model classes built.

`fingerprint_0_1.json` was written by the 0.1 code (commit a359e2c) with the
function below: every layer's class, name, weight shapes and the options that
decide its computation. Equal fingerprints mean weight files saved by 0.1 load
into the 0.2 models, layer for layer.
"""

import json
from pathlib import Path

import pytest
import tensorflow as tf

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


@pytest.mark.parametrize("key", sorted(GOLDEN))
def test_layers_are_those_of_0_1(key):
    name, top = key.split("/")
    function, options = MODELS[name]
    tf.keras.backend.clear_session()
    assert _fingerprint(function(include_top=top == "top", **options)) == GOLDEN[key]


def test_the_binarized_layers_follow_from_the_specification():
    for name, architecture in ARCHITECTURES.items():
        tf.keras.backend.clear_session()
        model = build(architecture, input_shape=(64, 64, architecture.input_shape[2]))
        quantized = [layer.name for layer in model.layers if "binary" in layer.name]
        assert tuple(quantized) == architecture.binarized(), name


def test_a_head_of_unknown_kind_is_refused():
    with pytest.raises(ValueError, match=r"`kind` must be 'dense' or 'conv'"):
        Head("softmax", "out")
