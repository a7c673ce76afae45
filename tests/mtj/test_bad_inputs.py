"""Bad inputs and physical limits of `larq_ber.mtj` (issue 27, "the device model
outside its range"): every refusal is one line naming the argument and its range,
and what is accepted tends to the right physical limit."""

import dataclasses
import itertools
import math

import numpy as np
import pytest

from larq_ber import mtj
from larq_ber.mtj.deployment import MAX_READS
from larq_ber.mtj.fpe import MAX_PULSE, legendre_operator
from larq_ber.mtj.reliability import read_disturb_rate

DAY = 24 * 3600.0
BREAKDOWN = r"`voltage` .* above the breakdown voltage .* \(0, 1\.2\] V"


def _one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text, text
    return text


# --- above the breakdown voltage -------------------------------------------------


@pytest.mark.parametrize("volts", [1.2000001, 2.0, 5.0, 1e6])
def test_voltages_above_breakdown_are_refused_everywhere(volts):
    calls = [
        lambda: mtj.error_rates(volts, 10e-9),
        lambda: mtj.write_error_rate(volts, 10e-9),
        lambda: mtj.write_error_rate([0.6, volts], 10e-9),
        lambda: mtj.write_error_rate(volts, 10e-9, model="approx"),
        lambda: mtj.write_error_rate(volts, 10e-9, model="finite_volume"),
        lambda: mtj.switching_probability(volts, 10e-9),
        lambda: mtj.ber_from_operating_point(volts, 10e-9),
        lambda: mtj.pulse_for_wer(1e-3, volts),
        lambda: legendre_operator(volts),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=BREAKDOWN) as error:
            call()
        _one_line(error)


def test_the_breakdown_range_does_not_depend_on_v_c0():
    device = mtj.MTJ(v_c0=0.5)
    with pytest.raises(ValueError, match=BREAKDOWN):
        mtj.error_rates(1.3, 10e-9, device)
    # At V_bd itself the model answers.
    assert 0 <= mtj.error_rates(1.2, 10e-9, device).ber_pos < 1e-3


def test_read_voltages_above_breakdown_are_refused():
    with pytest.raises(ValueError, match=r"`read_voltage` must be in \[0, 1\.2\] V"):
        read_disturb_rate(1.5, 10e-9)
    for call in (mtj.weight_error_rate, mtj.storage_time_for_weight_ber):
        with pytest.raises(ValueError, match=r"`read_voltage` .* \[0, 1\.2\]"):
            call(0.01, reads=10, read_voltage=1.5)


def test_breakdown_is_on_the_applied_voltage_not_the_rescaled_drive(paper):
    # sqrt(4) x 1.2 V = 2.4 V is the AP->P drive, not a voltage on the barrier.
    device = dataclasses.replace(paper, stt_asymmetry=4.0)
    rates = mtj.error_rates(1.2, 10e-9, device)
    assert rates.ber_neg <= rates.ber_pos < 1


# --- write error rate at the edges -----------------------------------------------


@pytest.mark.parametrize("h", [0.0, 0.5, -0.5])
def test_write_error_rate_is_monotonic_at_the_edges(paper, h):
    device = dataclasses.replace(paper, h=h)
    volts = np.array([1e-9, 1e-3, 0.01, 0.1, 0.2, 0.3, 0.45, 0.6, 0.9, 1.2])
    pulses = np.array([1e-18, 1e-15, 1e-12, 1e-3, 0.1, 1, 10, 1e2, 1e3, MAX_PULSE])
    wer = mtj.write_error_rate(volts[:, None], pulses[None, :] * paper.tau_d, device)
    assert np.all((wer >= 0) & (wer <= 1))
    # Non-increasing in the voltage and in the pulse, within the solution's
    # resolution (values within ~1e-9 of 1 at 1e4 tau_D).
    assert np.all(np.diff(wer, axis=0) <= 1e-8)
    assert np.all(np.diff(wer, axis=1) <= 1e-8)
    # Very short pulses do not switch, nor do voltages just above 0 (except
    # thermally, over the barrier Delta (1 + h)^2 that a field against the
    # initial state lowers to 10 at h = -0.5: Neel-Arrhenius bounds that).
    assert np.all(wer[:, :3] == 1.0)
    barrier = paper.delta * (1 + h) ** 2
    thermal = pulses[:6] * paper.tau_d / paper.tau_0 * np.exp(-barrier)
    assert np.all(1 - wer[:2, :6] <= thermal)
    if h >= 0:
        assert np.all(wer[:2, :6] == 1.0)


