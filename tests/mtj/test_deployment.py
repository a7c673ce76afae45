"""larq_ber.mtj.deployment: per-direction write errors and the weights' errors."""

import dataclasses
import itertools
import math

import numpy as np
import pytest
import scipy.linalg

from larq_ber.mtj.deployment import (
    DEFAULT_READ_PULSE,
    error_rates,
    state_error_rates,
    storage_time_for_weight_ber,
    weight_error_rate,
)
from larq_ber.mtj.device import MTJ, SECONDS_PER_YEAR
from larq_ber.mtj.fpe import write_error_rate
from larq_ber.mtj.reliability import read_disturb_rate, retention_failure
from larq_ber.rates import ErrorRates

DAY = 24 * 3600.0


def _wer(voltage, pulse, device):
    return float(write_error_rate(voltage, pulse, device))


@pytest.mark.parametrize("voltage, pulse", [(0.6, 10e-9), (0.45, 20e-9)])
def test_symmetric_device_gives_equal_directions(paper, voltage, pulse):
    rates = error_rates(voltage, pulse, paper)
    assert isinstance(rates, ErrorRates)
    assert rates.ber_neg == rates.ber_pos == _wer(voltage, pulse, paper)
    assert rates.weight_ber == 0.0
    assert error_rates(voltage, pulse) == rates  # MTJ.paper() by default


def test_field_gives_each_direction_its_signed_field(paper):
    for h in (0.1, -0.05):
        device = dataclasses.replace(paper, h=h)
        rates = error_rates(0.6, 10e-9, device)
        # P->AP (+1) sees +h, AP->P (-1) sees -h.
        assert rates.ber_pos == _wer(0.6, 10e-9, dataclasses.replace(paper, h=h))
        assert rates.ber_neg == _wer(0.6, 10e-9, dataclasses.replace(paper, h=-h))
        # h > 0 favours P: writing +1 (leaving P) is the harder switch.
        assert (rates.ber_pos > rates.ber_neg) == (h > 0)
    # The two signs swap the directions.
    plus = error_rates(0.6, 10e-9, dataclasses.replace(paper, h=0.1))
    minus = error_rates(0.6, 10e-9, dataclasses.replace(paper, h=-0.1))
    assert (plus.ber_neg, plus.ber_pos) == (minus.ber_pos, minus.ber_neg)


def test_stt_asymmetry_rescales_the_critical_voltage(paper):
    device = dataclasses.replace(paper, stt_asymmetry=1.2)
    rates = error_rates(0.6, 10e-9, device)
    root = math.sqrt(1.2)
    # V_c0(P->AP) = sqrt(r) v_c0, V_c0(AP->P) = v_c0 / sqrt(r).
    assert rates.ber_pos == _wer(0.6 / root, 10e-9, paper)
    assert rates.ber_neg == _wer(0.6 * root, 10e-9, paper)
    assert rates.ber_pos > _wer(0.6, 10e-9, paper) > rates.ber_neg
    # The same as a device whose v_c0 is the direction's critical voltage.
    harder = dataclasses.replace(paper, v_c0=paper.v_c0 * root)
    assert rates.ber_pos == pytest.approx(_wer(0.6, 10e-9, harder), rel=1e-9)
    # Field and asymmetry together.
    both = dataclasses.replace(device, h=0.05)
    rates = error_rates(0.6, 10e-9, both)
    assert rates.ber_pos == _wer(0.6 / root, 10e-9, both)
    assert rates.ber_neg == _wer(0.6 * root, 10e-9, dataclasses.replace(both, h=-0.05))


def test_weight_errors_start_at_zero_and_follow_retention(paper):
    assert weight_error_rate(0.0) == 0.0
    assert error_rates(0.6, 10e-9, storage_time=0.0, reads=0).weight_ber == 0.0
    # A symmetric two-state chain: (1 - exp(-2 t / tau)) / 2, tau = tau_0 e^Delta;
    # retention_failure (the first flip) is its small-t limit.
    tau = paper.tau_0 * math.exp(paper.delta)
    for duration in (1.0, DAY, SECONDS_PER_YEAR, 10 * SECONDS_PER_YEAR):
        expected = -math.expm1(-2 * duration / tau) / 2
        assert weight_error_rate(duration, paper) == pytest.approx(expected, rel=1e-12)
        assert error_rates(0.6, 10e-9, storage_time=duration).weight_ber == (
            weight_error_rate(duration, paper)
        )
        first = float(retention_failure(duration, paper))
        assert weight_error_rate(duration, paper) <= first
    assert weight_error_rate(1.0, paper) == pytest.approx(
        float(retention_failure(1.0, paper)), rel=1e-6
    )


