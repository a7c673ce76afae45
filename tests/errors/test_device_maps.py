"""Error maps from the device physics: `larq_ber.errors.device_error_map`."""

import dataclasses

import numpy as np
import pytest

from larq_ber.errors import binarized_kernels, device_error_map, weight_errors
from larq_ber.models import LeNet4
from larq_ber.mtj import (
    MTJ,
    CellVariation,
    celsius,
    error_rates,
    state_error_rates,
    weight_error_rate,
)
from tests.errors.helpers import nested_model

HOUR = 3600.0


@pytest.fixture(scope="module")
def lenet():
    return LeNet4()


def test_without_variation_every_position_has_the_device_rates(lenet):
    device = dataclasses.replace(MTJ.paper(), h=0.1)
    errors = device_error_map(lenet, device, voltage=0.6, pulse=10e-9,
                              storage_time=HOUR, reads=1000)  # fmt: skip
    rates = error_rates(0.6, 10e-9, device)
    for neg, pos in errors.activations.values():
        assert np.all(neg == np.float32(rates.ber_neg))
        assert np.all(pos == np.float32(rates.ber_pos))
    # a weight's error is that of the state it holds: -1 in P, +1 in AP
    if_minus, if_plus = state_error_rates(HOUR, device, reads=1000)
    assert if_minus != if_plus  # the field and the fixed-polarity reads
    for path, kernel in binarized_kernels(lenet):
        expected = np.where(kernel.numpy() < 0, if_minus, if_plus).astype(np.float32)
        np.testing.assert_array_equal(errors.weights[path], expected)


def test_the_map_mean_is_the_devices_weight_error_rate(lenet):
    # h = 0 and no reads: both states alike, the mean is weight_error_rate
    errors = device_error_map(lenet, storage_time=30 * 86400.0)
    assert errors.activations == {}
    mean = errors.mean_rates().weight_ber
    assert mean == pytest.approx(weight_error_rate(30 * 86400.0), rel=1e-6)


def test_a_chip_is_its_seed_and_its_weak_cells_rule_retention(lenet):
    spread = CellVariation(delta_spread=0.1)
    one = device_error_map(lenet, storage_time=HOUR, variation=spread, chip=3)
    again = device_error_map(lenet, storage_time=HOUR, variation=spread, chip=3)
    other = device_error_map(lenet, storage_time=HOUR, variation=spread, chip=4)
    for path in one.weights:
        np.testing.assert_array_equal(one.weights[path], again.weights[path])
    assert any((one.weights[p] != other.weights[p]).any() for p in one.weights)
    # the chip's mean over cells is far above the mean cell's (the low-Delta tail)
    assert one.mean_rates().weight_ber > 100 * weight_error_rate(HOUR)
    # the same chip, hotter: every cell's error grows
    hot = device_error_map(lenet, MTJ.paper().at(celsius(85)), storage_time=HOUR,
                           variation=spread, chip=3)  # fmt: skip
    assert all((hot.weights[p] >= one.weights[p]).all() for p in one.weights)


def test_weight_flips_of_a_chip_match_its_map_by_monte_carlo():
    model, _ = nested_model()
    spread = CellVariation(delta_spread=0.1)
    errors = device_error_map(model, MTJ(delta=25.0), storage_time=HOUR,
                              variation=spread, chip=0)  # fmt: skip
    kernels = binarized_kernels(model)
    clean = {path: kernel.numpy().copy() for path, kernel in kernels}
    size = sum(v.size for v in clean.values())
    expected = errors.mean_rates().weight_ber * size
    draws, flipped = 300, 0
    for seed in range(draws):
        with weight_errors(model, errors, seed=seed):
            flipped += sum(int((k.numpy() != clean[p]).sum()) for p, k in kernels)
    # the count of flips over all draws is a sum of independent Bernoulli draws
    variance = draws * sum(
        float((p * (1 - p)).sum(dtype=float)) for p in errors.weights.values()
    )
    assert abs(flipped - draws * expected) <= 4 * np.sqrt(variance)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"voltage": 0.6}, "`voltage` and `pulse` go together"),
        ({"storage_time": -1.0}, "`storage_time`"),
        ({"variation": 0.1}, "`variation` must be a larq_ber.mtj.CellVariation"),
        ({"chip": None}, "`chip` must be an integer >= 0"),
        ({"chip": -1}, "`chip` must be an integer >= 0"),
        ({"read_polarity": "both"}, "`read_polarity` must be one of"),
        ({"voltage": 2.0, "pulse": 1e-8}, "above the breakdown voltage"),
    ],
)
def test_bad_input_is_refused_in_one_line(lenet, kwargs, message):
    with pytest.raises(ValueError, match=message) as error:
        device_error_map(lenet, **kwargs)
    assert "\n" not in str(error.value)
