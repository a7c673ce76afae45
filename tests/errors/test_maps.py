"""Per-position error probabilities: `ErrorMap` with the errors context managers."""

import numpy as np
import pytest

from larq_ber.errors import (
    ErrorMap,
    activation_errors,
    binarized_kernels,
    weight_errors,
)
from larq_ber.errors.maps import activation_positions
from tests.errors.helpers import (
    N,
    assert_same_weights,
    half_negative,
    nested_model,
    probe,
    weights_of,
)


def _levels(n, values):
    """A map of n positions cycling through `values`."""
    return np.resize(np.asarray(values, dtype=float), n)


def _within(frequency, p, trials):
    """Whether an observed flip frequency is within 4 binomial sigmas of `p`."""
    return abs(frequency - p) <= 4 * np.sqrt(p * (1 - p) / trials) + 1e-12


def test_activation_map_flips_each_position_at_its_own_rate_and_direction():
    model = probe()
    (path, _, shape) = activation_positions(model)[0]
    assert shape == (N,)
    # Per position: a rate for -1 and one for +1, cycling through 5 levels each.
    neg = _levels(N, [0.0, 0.02, 0.1, 0.3, 1.0])
    pos = _levels(N, [0.5, 0.0, 0.05, 0.2, 0.0])
    x = half_negative()
    with activation_errors(model, ErrorMap(activations={path: (neg, pos)}), seed=1):
        out = np.concatenate([model.predict(x, verbose=0) for _ in range(4)])
    flipped = out != np.sign(x)
    signs = np.sign(x)[0]
    for level in range(5):
        for sign, rates in ((-1, neg), (1, pos)):
            where = (np.arange(N) % 5 == level) & (signs == sign)
            p = rates[where][0]
            trials = where.sum() * out.shape[0]
            frequency = flipped[:, where].mean()
            assert _within(frequency, p, trials), (level, sign, frequency, p)
    # error-free again on leaving
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.sign(x))


def test_activation_map_leaves_unnamed_quantizers_error_free():
    model, _ = nested_model()
    positions = activation_positions(model)
    assert [p for p, _, _ in positions] == ["inner/qconv", "inner/qdense", "top"]
    first, _, shape = positions[0]
    errors = ErrorMap(activations={first: (np.ones(shape), np.ones(shape))})
    quantizers = [q for _, q, _ in positions]
    with activation_errors(model, errors, seed=0):
        settings = [q.inference_errors for q in quantizers]
    assert isinstance(settings[0][0], np.ndarray) and settings[0][0].min() == 1.0
    assert settings[1:] == [(0.0, 0.0), (0.0, 0.0)]
    assert all(q.inference_errors is None for q in quantizers)


def test_a_map_block_nests_with_scalar_blocks():
    model = probe()
    path = activation_positions(model)[0][0]
    x = half_negative()
    ones = ErrorMap(activations={path: (np.ones(N), np.ones(N))})
    with activation_errors(model, 0.0, seed=0):
        with activation_errors(model, ones, seed=0):
            np.testing.assert_array_equal(model.predict(x, verbose=0), -np.sign(x))
        np.testing.assert_array_equal(model.predict(x, verbose=0), np.sign(x))


def test_activation_maps_are_checked_against_the_model():
    model = probe()
    path = activation_positions(model)[0][0]
    with pytest.raises(ValueError, match="names \\['nope'\\], which the model does"):
        with activation_errors(
            model, ErrorMap(activations={"nope": (np.zeros(N),) * 2})
        ):
            pass
    with pytest.raises(ValueError, match=r"has shape \(3,\); the quantizer's input"):
        with activation_errors(model, ErrorMap(activations={path: (np.zeros(3),) * 2})):
            pass
    with pytest.raises(ValueError, match="`ber_neg` and `ber_pos` are for scalar"):
        with activation_errors(model, ErrorMap(), ber_neg=0.1):
            pass


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ((np.zeros(3), np.zeros(4)), "must have one shape"),
        ((np.full(3, 1.5), np.zeros(3)), r"in \[0, 1\], found 1.5"),
        ((np.full(3, np.nan), np.zeros(3)), r"in \[0, 1\], found nan"),
        (np.zeros(3), "must be a pair"),
        ((np.array(["a"]), np.zeros(1)), "array of probabilities"),
    ],
)
def test_error_map_refuses_bad_entries_naming_them(entry, message):
    with pytest.raises(ValueError, match=message):
        ErrorMap(activations={"layer": entry})


def test_error_map_mean_rates_weigh_positions_and_the_arrays_are_frozen_copies():
    source = np.array([0.0, 0.3])
    errors = ErrorMap(
        activations={"a": (np.zeros(2), np.ones(2)), "b": (np.ones(6), np.zeros(6))},
        weights={"k": source, "l": np.zeros(2)},
    )
    source[0] = 1.0  # the map kept a copy
    rates = errors.mean_rates()
    assert rates.ber_neg == pytest.approx(6 / 8)
    assert rates.ber_pos == pytest.approx(2 / 8)
    assert rates.weight_ber == pytest.approx(0.3 / 4)
    with pytest.raises(ValueError, match="read-only"):
        errors.weights["k"][0] = 0.5
    assert ErrorMap().mean_rates().weight_ber == 0.0


def test_weight_map_flips_each_position_at_its_rate_and_restores_exactly():
    model, _ = nested_model()
    before = weights_of(model)
    kernels = dict(binarized_kernels(model))
    shape = tuple(kernels["inner/qdense"].shape)  # (64, 8)
    rates = np.resize(np.array([0.0, 0.25, 1.0]), shape)
    clean = kernels["inner/qdense"].numpy().copy()
    top = kernels["top"].numpy().copy()
    counts = np.zeros(shape)
    draws = 400
    for seed in range(draws):
        with weight_errors(model, ErrorMap(weights={"inner/qdense": rates}), seed=seed):
            counts += kernels["inner/qdense"].numpy() != clean
            # the other kernels are untouched
            np.testing.assert_array_equal(kernels["top"].numpy(), top)
    frequency = counts / draws
    assert (frequency[rates == 0] == 0).all() and (frequency[rates == 1] == 1).all()
    quarter = frequency[rates == 0.25]
    assert _within(quarter.mean(), 0.25, quarter.size * draws)
    assert_same_weights(model, before)


def test_weight_maps_are_checked_against_the_model():
    model, _ = nested_model()
    with pytest.raises(ValueError, match="names \\['qdense'\\], which the model"):
        with weight_errors(model, ErrorMap(weights={"qdense": np.zeros((64, 8))})):
            pass
    with pytest.raises(ValueError, match=r"has shape \(8, 64\); the kernel's is"):
        with weight_errors(
            model, ErrorMap(weights={"inner/qdense": np.zeros((8, 64))})
        ):
            pass
