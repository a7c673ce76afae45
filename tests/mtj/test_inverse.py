"""larq_ber.mtj.inverse: round trips, broadcasting and errors of the inverses."""

import numpy as np
import pytest

from larq_ber.mtj.device import MTJ
from larq_ber.mtj.fpe import write_error_rate
from larq_ber.mtj.inverse import pulse_for_wer, voltage_for_wer


def test_inverses_round_trip_and_broadcast():
    targets = np.array([[1e-1], [1e-3], [1e-6]])
    pulses = np.array([[8e-9, 12e-9, 30e-9]])
    volts = voltage_for_wer(targets, pulses)
    assert volts.shape == (3, 3)
    np.testing.assert_allclose(write_error_rate(volts, pulses), targets + 0 * volts,
                               rtol=1e-2)  # fmt: skip
    lengths = pulse_for_wer(targets, 0.7)
    assert lengths.shape == (3, 1)
    np.testing.assert_allclose(write_error_rate(0.7, lengths), targets, rtol=1e-3)
    back = pulse_for_wer(1e-6, voltage_for_wer(1e-6, 10e-9))
    assert float(back) == pytest.approx(10e-9, rel=1e-2)


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match=r"`wer` must be in \(0, 1\)"):
        voltage_for_wer(1.5, 1e-8)
    with pytest.raises(ValueError, match=r"the breakdown voltage v_bd = 1\.2 V"):
        voltage_for_wer(1e-6, 1e-9)  # 0.5 tau_D is too short
    with pytest.raises(ValueError, match="at most v_bd"):
        pulse_for_wer(1e-2, 1.5)


def test_voltage_for_wer_is_monotonic_over_its_whole_domain_and_raises_outside():
    from larq_ber.mtj.inverse import RESOLVED_WER

    targets = np.geomspace(0.5, RESOLVED_WER, 40)
    volts = voltage_for_wer(targets, 10e-9)
    assert np.all(np.diff(volts) > 0)  # smaller WER, higher voltage
    for bad in (1e-10, 1e-12, 1e-50, 1e-100):
        with pytest.raises(ValueError, match="below 1e-09, the smallest"):
            voltage_for_wer(bad, 10e-9)
    # 1e-8 at a 2 ns pulse needs more than v_bd: the message gives the range
    with pytest.raises(ValueError, match=r"reachable write error rates are"):
        voltage_for_wer(1e-8, 2e-9)
    with pytest.raises(ValueError, match=r"reachable write error rates are"):
        voltage_for_wer(0.99999, 10e-9)


def test_pulse_for_wer_is_monotonic_over_its_whole_domain_and_raises_outside():
    targets = np.geomspace(0.3, 1e-9, 30)
    pulses = pulse_for_wer(targets, 0.6)
    assert np.all(np.diff(pulses) > 0)  # smaller WER, longer pulse
    with pytest.raises(ValueError, match="below 1e-09"):
        pulse_for_wer(1e-12, 0.6)
    with pytest.raises(ValueError, match="shorter than"):
        pulse_for_wer(1 - 1e-12, 1.2)
    with pytest.raises(ValueError, match="at most v_bd"):
        pulse_for_wer(1e-3, 2.0)


def test_orders_that_would_exhaust_memory_are_refused():
    import dataclasses

    from larq_ber.mtj import MTJ
    from larq_ber.mtj.fpe import MAX_ORDER

    huge = dataclasses.replace(MTJ.paper(), delta=1e6)  # default order 20,000
    with pytest.raises(ValueError, match=rf"\[1, {MAX_ORDER}\]"):
        voltage_for_wer(1e-2, 10e-9, huge)
    for order in (-5, 0, 2.5, MAX_ORDER + 1):
        with pytest.raises(ValueError, match="`order` must be an integer"):
            write_error_rate(0.6, 10e-9, order=order)
    with pytest.raises(ValueError, match="MTJ `h` must be a number"):
        MTJ(h="0")


def test_pulse_for_wer_inverts_the_forward_function_exactly_at_short_pulses():
    # At 1.2 V the WER leaves its plateau within 0.1-1 tau_D: the region the 0.1
    # inverse evaluated with a different (BLAS-dependent) expansion.
    targets = np.array([1 - 1e-9, 1 - 1e-6, 0.5, 1e-3])
    lengths = pulse_for_wer(targets, 1.2)
    assert np.all(np.diff(lengths) > 0)
    np.testing.assert_allclose(write_error_rate(1.2, lengths), targets, rtol=1e-9)
    with pytest.raises(ValueError, match=r"above 1 - 1e-09"):
        voltage_for_wer(1 - 1e-12, 10e-9)


def test_pulse_for_wer_inverts_the_forward_solution_at_high_drive():
    # i = 6 and 12: above i = 2 both use the drive's own default order.
    device = MTJ(delta=40.0, v_c0=0.05)
    for volt in (0.3, 0.6):
        for target in (1e-2, 1e-6):
            pulse = pulse_for_wer(target, volt, device)
            wer = float(write_error_rate(volt, pulse, device))
            assert wer == pytest.approx(target, rel=1e-6)
