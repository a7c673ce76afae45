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
from larq_ber.mtj.fpe import switching_probability, write_error_rate
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


def _skewed(paper):
    """A device with a field and a spin-transfer asymmetry (h = 0.1, r = 1.2)."""
    return dataclasses.replace(paper, h=0.1, stt_asymmetry=1.2)


def _single_switch(device, field):
    """The device in the single-switch convention, at the field given, r = 1."""
    return dataclasses.replace(device, h=field, stt_asymmetry=1.0)


def test_fixed_reads_disturb_ap_with_the_ap_to_p_switch(paper):
    device, pulse = _skewed(paper), DEFAULT_READ_PULSE
    root = math.sqrt(device.stt_asymmetry)
    reverse = _single_switch(device, -device.h)
    for volts in (0.3, 0.35, 0.4):  # AP->P drive V sqrt(r) / V_c0 >= 1: a write
        p_ap = 2 * weight_error_rate(0.0, device, reads=1, read_voltage=volts)
        switched = 1 - error_rates(volts, pulse, device).ber_neg  # AP->P write
        assert p_ap == pytest.approx(switched, rel=1e-9)
        scaled = float(switching_probability(volts * root, pulse, reverse))
        assert p_ap == pytest.approx(scaled, rel=1e-9)
        # The single-switch value (+h, V / V_c0) is far lower: the bug fixed.
        assert p_ap > 1.5 * float(read_disturb_rate(volts, pulse, device))
        p_state, ap_state = state_error_rates(0.0, device, reads=1, read_voltage=volts)
        assert p_state == 0.0 and ap_state == pytest.approx(p_ap, rel=1e-12)
    for volts in (0.1, 0.2, 0.25):  # below: the capped thermal law, same switch
        p_ap = 2 * weight_error_rate(0.0, device, reads=1, read_voltage=volts)
        law = float(read_disturb_rate(volts * root, pulse, reverse))
        assert p_ap == pytest.approx(law, rel=1e-9)


def test_bipolar_reads_disturb_each_state_with_its_own_switch(paper):
    device, pulse = _skewed(paper), DEFAULT_READ_PULSE
    for volts in (0.35, 0.4):  # both drives >= 1: each read is two writes
        rates = error_rates(volts, pulse, device)
        p_p, p_ap = 1 - rates.ber_pos, 1 - rates.ber_neg
        kwargs = {"read_voltage": volts, "read_polarity": "bipolar"}
        got = weight_error_rate(0.0, device, reads=1, **kwargs)
        assert got == pytest.approx((1 - (1 - p_p) * (1 - p_ap)) / 2, rel=1e-9)
        # Reads alone: the power of one read's matrix, exp of its two rates.
        read = scipy.linalg.expm(
            np.array([[1.0, -1.0], [-1.0, 1.0]])
            * [[math.log1p(-p_p)], [math.log1p(-p_ap)]]
        )
        for reads in (1, 3):
            chain = np.linalg.matrix_power(read, reads)
            np.testing.assert_allclose(
                state_error_rates(0.0, device, reads=reads, **kwargs),
                (chain[0, 1], chain[1, 0]),
                rtol=1e-9,
            )
    # The storage time inverts the two intensities' closed form.
    kwargs = {"reads": 100, "read_voltage": 0.12, "read_polarity": "bipolar"}
    time = storage_time_for_weight_ber(1e-2, device, **kwargs)
    rate = weight_error_rate(time, device, **kwargs)
    assert rate <= 1e-2 and rate == pytest.approx(1e-2, rel=1e-8)


@pytest.mark.parametrize("read_voltage", [None, 0.2, 0.3, 0.35])
def test_a_symmetric_device_keeps_one_read_disturb_rate(paper, read_voltage):
    volts = paper.v_c0 / 3 if read_voltage is None else read_voltage
    p = float(read_disturb_rate(volts, DEFAULT_READ_PULSE, paper))
    for m, polarity in ((1, "fixed"), (2, "bipolar")):
        kwargs = {
            "reads": 1000,
            "read_voltage": read_voltage,
            "read_polarity": polarity,
        }
        # h = 0, r = 1: both states see the single-switch rate, bit for bit.
        got = weight_error_rate(0.0, paper, **kwargs)
        assert got == -0.5 * math.expm1(m * (1000 * math.log1p(-p)))
        states = state_error_rates(0.0, paper, **kwargs)
        assert states[1] == -math.expm1(1000 * math.log1p(-p)) or m == 2
        assert states[0] == states[1] or m == 1


def _strang_chain(device, time, reads, p_p, p_ap):
    """Exact chain: n reads at the midpoints of n equal idle intervals."""
    half = scipy.linalg.expm(_thermal_generator(device) * time / (2 * reads))
    rates = [-math.log1p(-p_p), -math.log1p(-p_ap)]
    read = scipy.linalg.expm(
        np.array([[-1.0, 1.0], [1.0, -1.0]]) * [[r] for r in rates]
    )
    chain = np.linalg.matrix_power(half @ read @ half, reads)
    return chain[0, 1], chain[1, 0]


@pytest.mark.parametrize("read_polarity", ["fixed", "bipolar"])
@pytest.mark.parametrize("h", [0.1, -0.1])
def test_discrete_reads_spread_over_the_storage_match_the_chain(
    paper, h, read_polarity
):
    # h = -0.1: thermal flips leave P, reads leave AP (steps that do not commute).
    device = dataclasses.replace(_skewed(paper), h=h)
    time, volts = DAY / 2, 0.15
    root = math.sqrt(device.stt_asymmetry)
    generator = _thermal_generator(device)
    thermal = -(generator[0, 0] + generator[1, 1]) * time  # about 0.37
    gaps = []
    for reads in (25, 100, 400):
        pulse = 3e-6 / reads  # the same total read time: L_AP about 0.8
        switches = ((volts / root, h), (volts * root, -h))  # leaving P, AP
        p_p, p_ap = (
            float(read_disturb_rate(v, pulse, _single_switch(device, field)))
            for v, field in switches
        )
        p_p = p_p if read_polarity == "bipolar" else 0.0
        kwargs = {"reads": reads, "read_voltage": volts, "read_pulse": pulse}
        kwargs["read_polarity"] = read_polarity
        limit = np.array(state_error_rates(time, device, **kwargs))
        chain = np.array(_strang_chain(device, time, reads, p_p, p_ap))
        # The mean is 1/2 (1 - det) for both: exact up to rounding.
        mean = weight_error_rate(time, device, **kwargs)
        assert chain.mean() == pytest.approx(mean, rel=1e-12)
        assert limit.mean() == pytest.approx(mean, rel=1e-12)
        # Strang splitting: per step X = thermal / n, Y = reads' intensity / n;
        # the leading BCH error per step is bounded by s_X s_Y (s_X / 6 + s_Y / 3)
        # (s the sum of a generator's two rates, ||[X, Y]|| <= 4 s_X s_Y), so n
        # steps differ by at most that times n (stochastic matrices contract).
        intensity = -reads * (math.log1p(-p_p) + math.log1p(-p_ap))
        bound = thermal * intensity * (thermal / 6 + intensity / 3) / reads**2
        gap = float(np.max(np.abs(chain - limit)))
        assert gap <= bound
        gaps.append(gap)
        if h < 0:  # the bound is tight to a small factor
            assert gap > bound / 20
    assert gaps[2] < gaps[0] / 100 or h > 0  # second order in 1 / n
