"""larq_ber.mtj.design: the thermal stability a storage target needs."""

import dataclasses

import numpy as np
import pytest

from larq_ber.mtj import (
    MTJ,
    SECONDS_PER_YEAR,
    CellVariation,
    cell_stored_error_rates,
    celsius,
    draw_cells,
    weight_error_rate,
)
from larq_ber.mtj.design import delta_for_storage

DAY = 86400.0


@pytest.mark.parametrize("kelvin", [None, celsius(25), celsius(85)])
@pytest.mark.parametrize("target", [1e-4, 0.01, 0.1])
def test_the_delta_found_is_the_smallest_that_meets_the_target(kelvin, target):
    delta = delta_for_storage(target, SECONDS_PER_YEAR, temperature=kelvin)

    def rate(value):
        device = dataclasses.replace(MTJ.paper(), delta=value)
        device = device if kelvin is None else device.at(kelvin)
        return weight_error_rate(SECONDS_PER_YEAR, device)

    assert rate(delta) <= target < rate(delta - 0.02)


def test_longer_storage_heat_and_spread_each_ask_for_more_delta():
    year = SECONDS_PER_YEAR
    base = delta_for_storage(0.01, year)
    assert delta_for_storage(0.01, 10 * year) > base > delta_for_storage(0.01, DAY)
    assert delta_for_storage(0.01, year, temperature=celsius(85)) > base + 10
    spread = delta_for_storage(0.01, year, variation=CellVariation(delta_spread=0.1))
    assert spread > base + 3
    # the chip meets the target at the value found, and not 0.02 below it
    chip = draw_cells(100_000, CellVariation(delta_spread=0.1), seed=0)
    for value, meets in ((spread, True), (spread - 0.02, False)):
        device = dataclasses.replace(MTJ.paper(), delta=value)
        minus, plus = cell_stored_error_rates(chip, year, device)
        mean = 0.5 * (np.mean(minus, dtype=float) + np.mean(plus, dtype=float))
        assert (mean <= 0.01) == meets


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0.0, DAY), {}, r"`weight_ber` must be a finite number in \(0, 0.5\)"),
        ((0.5, DAY), {}, r"`weight_ber` must be a finite number in \(0, 0.5\)"),
        ((0.01, -1.0), {}, r"`storage_time` must be a finite number in \(0, inf\)"),
        ((0.01, DAY), {"temperature": 2000.0}, "`temperature` must be"),
        ((0.01, DAY), {"variation": 0.1}, "`variation` must be a CellVariation"),
        ((0.01, DAY), {"variation": CellVariation(0.1), "cells": 10}, "`cells`"),
        ((1e-300, 1e17), {}, "No thermal stability up to 400"),
    ],
)
def test_bad_input_is_refused_in_one_line(args, kwargs, message):
    with pytest.raises(ValueError, match=message) as error:
        delta_for_storage(*args, **kwargs)
    assert "\n" not in str(error.value)