def test_weight_errors_grow_with_time_and_reads(paper):
    times = [0.0, 1.0, 3600.0, DAY, SECONDS_PER_YEAR, 100 * SECONDS_PER_YEAR]
    rates = [weight_error_rate(t, paper) for t in times]
    assert all(a < b for a, b in itertools.pairwise(rates))
    counts = [0, 1, 10, 10**3, 10**6, 10**9]
    rates = [weight_error_rate(DAY, paper, reads=n) for n in counts]
    assert all(a < b for a, b in itertools.pairwise(rates))
    # Reads alone: (1 - (1 - p)^n) / 2, p from read_disturb_rate at V_c0 / 3 and
    # 10 ns: a read destabilises one of the two states.
    p = float(read_disturb_rate(paper.v_c0 / 3, DEFAULT_READ_PULSE, paper))
    for n in (1, 1000, 10**7):
        assert weight_error_rate(0.0, reads=n) == pytest.approx(
            (1 - (1 - p) ** n) / 2, rel=1e-9
        )
    # Retention and reads are independent: the chain's determinants multiply.
    both = weight_error_rate(DAY, reads=10**4)
    kept = (1 - 2 * weight_error_rate(DAY)) * (
        1 - 2 * weight_error_rate(0.0, reads=10**4)
    )
    assert both == pytest.approx((1 - kept) / 2, rel=1e-12)
    # A higher read voltage or a longer read pulse disturbs more; 1e6 as a float.
    assert weight_error_rate(0.0, reads=1e6, read_voltage=0.15) > weight_error_rate(
        0.0, reads=10**6
    )
    assert weight_error_rate(0.0, reads=100, read_pulse=1e-6) > weight_error_rate(
        0.0, reads=100
    )
    # Tiny rates are not lost to rounding.
    assert weight_error_rate(1e-6) == pytest.approx(1e-6 / 1e-9 * math.exp(-40))


def test_field_averages_the_two_barriers(paper):
    device = dataclasses.replace(paper, h=0.1)
    # The chain's rates add: (1 - exp(-(k_P + k_AP) t)) / 2.
    rates = [math.exp(-40 * f) / paper.tau_0 for f in (1.21, 0.81)]
    assert weight_error_rate(DAY, device) == pytest.approx(
        -math.expm1(-sum(rates) * DAY) / 2, rel=1e-12
    )
    # The less stable state dominates: a field shortens retention either way.
    assert weight_error_rate(DAY, device) > weight_error_rate(DAY, paper)
    assert weight_error_rate(DAY, dataclasses.replace(paper, h=-0.1)) == (
        weight_error_rate(DAY, device)
    )


@pytest.mark.parametrize("h", [0.0, 0.1])
@pytest.mark.parametrize("reads", [0, 1000])
@pytest.mark.parametrize("target", [1e-6, 1e-3, 0.3])
def test_storage_time_inverts_the_weight_error_rate(paper, h, reads, target):
    device = dataclasses.replace(paper, h=h)
    if reads and weight_error_rate(0.0, device, reads=reads) > target:
        with pytest.raises(ValueError, match="`reads`"):
            storage_time_for_weight_ber(target, device, reads=reads)
        return
    time = storage_time_for_weight_ber(target, device, reads=reads)
    rate = weight_error_rate(time, device, reads=reads)
    assert rate <= target and rate == pytest.approx(target, rel=1e-8)


def test_storage_time_edges(paper):
    assert storage_time_for_weight_ber(0.0) == 0.0
    # 1/2 and above are never reached (tests/mtj/test_bad_inputs.py).
    with pytest.raises(ValueError, match=r"`weight_ber` .* \[0, 0\.5\)"):
        storage_time_for_weight_ber(1.0)
    # h = 0: tau_0 e^Delta (-ln(1 - 2 w)) / 2.
    assert storage_time_for_weight_ber(1e-3) == pytest.approx(
        paper.tau_0 * math.exp(paper.delta) * -math.log1p(-2e-3) / 2, rel=1e-9
    )
    # More reads leave less time.
    assert storage_time_for_weight_ber(1e-3, reads=1000) < (
        storage_time_for_weight_ber(1e-3)
    )