def test_pulses_beyond_the_resolved_range_are_refused(paper):
    longest = MAX_PULSE * paper.tau_d
    assert float(mtj.write_error_rate(0.6, longest)) == 0.0
    for call in (
        lambda: mtj.write_error_rate(0.01, 1.0),
        lambda: mtj.error_rates(0.6, 2 * longest),
    ):
        with pytest.raises(
            ValueError, match=r"`pulse` .* \(0, 10000 tau_D = 2e-05\] s"
        ):
            call()
    with pytest.raises(ValueError, match=r"`read_pulse` .* \(0, 10000 tau_D"):
        mtj.weight_error_rate(0.0, reads=10, read_pulse=1.0)


@pytest.mark.parametrize("pulse", [1e-9, 10e-9, 1e-6])
def test_read_disturb_is_continuous_and_monotonic_in_the_read_voltage(paper, pulse):
    volts = np.concatenate(
        [np.linspace(0, 0.3, 61), [0.2999, 0.29999999, 0.3, 0.30000001], [0.6, 1.2]]
    )
    volts.sort()
    rates = read_disturb_rate(volts, pulse)
    assert np.all((rates >= 0) & (rates <= 1))
    assert np.all(np.diff(rates) >= -1e-15)  # to rounding
    # No jump at V_c0 (the 0.1 releases: 0.99995 just below, 0.186 at it).
    just_below, at = read_disturb_rate([0.29999999, 0.3], pulse)
    assert at - just_below < 1e-6


# --- weights stored for a long time, or read many times ----------------------------


@pytest.mark.parametrize("h", [0.0, 0.1, -0.3])
def test_weight_errors_tend_to_one_half_and_stay_below(paper, h):
    device = dataclasses.replace(paper, h=h)
    assert mtj.weight_error_rate(1e30, device) == pytest.approx(0.5, abs=1e-12)
    times = np.geomspace(1e-9, 1e30, 200)
    rates = [mtj.weight_error_rate(float(t), device) for t in times]
    assert all(0 <= r <= 0.5 for r in rates)
    assert all(a <= b for a, b in itertools.pairwise(rates))
    assert rates[0] < 1e-8 and max(rates) == pytest.approx(0.5, abs=1e-12)
    # Small times: the first-flip (Neel-Arrhenius) law.
    assert mtj.weight_error_rate(1.0, paper) == pytest.approx(
        float(mtj.retention_failure(1.0, paper)), rel=1e-6
    )


def test_reads_tend_to_one_half_and_huge_counts_do_not_overflow(paper):
    counts = [0, 1, 10**3, 10**6, 10**9, 10**12, 10**20, MAX_READS]
    rates = [mtj.weight_error_rate(DAY, reads=n) for n in counts]
    assert all(a <= b for a, b in itertools.pairwise(rates))
    assert all(0 <= r <= 0.5 for r in rates)
    assert rates[-1] == pytest.approx(0.5, abs=1e-12)
    assert mtj.weight_error_rate(0.0, reads=1e6) == mtj.weight_error_rate(
        0.0, reads=10**6
    )
    assert mtj.weight_error_rate(0.0, reads=np.int64(10**6)) == (
        mtj.weight_error_rate(0.0, reads=10**6)
    )
    # A read at V_bd that always switches one state leaves a random bit.
    assert mtj.weight_error_rate(0.0, reads=5, read_voltage=1.2) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "reads", [10**400, MAX_READS + 1, 1e31, -1, 1.5, True, np.bool_(True), "3", None]
)
def test_bad_read_counts_are_refused(reads):
    with pytest.raises(ValueError, match=r"`reads` must be an integer in \[0, 1e30\]"):
        mtj.weight_error_rate(0.0, reads=reads)
    with pytest.raises(ValueError, match=r"`reads` must be an integer in \[0, 1e30\]"):
        mtj.error_rates(0.6, 10e-9, reads=reads)


