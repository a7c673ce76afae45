"""Each recipe key's own check: one sentence per value that fails it."""

import pytest

from larq_ber.study.recipes.checks import CHECKS, is_int, is_shape, value_problems


def test_values_that_pass_their_checks_have_no_problem():
    values = {"bers": [0.0, 0.04], "repeats": 3, "momentum": 0.9,
              "input_shape": [32, 32, 3], "subsets": []}  # fmt: skip
    assert value_problems(values) == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [("bers", [], "a non-empty list of distinct rates in [0, 1]"),
     ("momentum", 1.0, "a number in [0, 1)"),
     ("decay_factor", 0, "a number in (0, 1]"),
     ("input_shape", [28, 28], "[height, width, channels]"),
     ("optimizer", "rmsprop", "one of ['sgd', 'adam']")],
)  # fmt: skip
def test_a_failing_value_is_named_with_what_its_key_expects(key, value, expected):
    assert value_problems({key: value}) == [f"{key} = {value!r}: expected {expected}"]


def test_keys_without_a_check_are_not_looked_at():
    assert "layer_bers" not in CHECKS and value_problems({"layer_bers": 3}) == []


def test_integers_and_shapes_exclude_bools_and_floats():
    assert [is_int(v) for v in (0, -3, True, 1.0)] == [True, True, False, False]
    assert [is_shape(v) for v in ([1, 1, 1], [0, 1, 1], (1, 1, 1), [1, 1, True])] == [
        True,
        False,
        False,
        False,
    ]
