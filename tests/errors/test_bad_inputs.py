"""Bad inputs to `larq_ber.errors`: each refused in one line naming the argument.

Models that are not Keras models, seeds that are not integers >= 0, fractions and
stuck values out of range, fault map files that are not fault maps.
"""

import pickle

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.errors import (
    StuckAtFaults,
    activation_errors,
    binarized_kernels,
    stuck_at,
    weight_errors,
    with_bit_errors,
)
from larq_ber.models import LeNet4, binarized_layers
from tests.errors.helpers import nested_model

BLOCKS = {
    "activation_errors": lambda model, **kw: activation_errors(model, 0.1, **kw),
    "weight_errors": lambda model, **kw: weight_errors(model, 0.1, **kw),
    "stuck_at": lambda model, **kw: stuck_at(model, 0.1, **kw),
}


def _one_line(error):
    message = str(error.value)
    assert "\n" not in message and message
    return message


@pytest.fixture(scope="module")
def lenet():
    return LeNet4()


@pytest.mark.parametrize("name", sorted(BLOCKS))
@pytest.mark.parametrize("bad", [None, "lenet4", 3, [1, 2]])
def test_a_model_that_is_no_keras_model_is_refused(name, bad):
    with pytest.raises(TypeError, match="`model` must be a Keras") as error:
        with BLOCKS[name](bad):
            pass
    assert type(bad).__name__ in _one_line(error)


@pytest.mark.parametrize(
    "function", [binarized_kernels, binarized_layers, with_bit_errors]
)
@pytest.mark.parametrize("bad", [None, "lenet4"])
def test_the_listing_functions_refuse_what_is_no_model(function, bad):
    with pytest.raises(TypeError, match="`model` must be a") as error:
        function(bad)
    _one_line(error)


@pytest.mark.parametrize("name", ["activation_errors", "stuck_at"])
def test_a_layer_alone_is_refused_where_the_model_must_be_retraced(name, lenet):
    layer = lenet.get_layer("binary_dense_3")
    with pytest.raises(TypeError, match="got the layer 'binary_dense_3'") as error:
        with BLOCKS[name](layer):
            pass
    assert "pass the model that contains it" in _one_line(error)


def test_weight_errors_take_a_layer_and_its_model_shows_them(lenet):
    from larq_ber.errors import active_errors

    layer = lenet.get_layer("binary_dense_3")
    before = layer.kernel.numpy().copy()
    with weight_errors(layer, 1.0, seed=0) as flipped:
        assert flipped == before.size
        np.testing.assert_array_equal(layer.kernel.numpy(), -before)
        assert active_errors(lenet) == ["weight_errors"]
    np.testing.assert_array_equal(layer.kernel.numpy(), before)


@pytest.mark.parametrize("name", sorted(BLOCKS))
@pytest.mark.parametrize("seed", [-1, 1.5, "x", True])
def test_seeds_must_be_integers_at_least_0(name, seed, lenet):
    with pytest.raises(ValueError, match="`seed` must be None or an integer >= 0"):
        with BLOCKS[name](lenet, seed=seed):
            pass
    from larq_ber.errors import active_errors

    assert active_errors(lenet) == []  # nothing applied, nothing left marked


@pytest.mark.parametrize("fraction", [5.0, -0.1, float("nan"), "x", None])
def test_stuck_at_fraction_outside_0_1_is_refused(fraction, lenet):
    with pytest.raises(ValueError, match=r"`fraction` must be .*range \[0, 1\]"):
        stuck_at(lenet, fraction)


@pytest.mark.parametrize("value", [7, 0, 0.5, "1", True, float("nan")])
def test_stuck_at_value_other_than_plus_minus_1_is_refused(value, lenet):
    with pytest.raises(ValueError, match=r"`value` must be \+1, -1 or None"):
        stuck_at(lenet, 0.1, value=value)


