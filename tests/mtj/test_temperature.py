"""larq_ber.mtj.temperature and MTJ.at: the device at another temperature."""

import dataclasses
import math

import numpy as np
import pytest

from larq_ber.mtj import read_disturb_rate, retention_failure, write_error_rate
from larq_ber.mtj.device import MTJ
from larq_ber.mtj.temperature import (
    ZERO_CELSIUS,
    celsius,
    reduced_magnetization,
    temperature_scaling,
)

DAY = 86400.0


def test_celsius_converts_to_kelvin():
    assert celsius(85) == pytest.approx(358.15)
    assert celsius(np.float64(-40.0)) == pytest.approx(233.15)
    assert celsius(0) == ZERO_CELSIUS
    for bad in (-273.15, -300, float("nan"), True, "85"):
        with pytest.raises(ValueError, match=r"`value` must be .* \(-273\.15, inf\)"):
            celsius(bad)


def test_at_its_own_temperature_is_the_same_device(paper):
    assert paper.at(300.0) == paper
    assert paper.at(np.float64(300.0)) == paper
    warm = MTJ(h=0.05, stt_asymmetry=1.2).at(celsius(60))
    assert warm.at(warm.temperature) == warm


def test_at_round_trip_returns_the_device(paper):
    device = dataclasses.replace(paper, h=0.1)
    back = device.at(celsius(85)).at(300.0)
    for field in dataclasses.fields(MTJ):
        value = getattr(back, field.name)
        if isinstance(value, float):
            assert value == pytest.approx(getattr(device, field.name), rel=1e-12)


def _expected(device, kelvin):
    """The laws written out: Δ(T0)(T0/T)r^n, V_c0 r^n, τ_D and h times r^(1-n)."""
    t0, tc = device.temperature, device.curie_temperature
    b, n = device.magnetization_exponent, device.anisotropy_exponent
    if device.magnetization_law == "bloch":
        r = (1 - (kelvin / tc) ** b) / (1 - (t0 / tc) ** b)
    else:
        r = ((1 - kelvin / tc) / (1 - t0 / tc)) ** b
    return {
        "delta": device.delta * (t0 / kelvin) * r**n,
        "v_c0": device.v_c0 * r**n,
        "tau_d": device.tau_d * r ** (1 - n),
        "h": device.h * r ** (1 - n),
    }


@pytest.mark.parametrize(
    "device",
    [
        MTJ(h=0.1),
        MTJ(h=-0.05, magnetization_law="critical", magnetization_exponent=0.4),
        MTJ(delta=60.0, curie_temperature=800.0, anisotropy_exponent=3.0, h=0.02),
    ],
)
@pytest.mark.parametrize("degrees", [-40.0, 25.0, 85.0, 150.0])
def test_at_follows_the_closed_form(device, degrees):
    kelvin = celsius(degrees)
    moved = device.at(kelvin)
    for name, value in _expected(device, kelvin).items():
        assert getattr(moved, name) == pytest.approx(value, rel=1e-12), name
    kept = ("v_bd", "tau_0", "cycles_at_vbd", "endurance_exponent", "endurance_slope")
    for name in (*kept, "stt_asymmetry", "curie_temperature", "magnetization_law"):
        assert getattr(moved, name) == getattr(device, name)
    assert moved.temperature == kelvin


def test_the_docstring_numbers_follow_the_formula(paper):
    kelvin = celsius(85)
    expected = _expected(paper, kelvin)
    assert round(paper.at(kelvin).delta, 2) == round(expected["delta"], 2)
    scaling = temperature_scaling(kelvin)
    assert scaling.delta == pytest.approx(expected["delta"] / paper.delta)
    assert scaling.v_c0 == pytest.approx(expected["v_c0"] / paper.v_c0)
    assert reduced_magnetization(300.0) == pytest.approx(1 - 0.3**1.5)


def test_delta_falls_monotonically_and_vanishes_at_the_curie_temperature(paper):
    kelvins = np.linspace(1.0, paper.curie_temperature - 1.0, 400)
    deltas = np.array([paper.at(k).delta for k in kelvins])
    assert np.all(np.diff(deltas) < 0)
    v_c0s = np.array([paper.at(k).v_c0 for k in kelvins])
    assert np.all(np.diff(v_c0s) < 0)
    at_curie = temperature_scaling(paper.curie_temperature)
    assert at_curie.delta == 0 and at_curie.v_c0 == 0 and at_curie.magnetization == 0
    assert math.isinf(at_curie.tau_d)
    critical = temperature_scaling(1000.0, law="critical", magnetization_exponent=0.4)
    assert critical.delta == 0
    for law in ("bloch", "critical"):
        assert reduced_magnetization(0.0, law=law) == 1
        assert reduced_magnetization(1000.0, law=law) == 0


