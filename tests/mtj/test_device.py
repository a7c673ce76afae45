"""larq_ber.mtj.device: the paper's device and parameter validation."""

import dataclasses

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


def test_the_paper_device_holds_at_300_k():
    paper = MTJ.paper()
    assert paper.temperature == 300.0
    assert paper.magnetization_law == "bloch"
    assert paper.curie_temperature > paper.temperature


def test_describe_names_every_parameter_with_value_and_phase():
    device = MTJ(h=0.05, stt_asymmetry=1.2)
    text = device.describe()
    lines = text.splitlines()
    assert "300 K" in lines[0]
    for field in dataclasses.fields(MTJ):
        row = next(line for line in lines if line.split()[0] == field.name)
        value = getattr(device, field.name)
        shown = value if isinstance(value, str) else f"{value:.6g}"
        assert row.split()[1] == shown, field.name
        phases = ("write", "storage", "read", "endurance", "MTJ.at")
        assert any(phase in row for phase in phases), field.name
    assert len(lines) == 2 + len(dataclasses.fields(MTJ))
    warm = device.at(358.15).describe()
    assert "358.15 K (85.00 °C)" in warm