@pytest.mark.parametrize("targets", [5, None, [], ["bias"], "kernel"])
def test_stuck_at_targets_must_name_what_can_stick(targets, lenet):
    with pytest.raises(ValueError, match="`targets` must be a non-empty subset"):
        stuck_at(lenet, 0.1, targets=targets)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fraction": 5.0}, r"`fraction` must be in the range \[0, 1\]"),
        ({"value": 7}, r"`value` must be \+1, -1 or None"),
        ({"seed": -1}, "`seed` must be None or an integer"),
        ({"seed": None}, "`seed` must be an integer >= 0, got None"),
        ({"faults": [1]}, "`faults` must be a dict"),
        ({"faults": {"dense": (np.ones(2, bool), np.ones(2))}}, "is not '<layer>/"),
        ({"faults": {"d/kernel": (np.ones(2), np.ones(2))}}, "the mask is float64"),
        ({"faults": {"d/kernel": (np.ones(2, bool), np.ones(3))}}, "values of shape"),
        ({"faults": {"d/kernel": (np.ones(2, bool), np.zeros(2))}}, r"\+1 or -1"),
        ({"faults": {"d/kernel": 5}}, "not a \\(mask, values\\) pair"),
    ],
)
def test_a_fault_map_checks_its_parts(kwargs, match):
    parts = {"fraction": 0.1, "value": None, "seed": 0, "faults": {}} | kwargs
    with pytest.raises(ValueError, match=match):
        StuckAtFaults(**parts)


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("write", "match"),
    [
        (lambda p: p.write_bytes(b"garbage, not a zip"), "pickled data"),
        (lambda p: p.write_bytes(pickle.dumps({"fraction": 0.1})), "pickled data"),
        (lambda p: p.write_bytes(b""), "not a saved fault map"),
        (
            lambda p: (
                np.save(p.with_suffix(".npy"), np.zeros(3))
                or p.with_suffix(".npy").rename(p)
            ),
            "one array",
        ),
        (lambda p: _save(p, a=np.zeros(2)), "lacks the arrays"),
        (lambda p: _save(p, fraction=5.0, value=0, seed=0), r"`fraction` must be"),
        (lambda p: _save(p, fraction=0.1, value=7, seed=0), r"`value` must be"),
        (lambda p: _save(p, fraction=0.1, value=0, seed=-3), r"`seed` must be"),
        (lambda p: _save(p, fraction="x", value=0, seed=0), "'fraction' is not a num"),
        (lambda p: _save(p, fraction=[0.1, 0.2], value=0, seed=0), "not a number"),
        (
            lambda p: _save(
                p, fraction=0.1, value=0, seed=0, **{"mask:d/kernel": np.ones(2, bool)}
            ),
            "'d/kernel' has a mask without values",
        ),
        (
            lambda p: _save(
                p,
                fraction=0.1,
                value=0,
                seed=0,
                **{
                    "mask:d/kernel": np.ones(2, bool),
                    "values:d/kernel": np.full(2, 3.0),
                },
            ),
            r"\+1 or -1",
        ),
        (
            lambda p: _save(
                p,
                fraction=0.1,
                value=0,
                seed=0,
                **{
                    "mask:d/kernel": np.array([{"a": 1}], object),
                    "values:d/kernel": np.ones(1),
                },
            ),
            "not a saved fault map",
        ),
    ],
)
def test_loading_what_is_not_a_fault_map_names_the_file(tmp_path, write, match):
    path = tmp_path / "faults.npz"
    write(path)
    with pytest.raises(ValueError, match=match) as error:
        StuckAtFaults.load(path)
    assert "faults.npz" in _one_line(error)


def test_loading_a_missing_file_names_it(tmp_path):
    with pytest.raises(ValueError, match=r"missing\.npz") as error:
        StuckAtFaults.load(tmp_path / "missing.npz")
    _one_line(error)


def test_a_layer_without_a_known_input_shape_is_named():
    import larq as lq

    inputs = tf.keras.Input((4, 5))
    dense = lq.layers.QuantDense(
        3, input_quantizer="ste_sign", kernel_quantizer="ste_sign", name="wrapped"
    )
    model = tf.keras.Model(inputs, tf.keras.layers.TimeDistributed(dense)(inputs))
    with pytest.raises(
        ValueError, match=r"layer 'time_distributed.*/wrapped'"
    ) as error:
        stuck_at(model, 0.1, seed=0)
    assert 'targets=["weights"]' in _one_line(error)
    with stuck_at(model, 0.1, seed=0, targets=["weights"]) as faults:
        assert [k.rpartition("/")[2] for k in faults.faults] == ["kernel"]


def test_with_bit_errors_refuses_a_model_it_cannot_copy_naming_it():
    import larq as lq

    class Custom(tf.keras.Model):
        def __init__(self):
            super().__init__(name="custom")
            self.dense = lq.layers.QuantDense(3, input_quantizer="ste_sign",
                                              kernel_quantizer="ste_sign")  # fmt: skip

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match="model 'custom'") as error:
        with_bit_errors(Custom())
    _one_line(error)
    inputs = tf.keras.Input((4,))
    custom = Custom()
    outer = tf.keras.Model(inputs, custom(inputs))
    with pytest.raises(ValueError, match="'custom'") as error:
        with_bit_errors(outer)
    _one_line(error)


def test_nested_models_are_named_by_path_in_errors(tmp_path):
    model, _ = nested_model()
    faults = stuck_at(model, 0.1, seed=0)
    faults.remove()
    assert "inner/qconv/kernel" in faults.faults
    other, _ = nested_model()
    other.get_layer("inner")._name = "renamed"
    with pytest.raises(ValueError, match="names layer 'inner/qconv'"):
        faults.apply(other)
