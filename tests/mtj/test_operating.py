"""larq_ber.mtj.operating: Table I, the bridge to training, the cheapest write."""

import numpy as np
import pytest

from larq_ber.mtj.fpe import write_error_rate
from larq_ber.mtj.inverse import pulse_for_wer, voltage_for_wer
from larq_ber.mtj.operating import (
    OperatingPoint,
    ber_from_operating_point,
    operating_points,
)


def test_operating_points_table_one(paper):
    tau_d = paper.tau_d
    rows = operating_points()
    assert [r["wer"] for r in rows] == [1e-6, 1e-2, 1e-1]
    assert rows[0]["voltage_change"] == 0 and rows[0]["reference_pulse"] == 5 * tau_d
    assert rows[0]["voltage"] > rows[1]["voltage"] > rows[2]["voltage"]
    fixed = rows[0]["fixed_voltage"]
    assert fixed == pytest.approx(0.8 * rows[0]["voltage"])
    for row in rows:  # each row's two operating points reach its target
        assert float(write_error_rate(row["voltage"], 5 * tau_d)) == pytest.approx(
            row["wer"], rel=1e-2
        )
        assert float(write_error_rate(fixed, row["pulse"])) == pytest.approx(
            row["wer"], rel=1e-2
        )
    assert (
        rows[0]["pulse_change"] > 0 > rows[1]["pulse_change"] > rows[2]["pulse_change"]
    )
    text = str(rows).splitlines()
    assert len(text) == 5 and "1e-06" in text[2]
    with pytest.raises(ValueError, match="at or below v_c0"):
        operating_points(voltage_scale=0.3)


def test_ber_from_operating_point_is_the_write_error_rate():
    assert float(ber_from_operating_point(0.6, 10e-9)) == pytest.approx(
        float(write_error_rate(0.6, 10e-9))
    )


def test_cheapest_write_is_the_minimum_energy_point_on_the_wer_contour(paper):
    point = OperatingPoint.cheapest_write(0.04, 0.966, baseline_accuracy=0.97)
    assert float(write_error_rate(point.voltage, point.pulse)) == pytest.approx(
        0.04, rel=1e-2
    )
    for factor in (0.7, 1.3):  # no other pulse on the contour is cheaper
        other = float(voltage_for_wer(0.04, point.pulse * factor))
        assert other**2 * point.pulse * factor >= point.voltage**2 * point.pulse
    assert point.baseline_accuracy == 0.97 and point.train_ber is None
    reference = OperatingPoint.cheapest_write(1e-7, 0.97)  # nothing to relax
    assert reference.pulse == 5 * paper.tau_d and reference.energy == 1.0


def test_old_operating_point_constructor_still_works():
    point = OperatingPoint(0.04, 0.96, 0.5, 1e-8, 0.3, 1e3, 0.83, 1e-8)
    assert point.train_ber is None and point.storage_time is None


@pytest.mark.slow
@pytest.mark.parametrize("wer", [1e-4, 0.04, 0.5])
def test_cheapest_write_is_the_continuous_minimum_of_a_fine_scan(paper, wer):
    from threadpoolctl import threadpool_limits

    from larq_ber.mtj.inverse import _voltage_for_wer

    point = OperatingPoint.cheapest_write(wer, 0.9)
    assert float(write_error_rate(point.voltage, point.pulse)) == pytest.approx(
        wer, rel=1e-8
    )
    energy = point.voltage**2 * point.pulse
    # Brute force 1: 2,000 log-spaced pulses, each with the voltage of
    # `voltage_for_wer` (interpolated: its WER is within ~1e-4 of the target,
    # which moves V^2 t by ~1e-5, so the scan locates the minimum to ~0.3 %).
    pulses = np.geomspace(0.5, 100, 2000) * paper.tau_d
    volts, _, _ = _voltage_for_wer(wer, pulses, paper)
    scan = np.where(np.isnan(volts), np.inf, volts**2 * pulses)
    k = int(np.argmin(scan))
    assert energy <= scan[k] * (1 + 1e-4)
    assert point.pulse == pytest.approx(pulses[k], rel=5e-3)
    # Brute force 2: 41 voltages 0.05 % apart around the scan's minimum, each
    # with its exact pulse (`pulse_for_wer`): the location within 0.1 %.
    window = volts[k] * (1 + np.linspace(-0.01, 0.01, 41))
    with threadpool_limits(1):
        lengths = pulse_for_wer(wer, window)
    fine = window**2 * lengths
    j = int(np.argmin(fine))
    assert 0 < j < len(window) - 1  # an interior minimum
    assert energy <= fine[j] * (1 + 1e-9)
    assert point.voltage == pytest.approx(window[j], rel=1e-3)
    assert point.pulse == pytest.approx(lengths[j], rel=1e-3)
