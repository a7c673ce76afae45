"""`set_ber` and `ber_quantizers`: finding and setting the rates of a model."""

import larq as lq
import pytest
import tensorflow as tf

from larq_ber.quantizers import (
    BerSteSign,
    ber_quantizers,
    set_ber,
)

# Behaviour: gradients, registration, configuration, validation, set_ber.


def test_set_ber_validates_before_changing_anything(binary_block_model):
    model = binary_block_model(lambda: BerSteSign(0.01))
    with pytest.raises(ValueError, match="`ber_pos`"):
        set_ber(model, 0.2, ber_pos=2.0)
    assert all((q.ber_neg, q.ber_pos) == (0.01, 0.01) for q in ber_quantizers(model))
    assert set_ber(model, ber_neg=0.3) == 3
    assert all((q.ber_neg, q.ber_pos) == (0.3, 0.01) for q in ber_quantizers(model))
    with pytest.raises(ValueError, match="no BerSteSign"):
        set_ber(tf.keras.Sequential([tf.keras.layers.Dense(1)]), 0.1)
    with pytest.raises(ValueError, match="Give"):
        ber_quantizers(model)[0].set_ber()


@pytest.mark.parametrize("model", ["model", None, 3, b"x"])
def test_set_ber_on_something_that_is_no_model_says_what_it_takes(model):
    with pytest.raises(ValueError, match="`model` must be a Keras model or layer"):
        set_ber(model, 0.1)
    with pytest.raises(ValueError, match="no BerSteSign"):
        set_ber([lq.quantizers.SteSign()], 0.1)
