"""larq_ber.mtj.device: the paper's device and parameter validation."""

import pytest

from larq_ber.mtj.device import MTJ


def test_paper_device():
    paper = MTJ.paper()
    assert (paper.delta, paper.tau_d, paper.v_c0, paper.v_bd) == (40.0, 2e-9, 0.3, 1.2)
    assert paper == MTJ()


def test_bad_parameters_get_clear_errors():
    with pytest.raises(ValueError, match="`v_bd`"):
        MTJ(v_bd=0.2)
    with pytest.raises(ValueError, match="MTJ `delta`"):
        MTJ(delta=-1.0)
    with pytest.raises(ValueError, match="MTJ `tau_d`"):
        MTJ(tau_d=float("nan"))
    with pytest.raises(ValueError, match="MTJ `h`"):
        MTJ(h=1.0)
    for bad in (0.0, -1.2, float("inf"), True):
        with pytest.raises(ValueError, match="MTJ `stt_asymmetry`"):
            MTJ(stt_asymmetry=bad)


def test_stt_asymmetry_defaults_to_symmetric():
    assert MTJ.paper().stt_asymmetry == 1.0
    assert MTJ(stt_asymmetry=1.5).stt_asymmetry == 1.5