@pytest.mark.parametrize("target", [0.5, 0.7, 1.0, 1.5, -0.1, math.nan, True, "0.1"])
def test_unreachable_weight_ber_targets_are_refused(target):
    with pytest.raises(ValueError, match=r"`weight_ber` .* \[0, 0\.5\)") as error:
        mtj.storage_time_for_weight_ber(target)
    _one_line(error)


def test_reachable_weight_ber_targets_invert(paper):
    for target in (1e-9, 0.1, 0.4999):
        time = mtj.storage_time_for_weight_ber(target)
        assert math.isfinite(time)
        assert mtj.weight_error_rate(time) == pytest.approx(target, rel=1e-8)
    # A very stable cell: the time exceeds the float range.
    stable = dataclasses.replace(paper, delta=2000.0)
    assert mtj.storage_time_for_weight_ber(0.1, stable) == math.inf


# --- the device -----------------------------------------------------------------


@pytest.mark.parametrize("ratio", [1e-9, 0.05, 0.0999, 10.001, 11.0, 1e9])
def test_stt_asymmetry_outside_its_physical_range_is_refused(ratio):
    with pytest.raises(
        ValueError, match=r"MTJ `stt_asymmetry` must be in \[0\.1, 10\]"
    ):
        mtj.MTJ(stt_asymmetry=ratio)


def test_stt_asymmetry_at_its_bounds_and_against_v_bd():
    for ratio in (0.1, 0.6, 1.2, 2.0, 10.0):
        assert mtj.MTJ(stt_asymmetry=ratio).stt_asymmetry == ratio
    # sqrt(2) x 1.0 V is above V_bd = 1.2 V: P->AP cannot be written.
    with pytest.raises(ValueError, match=r"`stt_asymmetry` 2 .* at or above `v_bd`"):
        mtj.MTJ(v_c0=1.0, stt_asymmetry=2.0)


@pytest.mark.parametrize("device", ["paper", 3, {}, dataclasses])
def test_device_must_be_an_mtj(device):
    calls = [
        lambda: mtj.error_rates(0.6, 10e-9, device),
        lambda: mtj.write_error_rate(0.6, 10e-9, device),
        lambda: mtj.weight_error_rate(DAY, device),
        lambda: mtj.storage_time_for_weight_ber(1e-3, device),
        lambda: mtj.retention_failure(DAY, device),
        lambda: read_disturb_rate(0.1, 10e-9, device),
        lambda: mtj.endurance_cycles(1.0, device),
        lambda: mtj.voltage_for_wer(1e-3, 10e-9, device),
        lambda: mtj.pulse_for_wer(1e-3, 0.6, device),
        lambda: mtj.operating_points(device),
        lambda: mtj.cheapest_operating_point({0.0: 0.9}, 0.01, device),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"`device` must be an MTJ .* or None"):
            call()


# --- numbers: numpy scalars are numbers, bools and strings are not -----------------


def test_numpy_scalars_are_numbers(paper):
    assert mtj.MTJ(delta=np.int64(40), v_c0=np.float32(0.3), h=np.float64(0)) == (
        mtj.MTJ(delta=40.0, v_c0=float(np.float32(0.3)))
    )
    assert isinstance(mtj.MTJ(delta=np.int64(40)).delta, float)
    rates = mtj.error_rates(np.float64(0.6), np.float32(10e-9), reads=np.int64(3))
    assert rates.ber_pos == pytest.approx(
        mtj.error_rates(0.6, float(np.float32(10e-9)), reads=3).ber_pos, rel=1e-12
    )
    assert mtj.weight_error_rate(np.float64(DAY)) == mtj.weight_error_rate(DAY)
    assert mtj.weight_error_rate(np.int64(3600)) == mtj.weight_error_rate(3600.0)
    assert mtj.storage_time_for_weight_ber(np.float64(1e-3)) == (
        mtj.storage_time_for_weight_ber(1e-3)
    )
    assert mtj.write_error_rate(np.float32(0.6), np.array([10e-9])).shape == (1,)
    point = mtj.cheapest_operating_point({0.0: 0.97, 0.04: 0.968}, np.float64(0.005))
    assert point.ber == 0.04


