"""larq_ber.mtj.reliability: retention, read disturb, endurance."""

import dataclasses
import math

import numpy as np
import pytest

from larq_ber.mtj.device import SECONDS_PER_YEAR
from larq_ber.mtj.fpe import switching_probability
from larq_ber.mtj.reliability import (
    ENDURANCE_MODELS,
    endurance_cycles,
    read_disturb_rate,
    retention_failure,
)


def test_retention_follows_neel_arrhenius(paper):
    ten_years = 10 * SECONDS_PER_YEAR
    expected = 1 - math.exp(-(ten_years / 1e-9) * math.exp(-40))
    assert float(retention_failure(ten_years)) == pytest.approx(expected)
    assert round(expected, 2) == 0.74  # the docstring's statement
    stable = dataclasses.replace(paper, delta=60.0)
    assert float(retention_failure(ten_years, stable)) == pytest.approx(
        ten_years / 1e-9 * math.exp(-60), rel=1e-6
    )
    days = retention_failure(np.array([0.0, 86400.0, 2 * 86400.0]))
    assert days[0] == 0 and days[1] < days[2]


def test_read_disturb():
    pulse = 10e-9
    # At zero read voltage it is the retention law; it grows with the voltage.
    assert float(read_disturb_rate(0.0, pulse)) == pytest.approx(
        float(retention_failure(pulse))
    )
    rates = read_disturb_rate(np.array([0.05, 0.1, 0.2]), pulse)
    assert np.all(np.diff(rates) > 0)
    # At or above V_c0 a read is a write.
    assert float(read_disturb_rate(0.6, pulse)) == pytest.approx(
        float(switching_probability(0.6, pulse))
    )


def test_endurance_models(paper):
    for model in ENDURANCE_MODELS:
        cycles = endurance_cycles(np.array([1.2, 1.0, 0.96]), model=model)
        assert cycles[0] == paper.cycles_at_vbd and np.all(np.diff(cycles) > 0)
        assert cycles[2] / cycles[0] == pytest.approx(1e6, rel=0.05)  # 20 % lower
    with pytest.raises(ValueError, match="`model` must be one of"):
        endurance_cycles(1.0, model="linear")


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match="`duration`"):
        retention_failure(-1.0)
