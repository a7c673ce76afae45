"""larq_ber.mtj.operating: Table I, the bridge to training, CLI `table`."""

import pytest

from larq_ber.mtj.fpe import write_error_rate
from larq_ber.mtj.inverse import voltage_for_wer
from larq_ber.mtj.operating import (
    ber_from_operating_point,
    cheapest_operating_point,
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


def test_bridge_from_accuracy_curve_to_cheapest_point():
    assert float(ber_from_operating_point(0.6, 10e-9)) == pytest.approx(
        float(write_error_rate(0.6, 10e-9))
    )
    curve = {0.0: 0.970, 0.01: 0.969, 0.04: 0.966, 0.16: 0.940}
    point = cheapest_operating_point(curve, tolerance=0.005)
    assert point.ber == 0.04 and point.accuracy == 0.966
    assert float(write_error_rate(point.voltage, point.pulse)) == pytest.approx(
        0.04, rel=1e-2
    )
    assert 0 < point.energy < 1 and point.endurance_gain > 1
    # No other pulse on the WER = 0.04 contour is cheaper (±30 %).
    for factor in (0.7, 1.3):
        other = float(voltage_for_wer(0.04, point.pulse * factor))
        assert other**2 * point.pulse * factor >= point.voltage**2 * point.pulse
    # A looser tolerance buys a larger BER and less energy; records work too.
    loose = cheapest_operating_point(
        [{"ber": b, "mean": a} for b, a in curve.items()], tolerance=0.05
    )
    assert loose.ber == 0.16 and loose.energy < point.energy
    strict = cheapest_operating_point(curve, tolerance=0.0)
    assert strict.ber == 0.0 and strict.energy == pytest.approx(1.0)
    with pytest.raises(ValueError, match="must include BER 0"):
        cheapest_operating_point({0.04: 0.9}, 0.01)