def test_retention_at_85_c_is_far_shorter_than_at_25_c(paper):
    cool, hot = paper.at(celsius(25)), paper.at(celsius(85))
    # Over a day: a quarter per mille at 25 °C, almost every bit at 85 °C.
    assert float(retention_failure(DAY, cool)) < 1e-3
    assert float(retention_failure(DAY, hot)) > 0.99
    # Over a second (both far from saturation) the ratio is e^(Δ25 - Δ85) > 10^4.
    p_cool, p_hot = (float(retention_failure(1.0, d)) for d in (cool, hot))
    assert p_hot / p_cool == pytest.approx(math.exp(cool.delta - hot.delta), rel=1e-3)
    assert p_hot > 1e4 * p_cool
    p_hot = float(retention_failure(DAY, hot))
    # Néel–Arrhenius with the rescaled barrier.
    assert p_hot == pytest.approx(
        -math.expm1(-DAY / paper.tau_0 * math.exp(-hot.delta))
    )


def test_hotter_writes_are_easier_and_reads_disturb_more(paper):
    # At a fixed voltage and pulse the drive V / V_c0 grows and the barrier falls,
    # so the write error rate falls with temperature; read disturb grows.
    devices = [paper.at(celsius(c)) for c in (0.0, 25.0, 60.0, 85.0)]
    wers = [float(write_error_rate(0.6, 10e-9, d)) for d in devices]
    assert np.all(np.diff(wers) < 0)
    disturb = [float(read_disturb_rate(0.1, 10e-9, d)) for d in devices]
    assert np.all(np.diff(disturb) > 0)


def test_at_refuses_temperatures_outside_zero_to_curie(paper):
    for bad in (0.0, -10.0, 1000.0, 1200.0, float("nan"), True, "300"):
        with pytest.raises(ValueError, match=r"`temperature` must be .*\(0, 1000\) K"):
            paper.at(bad)
    # A rescaled parameter can leave its range: one line saying so. Heating
    # raises h = H / H_K (H_K falls); cooling raises V_c0.
    with pytest.raises(ValueError, match=r"MTJ.at\(900 K\): MTJ `h`"):
        MTJ(h=0.5).at(900.0)
    with pytest.raises(ValueError, match=r"MTJ.at\(10 K\): MTJ `v_bd`"):
        MTJ(v_c0=1.0).at(10.0)


def test_the_temperature_fields_are_checked():
    for bad in (0.0, -5.0, 1000.0, 2000.0, float("inf"), True):
        with pytest.raises(
            ValueError, match=r"MTJ `temperature` must be in \(0, 1000\)"
        ):
            MTJ(temperature=bad)
    with pytest.raises(ValueError, match="MTJ `curie_temperature`"):
        MTJ(curie_temperature=-1.0)
    with pytest.raises(ValueError, match="MTJ `magnetization_law`"):
        MTJ(magnetization_law="curie-weiss")
    with pytest.raises(ValueError, match="MTJ `magnetization_exponent`"):
        MTJ(magnetization_exponent=0.0)
    for bad in (0.5, 11.0):
        with pytest.raises(ValueError, match=r"MTJ `anisotropy_exponent` .* \[1, 10\]"):
            MTJ(anisotropy_exponent=bad)


def test_the_laws_refuse_bad_inputs():
    with pytest.raises(ValueError, match=r"`temperature` .* \[0, 1000\] K"):
        reduced_magnetization(1001.0)
    with pytest.raises(ValueError, match="`law` must be one of"):
        reduced_magnetization(300.0, law="langevin")
    with pytest.raises(ValueError, match=r"`reference` .* \(0, 1000\) K"):
        temperature_scaling(350.0, 1000.0)
    with pytest.raises(ValueError, match=r"`anisotropy_exponent` .* \[1, 10\]"):
        temperature_scaling(350.0, anisotropy_exponent=0.0)
    with pytest.raises(ValueError, match="`magnetization_exponent`"):
        temperature_scaling(350.0, magnetization_exponent=-1.0)


def test_the_module_defaults_are_the_devices():
    device = MTJ()
    assert temperature_scaling(400.0) == temperature_scaling(
        400.0,
        device.temperature,
        curie_temperature=device.curie_temperature,
        law=device.magnetization_law,
        magnetization_exponent=device.magnetization_exponent,
        anisotropy_exponent=device.anisotropy_exponent,
    )