def test_bad_inputs_name_the_argument():
    cases = [
        ({"voltage": 0.0}, "`voltage`"),
        ({"voltage": -0.6}, "`voltage`"),
        ({"voltage": float("nan")}, "`voltage`"),
        ({"voltage": "0.6"}, "`voltage`"),
        ({"voltage": [0.6, 0.9]}, "`voltage`"),
        ({"pulse": 0.0}, "`pulse`"),
        ({"pulse": True}, "`pulse`"),
        ({"storage_time": -1.0}, "`storage_time`"),
        ({"storage_time": math.inf}, "`storage_time`"),
        ({"reads": -1}, "`reads`"),
        ({"reads": 1.5}, "`reads`"),
        ({"reads": True}, "`reads`"),
        ({"reads": "3"}, "`reads`"),
        ({"read_voltage": -0.1}, "`read_voltage`"),
        ({"read_pulse": 0.0}, "`read_pulse`"),
    ]
    for change, name in cases:
        arguments = {"voltage": 0.6, "pulse": 10e-9, **change}
        voltage, pulse = arguments.pop("voltage"), arguments.pop("pulse")
        with pytest.raises(ValueError, match=name):
            error_rates(voltage, pulse, **arguments)
    with pytest.raises(ValueError, match=r"`weight_ber` must be .* \[0, 0\.5\)"):
        storage_time_for_weight_ber(1.5)
    with pytest.raises(ValueError, match="`weight_ber`"):
        storage_time_for_weight_ber(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`reads` = 100 alone"):
        storage_time_for_weight_ber(1e-9, reads=100)
    with pytest.raises(ValueError, match="`storage_time`"):
        weight_error_rate(-1.0)


def test_paper_device_numbers(paper):
    # The example values of the module's documentation.
    # (With the field-aware initial state; 0.1 started every write from the h = 0
    # well and gave 5.49e-4 and 3.16e-3.)
    rates = error_rates(0.6, 10e-9, dataclasses.replace(paper, h=0.1))
    assert (rates.ber_neg, rates.ber_pos) == pytest.approx((5.17e-4, 3.31e-3), rel=3e-3)
    rates = error_rates(0.6, 10e-9, dataclasses.replace(paper, stt_asymmetry=1.2))
    assert (rates.ber_neg, rates.ber_pos) == pytest.approx((2.43e-4, 5.92e-3), rel=3e-3)
    assert weight_error_rate(DAY) == pytest.approx(3.67e-4, rel=3e-3)
    assert weight_error_rate(SECONDS_PER_YEAR) == pytest.approx(0.1176, rel=3e-3)
    assert MTJ.paper().stt_asymmetry == 1.0


# --- read polarity and the per-state error rates -----------------------------------


def _read_matrix(p, read_polarity):
    """One read's transition matrix (rows and columns: P, AP)."""
    if read_polarity == "fixed":  # the AP->P read current: it can switch AP only
        return np.array([[1.0, 0.0], [p, 1.0 - p]])
    q = -math.expm1(2 * math.log1p(-p)) / 2  # rate -ln(1 - p) on both states
    return np.array([[1.0 - q, q], [q, 1.0 - q]])


def _thermal_generator(device):
    """The Neel-Arrhenius rates out of P (barrier delta (1 + h)^2) and AP."""
    k_p = math.exp(-device.delta * (1 + device.h) ** 2) / device.tau_0
    k_ap = math.exp(-device.delta * (1 - device.h) ** 2) / device.tau_0
    return np.array([[-k_p, k_p], [k_ap, -k_ap]])


def test_read_polarity_fixed_disturbs_one_state_and_bipolar_both(paper):
    p = float(read_disturb_rate(paper.v_c0 / 3, DEFAULT_READ_PULSE, paper))
    fixed = weight_error_rate(0.0, reads=1000)
    bipolar = weight_error_rate(0.0, reads=1000, read_polarity="bipolar")
    assert fixed == weight_error_rate(0.0, reads=1000, read_polarity="fixed")
    # 1/2 (1 - det): (1 - p)^n for fixed reads, (1 - p)^(2n) for bipolar ones.
    assert fixed == pytest.approx(-math.expm1(1000 * math.log1p(-p)) / 2, rel=1e-12)
    assert bipolar == pytest.approx(-math.expm1(2000 * math.log1p(-p)) / 2, rel=1e-12)
    assert bipolar == pytest.approx(2 * fixed, rel=2000 * p)  # rare: twice
    # Retention is the same for both; the read factors multiply.
    for polarity in ("fixed", "bipolar"):
        both = weight_error_rate(DAY, reads=10**4, read_polarity=polarity)
        kept = (1 - 2 * weight_error_rate(DAY)) * (
            1 - 2 * weight_error_rate(0.0, reads=10**4, read_polarity=polarity)
        )
        assert both == pytest.approx((1 - kept) / 2, rel=1e-12)
        rates = error_rates(
            0.6, 10e-9, storage_time=DAY, reads=10**4, read_polarity=polarity
        )
        assert rates.weight_ber == both
    # The inverse follows the polarity; bipolar reads leave less storage time.
    time = storage_time_for_weight_ber(1e-3, reads=1000, read_polarity="bipolar")
    rate = weight_error_rate(time, reads=1000, read_polarity="bipolar")
    assert rate <= 1e-3 and rate == pytest.approx(1e-3, rel=1e-8)
    assert time < storage_time_for_weight_ber(1e-3, reads=1000)


@pytest.mark.parametrize("read_polarity", ["fixed", "bipolar"])
@pytest.mark.parametrize("h", [0.0, 0.1, -0.3])
def test_state_error_rates_average_to_the_weight_error_rate(paper, h, read_polarity):
    device = dataclasses.replace(paper, h=h)
    for time, reads, volts in itertools.product(
        (0.0, 1.0, DAY, SECONDS_PER_YEAR, 1e30), (0, 1000, 10**6), (None, 0.2)
    ):
        kwargs = {"reads": reads, "read_voltage": volts, "read_polarity": read_polarity}
        p_state, ap_state = state_error_rates(time, device, **kwargs)
        assert 0 <= p_state <= 1 and 0 <= ap_state <= 1
        mean = weight_error_rate(time, device, **kwargs)
        assert (p_state + ap_state) / 2 == pytest.approx(mean, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("read_polarity", ["fixed", "bipolar"])
@pytest.mark.parametrize("read_voltage", [None, 0.2, 0.3])
def test_state_error_rates_of_reads_alone_are_the_read_matrix_power(
    paper, read_polarity, read_voltage
):
    volts = paper.v_c0 / 3 if read_voltage is None else read_voltage
    p = float(read_disturb_rate(volts, DEFAULT_READ_PULSE, paper))
    for reads in (1, 7, 1000):
        chain = np.linalg.matrix_power(_read_matrix(p, read_polarity), reads)
        got = state_error_rates(
            0.0, reads=reads, read_voltage=read_voltage, read_polarity=read_polarity
        )
        # Rows P (-1) and AP (+1): the probability of ending in the other state.
        np.testing.assert_allclose(got, (chain[0, 1], chain[1, 0]), rtol=1e-9)
    if read_polarity == "fixed":  # the AP->P read current never switches P
        assert state_error_rates(0.0, reads=10**6)[0] == 0.0


@pytest.mark.parametrize("h", [0.0, 0.1, -0.05])
def test_state_error_rates_of_storage_alone_are_the_thermal_chain(paper, h):
    device = dataclasses.replace(paper, h=h)
    generator = _thermal_generator(device)
    for time in (1.0, 3600.0, DAY, SECONDS_PER_YEAR):
        chain = scipy.linalg.expm(generator * time)
        for polarity in ("fixed", "bipolar"):
            got = state_error_rates(time, device, read_polarity=polarity)
            np.testing.assert_allclose(got, (chain[0, 1], chain[1, 0]), rtol=1e-9)
    # h > 0 favours P: a stored +1 (AP) is the one that decays.
    p_state, ap_state = state_error_rates(DAY, device)
    assert (ap_state > p_state) == (h > 0) and (ap_state == p_state) == (h == 0)
    # Forever: the chain's stationary shares, even past the float range of k t.
    k_p, k_ap = generator[0, 1], generator[1, 0]
    for time in (1e30, 1e300):
        np.testing.assert_allclose(
            state_error_rates(time, device), (k_p, k_ap) / (k_p + k_ap), rtol=1e-12
        )


@pytest.mark.parametrize("read_polarity", ["fixed", "bipolar"])
def test_reads_spread_over_the_storage_approach_the_continuous_limit(
    paper, read_polarity
):
    device = dataclasses.replace(paper, h=0.1)
    time, volts = DAY / 4, 0.15
    p = float(read_disturb_rate(volts, DEFAULT_READ_PULSE, device))
    read = _read_matrix(p, read_polarity)
    limit = state_error_rates(
        time, device, reads=2000, read_voltage=volts, read_polarity=read_polarity
    )
    gaps = []
    for reads in (200, 2000):
        # `reads` of the limit's total intensity, each followed by its idle time.
        step = scipy.linalg.expm(_thermal_generator(device) * time / reads)
        power = np.linalg.matrix_power(read, 2000 // reads)
        chain = np.linalg.matrix_power(step @ power, reads)
        gaps.append(np.max(np.abs(np.array(limit) / (chain[0, 1], chain[1, 0]) - 1)))
    assert gaps[1] < 2e-3 and gaps[1] < gaps[0] / 5  # first order in 1 / reads
