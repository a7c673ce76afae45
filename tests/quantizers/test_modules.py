"""`larq_ber.quantizers.modules.submodules`: `tf.Module.submodules`, found faster."""

import collections

import larq as lq
import pytest
import tensorflow as tf

from larq_ber.models import LeNet4, NiN
from larq_ber.quantizers import BerSteSign
from larq_ber.quantizers.modules import submodules

Pair = collections.namedtuple("Pair", "first second")


class Holder(tf.Module):
    """A plain tf.Module (not a Keras layer) holding a quantized layer."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer


class Odd(tf.keras.layers.Layer):
    """Modules where Keras's tracking does not look, in every kind of container."""

    def __init__(self):
        super().__init__()
        quantized = lq.layers.QuantDense(3, input_quantizer=BerSteSign(0.1))
        self.holder = Holder(quantized)
        self.table = {"b": BerSteSign(0.2), "a": [tf.keras.layers.Dense(1), 3.0]}
        self.pair = Pair(tf.keras.layers.ReLU(), "text")
        self.same = quantized  # reached twice: listed once
        self.nothing = None
        # An attribute Keras does not track at all.
        object.__setattr__(self, "hidden", BerSteSign(0.3))


def _nested():
    inner = tf.keras.Sequential(
        [lq.layers.QuantDense(4, input_quantizer=BerSteSign(0.1), name="q")],
        name="inner",
    )
    inputs = tf.keras.Input((5,))
    wrapped = tf.keras.layers.TimeDistributed(
        lq.layers.QuantDense(2, input_quantizer=BerSteSign(0.2))
    )(tf.keras.layers.Reshape((1, 4))(inner(inputs)))
    return tf.keras.Model(inputs, wrapped)


@pytest.mark.parametrize(
    "build",
    [LeNet4, lambda: NiN(ber=0.1), _nested, Odd],
    ids=["lenet4", "nin", "nested", "odd"],
)
def test_the_same_modules_in_the_same_order_as_tf_module(build):
    module = build()
    found = submodules(module)
    expected = list(module.submodules)
    assert [id(m) for m in found] == [id(m) for m in expected]
    assert len({id(m) for m in found}) == len(found)
    assert any(isinstance(m, BerSteSign) for m in found)


def test_untracked_and_plain_module_holdings_are_found():
    layer = Odd()
    found = {id(m) for m in submodules(layer)}
    for module in (layer.hidden, layer.holder, layer.holder.layer, layer.table["b"]):
        assert id(module) in found


def test_a_cycle_between_modules_ends():
    first, second = Holder(None), Holder(None)
    first.layer, second.layer = second, first
    assert submodules(first) == [second]


class ListModule(tf.Module, list):
    """A module that tf.nest takes for a list: looked into, not listed itself."""

    def __init__(self, items):
        tf.Module.__init__(self)
        list.__init__(self, items)


def test_a_module_that_is_also_a_list_is_looked_into_as_tf_module_does():
    inner = Holder(None)
    outer = Holder(ListModule([inner]))
    assert [id(m) for m in submodules(outer)] == [id(m) for m in outer.submodules]
    assert [id(m) for m in submodules(outer)] == [id(inner)]


def test_an_attribute_tf_nest_cannot_flatten_raises_as_tf_module_does():
    holder = Holder({1: "one", "two": 2})
    with pytest.raises(ValueError, match="Error processing property 'layer'"):
        list(holder.submodules)
    with pytest.raises(ValueError, match="Error processing property 'layer'"):
        submodules(holder)


def test_something_that_is_no_module_is_refused():
    with pytest.raises(TypeError, match=r"`module` must be a tf\.Module"):
        submodules([tf.keras.layers.Dense(1)])
