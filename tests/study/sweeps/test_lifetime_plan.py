"""The lifetime plan: values read, checked with one-line messages, and bounded."""

import pytest

from larq_ber.mtj.device import SECONDS_PER_YEAR
from larq_ber.mtj.presets import preset
from larq_ber.study.sweeps.lifetime_plan import LifetimePlan, duration, temperature
from larq_ber.study.sweeps.plan import MAX_EVALUATIONS


def test_temperatures_and_times_read_with_their_units():
    assert temperature("85C") == pytest.approx(358.15)
    assert temperature("85 °C") == pytest.approx(358.15)
    assert temperature("300K") == temperature(300) == 300.0
    assert duration("1h") == 3600.0 and duration("2min") == 120.0
    assert duration("10y") == pytest.approx(10 * SECONDS_PER_YEAR)
    assert duration("3d") == 3 * 86400.0 and duration(" 5s ") == 5.0


def test_a_plan_lists_every_point_in_order_and_counts_its_evaluations():
    plan = LifetimePlan.checked(
        storage_times=["1y", 1, 0], temperatures=["25C", 400], reads=[0, 10**6],
        draws=3,
    )  # fmt: skip
    assert plan.storage_times == (0.0, 1.0, SECONDS_PER_YEAR)  # sorted
    assert plan.temperatures == pytest.approx((298.15, 400.0))
    assert len(plan.points()) == 2 * 3 * 2
    assert plan.points()[0] == (0.0, 0.0, pytest.approx(298.15), 0.0, 0)
    assert plan.evaluations(runs=5) == 12 * 3 * 5
    assert plan.mtj() == preset("tzoufras2019")
    assert plan.variation(0.0, 0.0) is None


def test_defaults_are_the_papers_device_at_its_own_temperature():
    plan = LifetimePlan.checked(storage_times=[1])
    assert plan.temperatures == (300.0,) and plan.reads == (0,)
    assert plan.write_voltage is None and plan.draws == 10


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"storage_times": [-1]}, "`storage_times` must be times >= 0"),
        ({"storage_times": ["soon"]}, "`storage_times` must be times >= 0"),
        ({"storage_times": []}, "`storage_times` must hold 1 to"),
        ({"storage_times": [1, 1.0]}, "`storage_times` lists a value more than once"),
        ({"temperatures": [0]}, r"`temperatures` must lie in \(0, 1000\) K"),
        ({"temperatures": ["-300C"]}, r"`temperatures` must lie in \(0, 1000\) K"),
        ({"temperatures": [1000]}, "below the device's Curie temperature"),
        ({"temperatures": ["hot"]}, "`temperatures` must lie in"),
        ({"reads": [1.5]}, r"`reads` must be integers in \[0, 1e30\]"),
        ({"reads": [-1]}, r"`reads` must be integers in \[0, 1e30\]"),
        ({"reads": [True]}, r"`reads` must be integers in \[0, 1e30\]"),
        ({"delta_spread": -0.1}, "`delta_spread` must be spreads >= 0"),
        ({"v_c0_spread": [float("nan")]}, "`v_c0_spread` must be spreads >= 0"),
        ({"write_voltage": 0.6}, "`write_voltage` and `write_pulse` go together"),
        ({"write_voltage": 1.5, "write_pulse": 1e-8}, r"`write_voltage` must be in "
         r"\(0, 1.2\] V"),
        ({"write_voltage": 0.6, "write_pulse": -1}, "`write_pulse` must be a time > 0"),
        ({"write_voltage": 0.6, "write_pulse": 1.0}, "`write_pulse`"),
        ({"read_polarity": "both"}, "`read_polarity` must be one of"),
        ({"draws": 1}, r"`draws` must be an integer in \[2, 100,000\]"),
        ({"draws": 2.5}, r"`draws` must be an integer in \[2, 100,000\]"),
        ({"device": "nope"}, "`device` must be a preset name"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_in_one_line_naming_them(arguments, message):
    arguments = {"storage_times": [1], **arguments}
    with pytest.raises(ValueError, match=message) as error:
        LifetimePlan.checked(**arguments)
    assert "\n" not in str(error.value)


def test_a_plan_over_the_cap_is_refused_with_its_size():
    times = list(range(1000))
    LifetimePlan.checked(storage_times=times, draws=MAX_EVALUATIONS // 1000)
    with pytest.raises(ValueError, match=r"needs 2,000,000 evaluations \(1,000 points "
                       r"x 1000 draws x 2 run\(s\)\); at most 1,000,000"):  # fmt: skip
        LifetimePlan.checked(storage_times=times, draws=1000, runs=2)
