"""Activation flips at inference: `larq_ber.errors.activation_errors`."""

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.errors import activation_errors
from larq_ber.models import LeNet4
from larq_ber.quantizers import BerSteSign
from larq_ber.rates import ErrorRates
from tests.errors.helpers import N, half_negative, probe, sigma


@pytest.mark.parametrize(("ber_neg", "ber_pos"), [(0.04, 0.04), (0.01, 0.2)])
def test_activation_errors_flip_at_the_rates_at_inference_only_inside(ber_neg, ber_pos):
    model = probe()
    x = half_negative()
    clean = model.predict(x, verbose=0)
    with activation_errors(model, ber_neg=ber_neg, ber_pos=ber_pos, seed=3):
        for call in (lambda: model.predict(x, verbose=0), lambda: model(x).numpy()):
            out = call()
            flipped = out != np.sign(x)
            neg, pos = flipped[:, : N // 2].mean(), flipped[:, N // 2 :].mean()
            assert abs(neg - ber_neg) <= sigma(ber_neg, N // 2)
            assert abs(pos - ber_pos) <= sigma(ber_pos, N // 2)
        # a new draw at every call
        assert (model.predict(x, verbose=0) != model.predict(x, verbose=0)).any()
    # exactly error-free again on exit, predict and a bare call alike
    np.testing.assert_array_equal(model.predict(x, verbose=0), clean)
    np.testing.assert_array_equal(model(x).numpy(), np.sign(x))


def test_activation_errors_leave_training_rates_alone_and_check_inputs():
    model = probe()
    quantizer = model.layers[-1]
    with pytest.raises(ValueError, match="`ber` must be in the range"):
        with activation_errors(model, 1.5):
            pass
    with pytest.raises(ValueError, match="`ber_pos` must be in the range"):
        with activation_errors(model, 0.1, ber_pos=-0.1):
            pass
    with pytest.raises(ValueError, match="no BerSteSign"):
        with activation_errors(tf.keras.Sequential([tf.keras.layers.Dense(1)]), 0.1):
            pass
    with activation_errors(model, 0.3):
        assert (quantizer.ber_neg, quantizer.ber_pos) == (0.0, 0.0)


@pytest.mark.slow
def test_half_the_activations_flipped_is_chance_accuracy(tiny_batch):
    from larq_ber.study.data import load

    train = load("digits", split="train", batch_size=64, seed=0)
    test = load("digits", split="test", batch_size=359)
    model = LeNet4()
    model.compile(tf.keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                  ["accuracy"])  # fmt: skip
    model.fit(train, epochs=3, verbose=0)
    clean = model.evaluate(test, verbose=0)[1]
    with activation_errors(model, 0.5, seed=1):
        noisy = model.evaluate(test, verbose=0)[1]
    assert clean > 0.8
    n = 359  # test images; chance is 1/10 (classes balanced within one image each)
    assert abs(noisy - 0.1) <= 4 * np.sqrt(0.1 * 0.9 / n) + 0.02
    assert model.evaluate(test, verbose=0)[1] == clean


def test_error_rates_set_the_directions_of_activation_errors():
    rates = ErrorRates(0.01, 0.2, weight_ber=0.05)
    model = probe()
    x = half_negative()
    with activation_errors(model, rates, seed=0):
        flipped = model.predict(x, verbose=0) != np.sign(x)
    assert abs(flipped[:, : N // 2].mean() - 0.01) <= sigma(0.01, N // 2)
    assert abs(flipped[:, N // 2 :].mean() - 0.2) <= sigma(0.2, N // 2)


# Belongs with the quantizer's tests (tests/test_quantizers.py): kept here, where
# it was, beside the context managers that take the same `ErrorRates`.
def test_error_rates_set_the_directions_of_ber_ste_sign():
    rates = ErrorRates(0.01, 0.2, weight_ber=0.05)
    quantizer = BerSteSign(rates)
    assert (quantizer.ber_neg, quantizer.ber_pos) == (0.01, 0.2)
    assert quantizer.ber == pytest.approx(0.105)
    quantizer.set_ber(ErrorRates(0.3, 0.0))
    assert (quantizer.ber_neg, quantizer.ber_pos) == (0.3, 0.0)


def test_activation_errors_reach_the_quantizers_of_nested_models():
    from larq_ber.quantizers import ber_quantizers
    from tests.errors.helpers import images, nested_model

    model, inner = nested_model()
    x = images(64)
    clean, inner_clean = model.predict(x, verbose=0), inner.predict(x, verbose=0)
    assert len(ber_quantizers(model)) == 3 and len(ber_quantizers(inner)) == 2
    with activation_errors(model, 0.5, seed=0) as flipping:
        assert len(flipping) == 3
        assert not np.array_equal(model.predict(x, verbose=0), clean)
        # the nested model's own predict function is traced again too
        assert not np.array_equal(inner.predict(x, verbose=0), inner_clean)
    np.testing.assert_array_equal(model.predict(x, verbose=0), clean)
    np.testing.assert_array_equal(inner.predict(x, verbose=0), inner_clean)


@pytest.mark.parametrize("order", ["AB", "BA"])
def test_activation_errors_blocks_end_in_any_order(order):
    model = probe()
    quantizer = model.layers[-1]
    x = half_negative()
    rates = {"A": 0.05, "B": 0.3}
    blocks = {
        name: activation_errors(model, rate, seed=0) for name, rate in rates.items()
    }
    blocks["A"].__enter__()
    blocks["B"].__enter__()
    assert quantizer.inference_errors == (0.3, 0.3)  # the latest block sets
    blocks[order[0]].__exit__(None, None, None)
    remaining = rates[order[1]]
    assert quantizer.inference_errors == (remaining, remaining)
    flipped = (model.predict(x, verbose=0) != np.sign(x)).mean()
    assert abs(flipped - remaining) <= sigma(remaining, N)
    blocks[order[1]].__exit__(None, None, None)
    assert quantizer.inference_errors is None
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.sign(x))


def test_saving_inside_activation_errors_is_refused_in_one_line(tmp_path):
    model = LeNet4()
    with activation_errors(model, 0.1, seed=0):
        for path in ("saved", "m.keras"):
            with pytest.raises(RuntimeError, match="activation_errors active") as error:
                model.save(tmp_path / path)
            assert "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []
    model.save(tmp_path / "m.keras")  # clean again after the block