@pytest.mark.parametrize("bad", [True, np.bool_(False), "0.6", None, [0.6, True]])
def test_bools_and_strings_are_not_numbers(bad):
    for call, name in [
        (lambda: mtj.write_error_rate(bad, 10e-9), "voltage"),
        (lambda: mtj.write_error_rate(0.6, bad), "pulse"),
        (lambda: mtj.error_rates(bad, 10e-9), "voltage"),
        (lambda: mtj.weight_error_rate(bad), "storage_time"),
        (lambda: mtj.retention_failure(bad), "duration"),
        (lambda: read_disturb_rate(bad, 10e-9), "read_voltage"),
        (lambda: mtj.cheapest_operating_point({0.0: 0.9}, bad), "tolerance"),
        (lambda: mtj.operating_points(voltage_scale=bad), "voltage_scale"),
    ]:
        with pytest.raises(ValueError, match=f"`{name}`") as error:
            call()
        _one_line(error)


@pytest.mark.parametrize("name", ["delta", "tau_d", "v_c0", "h", "stt_asymmetry"])
@pytest.mark.parametrize("bad", [True, np.bool_(True), "1", None, math.nan])
def test_device_parameters_refuse_bools_and_strings(name, bad):
    with pytest.raises(ValueError, match=f"MTJ `{name}` must be"):
        mtj.MTJ(**{name: bad})


# --- the read polarity -------------------------------------------------------------


@pytest.mark.parametrize("polarity", ["Fixed", "both", "", None, 1, True, ["fixed"]])
def test_unknown_read_polarities_are_refused(polarity):
    from larq_ber.mtj.deployment import state_error_rates

    calls = [
        lambda: mtj.weight_error_rate(DAY, read_polarity=polarity),
        lambda: mtj.storage_time_for_weight_ber(1e-3, read_polarity=polarity),
        lambda: mtj.error_rates(0.6, 10e-9, read_polarity=polarity),
        lambda: state_error_rates(DAY, read_polarity=polarity),
    ]
    for call in calls:
        with pytest.raises(
            ValueError, match=r"`read_polarity` must be one of \['fixed', 'bipolar'\]"
        ) as error:
            call()
        _one_line(error)


@pytest.mark.parametrize("polarity", ["fixed", "bipolar"])
def test_reads_of_either_polarity_tend_to_one_half_and_stay_below(polarity):
    from larq_ber.mtj.deployment import state_error_rates

    counts = [0, 1, 10**3, 10**6, 10**9, 10**12, MAX_READS]
    rates = [
        mtj.weight_error_rate(DAY, reads=n, read_polarity=polarity) for n in counts
    ]
    assert all(a <= b for a, b in itertools.pairwise(rates))
    assert all(0 <= r <= 0.5 for r in rates) and rates[-1] == pytest.approx(0.5)
    # A read at V_bd that surely switches what it destabilises: a random bit,
    # not an inverted one, for any count (odd ones too).
    for reads in (1, 5):
        kwargs = {"reads": reads, "read_voltage": 1.2, "read_polarity": polarity}
        assert mtj.weight_error_rate(0.0, **kwargs) == pytest.approx(0.5)
        states = state_error_rates(0.0, **kwargs)
        assert states == ((0.0, 1.0) if polarity == "fixed" else (0.5, 0.5))
    for time in (0.0, 1.0, DAY, 1e30):  # each state's error stays a probability
        for reads in (0, 10**3, MAX_READS):
            states = state_error_rates(time, reads=reads, read_polarity=polarity)
            assert all(0.0 <= s <= 1.0 for s in states)
