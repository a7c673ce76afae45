"""Rates: the one check of a bit error rate, and rates given per binarized layer."""

import numpy as np
import pytest

from larq_ber.rates import check_rate, per_layer

LAYERS = ["binary_conv_2", "binary_conv_1", "binary_dense_3"]  # not sorted on purpose


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0.0),
        (1, 1.0),
        (0.0, 0.0),
        (1.0, 1.0),
        (0.04, 0.04),
        (np.float64(0.25), 0.25),
        (np.float32(0.5), 0.5),
        (np.int64(1), 1.0),
    ],
)
def test_check_rate_accepts_probabilities_and_returns_a_float(value, expected):
    rate = check_rate("ber", value)
    assert rate == expected and type(rate) is float


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), -float("inf"), -0.1, 1.1, True, "0.1", None]
)
def test_check_rate_rejects_naming_the_argument_and_the_range(value):
    with pytest.raises(ValueError, match=r"^`ber_neg` must be .*in the range \[0, 1\]"):
        check_rate("ber_neg", value)


def test_per_layer_number_gives_every_layer_the_same_value():
    assert per_layer("ber", 0.04, LAYERS) == [0.04] * 3
    assert per_layer("ber_pos", None, LAYERS) == [None] * 3


def test_per_layer_sequence_is_one_value_per_layer_in_order():
    assert per_layer("ber", (0.1, 0.2, 0.3), LAYERS) == [0.1, 0.2, 0.3]
    assert per_layer("ber_neg", [0.3, None, 0.1], LAYERS) == [0.3, None, 0.1]


def test_per_layer_mapping_fills_the_layers_it_leaves_out():
    assert per_layer("ber", {"binary_conv_1": 0.2}, LAYERS) == [0.0, 0.2, 0.0]
    for argument in ("ber_neg", "ber_pos"):  # None there means "same as ber"
        assert per_layer(argument, {"binary_dense_3": 0.5}, LAYERS) == [
            None,
            None,
            0.5,
        ]


def test_per_layer_values_are_not_checked_here():
    assert per_layer("ber", [1.5, -1.0, "x"], LAYERS) == [1.5, -1.0, "x"]


IN_ORDER = "binary_conv_2, binary_conv_1, binary_dense_3."


def test_per_layer_wrong_length_lists_the_layers_in_order():
    with pytest.raises(ValueError) as error:
        per_layer("ber_neg", [0.1, 0.2], LAYERS)
    message = str(error.value)
    assert message.startswith("`ber_neg` has 2 rates but the model has 3 binarized")
    assert message.endswith("in order: " + IN_ORDER)


def test_per_layer_unknown_names_lists_the_layers_in_order():
    with pytest.raises(ValueError) as error:
        per_layer("ber_pos", {"binary_conv_9": 0.1, "binary_conv_1": 0.1}, LAYERS)
    message = str(error.value)
    assert message.startswith("`ber_pos` names unknown layers ['binary_conv_9']")
    assert message.endswith("in order: " + IN_ORDER)


@pytest.mark.parametrize("value", ["0.1", {0.1}, object()])
def test_per_layer_other_forms_list_the_layers_in_order(value):
    with pytest.raises(ValueError) as error:
        per_layer("ber", value, LAYERS)
    message = str(error.value)
    assert message.startswith("`ber` must be a number in [0, 1], a sequence")
    assert message.endswith("The binarized layers are, in order: " + IN_ORDER)
