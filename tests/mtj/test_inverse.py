"""larq_ber.mtj.inverse: round trips, broadcasting and errors of the inverses."""

import numpy as np
import pytest

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
    with pytest.raises(ValueError, match=r"below the breakdown voltage v_bd = 1\.2 V"):
        voltage_for_wer(1e-6, 1e-9)  # 0.5 tau_D is too short
    with pytest.raises(ValueError, match="at most v_bd"):
        pulse_for_wer(1e-2, 1.5)
